"""Tiers B (Bondell-Reich-Wang joint LP) and C (per-tau LP + rearrangement)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selfdistill.quantile import NonCrossingQuantileRegressor, RearrangedQuantileRegressor
from selfdistill.quantile._lp import check_loss, quantile_lp

LEVELS = (0.1, 0.3, 0.5, 0.7, 0.9)


def _crossing_data(seed=3, n=40):
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(n, 2))
    y = 1 + X @ [2.0, -1.0] + (1 + X[:, 0]) * rng.standard_t(3, size=n)
    return X, y


def test_per_tau_lp_matches_a_brute_force_check_loss_minimum(rng):
    """The LP's solution has a check loss no larger than any nearby coefficient vector."""
    X1 = np.column_stack([np.ones(30), rng.normal(size=30)])
    y = X1 @ [1.0, 2.0] + rng.normal(size=30)
    coef, obj = quantile_lp(X1, y, np.array([0.3]), np.ones(30))
    assert obj == pytest.approx(check_loss(y - X1 @ coef[0], 0.3).sum())
    for delta in rng.normal(scale=0.05, size=(200, 2)):
        assert check_loss(y - X1 @ (coef[0] + delta), 0.3).sum() >= obj - 1e-9


def test_joint_fit_satisfies_the_vertex_constraints_where_per_tau_fits_cross():
    X, y = _crossing_data()
    joint = NonCrossingQuantileRegressor(quantiles=np.round(np.linspace(0.05, 0.95, 19), 2)).fit(X, y)
    per_tau = RearrangedQuantileRegressor(quantiles=joint.quantiles_).fit(X, y)
    V = joint.hull_vertices_
    assert per_tau.count_crossings(V) > 0  # the unconstrained fits cross on this sample
    Q = joint.predict(V, quantiles=joint.quantiles_)
    assert np.all(np.diff(Q, axis=1) >= -1e-8)
    assert joint.objective_ >= per_tau.objective_ - 1e-8  # constraints can only cost check loss


@settings(max_examples=25)
@given(weights=st.lists(st.floats(0.0, 1.0), min_size=6, max_size=6))
def test_joint_fit_does_not_cross_anywhere_in_the_hull(weights):
    model = _fitted_joint()
    V = model.hull_vertices_
    w = np.resize(np.asarray(weights) + 1e-12, V.shape[0])
    x = (w / w.sum()) @ V
    Q = model.predict(x[None, :], quantiles=model.quantiles_)
    assert np.all(np.diff(Q, axis=1) >= -1e-8)


_CACHE = {}


def _fitted_joint():
    if "joint" not in _CACHE:
        X, y = _crossing_data()
        _CACHE["joint"] = NonCrossingQuantileRegressor(quantiles=np.round(np.linspace(0.05, 0.95, 19), 2)).fit(X, y)
    return _CACHE["joint"]


def test_joint_equals_per_tau_lp_when_that_does_not_cross(rng):
    n = 200
    X = rng.uniform(size=(n, 1))
    y = 1 + 2 * X[:, 0] + rng.normal(size=n)
    per_tau = RearrangedQuantileRegressor(quantiles=LEVELS).fit(X, y)
    joint = NonCrossingQuantileRegressor(quantiles=LEVELS).fit(X, y)
    assert per_tau.count_crossings(joint.hull_vertices_) == 0
    assert joint.objective_ == pytest.approx(per_tau.objective_, rel=1e-9)
    np.testing.assert_allclose(joint.coef_path_, per_tau.coef_path_, atol=1e-6)


def test_rearrangement_sorts_only_crossing_curves():
    X, y = _crossing_data()
    model = RearrangedQuantileRegressor(quantiles=np.round(np.linspace(0.05, 0.95, 19), 2)).fit(X, y)
    raw = model.predict(X, quantiles=model.quantiles_, rearranged=False)
    fixed = model.predict(X, quantiles=model.quantiles_)
    assert np.all(np.diff(fixed, axis=1) >= 0)
    ok = np.all(np.diff(raw, axis=1) >= 0, axis=1)
    np.testing.assert_allclose(fixed[ok], raw[ok])
    np.testing.assert_allclose(np.sort(raw, axis=1), fixed)  # same values per row, reordered
    assert model.predict(X).shape == (X.shape[0],)


def test_sample_weight_equals_duplication(rng):
    X = rng.uniform(size=(25, 1))
    y = X[:, 0] + rng.normal(size=25)
    w = rng.integers(1, 3, size=25)
    a = NonCrossingQuantileRegressor(quantiles=LEVELS).fit(X, y, sample_weight=w)
    b = NonCrossingQuantileRegressor(quantiles=LEVELS).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    assert a.objective_ == pytest.approx(b.objective_, rel=1e-8)


@pytest.mark.parametrize("cls", [NonCrossingQuantileRegressor, RearrangedQuantileRegressor])
def test_bad_input(cls, rng):
    X = rng.normal(size=(20, 2))
    y = rng.normal(size=20)
    with pytest.raises(ValueError, match="strictly increasing"):
        cls(quantiles=(0.5, 0.2)).fit(X, y)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        cls(quantiles=(0.0, 0.5)).fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        cls().fit(np.where(X > 1, np.nan, X), y)
    with pytest.raises(ValueError, match="fewer weighted rows"):
        cls().fit(X[:2], y[:2])
    model = cls(quantiles=LEVELS).fit(X, y)
    with pytest.raises(ValueError, match="inside the fitted grid"):
        model.predict(X, quantiles=0.95)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        model.predict(X, quantiles=1.5)
