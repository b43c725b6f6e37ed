"""Exact theory of k-step self-distillation (SD) of ridge regression in fixed design.

Pareek, Du & Oh, "Understanding the Gains from Repeated Self-Distillation", NeurIPS 2024
(arXiv 2407.04600), with the 1-step closed form and sign rule of Dang, Patil & Rinaldo (2026).

Conventions (stated once here, repeated in every docstring that depends on them)
------------------------------------------------------------------------------
* ``X`` is n_samples x n_features (sklearn). The paper's design is d x n: its X is our ``X.T`` and its
  eigenvectors ``u_j`` of ``X X^T`` are our right singular vectors ``V[:, j]``.
* ``alpha`` is the paper's lambda on the **sum** of squares: the teacher is
  ``argmin ||y - X theta||^2 + alpha ||theta||^2``, exactly sklearn's ``Ridge(alpha)``.
* ``xi`` weights the **teacher**: step i fits ``xi_i * (previous predictions) + (1 - xi_i) * y``.
  Any real xi is allowed (never clipped); ``xibar`` is the reparametrisation in which the risk is
  quadratic (see :mod:`selfdistill._filters`).
* ``noise_var`` is the noise variance gamma^2 (``Cov eta = gamma^2 I``). Whether the paper's gamma
  denotes a variance or a standard deviation is UNCONFIRMED (Theory §1.2).
* The in-sample excess risk is ``E_eta (1/n) ||X (theta_hat - theta*)||^2`` with ``n = n_samples``
  (the 1/n normalisation is UNCONFIRMED in the paper; ratios of risks do not depend on it).

All quantities come from one SVD of X, after which every (alpha, k, xi) costs O(r) or O(r k^2).
Every function below takes the design as its first argument ``X``: a matrix (decomposed on each
call), a :class:`~selfdistill.SpectralDesign` (decomposition reused) or a
:class:`FixedDesignProblem` (everything reused; theta* and the noise variance come from it)::

    problem = FixedDesignProblem.from_X(X, theta_star, noise_var)      # one SVD
    risks = [excess_risk(problem, alpha=lam, xi=[0.5]) for lam in alphas]

Layout: this module is the functional API; the engine is :class:`FixedDesignProblem`
(``_fixed_design``) and the result objects live in ``_theory_results`` (all re-exported by the package).
"""


from __future__ import annotations

import numbers

import numpy as np

from . import _filters
from ._docstrings import fill_doc
from ._fixed_design import (
    ALIGN_TOL,
    ALPHA,
    ALPHAS,
    FILTER,
    KIND,
    N_STEPS,
    NOISE_VAR,
    RTOL,
    FixedDesignProblem,
    _check_covariance,
    _filter_pair,
)
from ._spectral import SpectralDesign
from ._theory_results import (
    AssumptionReport,
    MonteCarloRisk,
    OneStepOptimum,
    OptimalSD,
    RiskDecomposition,
    SeparationReport,
)
from ._validation import (
    POSITIVE_INT,
    Converter,
    InstanceOf,
    Interval,
    Required,
    as_design,
    as_targets,
    check_noise_var,
    check_theta_star,
    validate_params,
)

#: ``alpha`` and ``n_steps`` default to None only so that they can follow ``theta_star`` and
#: ``noise_var``, which a FixedDesignProblem leaves out; a None usually means that they were passed
#: by position into those slots.
_BY_KEYWORD = (
    "With a FixedDesignProblem as X, pass the arguments after it by keyword: by position they "
    "fill theta_star and noise_var."
)
#: ``noise_var`` of the functions: required with a design, left out (None) with a problem.
_OPTIONAL_NOISE_VAR = {"noise_var": [None, Converter(check_noise_var, "a finite variance >= 0")]}
_REQUIRED_ALPHA = {"alpha": [Required(ALPHA["alpha"][0], _BY_KEYWORD)]}
_REQUIRED_N_STEPS = {"n_steps": [Required(N_STEPS["n_steps"][0], _BY_KEYWORD)]}
#: ``n_steps`` where None means "the number of distinct singular values".
_N_STEPS_OR_NONE = {"n_steps": [*N_STEPS["n_steps"], None]}
_RISK = (_OPTIONAL_NOISE_VAR, _REQUIRED_ALPHA, FILTER, KIND)

