"""Synthetic fixed designs: exact singular values, eigenbasis coordinates, noise, validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from selfdistill.datasets import make_fixed_design, power_law_singular_values
from selfdistill.datasets.synthetic import FixedDesign

# --------------------------------------------------------------------------------------------
# power_law_singular_values
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("s_last", [0.8, 0.5])
@pytest.mark.parametrize("r", [2, 5, 10, 100])
def test_power_law_matches_the_formula(r, s_last):
    s = power_law_singular_values(r, 1.0, s_last)
    alpha = np.log(1.0 / s_last) / np.log(r)
    np.testing.assert_allclose(s, np.arange(1, r + 1) ** (-alpha), rtol=1e-14)
    assert s[0] == 1.0 and s[-1] == s_last  # exact endpoints
    assert np.all(np.diff(s) < 0)
    # a power law is a straight line in log-log coordinates, slope -alpha
    slope = np.polyfit(np.log(np.arange(1, r + 1)), np.log(s), 1)[0]
    assert slope == pytest.approx(-alpha, rel=1e-10)


def test_power_law_scales_with_s_first_and_handles_rank_one():
    np.testing.assert_allclose(
        power_law_singular_values(7, 3.0, 1.5), 3.0 * power_law_singular_values(7, 1.0, 0.5)
    )
    assert power_law_singular_values(1, 2.0, 0.5).tolist() == [2.0]
    assert power_law_singular_values(4, 0.7, 0.7).tolist() == [0.7] * 4


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((0,), "power_law_singular_values: r must be an integer >= 1, got 0"),
        ((2.5,), "r must be"),
        ((3, 1.0, 2.0), "s_last"),
        ((3, -1.0, 0.5), "s_first"),
        ((3, 1.0, 0.0), "s_last"),
        ((3, 1.0, np.nan), "s_last"),
    ],
)
def test_power_law_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        power_law_singular_values(*args)


# --------------------------------------------------------------------------------------------
# make_fixed_design
# --------------------------------------------------------------------------------------------


def test_svd_reproduces_the_singular_values_and_vectors():
    s = power_law_singular_values(10, 1.0, 0.5)
    problem = make_fixed_design(s, n_samples=40, n_features=100, random_state=0)
    X = problem.X
    assert X.shape == (40, 100)
    U_svd, s_svd, Vt_svd = np.linalg.svd(X, full_matrices=False)
    np.testing.assert_allclose(s_svd[:10], s, rtol=1e-13)
    assert np.all(s_svd[10:] < 1e-14)  # exactly rank 10
    # Distinct singular values: the singular vectors agree up to sign.
    np.testing.assert_allclose(
        np.abs(np.sum(Vt_svd[:10].T * problem.V[:, :10], axis=0)), 1.0, rtol=1e-12
    )
    np.testing.assert_allclose(np.abs(np.sum(U_svd[:, :10] * problem.U, axis=0)), 1.0, rtol=1e-12)
    # Orthonormality of the generated factors; V is a full orthogonal basis of R^d.
    np.testing.assert_allclose(problem.U.T @ problem.U, np.eye(10), atol=1e-14)
    np.testing.assert_allclose(problem.V.T @ problem.V, np.eye(100), atol=1e-13)
    # X V[:, j] = s_j U[:, j], and the null-space columns are annihilated.
    np.testing.assert_allclose(X @ problem.V[:, :10], problem.U * s, atol=1e-14)
    np.testing.assert_allclose(X @ problem.V[:, 10:], 0.0, atol=1e-14)


def test_paper_orientation_eigenvectors():
    # Paper: X_paper = X.T (d x n), u_j eigenvectors of X_paper X_paper^T = X.T X, eigenvalue s_j^2.
    s = np.array([1.0, 0.5, 1 / 3, 0.25])
    problem = make_fixed_design(s, n_samples=30, n_features=12, theta_coords=1, random_state=5)
    X_paper = problem.X.T
    gram = X_paper @ X_paper.T
    for j in range(4):
        u_j = problem.V[:, j]
        np.testing.assert_allclose(gram @ u_j, s[j] ** 2 * u_j, atol=1e-14)
    # theta_coords=1 is the paper's theta* = u_2, with coordinate theta*_2 = <theta*, u_2> = 1.
    np.testing.assert_allclose(problem.theta_star, problem.V[:, 1], atol=0)
    np.testing.assert_allclose(problem.theta_coords, np.eye(12)[1], atol=1e-14)


@given(
    r=st.integers(1, 8),
    extra_n=st.integers(0, 6),
    extra_d=st.integers(0, 6),
    log_s=st.lists(st.floats(-3.0, 1.0), min_size=8, max_size=8),
    seed=st.integers(0, 2**32 - 1),
)
def test_singular_values_exact_property(r, extra_n, extra_d, log_s, seed):
    s = np.sort(10.0 ** np.asarray(log_s[:r]))[::-1]
    problem = make_fixed_design(s, n_samples=r + extra_n, n_features=r + extra_d, random_state=seed)
    s_svd = np.linalg.svd(problem.X, compute_uv=False)
    np.testing.assert_allclose(s_svd[:r], s, rtol=1e-12, atol=1e-15)
    assert np.all(s_svd[r:] <= 1e-14 * s[0])


def test_theta_star_options():
    s = [1.0, 1.0, 0.5, 1 / 3]  # the paper's Fig. 3b: repeated singular values are allowed
    default = make_fixed_design(s, random_state=2)
    np.testing.assert_allclose(default.theta_star, default.V[:, 0], atol=0)  # theta* = u_1
    spread = make_fixed_design(s, theta_coords=[0.5, 0.5, 0.5, 0.5], random_state=2)
    np.testing.assert_allclose(spread.theta_star, 0.5 * spread.V[:, :4].sum(axis=1), atol=1e-15)
    np.testing.assert_allclose(np.linalg.norm(spread.theta_star), 1.0, rtol=1e-14)
    given_theta = np.arange(4.0)
    direct = make_fixed_design(s, theta_star=given_theta, random_state=2)
    np.testing.assert_array_equal(direct.theta_star, given_theta)
    np.testing.assert_allclose(direct.V @ direct.theta_coords, given_theta, atol=1e-14)
    # The seed fixes X whatever theta* is.
    np.testing.assert_array_equal(default.X, direct.X)


def test_null_space_coordinates_do_not_change_the_mean():
    problem = make_fixed_design(
        [1.0, 0.5], n_samples=5, n_features=6, theta_coords=[0, 0, 0, 1.0], random_state=1
    )
    np.testing.assert_allclose(problem.mean, 0.0, atol=1e-15)


def test_sample_y_noise_moments_and_reproducibility():
    problem = make_fixed_design(
        [2.0, 1.0, 0.5], n_samples=4, n_features=3, noise_var=0.3, random_state=0
    )
    draws = problem.sample_y(random_state=11, n_draws=40_000)
    assert draws.shape == (40_000, 4)
    noise = draws - problem.mean
    # Mean 0 and covariance 0.3 I; standard errors ~ 0.003 and ~ 0.002, tolerances ~ 5 SE.
    np.testing.assert_allclose(noise.mean(axis=0), 0.0, atol=0.015)
    np.testing.assert_allclose(np.cov(noise.T), 0.3 * np.eye(4), atol=0.012)
    np.testing.assert_array_equal(
        problem.sample_y(random_state=3), problem.sample_y(random_state=3)
    )
    assert not np.array_equal(problem.sample_y(random_state=3), problem.sample_y(random_state=4))
    assert problem.sample_y(random_state=3).shape == (4,)


def test_zero_noise_gives_the_mean_exactly():
    problem = make_fixed_design([1.0, 0.3], n_samples=6, noise_var=0.0, random_state=8)
    assert problem.X.shape == (6, 2)  # n_features defaults to r
    np.testing.assert_array_equal(problem.sample_y(random_state=1), problem.X @ problem.theta_star)


def test_defaults_and_reproducibility():
    a = make_fixed_design([1.0, 0.5, 0.25], random_state=4)
    b = make_fixed_design([1.0, 0.5, 0.25], random_state=4)
    assert isinstance(a, FixedDesign) and a.X.shape == (3, 3) and a.noise_var == 0.1
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, make_fixed_design([1.0, 0.5, 0.25], random_state=5).X)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"singular_values": [0.5, 1.0]}, "non-increasing"),
        ({"singular_values": [1.0, 0.0]}, "> 0"),
        ({"singular_values": []}, "non-empty"),
        ({"singular_values": [[1.0]]}, "1-D"),
        ({"singular_values": [1.0, 0.5, 0.2], "n_samples": 2}, "rank cannot exceed"),
        ({"singular_values": [1.0, 0.5], "n_features": 1}, "rank cannot exceed"),
        ({"singular_values": [1.0], "theta_star": [1.0], "theta_coords": 0}, "not both"),
        ({"singular_values": [1.0, 0.5], "theta_coords": 2}, "direction index"),
        ({"singular_values": [1.0, 0.5], "theta_coords": [1.0, 0.0, 0.0]}, "1 to 2 coordinates"),
        ({"singular_values": [1.0, 0.5], "theta_coords": [np.inf]}, "NaN or infinite"),
        ({"singular_values": [1.0, 0.5], "theta_star": [1.0]}, "2 features"),
        ({"singular_values": [1.0], "noise_var": -1.0}, "variance"),
        ({"singular_values": [1.0], "n_samples": 0}, "n_samples must be an integer >= 1 or None"),
        ({"singular_values": [1.0], "random_state": "seed"}, "random_state must be a seed"),
    ],
)
def test_make_fixed_design_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_fixed_design(**kwargs)


def test_sample_y_rejects_a_bad_number_of_draws():
    problem = make_fixed_design([1.0], random_state=0)
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="sample_y: n_draws must be an integer >= 1 or None"):
            problem.sample_y(n_draws=bad)
