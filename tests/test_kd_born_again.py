"""Born-Again Networks: bookkeeping, BANE, the DKPP/CWTM controls, and the ridge closed form."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from selfdistill import sd_coef
from selfdistill.kd import (
    BornAgainClassifier,
    BornAgainRegressor,
    SoftTargetLogisticRegression,
    cwtm_weights,
    dkpp_permute,
    soften,
)


# -------------------------------------------------------------------------------- bookkeeping
def test_generations_are_fresh_instances_with_new_random_states(iris):
    X, y = iris
    base = LogisticRegression(random_state=0)
    ban = BornAgainClassifier(base, n_generations=4, random_state=1).fit(X, y)
    assert len(ban.generations_) == 4
    assert len({id(g) for g in ban.generations_} | {id(base)}) == 5
    states = [g.get_params()["random_state"] for g in ban.generations_]
    assert len(set(states)) == 4
    again = BornAgainClassifier(base, n_generations=4, random_state=1).fit(X, y)
    assert [g.get_params()["random_state"] for g in again.generations_] == states


@pytest.mark.parametrize("xi, temperature", [(1.0, 1.0), (0.6, 3.0)])
def test_each_generation_is_taught_by_the_previous_one(iris, xi, temperature):
    X, y = iris
    est = SoftTargetLogisticRegression(alpha=0.05)
    ban = BornAgainClassifier(est, n_generations=3, xi=xi, temperature=temperature).fit(X, y)
    np.testing.assert_array_equal(ban.training_targets_[0], np.eye(3)[y])
    np.testing.assert_array_equal(ban.generations_[0].coef_, est.fit(X, y).coef_)
    for g in (1, 2):
        teacher_proba = ban.generations_[g - 1].predict_proba(X)
        np.testing.assert_allclose(ban.training_targets_[g], soften(teacher_proba, temperature))
        rebuilt = SoftTargetLogisticRegression(alpha=0.05).fit_kd(
            X, y, teacher_proba, xi=xi, temperature=temperature
        )
        np.testing.assert_array_equal(ban.generations_[g].coef_, rebuilt.coef_)


def test_bane_is_the_mean_over_generations(iris):
    X, y = iris
    ban = BornAgainClassifier(SoftTargetLogisticRegression(alpha=0.1), n_generations=3).fit(X, y)
    mean = np.mean([g.predict_proba(X) for g in ban.generations_], axis=0)
    np.testing.assert_allclose(ban.predict_proba(X), mean)
    np.testing.assert_array_equal(ban.predict(X), np.argmax(mean, axis=1))
    ban.set_params(ensemble=False)
    np.testing.assert_allclose(ban.predict_proba(X), ban.generations_[-1].predict_proba(X))


def test_one_generation_is_a_plain_fit(iris):
    X, y = iris
    ban = BornAgainClassifier(SoftTargetLogisticRegression(), n_generations=1).fit(X, y)
    np.testing.assert_array_equal(
        ban.predict_proba(X), SoftTargetLogisticRegression().fit(X, y).predict_proba(X)
    )


def test_unpenalised_generation_two_is_a_fixed_point():
    # With alpha = 0, generation 1's parameters make the gradient of CE(p_1, q(z)) vanish, so the
    # strictly convex generation-2 problem has the same solution (non-separable data: it exists).
    X, y = make_classification(300, 4, n_informative=3, n_redundant=0, n_classes=3,
                               n_clusters_per_class=1, flip_y=0.3, random_state=0)
    est = SoftTargetLogisticRegression(alpha=0.0, tol=1e-10, max_iter=5000)
    ban = BornAgainClassifier(est, n_generations=2).fit(X, y)
    np.testing.assert_allclose(ban.generations_[1].coef_, ban.generations_[0].coef_, atol=1e-5)


def test_penalised_generations_shrink(iris):
    X, y = iris
    ban = BornAgainClassifier(SoftTargetLogisticRegression(alpha=0.05), n_generations=4).fit(X, y)
    norms = [np.linalg.norm(g.coef_) for g in ban.generations_]
    assert all(b < a for a, b in zip(norms, norms[1:], strict=False))


# ------------------------------------------------------------------------------------- DKPP
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 10), k=st.integers(2, 7))
def test_dkpp_keeps_the_max_and_permutes_the_rest(seed, n, k):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.full(k, 0.5), size=n)
    out = dkpp_permute(P, random_state=seed % 1000)
    rows = np.arange(n)
    top = np.argmax(P, axis=1)
    np.testing.assert_array_equal(np.argmax(out, axis=1), top)
    np.testing.assert_array_equal(out[rows, top], P[rows, top])
    np.testing.assert_array_equal(np.sort(out, axis=1), np.sort(P, axis=1))
    np.testing.assert_allclose(out.sum(axis=1), 1.0)


def test_dkpp_permutation_is_uniform():
    row = np.array([[0.6, 0.25, 0.1, 0.05]])
    out = dkpp_permute(np.repeat(row, 6000, axis=0), random_state=0)
    for column in (1, 2, 3):
        for value in (0.25, 0.1, 0.05):
            assert np.mean(out[:, column] == value) == pytest.approx(1 / 3, abs=0.03)
    assert np.all(out[:, 0] == 0.6)


def test_ban_dkpp_targets_are_permuted_teacher_outputs(iris):
    X, y = iris
    ban = BornAgainClassifier(SoftTargetLogisticRegression(alpha=0.1), n_generations=3,
                              variant="dkpp", temperature=2.0, random_state=0).fit(X, y)
    for g in (1, 2):
        q = soften(ban.generations_[g - 1].predict_proba(X), 2.0)
        target = ban.training_targets_[g]
        np.testing.assert_array_equal(np.argmax(target, axis=1), np.argmax(q, axis=1))
        np.testing.assert_allclose(np.sort(target, axis=1), np.sort(q, axis=1))
        assert not np.allclose(target, q)  # something was permuted


# ------------------------------------------------------------------------------------- CWTM
def test_cwtm_weights(rng):
    P = rng.dirichlet(np.ones(4), size=30)
    w = cwtm_weights(P)
    assert w.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(w / P.max(axis=1), (w / P.max(axis=1))[0])
    s = rng.uniform(0.5, 2.0, 30)
    ws = cwtm_weights(P, s)
    np.testing.assert_allclose(ws, s * P.max(axis=1) / np.sum(s * P.max(axis=1)))


@pytest.mark.parametrize("xi", [1.0, 0.4])
def test_ban_cwtm_trains_on_confidence_weighted_labels(iris, xi):
    X, y = iris
    est = LogisticRegression(C=0.5)
    ban = BornAgainClassifier(est, n_generations=2, variant="cwtm", xi=xi).fit(X, y)
    w = cwtm_weights(ban.generations_[0].predict_proba(X))
    expected = xi * len(y) * w + (1 - xi)
    np.testing.assert_allclose(ban.training_weights_[1], expected)
    assert ban.training_weights_[1].mean() == pytest.approx(1.0)
    np.testing.assert_array_equal(ban.training_targets_[1], np.eye(3)[y])
    np.testing.assert_allclose(
        ban.generations_[1].coef_, LogisticRegression(C=0.5).fit(X, y, expected).coef_
    )


# --------------------------------------------------------------------------------- regressor
@pytest.mark.parametrize("xi", [1.0, 0.5, 1.8])
def test_ridge_generations_match_closed_form(xi):
    X, y = make_regression(60, 5, noise=4.0, random_state=0)
    ban = BornAgainRegressor(Ridge(alpha=7.0, fit_intercept=False), n_generations=4, xi=xi)
    ban.fit(X, y)
    for g, model in enumerate(ban.generations_):
        np.testing.assert_allclose(model.coef_, sd_coef(X, y, 7.0, [xi] * g), rtol=1e-8)
    np.testing.assert_allclose(ban.training_targets_[2], xi * ban.generations_[1].predict(X)
                               + (1 - xi) * y)
    mean_coef = np.mean([m.coef_ for m in ban.generations_], axis=0)
    np.testing.assert_allclose(ban.predict(X), X @ mean_coef)
    ban.set_params(ensemble=False)
    np.testing.assert_allclose(ban.predict(X), ban.generations_[-1].predict(X))


# -------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "params, match",
    [
        ({"variant": "bane"}, "variant must be one of"),
        ({"n_generations": 0}, "n_generations must be an integer >= 1"),
        ({"n_generations": 2.5}, "n_generations must be an integer >= 1"),
        ({"xi": np.nan}, "xi must be a finite number"),
        ({"variant": "cwtm", "xi": 1.5}, r"xi must lie in \[0, 1\]"),
        ({"temperature": -2.0}, "temperature must be a finite number > 0"),
    ],
)
def test_bad_parameters(iris, params, match):
    X, y = iris
    with pytest.raises(ValueError, match=match):
        BornAgainClassifier(SoftTargetLogisticRegression(), **params).fit(X, y)


def test_generic_estimator_limits(iris):
    X, y = iris
    with pytest.raises(ValueError, match="no fit_kd method"):
        BornAgainClassifier(LogisticRegression(), temperature=2.0).fit(X, y)
    with pytest.raises(ValueError, match="sample_weight"):
        BornAgainClassifier(KNeighborsClassifier(), variant="cwtm").fit(X, y)


def _expected_failures(estimator):
    if isinstance(estimator, BornAgainClassifier) and estimator.variant == "dkpp":
        # DKPP draws a random permutation per row, so a repeated row is permuted differently from
        # a row with a doubled weight: weighted and repeated fits legitimately differ.
        return {"check_sample_weight_equivalence_on_dense_data": "random per-row permutations"}
    return {}


@parametrize_with_checks(
    [
        BornAgainClassifier(SoftTargetLogisticRegression(alpha=1e-2), random_state=0),
        BornAgainClassifier(SoftTargetLogisticRegression(alpha=1e-2), variant="dkpp", xi=0.5,
                            temperature=2.0, random_state=0),
        BornAgainClassifier(LogisticRegression(), variant="cwtm", random_state=0),
        BornAgainRegressor(Ridge()),
    ],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_born_again_classifier_names_the_missing_predict_proba():
    """SVC() used to fail with "'SVC' has no attribute 'predict_proba'" (issue 10)."""
    from sklearn.svm import SVC

    X, y = make_classification(n_samples=40, random_state=0)
    with pytest.raises(ValueError, match=r"estimator must be a classifier .*predict_proba.*SVC\(probability=True\)"):
        BornAgainClassifier(SVC()).fit(X, y)
    assert BornAgainClassifier(SVC(probability=True, random_state=0), n_generations=2).fit(X, y)
