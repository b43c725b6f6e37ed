"""Parametrisations of k-step self-distillation and stable evaluation of its spectral filter.

Notation (Pareek, Du & Oh 2024; our orientation: X is n_samples x n_features)
-------------------------------------------------------------------------------
With the thin SVD ``X = U diag(s) V^T`` and penalty ``alpha`` (the paper's lambda on the sum of
squares), each eigen-direction j has the ridge shrinkage ``a_j = s_j^2 / (s_j^2 + alpha)`` and its
complement ``t_j = alpha / (s_j^2 + alpha)``; both are computed directly, never as ``1 - a``, so that
alpha -> 0 and alpha -> infinity stay accurate.

k-step SD starts from the ridge teacher and refits ridge k times on ``xi_i * (previous predictions)
+ (1 - xi_i) * y`` (xi weights the teacher; xi_1 is the first step after the teacher). Per direction
the coefficient is the ridge coefficient times a multiplier ``m(a)``::

    m_0 = 1,    m_i(a) = xi_i * a * m_{i-1}(a) + (1 - xi_i)

a polynomial of degree k in a with ``m(1) = 1``. We work with the *deviation* ``d = 1 - m``, which
obeys the cancellation-free recursion ``d_i = xi_i * (t + a * d_{i-1})`` and always has the form
``d = t * q(a)`` with ``deg q <= k - 1``. The overall spectral filter is ``h = a * m = a - a * d`` and
``1 - h = t + a * d``; both are formed without subtracting nearly equal numbers.

Three coordinate systems for the same polynomial (all conversions are exact algebra):

* per-step ``xi = (xi_1, ..., xi_k)``: the sequential procedure.
* ``xibar`` (the paper's reparametrisation, a-power basis): ``m(a) = 1 - sum_i xibar_i (1 - a^i)``,
  i.e. ``xibar_i`` is the coefficient of ``a^i`` in m (i >= 1). The risk is quadratic in xibar.
  The monomial coefficients of ``q`` are the *tail sums* ``S_q = sum_{i >= q} xibar_i``, and
  ``S_q = xi_k * xi_{k-1} * ... * xi_{k-q+1}`` (products of trailing xi's), which inverts the map.
* ridge-path weights ``w`` (Follow-ups §1): ``theta_k = theta(alpha) + sum_i w_i alpha^i
  d^i theta / d alpha^i``, with ``w_i = p^{(i)}(1) / (i!)^2`` for ``p = m`` as a polynomial in a.

Which basis the paper itself calls xibar (a-power or t-power) is UNCONFIRMED (Theory §8);
both span the same family, so optima and risks do not depend on the choice.
"""

from __future__ import annotations

import functools

import numpy as np

from ._docstrings import fill_doc
from ._validation import Converter, check_finite_vector, validate_params

_VECTOR = Converter(check_finite_vector, "a number or a 1-D sequence of finite numbers")
#: Constraint tables of the public conversions (one finite value per step).
_XI, _XIBAR, _W = ({name: [_VECTOR]} for name in ("xi", "xibar", "w"))
#: Numpydoc fragments the conversions share.
_DOCS = {
    "xi": """xi : float or array-like of shape (k,)
    Per-step imitation parameters (xi weights the teacher; any real value).""",
    "xibar": """xibar : array-like of shape (k,)
    Reparametrised imitation parameters.""",
    "overflow": """ValueError
    If a coefficient exceeds the float64 range (e.g. ``xi = [1e200, 1e200]``).""",
}


