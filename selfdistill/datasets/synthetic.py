"""Fixed-design regression problems with prescribed singular values (the paper's synthetic setting).

Model (Pareek, Du & Oh 2024, Section 1; Theory §1.2), in sklearn orientation::

    X = U diag(s) V_r^T   (n_samples x n_features, rank r),     y = X theta* + eps,
    E eps = 0,  Cov eps = noise_var * I_n,

with ``U`` (n_samples x r) and ``V`` (n_features x n_features) drawn uniformly (Haar) among
matrices with orthonormal columns, and ``V_r = V[:, :r]``.

**Orientation.** The paper writes the design as d x n (columns are samples): the paper's X is our
``X.T``. Its singular vectors ``u_j`` in R^d (eigenvectors of X X^T in its notation) are our
*right* singular vectors ``V[:, j - 1]`` (eigenvectors of our ``X.T @ X``), its ``v_j`` in R^n are
our ``U[:, j - 1]``, and its ``theta*_j = <theta*, u_j>`` is our ``(V.T @ theta_star)[j - 1]``.
Its labels ``Y = X^T theta* + eta`` are our ``X @ theta_star + eps``; d = ``n_features``.

**Noise.** The paper's figures quote a "noise variance gamma"; whether that is Var(eps) or its
square root is unconfirmed (Theory §1.2). Here ``noise_var`` *is* Var(eps_i) (the
``gamma^2`` of Theory §1.2). The noise is Gaussian: an assumption that does not matter for
fixed-design risks, which depend on its second moments only.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from .._validation import (
    POSITIVE,
    POSITIVE_INT,
    Converter,
    check_generator_seed,
    check_noise_var,
    check_theta_star,
    validate_params,
)

__all__ = ["FixedDesign", "make_fixed_design", "power_law_singular_values"]

_SEED = Converter(check_generator_seed, "a seed of numpy.random.default_rng")


@validate_params({"r": [POSITIVE_INT], "s_first": [POSITIVE], "s_last": [POSITIVE]})


def power_law_singular_values(r, s_first=1.0, s_last=0.8):
    """Return ``r`` singular values that decay as a power law from ``s_first`` to ``s_last``.

    ``s_j = s_first * j^(-alpha)`` for ``j = 1..r`` with ``alpha = ln(s_first / s_last) / ln r``,
    so ``s_1 = s_first`` and ``s_r = s_last``. With the defaults this is the parametrisation we use
    for the paper's Fig. 2 (``s_1 = 1``, ``s_r`` in {0.8, 0.5}, Theory §4.1); the
    paper says only "a power law from s_1 = 1 to s_r", so the exact form is an assumption.

    Parameters
    ----------
    r : int
        Number of singular values (the rank), >= 1. For ``r = 1`` the result is ``[s_first]``
        (there is no decay to fit, so ``s_last`` is not used).
    s_first : float, default=1.0
        Largest singular value, > 0.
    s_last : float, default=0.8
        Smallest singular value, ``0 < s_last <= s_first``.

    Returns
    -------
    ndarray of shape (r,)
        Non-increasing positive float64 values.

    Examples
    --------
    >>> power_law_singular_values(4, 1.0, 0.5).round(4).tolist()
    [1.0, 0.7071, 0.5774, 0.5]
    """
    if s_last > s_first:
        raise ValueError(
            f"s_last={s_last} exceeds s_first={s_first}; singular values decrease, so give "
            "s_last <= s_first."
        )
    if r == 1:
        return np.array([s_first])
    alpha = np.log(s_first / s_last) / np.log(r)
    values = s_first * np.arange(1, r + 1, dtype=np.float64) ** (-alpha)
    values[-1] = s_last  # exact endpoint (the power can be off by one ulp)
    return values


@dataclass(frozen=True, eq=False)
class FixedDesign:
    """A fixed design ``X = U diag(s) V[:, :r]^T`` with its true parameter and noise level.

    Draw labels with :meth:`sample_y`. See the module docstring for the mapping to the paper's
    d x n notation (paper ``u_j`` = ``V[:, j - 1]``).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The design.
    theta_star : ndarray of shape (n_features,)
        True coefficients.
    singular_values : ndarray of shape (r,)
        ``s``, non-increasing and positive; exactly the non-zero singular values of ``X``.
    U : ndarray of shape (n_samples, r)
        Left singular vectors (orthonormal columns).
    V : ndarray of shape (n_features, n_features)
        Orthogonal matrix whose first ``r`` columns are the right singular vectors of ``X``
        (``X @ V[:, j] = s_j U[:, j]``); the remaining columns span the null space of ``X``.
    noise_var : float
        Variance of each noise entry.
    """

    X: np.ndarray
    theta_star: np.ndarray
    singular_values: np.ndarray
    U: np.ndarray
    V: np.ndarray
    noise_var: float

    @property
    def theta_coords(self) -> np.ndarray:
        """Coordinates ``V.T @ theta_star`` of the true parameter in the eigenbasis."""
        return self.V.T @ self.theta_star

    @property
    def mean(self) -> np.ndarray:
        """Noise-free labels ``X @ theta_star``."""
        return self.X @ self.theta_star

    @validate_params({"random_state": [_SEED], "n_draws": [POSITIVE_INT, None]})
    def sample_y(self, random_state=None, n_draws=None) -> np.ndarray:
        """Draw labels ``y = X theta* + eps`` with ``eps ~ N(0, noise_var I)``.

        Parameters
        ----------
        random_state : int, numpy Generator or None, default=None
            Seed of ``numpy.random.default_rng``.
        n_draws : int or None, default=None
            ``None`` returns one label vector; an int returns that many independent ones.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_draws, n_samples)
            The labels; each row of a 2-D result is one independent draw.
        """
        n_samples = self.X.shape[0]
        shape = (n_samples,) if n_draws is None else (n_draws, n_samples)
        return self.mean + np.sqrt(self.noise_var) * random_state.standard_normal(shape)


def _check_singular_values(singular_values, name: str = "singular_values") -> np.ndarray:
    try:
        s = np.asarray(singular_values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numbers, got {singular_values!r}.") from exc
    if s.ndim != 1 or s.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence, got shape {s.shape}.")
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise ValueError(
            f"{name} must be finite and > 0, got {s.tolist()}; a zero singular value is "
            "a lower rank: leave it out."
        )
    if np.any(np.diff(s) > 0):
        raise ValueError(
            f"{name} must be non-increasing (s_1 >= s_2 >= ...), got {s.tolist()}; "
            "sort them with np.sort(s)[::-1] so that V[:, j] is the paper's u_(j+1)."
        )
    return s


@validate_params(
    {
        "singular_values": [Converter(_check_singular_values, "positive, non-increasing numbers")],
        "n_samples": [POSITIVE_INT, None],
        "n_features": [POSITIVE_INT, None],
        "noise_var": [Converter(check_noise_var, "a finite variance >= 0")],
        "random_state": [_SEED],
    }
)
def make_fixed_design(
    singular_values,
    n_samples=None,
    n_features=None,
    *,
    theta_star=None,
    theta_coords=None,
    noise_var=0.1,
    random_state=None,
):
    """Build a fixed-design problem whose design has exactly the given singular values.

    ``X = U diag(s) V[:, :r]^T`` with ``U`` (n_samples x r) and ``V`` (n_features x n_features)
    Haar-distributed (QR of a Gaussian matrix with the signs of R's diagonal fixed), drawn in
    that order from ``numpy.random.default_rng(random_state)``. The true parameter is, by
    priority, ``theta_star`` itself, or ``V[:, :m] @ theta_coords`` for coordinates in the
    eigenbasis, or ``V[:, 0]`` (the paper's "theta* = u_1", its Fig. 2 choice).

    Parameters
    ----------
    singular_values : array-like of shape (r,)
        Non-increasing positive values ``s_1 >= ... >= s_r > 0`` (repeats allowed, e.g. the
        paper's Fig. 3b ``[1, 1, 1/2, 1/3]``); see :func:`power_law_singular_values`.
    n_samples : int or None, default=None
        Rows of ``X`` (the paper's n), ``>= r``. ``None`` means ``n_features``.
    n_features : int or None, default=None
        Columns of ``X`` (the paper's d), ``>= r``. ``None`` means ``r``.
    theta_star : array-like of shape (n_features,), optional
        The true coefficients, given directly.
    theta_coords : int or array-like of shape (m,), optional
        The true coefficients in the eigenbasis: ``theta_star = V[:, :m] @ theta_coords`` with
        ``m <= n_features`` (coordinates beyond ``r`` lie in the null space of ``X``). An int
        ``j`` is shorthand for the unit vector ``e_j``: ``theta_star = V[:, j]``, the paper's
        ``u_{j+1}``. E.g. the paper's Fig. 3c ``theta* = 0.5 (u_1 + u_2 + u_3 + u_4)`` is
        ``theta_coords=[0.5, 0.5, 0.5, 0.5]``. Give at most one of ``theta_star``,
        ``theta_coords``.
    noise_var : float, default=0.1
        Var(eps_i) >= 0 (``gamma^2``; whether the paper's "noise variance gamma = 0.1" means this
        or its square root is unconfirmed).
    random_state : int, numpy Generator or None, default=None
        Seed for ``U`` and ``V``.

    Returns
    -------
    FixedDesign
        ``X``, ``theta_star``, ``singular_values``, ``U``, ``V``, ``noise_var`` and
        ``sample_y(random_state)`` to draw ``y = X theta* + eps``.

    Examples
    --------
    >>> s = power_law_singular_values(5, 1.0, 0.8)
    >>> problem = make_fixed_design(s, n_samples=50, n_features=100, random_state=0)
    >>> problem.X.shape, problem.theta_star.shape
    ((50, 100), (100,))
    >>> bool(np.allclose(np.linalg.svd(problem.X, compute_uv=False)[:5], s))
    True
    >>> y = problem.sample_y(random_state=1)
    """
    s = singular_values  # checked and converted by the constraint table
    r = s.size
    n_features = r if n_features is None else n_features
    n_samples = n_features if n_samples is None else n_samples
    if r > min(n_samples, n_features):
        raise ValueError(
            f"{r} singular values need n_samples >= {r} and n_features >= {r}, got "
            f"n_samples={n_samples}, n_features={n_features}; the rank cannot exceed either."
        )
    if theta_star is not None and theta_coords is not None:
        raise ValueError("give theta_star or theta_coords, not both.")

    U = _haar_orthonormal(random_state, n_samples, r)
    V = _haar_orthonormal(random_state, n_features, n_features)
    X = (U * s) @ V[:, :r].T

    if theta_star is not None:
        theta = check_theta_star(theta_star, n_features)
    else:
        coords = _check_theta_coords(0 if theta_coords is None else theta_coords, n_features)
        theta = V[:, : coords.size] @ coords
    return FixedDesign(X=X, theta_star=theta, singular_values=s, U=U, V=V, noise_var=noise_var)


def _haar_orthonormal(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """An n x k matrix with orthonormal columns, uniformly distributed (Mezzadri 2007)."""
    Q, R = np.linalg.qr(rng.standard_normal((n, k)))
    signs = np.sign(np.diag(R))
    signs[signs == 0] = 1.0
    return Q * signs


def _check_theta_coords(theta_coords, n_features: int) -> np.ndarray:
    if isinstance(theta_coords, numbers.Integral) and not isinstance(theta_coords, bool):
        if not 0 <= theta_coords < n_features:
            raise ValueError(
                f"theta_coords={theta_coords} is not a direction index in [0, {n_features}); "
                "index j selects V[:, j], the paper's u_(j+1)."
            )
        coords = np.zeros(int(theta_coords) + 1)
        coords[-1] = 1.0
        return coords
    coords = np.asarray(theta_coords, dtype=np.float64)
    if coords.ndim != 1 or coords.size == 0 or coords.size > n_features:
        raise ValueError(
            f"theta_coords must be an int or a 1-D sequence of 1 to {n_features} coordinates, "
            f"got shape {coords.shape}."
        )
    if not np.all(np.isfinite(coords)):
        raise ValueError(f"theta_coords contains NaN or infinite values: {coords.tolist()}.")
    return coords
