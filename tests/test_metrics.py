"""Sample-quality metrics: exact identities, closed forms, independent implementations."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import linalg, stats

from selfdistill.diffusion import (
    digits_class_accuracy,
    digits_classifier,
    digits_features,
    digits_unit_scale,
    energy_distance,
    fid_digits,
    frechet_distance,
    metrics,
    mixture_mode_metrics,
    mmd_rbf,
    mmd_rbf_profile,
    precision_recall_knn,
)


def _energy_brute(X, Y):
    dxy = np.linalg.norm(X[:, None] - Y[None], axis=-1).mean()
    dxx = np.linalg.norm(X[:, None] - X[None], axis=-1).mean()
    dyy = np.linalg.norm(Y[:, None] - Y[None], axis=-1).mean()
    return 2 * dxy - dxx - dyy


# ------------------------------------------------------------------ energy distance


def test_energy_distance_zero_for_identical_samples(rng):
    X = rng.normal(size=(300, 3))
    assert energy_distance(X, X) == 0.0
    assert energy_distance(X, X[::-1]) == pytest.approx(0.0, abs=1e-12)


def test_energy_distance_matches_brute_force_and_is_symmetric(rng):
    X, Y = rng.normal(size=(70, 4)), rng.normal(1.0, 2.0, size=(50, 4))
    assert energy_distance(X, Y) == pytest.approx(_energy_brute(X, Y), rel=1e-12)
    assert energy_distance(Y, X) == pytest.approx(energy_distance(X, Y), rel=1e-12)


def test_energy_distance_blockwise_sum_matches_one_block(rng, monkeypatch):
    X, Y = rng.normal(size=(103, 2)), rng.normal(size=(61, 2))
    full = energy_distance(X, Y)
    monkeypatch.setattr(metrics, "_BLOCK_ROWS", 7)
    assert energy_distance(X, Y) == pytest.approx(full, rel=1e-12)


def test_energy_distance_point_masses():
    # Two point masses a, b: 2|a - b| - 0 - 0.
    a, b = np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]])
    assert energy_distance(a, b) == pytest.approx(10.0)


def test_energy_distance_is_square_of_scipy_in_1d(rng):
    # scipy's 1-D energy distance is sqrt(2 * int (F - G)^2) = sqrt of the E-statistic.
    u, v = rng.normal(size=400), rng.standard_t(3, size=250) + 0.3
    ours = energy_distance(u[:, None], v[:, None])
    assert ours == pytest.approx(stats.energy_distance(u, v) ** 2, rel=1e-10)


def test_energy_distance_gaussian_closed_form(rng):
    # X ~ N(0,1), Y ~ N(m,1): E|X-Y| = E|N(m, 2)|, E|X-X'| = E|Y-Y'| = 2/sqrt(pi).
    m = 1.5
    s = np.sqrt(2.0)
    e_xy = s * np.sqrt(2 / np.pi) * np.exp(-(m**2) / (2 * s**2)) + m * (
        1 - 2 * stats.norm.cdf(-m / s)
    )
    expected = 2 * e_xy - 2 * (2 / np.sqrt(np.pi))
    X = rng.normal(size=(4000, 1))
    Y = rng.normal(m, 1.0, size=(4000, 1))
    # V-statistic bias ~ E|X-X'| (1/n + 1/m) ~ 6e-4; Monte Carlo sd at n = 4000 is ~0.02.
    assert energy_distance(X, Y) == pytest.approx(expected, abs=0.05)


def test_energy_distance_rejects_bad_input():
    with pytest.raises(ValueError, match="same space"):
        energy_distance(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="NaN"):
        energy_distance(np.array([[np.nan, 0.0]]), np.zeros((2, 2)))


# ------------------------------------------------------------------ MMD


def test_mmd_zero_for_identical_samples_and_matches_brute_force(rng):
    X, Y = rng.normal(size=(60, 3)), rng.normal(0.5, 1.0, size=(40, 3))
    assert mmd_rbf(X, X, bandwidth=1.0) == pytest.approx(0.0, abs=1e-14)
    h = 0.8

    def k(A, B):
        return np.exp(-((A[:, None] - B[None]) ** 2).sum(-1) / (2 * h * h))

    v_stat = k(X, X).mean() + k(Y, Y).mean() - 2 * k(X, Y).mean()
    assert mmd_rbf(X, Y, bandwidth=h) == pytest.approx(v_stat, rel=1e-12)
    kxx, kyy = k(X, X), k(Y, Y)
    u_stat = (
        (kxx.sum() - np.trace(kxx)) / (60 * 59)
        + (kyy.sum() - np.trace(kyy)) / (40 * 39)
        - 2 * k(X, Y).mean()
    )
    assert mmd_rbf(X, Y, bandwidth=h, unbiased=True) == pytest.approx(u_stat, rel=1e-12)


def test_mmd_gaussian_closed_form(rng):
    # X ~ N(0, s^2 I), Y ~ N(delta, s^2 I), v = h^2 + 2 s^2:
    # E k(X, Y) = (h^2 / v)^(d/2) exp(-|delta|^2 / (2 v)).
    d, s, h = 2, 1.0, 1.5
    delta = np.array([1.0, 0.5])
    c = (h**2 / (h**2 + 2 * s**2)) ** (d / 2)
    expected = 2 * c * (1 - np.exp(-delta @ delta / (2 * (h**2 + 2 * s**2))))
    X = rng.normal(size=(3000, d))
    Y = rng.normal(size=(3000, d)) + delta
    assert mmd_rbf(X, Y, bandwidth=h, unbiased=True) == pytest.approx(expected, abs=0.01)


def test_mmd_median_heuristic_and_errors(rng):
    X, Y = rng.normal(size=(30, 2)), rng.normal(size=(30, 2))
    pooled = np.vstack([X, Y])
    dist = linalg.norm(pooled[:, None] - pooled[None], axis=-1)[np.triu_indices(60, 1)]
    assert mmd_rbf(X, Y) == pytest.approx(mmd_rbf(X, Y, bandwidth=float(np.median(dist))))
    with pytest.raises(ValueError, match="bandwidth"):
        mmd_rbf(X, Y, bandwidth=-1.0)
    with pytest.raises(ValueError, match="coincide"):
        mmd_rbf(np.zeros((3, 2)), np.zeros((3, 2)))


# ------------------------------------------------------------------ mixture modes


def test_mixture_mode_metrics_constructed_sample():
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    X = np.vstack(
        [
            np.full((60, 2), 0.05),  # on mode 0
            np.array([[10.2, 0.0]] * 39),  # on mode 1 (0.2 <= 3 * 0.1)
            np.array([[0.0, 10.0]]),  # on mode 2
            np.array([[0.0, 10.5]]),  # nearest mode 2 but 0.5 > 0.3: between modes
        ]
    )
    res = mixture_mode_metrics(X, centers, 0.1)
    np.testing.assert_array_equal(res.counts, [60, 39, 1])
    assert res.n_modes == 3
    assert res.on_mode_fraction == pytest.approx(100 / 101)
    np.testing.assert_allclose(res.mode_weights, [0.6, 0.39, 0.01])
    # TV to (1/3, 1/3, 1/3): (|0.6 - 1/3| + |0.39 - 1/3| + |0.01 - 1/3|) / 2
    assert res.weight_tv == pytest.approx(0.5 * (0.6 - 1 / 3 + 0.39 - 1 / 3 + 1 / 3 - 0.01))
    assert res.n_modes_hit == 2  # mode 2 holds 0.01 < (1/3) / 2
    exact = mixture_mode_metrics(X, centers, 0.1, weights=[60, 39, 1])
    assert exact.weight_tv == pytest.approx(0.0, abs=1e-12) and exact.n_modes_hit == 3


def test_mixture_mode_metrics_of_exact_ring_samples_and_collapsed_sample():
    from selfdistill.diffusion.data import ring_means, sample_gaussian_mixture

    centers = ring_means(8, 2.0)
    X, _ = sample_gaussian_mixture(centers, 0.1, 4000, random_state=0)
    res = mixture_mode_metrics(X, centers, 0.1)
    assert res.n_modes_hit == 8
    # P(chi^2_2 <= 9) = 1 - exp(-4.5) = 0.9889; binomial sd at n = 4000 is 0.0017.
    assert res.on_mode_fraction == pytest.approx(1 - np.exp(-4.5), abs=0.007)
    # multinomial TV of 4000 draws from 8 equal cells: about 0.02
    assert res.weight_tv < 0.04
    collapsed = mixture_mode_metrics(np.zeros((100, 2)), centers, 0.1)
    assert collapsed.on_mode_fraction == 0.0 and collapsed.weight_tv == 1.0
    assert collapsed.n_modes_hit == 0


def test_mixture_mode_metrics_rejects_bad_input():
    with pytest.raises(ValueError, match="std"):
        mixture_mode_metrics(np.zeros((2, 2)), np.zeros((1, 2)), 0.0)
    with pytest.raises(ValueError, match="weights"):
        mixture_mode_metrics(np.zeros((2, 2)), np.zeros((2, 2)), 0.1, weights=[1, -1])
    with pytest.raises(ValueError, match="weights"):
        mixture_mode_metrics(np.zeros((2, 2)), np.zeros((2, 2)), 0.1, weights=[1, 1, 1])
    with pytest.raises(ValueError, match="features"):
        mixture_mode_metrics(np.zeros((2, 2)), np.zeros((1, 3)), 0.1)


# ------------------------------------------------------------------ precision / recall, MMD profile


def test_precision_recall_knn_brute_force_and_extremes(rng):
    R = rng.normal(size=(60, 2))
    G = rng.normal(loc=0.5, size=(50, 2))
    res = precision_recall_knn(G, R, k=3)

    def inside(points, support):
        d_support = np.linalg.norm(support[:, None] - support[None], axis=-1)
        radii = np.sort(d_support, axis=1)[:, 3]  # column 0 is the point itself
        d = np.linalg.norm(points[:, None] - support[None], axis=-1)
        return np.mean(np.any(d <= radii[None], axis=1))

    assert res.precision == pytest.approx(inside(G, R))
    assert res.recall == pytest.approx(inside(R, G))
    far = precision_recall_knn(G + 100.0, R)
    assert far.precision == 0.0 and far.recall == 0.0
    with pytest.raises(ValueError, match="more than k=3"):
        precision_recall_knn(G[:3], R)
    with pytest.raises(ValueError, match="k must be"):
        precision_recall_knn(G, R, k=0)


def test_mmd_profile_equals_single_bandwidth_calls(rng):
    X, Y = rng.normal(size=(40, 2)), rng.normal(size=(30, 2))
    profile = mmd_rbf_profile(X, Y, (0.1, 1.0))
    assert list(profile) == [0.1, 1.0]
    assert profile[0.1] == pytest.approx(mmd_rbf(X, Y, bandwidth=0.1))
    with pytest.raises(ValueError, match="bandwidth"):
        mmd_rbf_profile(X, Y, (0.1, -1.0))


def _degenerate_generators(n: int, seed: int) -> dict:
    """The ring's data and three classic failures of a generator (issue 17)."""
    from selfdistill.diffusion.data import ring_means, sample_gaussian_mixture

    centers = ring_means(8, 2.0)
    data, _ = sample_gaussian_mixture(centers, 0.1, n, random_state=seed)
    seven, _ = sample_gaussian_mixture(centers[1:], 0.1, n, random_state=seed + 1)
    rs = np.random.RandomState(seed + 2)
    return {
        "fresh data": data,
        "centres only": centers[rs.randint(0, 8, n)],
        "one mode dropped": seven,
        # the moment-matched single Gaussian: mean ~0, covariance 2 I
        "single Gaussian": rs.multivariate_normal(data.mean(0), np.cov(data, rowvar=False), n),
    }


