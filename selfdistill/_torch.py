"""Shared torch plumbing of the optional extras (:mod:`selfdistill.nn`, :mod:`selfdistill.diffusion`).

Importing this module is what makes those subpackages need torch: without it the import fails with
a message that names the CPU wheel to install.
"""

from __future__ import annotations

import contextlib
import copy

import numpy as np
from sklearn.utils import check_random_state

try:
    import torch
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "selfdistill.nn and selfdistill.diffusion need PyTorch, an optional extra of selfdistill. "
        "Install the CPU build with `pip install torch==2.13.0` (then `pip install "
        "'selfdistill[torch]'`); an unpinned `pip install torch` may download a multi-GB CUDA build."
    ) from exc

_DTYPES = {"float64": torch.float64, "float32": torch.float32}


def resolve_device(device) -> torch.device:
    """Parse ``device`` ("cpu", "cuda", "cuda:1", a ``torch.device``) and check that it exists."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:<index>', got {device!r}.") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available in this torch build "
            f"({torch.__version__}); use device='cpu'."
        )
    return dev


def resolve_dtype(dtype) -> torch.dtype:
    """``"float64"`` (default everywhere: the project computes in float64) or ``"float32"``."""
    if isinstance(dtype, torch.dtype) and dtype in _DTYPES.values():
        return dtype
    if dtype in _DTYPES:
        return _DTYPES[dtype]
    raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}.")


def draw_seed(random_state) -> int:
    """A 31-bit seed from ``random_state`` (None, int, RandomState or Generator)."""
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    return int(check_random_state(random_state).randint(2**31 - 1))


def torch_generator(seed: int, device="cpu") -> torch.Generator:
    """A ``torch.Generator`` on ``device`` seeded with ``seed``.

    Draws made on the CPU generator (e.g. batch orders) are the same whatever device trains.
    """
    gen = torch.Generator(device=device)
    gen.manual_seed(seed)
    return gen


@contextlib.contextmanager
def seeded_init(seed: int):
    """Run network construction under ``seed`` without touching torch's global random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def frozen_copy(module: torch.nn.Module, device: torch.device, dtype: torch.dtype) -> torch.nn.Module:
    """A deep copy on ``device``/``dtype`` in eval mode with ``requires_grad=False`` everywhere."""
    clone = copy.deepcopy(module).to(device=device, dtype=dtype).eval()
    clone.requires_grad_(False)
    return clone


def trainable_copy(module: torch.nn.Module, device: torch.device, dtype: torch.dtype) -> torch.nn.Module:
    """A deep copy on ``device``/``dtype`` in train mode with every parameter trainable."""
    clone = copy.deepcopy(module).to(device=device, dtype=dtype).train()
    clone.requires_grad_(True)
    return clone


def to_tensor(array, device, dtype=None) -> torch.Tensor:
    """A tensor holding a *copy* of ``array`` (numpy inputs may be read-only, e.g. from pandas)."""
    return torch.as_tensor(np.array(array, copy=True), device=device, dtype=dtype)


def to_numpy(t: torch.Tensor) -> np.ndarray:
    """Detach, move to the CPU and convert to a float64 numpy array."""
    return t.detach().to("cpu", torch.float64).numpy()
