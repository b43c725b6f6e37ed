"""Shared test configuration: deterministic Hypothesis profiles, markers and extras."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from threadpoolctl import threadpool_limits

# Pin BLAS to one thread per worker: the suite runs under pytest-xdist on 2 cores, and numpy is
# already imported when this file runs, so environment variables would come too late.
threadpool_limits(limits=1)

# "ci": deterministic and reproducible (no example database, derandomised), as numpy and scipy do.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=40,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# "dev": random exploration with more examples, for local bug hunting.
settings.register_profile("dev", deadline=None, max_examples=200, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """torch keeps its own thread pool (threadpoolctl does not cap it): pin it too when loaded."""
    import sys

    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    yield


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator; every test that draws random numbers uses it."""
    return np.random.default_rng(20240705)


@pytest.fixture(scope="session")
def uci_mirror():
    """Folder of the UCI data mirror from SELFDISTILL_DATA_DIR.

    Skips (with a reason) when the variable is unset; FAILS when it is set but a file is missing,
    so CI, which sets it, can never silently skip the real-data tests.
    """
    from pathlib import Path

    from selfdistill.datasets import UCI_DATASETS

    value = os.environ.get("SELFDISTILL_DATA_DIR")
    if not value:
        pytest.skip("SELFDISTILL_DATA_DIR is not set; point it to the UCI mirror (e.g. ../shared/uci)")
    root = Path(value)
    missing = [
        f"{spec.folder}/{spec.filename}"
        for spec in UCI_DATASETS.values()
        if not (root / spec.folder / spec.filename).is_file()
    ]
    if missing:
        pytest.fail(f"SELFDISTILL_DATA_DIR={value} is set but lacks {missing}.")
    return root


#: numpydoc codes not enforced anywhere: summary/extended-summary style, See Also and Examples
#: presence, and Returns details of methods that return self.
NUMPYDOC_IGNORE = frozenset({"GL01", "GL02", "GL03", "GL08", "SS03", "SS05", "SS06", "ES01", "SA01",
                             "SA04", "EX01", "RT01", "RT02", "RT03", "RT05", "YD01", "PR08", "PR09"})


@pytest.fixture(scope="session")
def numpydoc_errors():
    """``numpydoc_errors(target, extra_ignore=())`` -> the numpydoc violations we enforce."""
    from numpydoc.validate import validate

    def errors(target: str, extra_ignore=()):
        ignore = NUMPYDOC_IGNORE | set(extra_ignore)
        return [(code, message) for code, message in validate(target)["errors"] if code not in ignore]

    return errors