def test_degenerate_generators_are_ranked_correctly():
    """Each failure is caught by the metric meant for it, and fresh data beat all three."""
    from selfdistill.diffusion.data import ring_means, sample_gaussian_mixture

    centers = ring_means(8, 2.0)
    reference, _ = sample_gaussian_mixture(centers, 0.1, 1000, random_state=99)
    scores = {}
    for name, X in _degenerate_generators(1000, 0).items():
        modes = mixture_mode_metrics(X, centers, 0.1)
        pr = precision_recall_knn(X, reference)
        mmd = mmd_rbf_profile(X, reference, (0.05, 0.2, 1.0))
        scores[name] = dict(
            on_mode=modes.on_mode_fraction, tv=modes.weight_tv, precision=pr.precision,
            recall=pr.recall, ed=energy_distance(X, reference), **{f"mmd{h}": v for h, v in mmd.items()},
        )
    data = scores["fresh data"]
    assert data["on_mode"] > 0.97 and data["tv"] < 0.05
    assert data["precision"] > 0.9 and data["recall"] > 0.9
    # every degenerate generator is worse than fresh data by energy distance and by the MMD at
    # some bandwidth of the profile (no single bandwidth separates all three well: h = 1 misses
    # the centres-only generator, h = 0.05 barely sees the dropped mode)
    for name in ("centres only", "one mode dropped", "single Gaussian"):
        s = scores[name]
        assert s["ed"] > 1.5 * data["ed"], name
        assert max(s[k] / data[k] for k in ("mmd0.05", "mmd0.2", "mmd1.0")) > 3, name
    # the failure each metric is meant for
    centres, dropped, gaussian = (scores[k] for k in ("centres only", "one mode dropped",
                                                      "single Gaussian"))
    assert centres["on_mode"] == 1.0 and centres["recall"] < 0.05  # perfect "coverage", no spread
    assert centres["mmd0.05"] > 10 * data["mmd0.05"]
    assert dropped["tv"] == pytest.approx(0.125, abs=0.03)  # 1/8 of the mass is missing
    assert dropped["recall"] < data["recall"] - 0.08
    assert gaussian["on_mode"] < 0.3 and gaussian["precision"] < 0.5
    assert gaussian["mmd1.0"] > 5 * data["mmd1.0"]
    # measured (n = 1000): ED data 0.013, centres 0.021, dropped 0.038, Gaussian 0.099 -- the
    # energy distance barely sees the centres-only failure; MMD at h = 0.05 and recall do.


