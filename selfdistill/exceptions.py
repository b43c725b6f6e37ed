"""Warning categories raised by selfdistill (filter them with the standard ``warnings`` module)."""


class GridBoundaryWarning(UserWarning):
    """The selected penalty or number of steps lies on the edge of the searched range.

    The best value may lie outside it: widen the grid (or, for the theory functions, note that the
    infimum over alpha of optimal k-step SD is often approached as alpha -> infinity, where the
    filter family loses the constraint m(1) = 1).
    """


class TuningFallbackWarning(UserWarning):
    """The tuning criterion's own optimum was rejected and a safer candidate was selected.

    Raised when the optimum cannot be realised accurately in float64 as per-step xi, when its
    degrees of freedom leave their valid range, or when an in-sample criterion is wildly
    optimistic for it. The fitted estimator's ``cv_results_["status"]`` and ``report()`` list the
    rejections.
    """