#: Parameter descriptions shared by the public theory functions (``%(name)s`` lines).
_DOCS = {
    "problem": """X : array-like of shape (n_samples, n_features), SpectralDesign or FixedDesignProblem
    The fixed design (sklearn orientation; the paper's d x n design is ``X.T``), decomposed
    here by one SVD; or its :class:`~selfdistill.SpectralDesign` (the decomposition is reused);
    or a :class:`~selfdistill.FixedDesignProblem`, which already holds theta* and the noise
    variance (leave ``theta_star`` and ``noise_var`` out and pass the rest by keyword). In a
    loop over alpha, k or xi, build ``FixedDesignProblem.from_X(X, theta_star, noise_var)``
    once and pass it: every call then costs O(r) instead of an SVD.
theta_star : array-like of shape (n_features,)
    True parameter; the model is ``y = X theta* + eta`` with ``E eta = 0``,
    ``Cov eta = gamma^2 I``. Required unless X is a FixedDesignProblem.
noise_var : float
    Noise variance gamma^2 >= 0. Required unless X is a FixedDesignProblem.""",
    "alpha": """alpha : float
    Ridge penalty > 0 on the *sum* of squares (the paper's lambda; sklearn's ``Ridge(alpha)``),
    the same at every step.""",
    "xi": """xi : float or array-like of shape (k,), optional
    Per-step imitation parameters (xi weights the teacher; any real value). Omit for ridge.
xibar : array-like of shape (k,), optional
    Reparametrised parameters instead of ``xi``.
spectral_filter : array-like of shape (r,), optional
    The overall filter h itself, one value per nonzero singular value of X in decreasing
    order, e.g. :attr:`OptimalSD.filter` (exact also where ``OptimalSD.xi`` is None). Give at
    most one of ``xi``, ``xibar`` and ``spectral_filter``.""",
    "kind": """kind : {"in_sample", "parameter", "population"}, default="in_sample"
    ``E (1/n)||X(theta_hat - theta*)||^2`` (fixed design), ``E ||theta_hat - theta*||^2``
    (Das & Sanghavi) or ``E (theta_hat - theta*)^T Sigma (theta_hat - theta*)``.
covariance : array-like of shape (n_features, n_features), optional
    Test covariance Sigma for ``kind="population"``.""",
    "n_steps": """n_steps : int
    Number of distillation steps k >= 0.""",
}
_DOCS["risk_parameters"] = "\n".join(_DOCS[name] for name in ("problem", "alpha", "xi", "kind"))


def _as_problem(X, theta_star, noise_var) -> FixedDesignProblem:
    """The problem behind the first three arguments of the public functions (``X`` may be one)."""
    if isinstance(X, FixedDesignProblem):
        given = [name for name, v in (("theta_star", theta_star), ("noise_var", noise_var)) if v is not None]
        if given:
            raise ValueError(
                f"X is a FixedDesignProblem, which already holds theta_star and noise_var; leave out "
                f"{' and '.join(given)} and pass the other arguments by keyword, e.g. "
                "excess_risk(problem, alpha=1.0, xi=[0.5])."
            )
        return X
    missing = [name for name, v in (("theta_star", theta_star), ("noise_var", noise_var)) if v is None]
    if missing:
        raise ValueError(
            f"{' and '.join(missing)} must be given when X is a design (an array or a "
            "SpectralDesign); only a FixedDesignProblem carries them."
        )
    if isinstance(X, SpectralDesign):
        return FixedDesignProblem.from_design(X, theta_star, noise_var)
    return FixedDesignProblem.from_X(X, theta_star, noise_var)


def _public(*tables):
    """Decorator of the public functions: their constraint tables, and the shared docs filled in."""
    return lambda func: fill_doc(validate_params(*tables)(func), **_DOCS)


