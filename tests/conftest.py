"""Shared test configuration: deterministic Hypothesis profiles, markers and extras."""

from __future__ import annotations

import os
from pathlib import Path

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


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """torch keeps its own thread pool (threadpoolctl does not cap it): pin it too when loaded.

    Tiny models: a second intra-op thread only adds contention (10x slower on 2 busy cores).
    Module-scoped, so that a module that imports torch itself is covered as well.
    """
    import sys

    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator; every test that draws random numbers uses it."""
    return np.random.default_rng(20240705)


@pytest.fixture(scope="session")
def linear_problem():
    """``linear_problem(rng, n=400, d=6, targets=None, offset=3.0)`` -> ``(X, y)``.

    A dense linear regression with unequal column scales (0.5 to 2) and an offset (so that the
    intercept matters); ``targets`` columns of y, or a 1-D y when None. Unit noise.
    """

    def make(rng, n=400, d=6, targets=None, offset=3.0):
        X = rng.normal(size=(n, d)) * rng.uniform(0.5, 2.0, size=d) + offset
        shape = (d,) if targets is None else (d, targets)
        y = X @ rng.normal(size=shape) + rng.normal(size=(n,) if targets is None else (n, targets))
        return X, y

    return make


@pytest.fixture(scope="session")
def partial_fit_in_chunks():
    """``partial_fit_in_chunks(est, X, y, w=None, size=100)``: feed consecutive row blocks to
    ``est.partial_fit`` (with their sample weights) and return ``est``."""

    def stream(est, X, y, w=None, size=100):
        for start in range(0, X.shape[0], size):
            rows = slice(start, start + size)
            est.partial_fit(X[rows], y[rows], None if w is None else w[rows])
        return est

    return stream


@pytest.fixture(scope="session")
def iris():
    """Iris, features standardised (mean 0, standard deviation 1): a small 3-class problem.

    Shared by the whole session, so the arrays are read-only: a test that wants to change them
    copies them first.
    """
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    for array in (X, y):
        array.setflags(write=False)
    return X, y


#: The xz-compressed UCI files shipped in the repository (data/uci).
SHIPPED_UCI = Path(__file__).resolve().parents[1] / "data" / "uci"


@pytest.fixture(scope="session")
def uci_mirror(tmp_path_factory):
    """An absolute folder with the raw UCI files in the mirror's layout (``<folder>/<file>``).

    ``SELFDISTILL_DATA_DIR`` when set (made absolute: notebooks run in other folders); else the
    files shipped in ``data/uci``, decompressed once per session with the standard library only,
    so tests that parse raw bytes stay independent of the loader. FAILS when a file is missing or
    its bytes differ from the manifest: the real-data tests never skip silently.
    """
    import hashlib
    import lzma
    import shutil

    from selfdistill.datasets import UCI_DATASETS

    value = os.environ.get("SELFDISTILL_DATA_DIR")
    if value:
        root = Path(value).expanduser().absolute()
    else:
        root = tmp_path_factory.mktemp("uci-mirror")
        shutil.copy(SHIPPED_UCI / "SHA256SUMS", root / "SHA256SUMS")
        for spec in UCI_DATASETS.values():
            (root / spec.folder).mkdir()
            compressed = SHIPPED_UCI / spec.folder / f"{spec.filename}.xz"
            if compressed.is_file():
                with lzma.open(compressed) as source:
                    (root / spec.folder / spec.filename).write_bytes(source.read())
    where = f"SELFDISTILL_DATA_DIR={value}" if value else f"the shipped data {SHIPPED_UCI}"
    missing = [
        f"{spec.folder}/{spec.filename}"
        for spec in UCI_DATASETS.values()
        if not (root / spec.folder / spec.filename).is_file()
    ]
    if missing:
        pytest.fail(f"{where} lacks {missing}.")
    for spec in UCI_DATASETS.values():
        digest = hashlib.sha256((root / spec.folder / spec.filename).read_bytes()).hexdigest()
        if digest != spec.sha256:
            pytest.fail(f"{where}: {spec.folder}/{spec.filename} is not the official file.")
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