# ------------------------------------------------------------------ Frechet distance


def test_frechet_distance_1d_closed_form():
    # W2^2 between N(m1, s1^2) and N(m2, s2^2) is (m1 - m2)^2 + (s1 - s2)^2.
    assert frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4.0 + 1.0)


def test_frechet_distance_matches_sqrtm_formula(rng):
    A, B = rng.normal(size=(5, 5)), rng.normal(size=(5, 5))
    S1, S2 = A @ A.T + 0.1 * np.eye(5), B @ B.T + 0.1 * np.eye(5)
    m1, m2 = rng.normal(size=5), rng.normal(size=5)
    covmean = linalg.sqrtm(S1 @ S2).real
    expected = np.sum((m1 - m2) ** 2) + np.trace(S1 + S2 - 2 * covmean)
    assert frechet_distance(m1, S1, m2, S2) == pytest.approx(expected, rel=1e-8)
    assert frechet_distance(m1, S1, m1, S1) == pytest.approx(0.0, abs=1e-9)


def test_frechet_distance_shape_errors():
    with pytest.raises(ValueError, match="shape"):
        frechet_distance([0.0, 0.0], np.eye(2), [0.0], np.eye(1))
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance([np.nan], [[1.0]], [0.0], [[1.0]])


# ------------------------------------------------------------------ FID on digits