# --------------------------------------------------------------------------- public functions
@_public(_REQUIRED_ALPHA, FILTER)
def sd_coef(X, y=None, alpha=None, xi=None, *, xibar=None, spectral_filter=None) -> np.ndarray:
    """Coefficients of k-step self-distilled ridge regression (no intercept), in closed form.

    Objective: the ridge teacher ``theta_0 = argmin ||y - X theta||^2 + alpha ||theta||^2`` (sklearn's
    ``Ridge(alpha, fit_intercept=False)``), then for i = 1..k::

        theta_i = argmin ||xi_i X theta_{i-1} + (1 - xi_i) y - X theta||^2 + alpha ||theta||^2

    computed as ``V diag(h / s) U^T y`` with the spectral filter ``h = a * m(a)`` of the paper
    (one SVD/eigendecomposition; no refits; exact for any real xi, including huge ones).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or SpectralDesign
        Design (sklearn orientation; the paper's d x n design is ``X.T``), decomposed here; or
        ``SpectralDesign.from_X(X, y)``, whose decomposition and targets are reused (leave ``y``
        out; for a centred or weighted design the coefficients are those of that design).
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets (several columns are distilled independently, with the same xi). Required unless
        X is a SpectralDesign.
    %(alpha)s
    %(xi)s

    Returns
    -------
    ndarray of shape (n_features,) or (n_features, n_targets)
        1-D for a 1-D ``y`` (or a SpectralDesign of one target).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> X = np.random.default_rng(0).normal(size=(20, 3)); y = X @ [1.0, -2.0, 0.5]
    >>> np.allclose(sd_coef(X, y, 1.0, []), Ridge(alpha=1.0, fit_intercept=False).fit(X, y).coef_)
    True
    """
    if isinstance(X, SpectralDesign):
        if y is not None:
            raise ValueError(
                "X is a SpectralDesign, which holds its targets (SpectralDesign.from_X(X, y)); "
                "leave y out."
            )
        if X.z is None:
            raise ValueError("this SpectralDesign was built without y; use SpectralDesign.from_X(X, y).")
        design, one_target = X, X.z.shape[1] == 1
    else:
        if y is None:
            raise ValueError("y is required when X is an array (or pass SpectralDesign.from_X(X, y)).")
        X = as_design(X)
        y = as_targets(y, X.shape[0])
        design, one_target = SpectralDesign.from_X(X, y), y.ndim == 1
    a, t = _filters.shrinkage(design.singular_values, alpha)
    h, _ = _filter_pair(a, t, xi, xibar, spectral_filter)
    coef = design.coef_from_filter(h)
    return coef[:, 0] if one_target else coef


@_public(*_RISK)
def risk_decomposition(
    X, theta_star=None, noise_var=None, alpha=None, xi=None, *, xibar=None, spectral_filter=None,
    kind="in_sample", covariance=None,
) -> RiskDecomposition:
    """Exact bias/variance split of the risk of k-step SD in fixed design.

    Parameters
    ----------
    %(problem)s
    %(alpha)s
    %(xi)s
    %(kind)s

    Returns
    -------
    RiskDecomposition
        With ``.bias``, ``.variance`` and ``.total``.
    """
    return _as_problem(X, theta_star, noise_var).risk(
        alpha, xi, xibar=xibar, spectral_filter=spectral_filter, kind=kind, covariance=covariance
    )


@_public(*_RISK)
def excess_risk(
    X, theta_star=None, noise_var=None, alpha=None, xi=None, *, xibar=None, spectral_filter=None,
    kind="in_sample", covariance=None,
) -> float:
    """Exact fixed-design excess risk ``E (1/n)||X(theta_hat - theta*)||^2`` of k-step SD.

    The total of :func:`risk_decomposition` (same parameters).

    Parameters
    ----------
    %(risk_parameters)s

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> X = np.diag([1.0, 0.5, 1 / 3, 0.25])                 # rank 4, n = 4
    >>> round(4 * excess_risk(X, [1, 0, 0, 0], 0.1, 0.125), 10)   # n * risk at lambda = 0.125
    0.169058909
    >>> problem = FixedDesignProblem.from_X(X, [1, 0, 0, 0], 0.1)   # decompose once ...
    >>> risks = [excess_risk(problem, alpha=lam) for lam in (0.125, 1.0)]   # ... reuse it
    >>> round(4 * risks[0], 10)
    0.169058909
    """
    problem = _as_problem(X, theta_star, noise_var)
    return problem.risk(
        alpha, xi, xibar=xibar, spectral_filter=spectral_filter, kind=kind, covariance=covariance
    ).total


