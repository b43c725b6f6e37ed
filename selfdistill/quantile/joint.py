"""Tier A: Bayesian joint non-crossing linear quantile regression (Yang & Tokdar 2017; R ``qrjoint``).

The estimator standardises the data, builds :class:`~._joint_model.JointModel` and computes the MAP
(L-BFGS) and, for ``method="mcmc"``, runs the blocked adaptive Metropolis sampler started at the
MAP. Coefficients are reported on the original covariate scale: for ``z = (x - c) / s`` and
``t = (y - m) / d``, a standardised plane ``t = b_0 + z^T b`` is ``y = (m + d b_0 - sum_j d b_j c_j / s_j)
+ sum_j (d b_j / s_j) x_j``.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .._docstrings import fill_doc
from .._validation import (
    POSITIVE_INT,
    Boolean,
    Converter,
    Interval,
    Options,
    RandomState,
    ValidatedParamsMixin,
    validate_params,
)
from ._checks import (
    FIT_DOCS,
    as_levels,
    as_points,
    as_tau_step,
    check_censoring,
    check_fit_data,
    check_quantiles,
)
from ._joint_model import BASE_LAWS, JointModel, nu_from_z
from ._lp import standardised_hull
from ._mcmc import adaptive_metropolis, effective_sample_size, fit_map


class JointQuantileRegressor(ValidatedParamsMixin, RegressorMixin, BaseEstimator):
    """Joint linear quantile regression, non-crossing on the covariates' convex hull (tier A).

    Model (Yang & Tokdar 2017): ``Q(tau|x) = beta_0(tau) + x^T beta(tau)`` for all ``tau`` in (0, 1) at
    once, parametrised so that ``dQ/dtau > 0`` for every ``x`` in the convex hull of the training
    covariates (plus ``hull_points``). Latent Gaussian-process functions ``w_0..w_p`` (predictive
    process through ``n_knots`` knots) drive a warping ``zeta`` of a base quantile function
    (``base``) for the intercept and the slope directions through the hull factor ``a_X(v)``;
    ``beta_0(1/2) = gamma_0`` and ``beta(1/2) = gamma``. The likelihood is exact: each ``y_i`` is
    inverted to its level ``tau_i`` and contributes ``-log dQ/dtau(tau_i|x_i)``, or ``log(1 - tau_i)``
    when right-censored, ``log tau_i`` when left-censored, times its weight. Priors: integrated-GP
    (multivariate t) on the knot values, Beta(6, 4) on the GP proximity, flat (right-Haar) on
    ``(gamma_0, gamma, log sigma)``. The model and the assumptions this implementation makes where
    the specification is silent are documented in :mod:`selfdistill.quantile._joint_model`
    (A1 tails, A2 lambda grid, A3 ``nu`` prior, A4 logistic scale, A5 nugget, A6 density
    interpolation) and here: A7 covariates are centred at their weighted mean (a point inside the
    hull; R uses the mean of ``p + 1`` extreme points) and scaled by their sd; A8 the chain starts at
    the MAP (lambda at its prior mode) with the L-BFGS inverse Hessian as first proposal covariance
    (R starts from the prior by default); A9 the MAP keeps lambda at its prior mode.

    There is no penalty ``alpha`` and no ``xi`` in this estimator (see
    :class:`~selfdistill.quantile.QuantileSelfDistillation` for distillation). ``X`` is
    (n_samples, n_features), as in sklearn.

    Parameters
    ----------
    method : {"mcmc", "map"}, default="mcmc"
        Posterior sampling (blocked adaptive Metropolis) or the posterior mode (L-BFGS).
    base : {"t", "logistic", "uniform"}, default="t"
        Base law ``F_0`` (t scaled so that ``Q_0(0.9) = 1``).
    nu : float or None, default=None
        Fixed t degrees of freedom (> 0.5); None learns ``nu = 0.5 + 5.5 exp(z / 2)``.
    n_knots : int, default=6
        Knots of the predictive process on [0, 1].
    tau_step : float, default=0.01
        Step of the tau grid (``1 / tau_step`` an even integer); tail points ``tau_step / 2^k`` are added.
    n_samples : int, default=500
        Saved MCMC draws (the chain has ``n_samples * thin`` iterations; the first half adapts and
        is discarded from summaries).
    thin : int, default=10
        Thinning of the chain.
    hull_points : array-like of shape (n_points, n_features) or None
        Extra points that enlarge the domain on which non-crossing is guaranteed.
    quantiles : float or sequence of float, default=0.5
        Levels ``predict`` returns when called without ``quantiles`` (a scalar gives a 1-D array,
        as sklearn regressors do).
    max_iter : int, default=500
        L-BFGS iterations for the MAP.
    random_state : int, Generator or None
        Seed of the sampler.
    progress : bool, default=False
        Progress bar for the MCMC.

    Attributes
    ----------
    tau_ : ndarray (n_tau,)
        The tau grid.
    coef_path_ : ndarray (n_tau, 1 + n_features)
        Coefficients on the grid (intercept first; posterior median for MCMC, MAP otherwise).
    coef_draws_ : ndarray (n_kept, n_tau, 1 + n_features)
        Post-burn-in posterior draws of the coefficients (MCMC only; original scale).
    theta_map_ : ndarray
        Unconstrained MAP parameter vector (standardised scale).
    n_iter_ : int
        L-BFGS iterations of the MAP search.
    nu_ : float or None
        t degrees of freedom (MAP, or posterior median for MCMC).
    waic_ : float or None
        WAIC (deviance scale, variance penalty ``p_waic2``); MCMC only.
    results_ : JointQuantileResults
        Summaries, tidy frames, plots and diagnostics.
    n_features_in_, feature_names_in_ :
        As in sklearn.

    Examples
    --------
    >>> import numpy as np
    >>> from selfdistill.quantile import JointQuantileRegressor
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(size=(200, 1)); y = 1 + 2 * x[:, 0] + (1 + x[:, 0]) * rng.normal(size=200)
    >>> model = JointQuantileRegressor(method="map").fit(x, y)
    >>> model.predict(x[:3], quantiles=[0.1, 0.5, 0.9]).shape
    (3, 3)
    """

    _parameter_constraints = {
        "method": [Options("mcmc", "map")],
        "base": [Options(*BASE_LAWS)],
        "nu": [None, Interval(numbers.Real, 0.5, None, closed="neither")],
        "n_knots": [Interval(numbers.Integral, 2, None)],
        "tau_step": [Converter(as_tau_step, "1/(2k) for an integer k")],
        "n_samples": [POSITIVE_INT],
        "thin": [POSITIVE_INT],
        "hull_points": [None, Converter(as_points, "a finite array of shape (n_points, n_features)")],
        "quantiles": [Converter(as_levels, "a level or levels in (0, 1)")],
        "max_iter": [POSITIVE_INT],
        "random_state": [RandomState()],
        "progress": [Boolean()],
    }

    def __init__(self, method="mcmc", base="t", nu=None, n_knots=6, tau_step=0.01, n_samples=500,
                 thin=10, hull_points=None, quantiles=0.5, max_iter=500, random_state=None,
                 progress=False):
        self._store_params(locals())

    # ------------------------------------------------------------------ fit
    @fill_doc(**FIT_DOCS)
    def fit(self, X, y, censoring=None, sample_weight=None):
        """Fit the joint quantile model.

        %(parameters_censored_fit)s
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights multiplying the log-likelihood terms. Rows of weight 0 still belong
            to the hull on which non-crossing is guaranteed.

        %(returns_self_section)s
        """
        params = self._validate_params()
        X, y, sw, cens = check_fit_data(self, X, y, sample_weight, censoring)
        n, p = X.shape
        active = sw > 0
        if np.all(cens[active] != 0):
            raise ValueError("every weighted row is censored; at least some responses must be observed.")
        if np.count_nonzero(active & (cens == 0)) < p + 2:
            raise ValueError(
                f"fewer observed rows (n_samples={np.count_nonzero(active & (cens == 0))}) than parameters of the "
                f"quantile planes and scale ({p + 2}); add data or remove covariates."
            )
        # A7: centre at the weighted covariate mean (inside the hull), scale by the weighted sd
        w_norm = sw / sw.sum()
        self._x_center = w_norm @ X
        self._x_scale = np.sqrt(w_norm @ (X - self._x_center) ** 2)
        if np.any(self._x_scale <= 1e-12 * np.maximum(1.0, np.abs(self._x_center))):
            raise ValueError("X has a constant column; the intercept is modelled separately, remove it.")
        Z = (X - self._x_center) / self._x_scale
        if np.linalg.matrix_rank(Z[active]) < p:
            raise ValueError("X has linearly dependent columns; the hull is flat and a_X undefined. "
                             "Remove redundant columns.")
        obs = active & (cens == 0)
        self._y_center = float(np.median(y[obs]))
        self._y_scale = float(np.std(y[active]))
        if not self._y_scale > 0:
            raise ValueError("y is constant; a quantile model needs a non-degenerate response.")
        t = (y - self._y_center) / self._y_scale
        hull = standardised_hull(Z, params.hull_points, self._x_center, self._x_scale)
        self.model_ = JointModel(Z, t, cens, sw, hull, BASE_LAWS[params.base](), nu_fixed=params.nu,
                                 n_knots=params.n_knots, tau_step=params.tau_step)
        model = self.model_
        lam = model.lam_mode
        res = fit_map(model, model.initial_theta(), lam, max_iter=params.max_iter)
        if not np.isfinite(model.log_post(res.x, lam)):
            raise RuntimeError("the MAP search ended at a point of zero posterior density")
        self.theta_map_ = res.x
        self.lam_map_ = lam
        self.map_result_ = res
        self.n_iter_ = max(1, int(res.nit))
        self.tau_ = model.tau
        self.chain_ = None
        self.coef_draws_ = None
        self.waic_ = None
        if params.method == "map":
            self.coef_path_ = self._coef_curve(res.x, lam, self.tau_)
            self.nu_ = self._nu(res.x)
        else:
            rng = np.random.default_rng(params.random_state)
            cov0 = np.asarray(res.hess_inv.todense()) if hasattr(res.hess_inv, "todense") else None
            chain = adaptive_metropolis(model, res.x, lam, params.n_samples * params.thin, params.thin, rng,
                                        cov0=cov0, show_progress=params.progress)
            self.chain_ = chain
            keep = slice(chain.theta.shape[0] // 2, None)
            self._kept = (chain.theta[keep], chain.lam_idx[keep])
            self.coef_draws_ = np.stack([self._coef_curve(th, lm, self.tau_) for th, lm in zip(*self._kept, strict=True)])
            self.coef_path_ = np.median(self.coef_draws_, axis=0)
            nus = [self._nu(th) for th in self._kept[0]]
            self.nu_ = None if nus[0] is None else float(np.median(nus))
            self.waic_variants_ = self._waic()
            self.waic_ = self.waic_variants_["waic2"]
        self.results_ = JointQuantileResults(self)
        return self

    def _nu(self, theta):
        if self.base != "t":
            return None
        return float(self.nu) if self.nu is not None else float(nu_from_z(theta[-1]))

    # ------------------------------------------------------------------ coefficients
    def _coef_curve(self, theta, lam, taus):
        """Coefficients at ``taus`` on the original scale, shape (len(taus), 1 + p)."""
        model = self.model_
        beta0, B, dbeta0, G = model.planes(theta, lam, with_derivative=True)
        C = np.vstack([beta0, B]).T
        D = dbeta0[:, None] * np.vstack([np.ones_like(beta0), G]).T
        tau = model.tau
        out = np.empty((taus.size, C.shape[1]))
        for c in range(C.shape[1]):
            out[:, c] = np.interp(taus, tau, C[:, c])
        nu = model.split(theta)[3]
        for end, mask in ((0, taus < tau[0]), (-1, taus > tau[-1])):
            if mask.any():  # A1 tails: Q(tau) = Q(tau_e) + dQ(tau_e) f_0(Q_0(tau_e)) (Q_0(tau) - Q_0(tau_e))
                q0e = model.base.Q0(tau[end], nu)
                scale = np.exp(model.base.logpdf(q0e, nu))
                out[mask] = C[end] + D[end] * scale * (model.base.Q0(taus[mask], nu) - q0e)[:, None]
        slope = self._y_scale * out[:, 1:] / self._x_scale
        intercept = self._y_center + self._y_scale * out[:, 0] - slope @ self._x_center
        return np.column_stack([intercept, slope])

    def coef_at(self, quantiles):
        """Coefficients at the given levels: array (n_quantiles, 1 + n_features), intercept first.

        Original covariate scale. MCMC: the posterior median of each coefficient; MAP: the mode.

        Parameters
        ----------
        quantiles : float or sequence of float in (0, 1)
            Levels; beyond the tau grid's ends the base law's tails extrapolate (assumption A1).

        Returns
        -------
        ndarray of shape (n_quantiles, 1 + n_features)
            Intercept first, then one slope per column of X.
        """
        check_is_fitted(self, "coef_path_")
        taus, _ = check_quantiles(quantiles)
        if self.coef_draws_ is None:
            return self._coef_curve(self.theta_map_, self.lam_map_, taus)
        return np.median(self._draw_curves(taus), axis=0)

    @validate_params({"level": [Interval(numbers.Real, 0, 1, closed="neither")]})
    def coef_band(self, quantiles, level=0.95):
        """Equal-tailed posterior band of the coefficients: ``(lower, upper)``, each (n_quantiles, 1 + p).

        MCMC only (raises ``ValueError`` for ``method="map"``).

        Parameters
        ----------
        quantiles : float or sequence of float in (0, 1)
            Levels.
        level : float, default=0.95
            Posterior probability inside the band.

        Returns
        -------
        lower, upper : ndarray of shape (n_quantiles, 1 + n_features)
            Posterior quantiles ``(1 - level) / 2`` and ``(1 + level) / 2`` of each coefficient.
        """
        check_is_fitted(self, "coef_path_")
        taus, _ = check_quantiles(quantiles)
        if self.coef_draws_ is None:
            raise ValueError("coef_band needs posterior draws; fit with method='mcmc'.")
        draws = self._draw_curves(taus)
        a = 0.5 * (1.0 - level)
        return np.quantile(draws, a, axis=0), np.quantile(draws, 1.0 - a, axis=0)

    def _draw_curves(self, taus):
        return np.stack([self._coef_curve(th, lm, taus) for th, lm in zip(*self._kept, strict=True)])

    # ------------------------------------------------------------------ prediction
    def predict(self, X, quantiles=None):
        """Conditional quantiles ``Q(tau|x)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Covariates.
        quantiles : float or sequence of float in (0, 1), optional
            Levels; defaults to the ``quantiles`` parameter. A scalar returns shape (n_samples,),
            a sequence (n_samples, n_quantiles), non-decreasing along axis 1 for every ``x`` in the
            hull when the levels are sorted (MCMC: posterior mean of ``Q``, which keeps that order).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_quantiles)
            The predicted quantiles.
        """
        check_is_fitted(self, "coef_path_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        taus, scalar = check_quantiles(self.quantiles if quantiles is None else quantiles)
        if self.coef_draws_ is None:
            coefs = self._coef_curve(self.theta_map_, self.lam_map_, taus)
        else:
            coefs = self._draw_curves(taus).mean(axis=0)
        pred = coefs[:, 0][None, :] + X @ coefs[:, 1:].T
        return pred[:, 0] if scalar else pred

    def log_density(self, X, y, censoring=None):
        """Log conditional density (or log censoring probability) of ``y`` given ``X`` per row.

        MAP fits use the mode; MCMC fits the log of the posterior-mean density (posterior predictive).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Covariates.
        y : array-like of shape (n_samples,)
            Responses (censoring points for censored rows).
        censoring : array-like of int, optional
            0 observed (log density of y), 1 right-censored (log P(Y > y)), 2 left-censored (log P(Y <= y)).

        Returns
        -------
        ndarray of shape (n_samples,)
            Log densities on the original scale of y, or log probabilities for censored rows.
        """
        check_is_fitted(self, "coef_path_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if y.shape[0] != X.shape[0] or not np.all(np.isfinite(y)):
            raise ValueError("y must be finite with one entry per row of X.")
        cens = check_censoring(censoring, X.shape[0])
        Z = (X - self._x_center) / self._x_scale
        t = (y - self._y_center) / self._y_scale
        jac = np.where(cens == 0, np.log(self._y_scale), 0.0)
        if self.coef_draws_ is None:
            return self.model_.loglik_terms(self.theta_map_, self.lam_map_, Z, t, cens) - jac
        ll = np.stack([self.model_.loglik_terms(th, lm, Z, t, cens) for th, lm in zip(*self._kept, strict=True)])
        return np.logaddexp.reduce(ll, axis=0) - np.log(ll.shape[0]) - jac

    def _waic(self):
        model = self.model_
        ll = np.stack([model.loglik_terms(th, lm) for th, lm in zip(*self._kept, strict=True)])
        ll -= np.where(model.uncensored, np.log(self._y_scale), 0.0)
        w = model.weight
        lppd = np.logaddexp.reduce(ll, axis=0) - np.log(ll.shape[0])
        p1 = 2.0 * (lppd - ll.mean(axis=0))
        p2 = ll.var(axis=0, ddof=1)
        return {"waic1": float(-2.0 * w @ (lppd - p1)), "waic2": float(-2.0 * w @ (lppd - p2)),
                "p_waic1": float(w @ p1), "p_waic2": float(w @ p2)}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True  # a median fit by a heavy-tailed likelihood on tiny data
        return tags


class JointQuantileResults:
    """Summaries of a fitted :class:`JointQuantileRegressor` (like R's ``coef``/``summary``).

    Parameters
    ----------
    estimator : JointQuantileRegressor
        A fitted estimator.
    """

    def __init__(self, estimator):
        self.estimator = estimator
        names = getattr(estimator, "feature_names_in_", None)
        p = estimator.n_features_in_
        self.terms = ["(Intercept)"] + ([str(s) for s in names] if names is not None else
                                        [f"x{j}" for j in range(p)])

    def to_frame(self, quantiles=None, level=0.95):
        """Tidy coefficient table: one row per (tau, term) with ``estimate`` and, for MCMC, the band.

        Columns also carry the method, base law and random_state so that rows stay interpretable
        when concatenated.

        Parameters
        ----------
        quantiles : sequence of float or None
            Levels (default: the estimator's tau grid).
        level : float, default=0.95
            Band level (MCMC fits).

        Returns
        -------
        pandas.DataFrame
            Columns ``tau, term, estimate`` (+ ``lower, upper``), ``method, base, random_state``.
        """
        est = self.estimator
        taus = est.tau_ if quantiles is None else check_quantiles(quantiles)[0]
        coef = est.coef_at(taus)
        rows = {"tau": np.repeat(taus, len(self.terms)), "term": np.tile(self.terms, taus.size),
                "estimate": coef.ravel()}
        if est.coef_draws_ is not None:
            lo, hi = est.coef_band(taus, level)
            rows["lower"], rows["upper"] = lo.ravel(), hi.ravel()
        frame = pd.DataFrame(rows)
        frame["method"], frame["base"], frame["random_state"] = est.method, est.base, est.random_state
        return frame

    def diagnostics(self):
        """MCMC diagnostics: acceptance rate per block and effective sample sizes of key quantities."""
        est = self.estimator
        if est.chain_ is None:
            return pd.DataFrame({"quantity": ["map_iterations", "map_converged"],
                                 "value": [est.map_result_.nit, bool(est.map_result_.success)]})
        ch = est.chain_
        rows = [(f"acceptance[{b}]", a) for b, a in zip(ch.block_names, ch.acceptance, strict=True)]
        kept_lp = ch.log_post[ch.log_post.size // 2:]
        rows.append(("ess[log_posterior]", float(effective_sample_size(kept_lp[:, None])[0])))
        taus = np.array([0.1, 0.5, 0.9])
        draws = est._draw_curves(taus)
        for i, tau in enumerate(taus):
            ess = effective_sample_size(draws[:, i, :])
            for term, e in zip(self.terms, ess, strict=True):
                rows.append((f"ess[{term} @ {tau:g}]", float(e)))
        rows.append(("n_kept_draws", float(draws.shape[0])))
        return pd.DataFrame(rows, columns=["quantity", "value"])

    def summary(self, quantiles=(0.1, 0.25, 0.5, 0.75, 0.9)):
        """Text summary: coefficients at a few levels (with 95% bands for MCMC), WAIC, diagnostics.

        Parameters
        ----------
        quantiles : sequence of float
            Levels shown.

        Returns
        -------
        str
            The summary.
        """
        est = self.estimator
        frame = self.to_frame(quantiles)
        cols = ["tau", "term", "estimate"] + (["lower", "upper"] if "lower" in frame else [])
        lines = [f"JointQuantileRegressor(method={est.method!r}, base={est.base!r}), "
                 f"n={est.model_.n}, p={est.model_.p}, tau grid of {est.tau_.size} points",
                 frame[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}")]
        if est.nu_ is not None:
            lines.append(f"nu (t degrees of freedom): {est.nu_:.3g}")
        if est.waic_ is not None:
            v = est.waic_variants_
            lines.append(f"WAIC: {v['waic2']:.2f} (p_waic2 = {v['p_waic2']:.2f}); "
                         f"{v['waic1']:.2f} (p_waic1 = {v['p_waic1']:.2f})")
        lines.append(self.diagnostics().to_string(index=False, float_format=lambda v: f"{v:.3g}"))
        return "\n".join(lines)

    def plot_coef(self, level=0.95, reference=None, path=None):
        """Coefficient paths ``beta_j(tau)`` with posterior bands (like R's ``coef(fit, plot = TRUE)``).

        Parameters
        ----------
        level : float
            Band level (MCMC).
        reference : pandas.DataFrame or None
            Optional frame with columns ``tau, term, lower, median, upper`` (e.g. R's output) drawn
            in a second colour.
        path : str or Path or None
            Save the figure as PNG there.

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt

        est = self.estimator
        taus = est.tau_[(est.tau_ >= 0.02) & (est.tau_ <= 0.98)]
        coef = est.coef_at(taus)
        band = est.coef_band(taus, level) if est.coef_draws_ is not None else None
        k = len(self.terms)
        ncol = min(4, k)
        nrow = int(np.ceil(k / ncol))
        fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.6 * nrow), squeeze=False)
        for j, term in enumerate(self.terms):
            ax = axes.flat[j]
            if band is not None:
                ax.fill_between(taus, band[0][:, j], band[1][:, j], color="C0", alpha=0.3, lw=0)
            ax.plot(taus, coef[:, j], color="C0", label="selfdistill")
            if reference is not None:
                r = reference[(reference["term"] == term) & reference["tau"].between(0.02, 0.98)]
                if len(r):
                    ax.plot(r["tau"], r["median"], color="C3", lw=1, label="R qrjoint")
                    ax.plot(r["tau"], r["lower"], color="C3", lw=0.7, ls="--")
                    ax.plot(r["tau"], r["upper"], color="C3", lw=0.7, ls="--")
            ax.set_title(term, fontsize=9)
            ax.set_xlabel("tau")
        for ax in list(axes.flat)[k:]:
            ax.axis("off")
        axes.flat[0].legend(fontsize=7)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=110)
        return fig

    def plot_trace(self, path=None):
        """Trace plots of the log posterior, ``sigma``, ``nu`` and the median intercept (MCMC)."""
        import matplotlib.pyplot as plt

        est = self.estimator
        if est.chain_ is None:
            raise ValueError("trace plots need an MCMC fit (method='mcmc').")
        ch = est.chain_
        model = est.model_
        series = {"log posterior": ch.log_post,
                  "log sigma (std. scale)": ch.theta[:, model.index_log_sigma],
                  "gamma_0 (std. scale)": ch.theta[:, model.index_gamma(0)]}
        if model.learn_nu:
            series["nu"] = nu_from_z(ch.theta[:, -1])
        fig, axes = plt.subplots(len(series), 1, figsize=(7, 1.8 * len(series)), sharex=True)
        it = np.arange(1, ch.theta.shape[0] + 1) * ch.thin
        for ax, (name, values) in zip(np.atleast_1d(axes), series.items(), strict=True):
            ax.plot(it, values, lw=0.6)
            ax.axvline(ch.n_burn, color="grey", ls=":")
            ax.set_ylabel(name, fontsize=8)
        np.atleast_1d(axes)[-1].set_xlabel("iteration (burn-in left of the dotted line)")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=110)
        return fig
