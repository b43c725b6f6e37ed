"""Convex training of the output layer (sparse-grid mode): LP, ridge solve, L-BFGS.

The hidden layers are fixed, so ``f(x) = Phi(x) beta + b`` is linear in the output weights and
every objective below is convex. A *term* is a pair ``(t, w)``: targets and nonnegative per-row
weights; the objective is ``sum_terms sum_i w_i rho(t_i, f(x_i)) + alpha * P(beta)`` with the
intercept ``b`` unpenalised. Self-distillation passes two terms (teacher and labels) so that a
Lipschitz loss is applied to each, not to a mixed target.

- absolute / quantile / hinge with ``P = ||beta||_1``: one linear program,
  ``scipy.optimize.linprog(method="highs")`` -- exact;
- squared with ``P = ||beta||_2^2``: one linear solve (the exact ridge minimiser; L-BFGS would
  only approximate it);
- Huber, logistic / softmax, and the squared loss with the l1 penalty: L-BFGS-B (for l1 on the
  split ``beta = beta+ - beta-`` with ``beta+-`` >= 0, a smooth bound-constrained problem).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.linalg import cho_factor, cho_solve
from scipy.optimize import linprog, minimize


def fit_lp(Phi: np.ndarray, terms, cost_pos: float, cost_neg: float, alpha: float):
    """Minimise ``sum w_i (cost_pos r_i^+ + cost_neg r_i^-) + alpha ||beta||_1``, via the dual LP.

    With ``w (c+ r^+ + c- r^-) = max_{a in [-c- w, c+ w]} a r`` the dual is

        max sum_{k,i} a_ki t_ki  s.t.  sum_{k,i} a_ki = 0,  |Phi' sum_k a_k|_inf <= alpha,

    a problem with ``2p + 1`` constraints instead of ``n`` (several times faster with HiGHS than
    :func:`fit_lp_primal`). ``(beta, b)`` are the multipliers of its constraints (strong
    duality: the same optimum; the tests compare both routes).

    Returns
    -------
    coef : ndarray of shape (n_basis,)
    intercept : float
    n_iter : int
        HiGHS iterations.
    """
    n, p = Phi.shape
    targets = np.concatenate([np.asarray(t, float) for t, _ in terms])
    weights = np.concatenate([np.asarray(w, float) for _, w in terms])
    stacked = np.hstack([Phi.T] * len(terms))
    A_ub = np.vstack([stacked, -stacked])
    bounds = np.column_stack([-cost_neg * weights, cost_pos * weights])
    res = linprog(-targets, A_ub=A_ub, b_ub=np.full(2 * p, alpha), A_eq=np.ones((1, targets.size)),
                  b_eq=[0.0], bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"linprog (highs) failed: {res.message}")
    mu = res.ineqlin.marginals
    return -(mu[:p] - mu[p:]), float(-res.eqlin.marginals[0]), max(int(res.nit), 1)


def fit_lp_primal(Phi: np.ndarray, terms, cost_pos: float, cost_neg: float, alpha: float):
    """Reference primal LP for :func:`fit_lp` (slacks ``r = u+ - u-`` per sample and term).

    ``r = t - Phi beta - b``. The absolute loss is ``cost_pos = cost_neg = 1``, the check loss
    ``(tau, 1 - tau)``. Every term after the first is written through the first term's residual
    (``r_k = r_1 + t_k - t_1``), so ``Phi`` enters the constraint matrix only once.

    Returns
    -------
    coef : ndarray of shape (n_basis,)
    intercept : float
    """
    n, p = Phi.shape
    terms = [(np.asarray(t, float), np.asarray(w, float)) for t, w in terms]
    k = len(terms)
    # variables: beta+ (p), beta- (p), b (free), then per term u+ (n), u- (n)
    n_var = 2 * p + 1 + 2 * n * k
    c = np.zeros(n_var)
    c[: 2 * p] = alpha
    for j, (_, w) in enumerate(terms):
        base = 2 * p + 1 + 2 * n * j
        c[base : base + n] = cost_pos * w
        c[base + n : base + 2 * n] = cost_neg * w
    eye = sp.identity(n, format="csr")
    first = sp.hstack([sp.csr_matrix(Phi), sp.csr_matrix(-Phi), sp.csr_matrix(np.ones((n, 1))),
                       eye, -eye] + [sp.csr_matrix((n, 2 * n))] * (k - 1))
    blocks, rhs = [first], [terms[0][0]]
    for j in range(1, k):
        zero_left = sp.csr_matrix((n, 2 * p + 1))
        parts = [zero_left, -eye, eye]
        for jj in range(1, k):
            parts += [eye, -eye] if jj == j else [sp.csr_matrix((n, 2 * n))]
        blocks.append(sp.hstack(parts))
        rhs.append(terms[j][0] - terms[0][0])
    A_eq = sp.vstack(blocks, format="csc")
    bounds = [(0, None)] * (2 * p) + [(None, None)] + [(0, None)] * (2 * n * k)
    res = linprog(c, A_eq=A_eq, b_eq=np.concatenate(rhs), bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"linprog (highs) failed: {res.message}")
    x = res.x
    return x[:p] - x[p : 2 * p], float(x[2 * p])


def fit_hinge_lp(Phi: np.ndarray, sign: np.ndarray, weights: np.ndarray, alpha: float):
    """L1-penalised linear SVM ``sum w_i max(0, 1 - y_i f_i) + alpha ||beta||_1``, via the dual LP.

    Dual: ``max sum a_i`` s.t. ``sum a_i y_i = 0``, ``|Phi' (a y)|_inf <= alpha``, ``0 <= a <= w``;
    ``(beta, b)`` are its multipliers (compared with :func:`fit_hinge_lp_primal` in the tests).
    """
    n, p = Phi.shape
    yPhiT = (Phi * sign[:, None]).T
    res = linprog(-np.ones(n), A_ub=np.vstack([yPhiT, -yPhiT]), b_ub=np.full(2 * p, alpha),
                  A_eq=sign[None, :], b_eq=[0.0], bounds=np.column_stack([np.zeros(n), weights]),
                  method="highs")
    if res.status != 0:
        raise RuntimeError(f"linprog (highs) failed: {res.message}")
    mu = res.ineqlin.marginals
    return -(mu[:p] - mu[p:]), float(-res.eqlin.marginals[0]), max(int(res.nit), 1)


def fit_hinge_lp_primal(Phi: np.ndarray, sign: np.ndarray, weights: np.ndarray, alpha: float):
    """Reference: the same L1-SVM as one primal LP (slack variables per sample)."""
    n, p = Phi.shape
    c = np.concatenate([np.full(2 * p, alpha), [0.0], weights])
    yPhi = sign[:, None] * Phi
    A_ub = sp.hstack([sp.csr_matrix(-yPhi), sp.csr_matrix(yPhi), sp.csr_matrix(-sign[:, None]),
                      -sp.identity(n, format="csr")], format="csc")
    bounds = [(0, None)] * (2 * p) + [(None, None)] + [(0, None)] * n
    res = linprog(c, A_ub=A_ub, b_ub=-np.ones(n), bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"linprog (highs) failed: {res.message}")
    return res.x[:p] - res.x[p : 2 * p], float(res.x[2 * p])


def fit_ridge(Phi: np.ndarray, target: np.ndarray, weights: np.ndarray, alpha: float):
    """Exact ``argmin sum w_i (t_i - Phi_i beta - b)^2 + alpha ||beta||^2`` (``b`` unpenalised).

    Weighted centring removes the intercept; then one Cholesky solve of
    ``(Phi_c' W Phi_c + alpha I) beta = Phi_c' W t_c``.
    """
    w = weights / weights.sum()
    mean_phi = w @ Phi
    mean_t = float(w @ target)
    Pc = Phi - mean_phi
    Pw = Pc * weights[:, None]
    gram = Pc.T @ Pw
    gram[np.diag_indices_from(gram)] += alpha
    coef = cho_solve(cho_factor(gram), Pw.T @ (target - mean_t))
    return coef, mean_t - float(mean_phi @ coef), 1


def fit_smooth(Phi: np.ndarray, value_grad, n_outputs: int, alpha: float, penalty: str,
               max_iter: int, tol: float):
    """L-BFGS-B on ``L(F) + alpha P(B)`` with ``F = Phi B + b`` (B of shape (p, n_outputs)).

    ``value_grad(F)`` returns the data loss and its gradient with respect to ``F``. The objective
    is divided by ``scale = n`` internally (same minimiser, better-conditioned tolerances).

    Returns
    -------
    coef : ndarray of shape (p, n_outputs)
    intercept : ndarray of shape (n_outputs,)
    converged : bool
    n_iter : int
    """
    n, p = Phi.shape
    K = n_outputs
    split = penalty == "l1"
    n_coef = (2 if split else 1) * p * K
    scale = float(n)

    def unpack(theta):
        if split:
            B = (theta[: p * K] - theta[p * K : 2 * p * K]).reshape(p, K)
        else:
            B = theta[: p * K].reshape(p, K)
        return B, theta[n_coef:]

    def fun(theta):
        B, b = unpack(theta)
        F = Phi @ B + b
        value, dF = value_grad(F)
        gB = Phi.T @ dF
        gb = dF.sum(axis=0)
        if split:
            value = value + alpha * theta[:n_coef].sum()
            g_coef = np.concatenate([gB.ravel() + alpha, -gB.ravel() + alpha])
        else:
            value = value + alpha * float(np.sum(B * B))
            g_coef = (gB + 2.0 * alpha * B).ravel()
        return value / scale, np.concatenate([g_coef, gb]) / scale

    theta0 = np.zeros(n_coef + K)
    bounds = [(0, None)] * n_coef + [(None, None)] * K if split else None
    res = minimize(fun, theta0, jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": max_iter, "ftol": tol, "gtol": 1e-10, "maxcor": 30})
    B, b = unpack(res.x)
    return B, np.asarray(b), bool(res.success), max(int(res.nit), 1)
