"""Toy data for the diffusion experiments: isotropic Gaussian mixtures such as the ring of 8 Gaussians."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state


def ring_means(n_modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """Centres of ``n_modes`` Gaussians evenly spaced on a circle of ``radius`` (first at angle 0).

    Parameters
    ----------
    n_modes : int, default=8
        Number of centres.
    radius : float, default=2.0
        Radius of the circle.

    Returns
    -------
    ndarray of shape (n_modes, 2)
    """
    if isinstance(n_modes, bool) or not isinstance(n_modes, (int, np.integer)) or n_modes < 1:
        raise ValueError(f"n_modes must be a positive integer, got {n_modes!r}.")
    if not np.isfinite(radius) or radius <= 0:
        raise ValueError(f"radius must be a finite number > 0, got {radius!r}.")
    angles = 2.0 * np.pi * np.arange(n_modes) / n_modes
    return radius * np.column_stack([np.cos(angles), np.sin(angles)])


def sample_gaussian_mixture(
    means, stds, n_samples: int, weights=None, random_state=None
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n_samples`` points from ``sum_k weights_k N(means_k, stds_k^2 I)``.

    Parameters
    ----------
    means : array-like of shape (n_components, n_features)
        Component means.
    stds : float or array-like of shape (n_components,)
        Per-coordinate standard deviation of each (isotropic) component.
    n_samples : int
        Number of points.
    weights : array-like of shape (n_components,) or None
        Mixture weights (normalised here); ``None`` means equal weights.
    random_state : None, int or RandomState
        Seed of the draws.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    components : ndarray of shape (n_samples,)
        The component each point was drawn from (its class label).
    """
    means = np.asarray(means, dtype=np.float64)
    k, d = means.shape
    stds = np.broadcast_to(np.asarray(stds, dtype=np.float64), (k,))
    p = (
        np.full(k, 1.0 / k)
        if weights is None
        else np.asarray(weights, np.float64) / np.sum(weights)
    )
    rng = check_random_state(random_state)
    components = rng.choice(k, size=n_samples, p=p)
    X = means[components] + stds[components, None] * rng.standard_normal((n_samples, d))
    return X, components
