"""The registry of the paper's UCI datasets: identity, licence, files, columns, preprocessing.

The records themselves are data and live in ``uci_datasets.json`` beside this module (package data);
this module describes their fields and reads them. :mod:`selfdistill.datasets.uci` reads the
dataset files and applies the rules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType


@dataclass(frozen=True)
class UCIDataset:
    """Description of one UCI regression dataset and of how ``load_uci`` prepares it.

    Parameters
    ----------
    name : str
        Key in ``UCI_DATASETS`` and first argument of ``load_uci``.
    title : str
        The dataset's name at UCI.
    paper_name : str
        Its name in Pareek, Du & Oh (2024), Table 1.
    uci_id : int
        UCI repository id (in the dataset's addresses).
    doi : str
        Dataset DOI (cite it: the licence requires attribution).
    slug : str
        The dataset's name in UCI's addresses: its page is :attr:`url`, the official zip archive
        :attr:`archive_url`.
    licence : str
        Licence of the data.
    citation : str
        Reference to cite for the data.
    folder, filename : str
        Raw file as published by UCI, at ``<data_dir>/<folder>/<filename>`` in the mirror layout.
    sha256 : str
        SHA-256 of the official raw file.
    archive_sha256 : str
        SHA-256 of UCI's zip archive that holds the raw file (checked by ``fetch_file`` on
        download).
    target : str
        Column returned as ``y``.
    features : tuple of str
        Columns returned as ``X``, in this order.
    shape : tuple of int
        ``(n_samples, n_features)`` of ``X`` after preprocessing, from the official file.
    preprocessing : str
        What ``load_uci`` does to the raw data.
    assumptions : tuple of str
        Choices that are ours, not confirmed from the paper.
    notes : tuple of str
        Facts about the data that matter downstream (e.g. rank deficiency).
    read_csv_options : mapping
        ``pandas.read_csv`` options that parse the raw file (separator, decimal mark, names).
    missing_code : float or None
        Value that codes a missing entry in the raw file (rows holding it in a used column are
        dropped); ``None`` when the dataset has no missing values.
    """

    name: str
    title: str
    paper_name: str
    uci_id: int
    doi: str
    slug: str
    citation: str
    folder: str
    filename: str
    sha256: str
    archive_sha256: str
    target: str
    features: tuple[str, ...]
    shape: tuple[int, int]
    preprocessing: str
    assumptions: tuple[str, ...]
    notes: tuple[str, ...] = ()
    read_csv_options: Mapping = field(default_factory=dict, repr=False)
    missing_code: float | None = field(default=None, repr=False)
    licence: str = "CC BY 4.0 (UCI)"

    @property
    def url(self) -> str:
        """The dataset's page at UCI."""
        return f"https://archive.ics.uci.edu/dataset/{self.uci_id}/{self.slug}"

    @property
    def archive_url(self) -> str:
        """UCI's zip archive of the raw files (the page's download button)."""
        return f"https://archive.ics.uci.edu/static/public/{self.uci_id}/{self.slug}.zip"


def _load_registry() -> dict[str, UCIDataset]:
    """Read ``uci_datasets.json`` (shipped beside this module): one record per dataset.

    JSON lists become tuples and ``read_csv_options`` a read-only mapping; a file without a header
    (no ``header`` key means the first row names the columns) gets the names ``features + target``.
    """
    text = (resources.files(__package__) / "uci_datasets.json").read_text(encoding="utf-8")
    registry = {}
    for name, record in json.loads(text).items():
        fields = {key: tuple(value) if isinstance(value, list) else value for key, value in record.items()}
        options = dict(fields.pop("read_csv_options", {}))
        if "header" in options:
            options["names"] = (*fields["features"], fields["target"])
        registry[name] = UCIDataset(name=name, read_csv_options=MappingProxyType(options), **fields)
    return registry


_REGISTRY = _load_registry()

#: Read-only registry of the datasets ``load_uci`` knows, keyed by name.
UCI_DATASETS: Mapping[str, UCIDataset] = MappingProxyType(_REGISTRY)

# Other spellings users reach for: the mirror's folder names and the paper's abbreviation.
ALIASES = {
    "airfoil_self_noise": "airfoil",
    "appliances_energy_prediction": "appliances_energy",
    "aep": "appliances_energy",
}