@_public(_OPTIONAL_NOISE_VAR, _REQUIRED_ALPHA, _REQUIRED_N_STEPS, KIND)
def optimal_xi(
    X, theta_star=None, noise_var=None, alpha=None, n_steps=None, *, kind="in_sample", covariance=None
) -> OptimalSD:
    """Optimal imitation parameters of k-step SD at a fixed penalty (exact; xi unconstrained in R^k).

    Parameters
    ----------
    %(problem)s
    %(alpha)s
    %(n_steps)s
    %(kind)s

    Returns
    -------
    OptimalSD
        With ``.xi`` (per step), ``.xibar`` (reparametrised), ``.risk``, ``.bias``, ``.variance``
        and the exact ``.filter``. ``.xi`` and ``.xibar`` are given only where they reproduce
        ``.risk`` when passed back to :func:`excess_risk`; otherwise they are None and
        ``.unrepresentable_reason`` says why (use ``spectral_filter=.filter`` then).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.diag([1.0, 0.5, 1 / 3, 0.25])
    >>> best = optimal_xi(X, [1, 0, 0, 0], 0.1, 1.0, 2)
    >>> best.xi.round(3)
    array([-3.307,  2.498])
    """
    return _as_problem(X, theta_star, noise_var).optimal(alpha, n_steps, kind=kind, covariance=covariance)


@_public(_OPTIONAL_NOISE_VAR, _REQUIRED_N_STEPS, ALPHAS, KIND)
def optimal_alpha(
    X, theta_star=None, noise_var=None, n_steps=None, alphas=None, *, kind="in_sample", covariance=None
) -> OptimalSD:
    """Optimal k-step SD jointly over the penalty and xi.

    At each candidate alpha the optimum over xi is exact (as :func:`optimal_xi`); alpha is searched.

    Parameters
    ----------
    %(problem)s
    %(n_steps)s
    alphas : array-like, optional
        Grid of penalties to choose from; by default a log grid refined by Brent's method (see
        :meth:`FixedDesignProblem.optimal_over_alpha`, which also explains the edge warning).
    %(kind)s

    Returns
    -------
    OptimalSD
        The optimum, with its ``alpha`` and ``on_boundary`` flag.
    """
    return _as_problem(X, theta_star, noise_var).optimal_over_alpha(
        n_steps, alphas, kind=kind, covariance=covariance
    )


@_public(_OPTIONAL_NOISE_VAR, _REQUIRED_ALPHA, KIND)
def one_step_optimal_xi(
    X, theta_star=None, noise_var=None, alpha=None, *, kind="in_sample", covariance=None
) -> OneStepOptimum:
    """Closed-form optimal 1-step xi, ``-alpha R'(alpha) / (2 D)``, with its sign rule.

    Parameters
    ----------
    %(problem)s
    %(alpha)s
    %(kind)s

    Returns
    -------
    OneStepOptimum
        ``xi``, the optimal risk, the teacher's risk and its derivative ``R'(alpha)``, and ``D``.
    """
    return _as_problem(X, theta_star, noise_var).one_step(alpha, kind=kind, covariance=covariance)


@_public(_OPTIONAL_NOISE_VAR, KIND)
def oracle_risk(X, theta_star=None, noise_var=None, *, kind="in_sample", covariance=None) -> float:
    """The per-direction lower bound on the risk of every SD estimator (the paper's eq. 14 RHS).

    In-sample: ``(1/n) sum_j gamma^2 s_j^2 theta_j^2 / (s_j^2 theta_j^2 + gamma^2)``; attained by
    optimal r-step SD when the r singular values are distinct.

    Parameters
    ----------
    %(problem)s
    %(kind)s

    Returns
    -------
    float
    """
    return _as_problem(X, theta_star, noise_var).oracle_risk(kind=kind, covariance=covariance)


@_public(_OPTIONAL_NOISE_VAR, RTOL, KIND)
def grouped_oracle_risk(
    X, theta_star=None, noise_var=None, rtol=1e-8, *, kind="in_sample", covariance=None
) -> float:
    """Attainable lower bound when singular values repeat (within ``rtol * s_max``).

    Parameters
    ----------
    %(problem)s
    rtol : float, default=1e-8
        Singular values closer than ``rtol * s_max`` count as equal.
    %(kind)s

    Returns
    -------
    float
    """
    return _as_problem(X, theta_star, noise_var).grouped_oracle_risk(rtol, kind=kind, covariance=covariance)


