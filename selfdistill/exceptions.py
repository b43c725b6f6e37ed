"""Warning categories raised by selfdistill (filter them with the standard ``warnings`` module)."""


class GridBoundaryWarning(UserWarning):
    """The selected penalty or number of steps lies on the edge of the searched range.

    The best value may lie outside it: widen the grid (or, for the theory functions, note that the
    infimum over alpha of optimal k-step SD is often approached as alpha -> infinity, where the
    filter family loses the constraint m(1) = 1).
    """
