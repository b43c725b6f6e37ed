"""Closed-form k-step SD coefficients vs literal refits, sklearn, statsmodels, limits and invariances."""

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given
from hypothesis import strategies as st
from sklearn.linear_model import Ridge

from selfdistill import sd_coef, sd_coef_reference
from selfdistill._filters import shrinkage

SHAPES = [(60, 6), (12, 12), (7, 25)]  # tall, square, wide


def sklearn_chain(X, y, alpha, xi):
    """What a user would write today: sequential sklearn Ridge refits."""
    model = Ridge(alpha=alpha, fit_intercept=False, solver="svd")
    coef = model.fit(X, y).coef_
    for value in xi:
        coef = model.fit(X, value * X @ coef + (1 - value) * y).coef_
    return coef


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("k", [0, 1, 2, 5])
def test_closed_form_equals_repeated_refits(rng, shape, k):
    X = rng.normal(size=shape)
    y = rng.normal(size=shape[0])
    xi = rng.uniform(-3, 3, size=k)
    closed = sd_coef(X, y, 0.8, xi)
    scale = np.abs(closed).max()
    np.testing.assert_allclose(closed, sd_coef_reference(X, y, 0.8, xi), atol=1e-10 * scale)
    np.testing.assert_allclose(closed, sklearn_chain(X, y, 0.8, xi), atol=1e-9 * scale)


@given(
    xi=st.lists(st.floats(-3, 3, allow_nan=False), min_size=0, max_size=5),
    log_alpha=st.floats(-3, 3),
    seed=st.integers(0, 2**16),
)
def test_closed_form_equals_reference_property(xi, log_alpha, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(15, 4))
    y = rng.normal(size=15)
    closed = sd_coef(X, y, 10.0**log_alpha, xi)
    reference = sd_coef_reference(X, y, 10.0**log_alpha, xi)
    np.testing.assert_allclose(closed, reference, atol=1e-8 * max(1.0, np.abs(reference).max()))


def test_ridge_and_zero_xi_equal_sklearn_and_statsmodels(rng):
    X = rng.normal(size=(40, 5))
    y = rng.normal(size=40)
    expected = Ridge(alpha=2.5, fit_intercept=False).fit(X, y).coef_
    np.testing.assert_allclose(sd_coef(X, y, 2.5, []), expected, rtol=1e-10)
    np.testing.assert_allclose(sd_coef(X, y, 2.5, [0.0, 0.0, 0.0]), expected, rtol=1e-10)
    # statsmodels' alpha is on 0.5 * RSS / n: alpha_sm = alpha / n (engineering_anchors.md section 0)
    sm_coef = sm.OLS(y, X).fit_regularized(alpha=2.5 / 40, L1_wt=0.0).params
    np.testing.assert_allclose(sd_coef(X, y, 2.5, []), sm_coef, rtol=1e-8)


def test_one_step_identity(rng):
    X = rng.normal(size=(30, 4))
    y = rng.normal(size=30)
    lam, xi = 0.9, -1.7
    ridge = sd_coef(X, y, lam, [])
    expected = ridge - xi * lam * np.linalg.solve(X.T @ X + lam * np.eye(4), ridge)
    np.testing.assert_allclose(sd_coef(X, y, lam, [xi]), expected, rtol=1e-10)


def test_pure_distillation_is_matrix_power(rng):
    X = rng.normal(size=(30, 4))
    y = rng.normal(size=30)
    lam = 0.9
    A = np.linalg.solve(X.T @ X + lam * np.eye(4), X.T @ X)
    expected = np.linalg.matrix_power(A, 3) @ sd_coef(X, y, lam, [])
    np.testing.assert_allclose(sd_coef(X, y, lam, [1, 1, 1]), expected, rtol=1e-10)


def test_constant_xi_many_steps_is_ridge_with_amplified_penalty(rng):
    # Borup & Andersen: k -> infinity with constant xi in [0, 1) gives ridge at lambda / (1 - xi)
    X = rng.normal(size=(30, 4))
    y = rng.normal(size=30)
    lam, xi = 0.5, 0.6
    np.testing.assert_allclose(sd_coef(X, y, lam, np.full(400, xi)), sd_coef(X, y, lam / (1 - xi), []), rtol=1e-10)


def test_multi_target_equals_column_by_column(rng):
    X = rng.normal(size=(25, 6))
    Y = rng.normal(size=(25, 3))
    coef = sd_coef(X, Y, 1.1, [0.5, 2.0])
    assert coef.shape == (6, 3)
    for j in range(3):
        np.testing.assert_allclose(coef[:, j], sd_coef(X, Y[:, j], 1.1, [0.5, 2.0]), rtol=1e-12)