@validate_params(RTOL, ALIGN_TOL)
def assumption_report(X, theta_star=None, rtol=1e-8, align_tol=1e-8) -> AssumptionReport:
    """Report the paper's Assumption 2 for design X and parameter theta* (noise does not matter).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), SpectralDesign or FixedDesignProblem
        Fixed design, its decomposition, or a problem (then leave ``theta_star`` out).
    theta_star : array-like of shape (n_features,)
        True (or estimated) parameter; required unless X is a FixedDesignProblem.
    rtol : float, default=1e-8
        Relative tolerance for "distinct" singular values.
    align_tol : float, default=1e-8
        theta* counts as aligned when one squared cosine is >= 1 - align_tol.

    Returns
    -------
    AssumptionReport
    """
    noise_var = None if isinstance(X, FixedDesignProblem) else 0.0
    return _as_problem(X, theta_star, noise_var).assumption_report(rtol, align_tol)


@_public(_OPTIONAL_NOISE_VAR, _N_STEPS_OR_NONE)
def separation_ratio(X, theta_star=None, noise_var=None, n_steps=None) -> SeparationReport:
    """Best ridge risk / best k-step SD risk over alpha (default k = number of distinct s_j).

    Parameters
    ----------
    %(problem)s
    n_steps : int, optional
        k; the number of distinct singular values by default (where SD reaches the bound).

    Returns
    -------
    SeparationReport
        The three optima (ridge, 1-step, k-step) and the ratios.
    """
    return _as_problem(X, theta_star, noise_var).separation(n_steps)


_SEED = [
    None,
    Interval(numbers.Integral, 0, None),
    InstanceOf((np.random.Generator, np.random.SeedSequence), "a numpy Generator or SeedSequence"),
]


@_public(
    NOISE_VAR,
    ALPHA,
    KIND,
    {"xi": FILTER["xi"], "n_draws": [POSITIVE_INT], "random_state": _SEED},
)
def simulate_risk(
    X,
    theta_star,
    noise_var,
    alpha,
    xi=None,
    *,
    n_draws: int = 10_000,
    random_state: int | None = 0,
    kind="in_sample",
    covariance=None,
) -> MonteCarloRisk:
    """Monte-Carlo estimate of the same risks from Gaussian noise draws (seeded).

    Draws ``y = X theta* + eta`` with ``eta ~ N(0, noise_var I)`` ``n_draws`` times, fits k-step SD
    on all draws at once (as a multi-target problem) and averages the loss. It is the independent
    check of the exact functions, so it takes the design matrix itself, never a decomposition.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Fixed design (sklearn orientation).
    theta_star : array-like of shape (n_features,)
        True parameter.
    noise_var : float
        Noise variance gamma^2 >= 0.
    %(alpha)s
    xi : float or array-like of shape (k,), optional
        Per-step imitation parameters (xi weights the teacher). Omit for ridge.
    n_draws : int, default=10000
        Number of noise draws.
    random_state : int, numpy Generator or None, default=0
        Seed of ``numpy.random.default_rng``.
    %(kind)s

    Returns
    -------
    MonteCarloRisk
        Mean, standard error and a plug-in bias/variance split.
    """
    if isinstance(X, (FixedDesignProblem, SpectralDesign)):
        raise ValueError(
            "simulate_risk draws y = X theta* + eta from the design matrix itself; pass X, not a "
            f"{type(X).__name__}."
        )
    X = as_design(X)
    theta_star = check_theta_star(theta_star, X.shape[1])
    if kind == "population":
        metric = _check_covariance(covariance, X.shape[1])
    elif covariance is not None:
        raise ValueError("covariance is only used with kind='population'.")
    elif kind == "in_sample":
        metric = X.T @ X / X.shape[0]
    else:
        metric = np.eye(X.shape[1])
    rng = np.random.default_rng(random_state)
    noise = rng.normal(scale=np.sqrt(noise_var), size=(X.shape[0], n_draws))
    Y = (X @ theta_star)[:, None] + noise
    coefs = sd_coef(X, Y, alpha, np.zeros(0) if xi is None else xi)
    errors = coefs - theta_star[:, None]
    losses = np.einsum("ij,ik,kj->j", errors, metric, errors)
    mean_error = errors.mean(axis=1)
    centred = errors - mean_error[:, None]
    return MonteCarloRisk(
        mean=float(losses.mean()),
        std_error=float(losses.std(ddof=1) / np.sqrt(n_draws)) if n_draws > 1 else float("nan"),
        bias=float(mean_error @ metric @ mean_error),
        variance=float(np.mean(np.einsum("ij,ik,kj->j", centred, metric, centred))),
        n_draws=n_draws,
        random_state=random_state,
        draws=losses,
    )
