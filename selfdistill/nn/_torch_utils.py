"""Device and seeding helpers of the torch estimators in :mod:`selfdistill.nn`."""

from __future__ import annotations

import contextlib

import numpy as np
import torch
from sklearn.utils import check_random_state


def resolve_device(device) -> torch.device:
    """Parse ``device`` ("cpu", "cuda", "cuda:1", a ``torch.device``) and check that it exists."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device must be 'cpu', 'cuda' or 'cuda:<index>', got {device!r}."
        ) from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available in this torch build "
            f"({torch.__version__}); use device='cpu'."
        )
    return dev


def draw_seed(random_state) -> int:
    """A 31-bit seed from ``random_state`` (None, int, RandomState or Generator)."""
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    return int(check_random_state(random_state).randint(2**31 - 1))


def cpu_generator(seed: int) -> torch.Generator:
    """A CPU ``torch.Generator``: batch orders drawn on the CPU are the same on every device."""
    gen = torch.Generator(device="cpu")
    gen.manual_seed(seed)
    return gen


@contextlib.contextmanager
def seeded_init(seed: int):
    """Build networks under ``seed`` without touching torch's global random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