def test_rank_deficient_design(rng):
    X = rng.normal(size=(20, 3))
    X = np.column_stack([X, X[:, 1]])
    y = rng.normal(size=20)
    np.testing.assert_allclose(
        sd_coef(X, y, 0.4, [1.5, -0.5]), sd_coef_reference(X, y, 0.4, [1.5, -0.5]), rtol=1e-9
    )


def test_limits_in_alpha(rng):
    X = rng.normal(size=(10, 20))
    y = rng.normal(size=10)
    # lambda -> 0: every SD estimator tends to the minimum-norm least-squares solution
    min_norm = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(sd_coef(X, y, 1e-10, [0.7, -2.0]), min_norm, rtol=1e-6)
    # lambda -> infinity: coefficients vanish (finite, not NaN)
    big = sd_coef(X, y, 1e12, [0.7, -2.0])
    assert np.all(np.isfinite(big)) and np.abs(big).max() < 1e-9


def test_huge_xi_and_huge_k_are_finite(rng):
    X = rng.normal(size=(30, 4))
    y = rng.normal(size=30)
    huge = sd_coef(X, y, 1.0, [1e6])
    # 1-step: theta = ridge - xi * lambda (X^T X + lambda)^{-1} ridge, exactly linear in xi
    ridge = sd_coef(X, y, 1.0, [])
    np.testing.assert_allclose(huge, ridge - 1e6 * np.linalg.solve(X.T @ X + np.eye(4), ridge), rtol=1e-9)
    pure = sd_coef(X, y, 1.0, np.ones(10_000))  # filter a^(k+1) underflows: coefficients ~ 0
    assert np.all(np.isfinite(pure))
    np.testing.assert_allclose(pure, 0.0, atol=1e-13 * np.abs(ridge).max())


def test_rotation_and_scaling_invariance(rng):
    X = rng.normal(size=(30, 4))
    y = rng.normal(size=30)
    Q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    xi = [0.3, 1.7]
    # X -> X Q gives theta -> Q^T theta
    np.testing.assert_allclose(sd_coef(X @ Q, y, 0.5, xi), Q.T @ sd_coef(X, y, 0.5, xi), rtol=1e-10, atol=1e-12)
    # X -> c X with lambda -> c^2 lambda leaves a_j unchanged: predictions are identical
    c = 3.0
    np.testing.assert_allclose(c * X @ sd_coef(c * X, y, c**2 * 0.5, xi), X @ sd_coef(X, y, 0.5, xi), rtol=1e-10)
    # linear in y
    np.testing.assert_allclose(sd_coef(X, 2.5 * y, 0.5, xi), 2.5 * sd_coef(X, y, 0.5, xi), rtol=1e-12)
    # permuting rows changes nothing
    perm = rng.permutation(30)
    np.testing.assert_allclose(sd_coef(X[perm], y[perm], 0.5, xi), sd_coef(X, y, 0.5, xi), rtol=1e-10)


def test_filter_in_unit_interval_for_xi_in_unit_interval(rng):
    s = np.sort(rng.uniform(0.01, 3, size=50))
    from selfdistill._filters import deviation_from_xi, filter_from_deviation

    a, t = shrinkage(s, 0.7)
    h, _ = filter_from_deviation(a, t, deviation_from_xi(a, t, rng.uniform(0, 1, size=6)))
    assert np.all((h >= 0) & (h <= 1))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"X": [[np.nan, 1.0], [1.0, 2.0]]}, "NaN"),
        ({"X": [[np.inf, 1.0], [1.0, 2.0]]}, "infinity"),
        ({"X": [1.0, 2.0]}, "2D array"),
        ({"X": np.ones((2, 2, 2))}, "dim 3"),
        ({"X": np.zeros((0, 2)), "y": np.zeros(0)}, "0 sample"),
        ({"X": [[1e300, 1.0], [1.0, 2.0]]}, "too large"),
        ({"y": [1.0, 2.0, 3.0]}, "rows"),
        ({"y": [np.nan, 1.0]}, "NaN"),
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": -1.0}, "alpha"),
        ({"alpha": np.nan}, "alpha"),
        ({"xi": [0.5, np.nan]}, "finite"),
        ({"xi": [[0.5]]}, "1-D"),
        ({"xi": "0.5"}, "number"),
    ],
)
def test_bad_inputs_raise_clear_errors(kwargs, match):
    args = {"X": [[1.0, 0.0], [0.0, 1.0]], "y": [1.0, 2.0], "alpha": 1.0, "xi": [0.5]}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        sd_coef(args["X"], args["y"], args["alpha"], args["xi"])


def test_denormal_scale_still_works(rng):
    X = rng.normal(size=(20, 3)) * 1e-150
    y = rng.normal(size=20) * 1e-150
    coef = sd_coef(X, y, 1e-300, [0.5])
    np.testing.assert_allclose(coef, sd_coef(X * 1e150, y * 1e150, 1.0, [0.5]), rtol=1e-8)