def test_digits_classifier_is_accurate_and_deterministic():
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = digits_unit_scale(digits.data)
    assert digits_classifier() is digits_classifier()  # cached
    assert digits_class_accuracy(X, digits.target) > 0.98
    F = digits_features(X[:10])
    assert F.shape == (10, 128) and np.all(F >= 0)


def test_fid_digits_orders_real_and_corrupted_images():
    from sklearn.datasets import load_digits

    X = digits_unit_scale(load_digits().data)
    rng = np.random.default_rng(0)
    idx = rng.permutation(X.shape[0])
    A, B = X[idx[:900]], X[idx[900:]]
    assert fid_digits(A, A) == pytest.approx(0.0, abs=1e-8)
    floor = fid_digits(A, B)
    noisy = fid_digits(np.clip(A + 0.5 * rng.normal(size=A.shape), -1, 1), B)
    blurry = fid_digits(
        np.repeat(A.mean(0, keepdims=True), 900, 0) + 0.01 * rng.normal(size=A.shape), B
    )
    assert floor < 2.0  # calibrated: 0.83 with scikit-learn 1.9.1
    assert noisy > 5 * floor and blurry > 5 * floor


def test_digits_inputs_are_checked():
    with pytest.raises(ValueError, match="64 columns"):
        digits_features(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="labels"):
        digits_class_accuracy(np.zeros((2, 64)), [1])
    with pytest.raises(ValueError, match="at least 2"):
        fid_digits(np.zeros((1, 64)), np.zeros((5, 64)))


@pytest.mark.slow
def test_metrics_do_not_import_torch():
    code = (
        "import sys\n"
        "import numpy as np\n"
        "from selfdistill.diffusion import energy_distance, fid_digits\n"
        "assert 'torch' not in sys.modules, 'the diffusion metrics imported torch'\n"
        "print(energy_distance(np.zeros((2, 2)), np.ones((2, 2))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout) == pytest.approx(2 * np.sqrt(2))



@pytest.mark.parametrize("name", sorted(metrics.__all__))
def test_public_docstrings_are_numpydoc(name, numpydoc_errors):
    errors = numpydoc_errors(f"selfdistill.diffusion.metrics.{name}")
    assert not errors, errors
