"""selfdistill: exact self-distillation for ridge regression and beyond."""
from ._version import __version__
__all__ = ["__version__"]