def shrinkage(singular_values: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(a, t)`` with ``a = s^2/(s^2+alpha)`` and ``t = alpha/(s^2+alpha)``, computed separately."""
    s2 = np.asarray(singular_values, dtype=np.float64) ** 2
    denom = s2 + alpha
    return s2 / denom, alpha / denom


def deviation_from_xi(a: np.ndarray, t: np.ndarray, xi: np.ndarray) -> np.ndarray:
    """Per-direction deviation ``d = 1 - m`` of k-step SD with per-step parameters ``xi``.

    Runs ``d_i = xi_i * (t + a * d_{i-1})`` from ``d_0 = 0``: O(k * r), exact for any xi (including
    huge |xi| and xi outside [0, 1]) and for huge k (powers of a underflow to 0, never NaN).
    """
    d = np.zeros_like(np.asarray(a, dtype=np.float64))
    for value in xi:
        d = value * (t + a * d)
    return d


def deviation_from_xibar(a: np.ndarray, t: np.ndarray, xibar: np.ndarray) -> np.ndarray:
    """Per-direction deviation ``d = t * q(a)`` for reparametrised ``xibar`` (Horner on tail sums)."""
    tails = np.cumsum(np.asarray(xibar, dtype=np.float64)[::-1])[::-1]
    q = np.zeros_like(np.asarray(a, dtype=np.float64))
    for coef in tails[::-1]:
        q = q * a + coef
    return t * q


def filter_from_deviation(
    a: np.ndarray, t: np.ndarray, d: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(h, 1 - h)`` for the overall filter ``h = a * (1 - d)`` without cancellation."""
    ad = a * d
    return a - ad, t + ad


@fill_doc(**_DOCS)
@validate_params(_XI)
def xi_to_polynomial(xi) -> np.ndarray:
    """Coefficients of the multiplier ``m(a)`` in increasing powers of a (the paper's xi-tilde).

    Parameters
    ----------
    %(xi)s

    Returns
    -------
    ndarray of shape (k + 1,)
        ``c`` with ``m(a) = sum_i c_i a^i`` and ``sum_i c_i = 1``.

    Raises
    ------
    %(overflow)s

    Examples
    --------
    >>> xi_to_polynomial([0.3, -1.2, 2.5]).round(6)
    array([-1.5,  5.5, -2.1, -0.9])
    """
    return _polynomial(xi)


def _polynomial(xi: np.ndarray) -> np.ndarray:
    # The public conversions check xi once (their constraint tables) and call this kernel.
    coef = np.ones(1)
    with np.errstate(over="ignore", invalid="ignore"):
        for value in xi:
            new = np.zeros(coef.size + 1)
            new[1:] += value * coef
            new[0] += 1.0 - value
            coef = new
    if not np.all(np.isfinite(coef)):
        raise ValueError(
            f"xi={xi.tolist()} gives polynomial coefficients beyond float64 (products of the xi_i "
            "exceed ~1.8e308), so xibar does not exist in float64. The estimators and "
            "deviation_from_xi evaluate such xi exactly step by step; use them instead of xibar."
        )
    return coef


@fill_doc(**_DOCS)
@validate_params(_XI)
def xi_to_xibar(xi) -> np.ndarray:
    """Convert per-step ``xi`` (length k) to the reparametrisation ``xibar`` (length k).

    ``xibar_i`` is the coefficient of ``a^i`` in the multiplier polynomial ``m`` (i = 1..k), so that
    ``m(a) = 1 - sum_i xibar_i (1 - a^i)``. The excess risk is a quadratic function of ``xibar``.

    Parameters
    ----------
    %(xi)s

    Returns
    -------
    ndarray of shape (k,)

    Raises
    ------
    %(overflow)s

    Examples
    --------
    >>> xi_to_xibar([0.5])
    array([0.5])
    >>> xi_to_xibar([])
    array([], dtype=float64)
    """
    return _polynomial(xi)[1:]


@validate_params(_XIBAR)
def xibar_to_tail_sums(xibar) -> np.ndarray:
    """Tail sums ``S_q = sum_{i >= q} xibar_i`` (q = 1..k): the monomial coefficients of ``q(a)``."""
    return np.cumsum(xibar[::-1])[::-1]


def tail_sums_to_xibar(tails) -> np.ndarray:
    """Inverse of :func:`xibar_to_tail_sums`: ``xibar_i = S_i - S_{i+1}`` with ``S_{k+1} = 0``."""
    tails = np.asarray(tails, dtype=np.float64)
    return tails - np.append(tails[1:], 0.0)


@fill_doc(**_DOCS)
@validate_params(_XIBAR)
def xibar_to_xi(xibar) -> np.ndarray:
    """Convert ``xibar`` back to per-step ``xi``; raise when no finite ``xi`` exists.

    Uses ``xi_k = S_1`` and ``xi_{k-q+1} = S_q / S_{q-1}`` for the tail sums ``S``.
    When a tail sum ``S_{q-1}`` is zero, every earlier step is multiplied by zero: the polynomial is
    reachable only if all later tail sums vanish too (then those steps are no-ops and we return 0
    for them); otherwise it can only be approached as some xi tends to 0 or infinity.

    Parameters
    ----------
    %(xibar)s

    Returns
    -------
    ndarray of shape (k,)
        Per-step xi (xi_1 is the first step after the teacher).

    Raises
    ------
    ValueError
        If ``xibar`` is not finite, or has no finite per-step preimage.

    Examples
    --------
    >>> xibar_to_xi(xi_to_xibar([0.3, -1.2, 2.5])).round(12)
    array([ 0.3, -1.2,  2.5])
    """
    k = xibar.size
    tails = np.cumsum(xibar[::-1])[::-1]
    xi = np.zeros(k)
    if k == 0:
        return xi
    xi[k - 1] = tails[0]
    for q in range(2, k + 1):  # S_q determines xi_{k-q+1}
        prev, cur = tails[q - 2], tails[q - 1]
        if prev == 0.0:
            if np.any(tails[q - 1 :] != 0.0):
                raise ValueError(
                    f"xibar={xibar.tolist()} has no finite per-step xi: the tail sum S_{q - 1} is 0 "
                    f"but a later tail sum is not, which needs xi_{k - q + 2} = 0 and an infinite "
                    "earlier xi. Use xibar directly (the estimators accept it) or perturb it."
                )
            break  # every remaining tail sum is 0: those steps are no-ops, leave xi = 0
        xi[k - q] = cur / prev
    if not np.all(np.isfinite(xi)):
        raise ValueError(f"xibar={xibar.tolist()} maps to a non-finite per-step xi (overflow).")
    return xi


def _scaled(mantissa: np.ndarray, exponent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Renormalise ``mantissa * 2**exponent`` so that ``0.5 <= |mantissa| < 1``."""
    m, e = np.frexp(mantissa)
    return m, exponent + e


def _dot_scaled(weights: np.ndarray, mantissa: np.ndarray, exponent: np.ndarray) -> float:
    """``sum_i weights_i * mantissa_i * 2**exponent_i``; terms beyond float64 become inf (checked by callers)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sum(np.ldexp(weights * mantissa, exponent)))


@fill_doc(**_DOCS)
@validate_params(_XIBAR)
def xibar_to_ridge_path(xibar) -> np.ndarray:
    """Ridge-path weights ``w`` (length k) of the same estimator: ``w_l = p^{(l)}(1) / (l!)^2``.

    The k-step estimator equals ``theta(alpha) + sum_l w_l alpha^l d^l theta(alpha)/d alpha^l``
    (Follow-ups §1, derived there and checked by our tests). For k = 1, ``w_1 = xi``.
    With ``p(a) = sum_i c_i a^i``: ``w_l = sum_i c_i binom(i, l) / l!``.

    The factors ``binom(i, l) / l!`` are built by the recursion
    ``G_{l+1}(i) = G_l(i) (i - l) / (l + 1)^2`` and kept as mantissa and binary exponent, so that
    no factorial is ever formed: any k works (``l!`` alone overflows float64 at l = 171).

    Parameters
    ----------
    xibar : array-like of shape (k,)
        Reparametrised imitation parameters of the k-step estimator (polynomial coefficients of
        its multiplier, see the module docstring).

    Returns
    -------
    ndarray of shape (k,)
        Ridge-path weights ``w_1..w_k``.

    Raises
    ------
    %(overflow)s
    """
    k = xibar.size
    poly = np.concatenate([[1.0 - xibar.sum()], xibar])
    i = np.arange(k + 1, dtype=np.float64)
    mantissa, exponent = np.ones(k + 1), np.zeros(k + 1, dtype=int)  # G_0(i) = 1
    w = np.empty(k)
    for ell in range(k):
        mantissa, exponent = _scaled(mantissa * ((i - ell) / (ell + 1.0) ** 2), exponent)
        w[ell] = _dot_scaled(poly, mantissa, exponent)
    if not np.all(np.isfinite(w)):
        raise ValueError(f"the ridge-path weights of this {k}-step xibar exceed the float64 range.")
    return w


@fill_doc(**_DOCS)
@validate_params(_W)
def ridge_path_to_xibar(w) -> np.ndarray:
    """Convert ridge-path weights back to ``xibar`` (inverse of :func:`xibar_to_ridge_path`).

    ``p(a) = sum_l w_l l! (a - 1)^l`` with ``w_0 = 1``, so the coefficient of ``a^i`` is
    ``sum_l w_l H_l(i) (-1)^(l - i)`` with ``H_l(i) = l! binom(l, i)``, built by the recursion
    ``H_{l+1}(i) = H_l(i) (l + 1)^2 / (l + 1 - i)``, ``H_{l+1}(l + 1) = (l + 1)!``, as mantissa and
    binary exponent (no factorial is formed, so any k works).

    Parameters
    ----------
    w : array-like of shape (k,)
        Weights of ``alpha^l d^l theta / d alpha^l``, l = 1..k.

    Returns
    -------
    ndarray of shape (k,)
        ``xibar`` of the same estimator.

    Raises
    ------
    %(overflow)s
    """
    poly = ridge_path_to_xibar_rows(w[None, :])[0]
    if not np.all(np.isfinite(poly)):
        raise ValueError(f"the xibar of these {w.size} ridge-path weights exceeds the float64 range.")
    return poly


def ridge_path_to_xibar_rows(W: np.ndarray) -> np.ndarray:
    """:func:`ridge_path_to_xibar` of every row of ``W`` (shape (B, k)) at once, unchecked: a row
    beyond the float64 range comes back non-finite (the caller decides)."""
    B, k = W.shape
    poly = np.zeros((B, k + 1))
    with np.errstate(over="ignore", invalid="ignore"):
        factors = _ridge_path_factors(k)
        if factors is not None:  # each term w_l H_l(i) (-1)^(l-i) formed as one product
            poly[:, 0] = factors[0, 0]  # w_0 = 1
            for ell in range(1, k + 1):
                poly[:, : ell + 1] += W[:, ell - 1, None] * factors[ell, : ell + 1]
        else:
            weights = np.concatenate([np.ones((B, 1)), W], axis=1)
            for ell, (mantissa, exponent) in enumerate(_ridge_path_scaled_factors(k)):
                poly[:, : ell + 1] += np.ldexp(weights[:, ell, None] * mantissa, exponent)
    return poly[:, 1:]


@functools.cache
def _ridge_path_scaled_factors(k: int) -> tuple:
    """``H_l(i) (-1)^(l-i)`` for i <= l, l = 0..k, as (mantissa, binary exponent) pairs."""
    i = np.arange(k + 1, dtype=np.float64)
    mantissa, exponent = np.zeros(k + 1), np.zeros(k + 1, dtype=int)
    mantissa[0] = 1.0  # H_0 = (1, 0, 0, ...)
    out = []
    for ell in range(k + 1):
        if ell > 0:
            factor = np.zeros(k + 1)
            factor[:ell] = ell**2 / (ell - i[:ell])
            new_m = mantissa * factor
            new_m[ell] = mantissa[ell - 1] * ell  # H_l(l) = l * H_{l-1}(l - 1) = l!
            new_e = exponent.copy()
            new_e[ell] = exponent[ell - 1]
            mantissa, exponent = _scaled(new_m, new_e)
        signs = np.where((ell - i[: ell + 1]) % 2 == 0, 1.0, -1.0)
        out.append((signs * mantissa[: ell + 1], exponent[: ell + 1]))
    return tuple(out)


@functools.cache
def _ridge_path_factors(k: int) -> np.ndarray | None:
    """The factors of :func:`_ridge_path_scaled_factors` as floats (row l, zero beyond l), or None
    when one exceeds float64 (from k = 171 on). Scaling by a power of two is exact, so
    ``w * factor`` equals ``ldexp(w * mantissa, exponent)`` wherever neither leaves the normal range."""
    table = np.zeros((k + 1, k + 1))
    with np.errstate(over="ignore"):
        for ell, (mantissa, exponent) in enumerate(_ridge_path_scaled_factors(k)):
            table[ell, : ell + 1] = np.ldexp(mantissa, exponent)
    return table if np.all(np.isfinite(table)) else None
