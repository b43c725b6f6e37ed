"""EDM machinery and the two diffusion teachers (exact Gaussian-mixture denoiser, learned MLP)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn.base import clone  # noqa: E402

from selfdistill.diffusion import (  # noqa: E402
    DiffusionTeacher,
    GaussianMixtureTeacher,
    energy_distance,
    mixture_mode_metrics,
)
from selfdistill.diffusion._edm import (  # noqa: E402
    karras_grid,
    n_function_evaluations,
    sampler_sigmas,
    student_grid_indices,
)
from selfdistill.diffusion._networks import EDMDenoiserMLP, GaussianMixtureDenoiser  # noqa: E402
from selfdistill.diffusion._samplers import ode_sample  # noqa: E402
from selfdistill.diffusion.data import ring_means, sample_gaussian_mixture  # noqa: E402

# ------------------------------------------------------------------ noise grid and samplers


def test_karras_grid_endpoints_order_and_formula():
    grid = karras_grid(1000, 0.002, 80.0, 7.0)
    assert grid.shape == (1000,)
    assert grid[0] == pytest.approx(0.002) and grid[-1] == pytest.approx(80.0)
    assert np.all(np.diff(grid) > 0)
    # Index i counted from the top: sigma = (smax^(1/7) + r (smin^(1/7) - smax^(1/7)))^7.
    r = 250 / 999
    expected = (80 ** (1 / 7) + r * (0.002 ** (1 / 7) - 80 ** (1 / 7))) ** 7
    assert grid[999 - 250] == pytest.approx(expected, rel=1e-12)


def test_sampler_levels_and_student_timesteps():
    levels = sampler_sigmas(4, 0.002, 10.0, 7.0)
    assert levels[0] == pytest.approx(10.0) and levels[-2] == pytest.approx(0.002)
    assert levels[-1] == 0.0 and np.all(np.diff(levels) < 0)
    np.testing.assert_array_equal(sampler_sigmas(1, 0.002, 10.0, 7.0), [10.0, 0.0])
    np.testing.assert_array_equal(student_grid_indices(4, 1000), [999, 749, 499, 249])
    np.testing.assert_array_equal(student_grid_indices(1, 1000), [999])
    assert n_function_evaluations(40, "heun") == 79 and n_function_evaluations(40, "euler") == 40


class _Counting(torch.nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner, self.calls = inner, 0

    def forward(self, x, sigma, labels=None):
        self.calls += 1
        return self.inner(x, sigma, labels)


def test_heun_is_second_order_on_the_gaussian_probability_flow_ode():
    # x0 ~ N(0, s^2 I): D(x; sigma) = s^2/(s^2+sigma^2) x, and the ODE maps sigma_max z to
    # z * s * sigma_max / sqrt(s^2 + sigma_max^2) exactly. Doubling N divides Heun's error by
    # ~4 and Euler's by ~2 (measured 0.0271 -> 0.0062 -> 0.0015 and 0.145 -> 0.072 -> 0.036).
    s, smax = 0.7, 10.0
    den = _Counting(
        GaussianMixtureDenoiser(np.zeros((1, 3)), np.array([s**2]), np.zeros(1), False).double()
    )
    z = torch.randn(50, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    exact = z * s * smax / np.sqrt(s**2 + smax**2)
    errors = {"heun": [], "euler": []}
    for sampler in errors:
        for n_steps in (20, 40, 80):
            den.calls = 0
            out = ode_sample(den, z, None, sampler_sigmas(n_steps, 0.002, smax, 7.0), sampler)
            assert den.calls == n_function_evaluations(n_steps, sampler)
            errors[sampler].append(float((out - exact).abs().max()))
    heun, euler = np.array(errors["heun"]), np.array(errors["euler"])
    assert np.all((heun[:-1] / heun[1:] > 3.5) & (heun[:-1] / heun[1:] < 5))
    assert np.all((euler[:-1] / euler[1:] > 1.8) & (euler[:-1] / euler[1:] < 2.2))
    assert heun[1] < 0.01


# ------------------------------------------------------------------ networks


def test_edm_preconditioning_with_zero_output_layer_is_the_skip_connection():
    net = EDMDenoiserMLP(2, (8, 8), sigma_data=1.3).double()
    torch.nn.init.zeros_(net.output_layer.weight)
    torch.nn.init.zeros_(net.output_layer.bias)
    x = torch.randn(5, 2, dtype=torch.float64)
    sigma = torch.tensor([0.01, 0.5, 1.0, 3.0, 80.0], dtype=torch.float64)
    c_skip = 1.3**2 / (sigma**2 + 1.3**2)
    torch.testing.assert_close(net(x, sigma), c_skip[:, None] * x)
    out, features = net(x, sigma, return_features=True)
    assert features.shape == (5, 8) and net.feature_dim == 8


def test_gaussian_mixture_denoiser_equals_tweedie():
    # E[x0 | x_t] = x_t + sigma^2 grad log p_sigma(x_t) (Tweedie), with p_sigma the noised mixture.
    means = np.array([[0.0, 0.0], [2.0, 1.0], [-1.0, 3.0]])
    variances = np.array([0.04, 0.25, 0.09])
    log_w = np.log(np.array([0.2, 0.5, 0.3]))
    den = GaussianMixtureDenoiser(means, variances, log_w, conditional=False).double()
    x = torch.randn(20, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 2
    sigma = torch.linspace(0.05, 3.0, 20, dtype=torch.float64)
    x.requires_grad_(True)
    total = torch.as_tensor(variances)[None] + sigma[:, None] ** 2
    diff = x[:, None, :] - torch.as_tensor(means)[None]
    log_p = torch.logsumexp(
        torch.as_tensor(log_w)[None]
        - torch.log(2 * np.pi * total)
        - 0.5 * (diff**2).sum(-1) / total,
        dim=1,
    )
    (score,) = torch.autograd.grad(log_p.sum(), x)
    tweedie = x + sigma[:, None] ** 2 * score
    torch.testing.assert_close(den(x.detach(), sigma), tweedie.detach(), rtol=1e-10, atol=1e-10)


def test_conditional_mixture_denoiser_is_the_component_posterior():
    means = np.array([[0.0, 0.0], [2.0, 1.0]])
    den = GaussianMixtureDenoiser(means, np.array([0.04, 0.25]), np.log([0.5, 0.5]), True).double()
    x = torch.randn(6, 2, dtype=torch.float64)
    sigma = torch.full((6,), 0.5, dtype=torch.float64)
    labels = torch.tensor([0, 1, 1, 0, 1, 0])
    m = torch.as_tensor(means)[labels]
    v = torch.tensor([0.04, 0.25], dtype=torch.float64)[labels][:, None]
    torch.testing.assert_close(den(x, sigma, labels), m + v / (v + 0.25) * (x - m))


# ------------------------------------------------------------------ GaussianMixtureTeacher


@pytest.fixture(scope="module")
def ring_teacher():
    # A few init-network steps: sampling and denoising use the exact formula, not network_.
    return GaussianMixtureTeacher(ring_means(), 0.1, n_iter=5, hidden=(16,), random_state=0).fit()


def test_gmm_teacher_heun_sample_matches_the_mixture_and_one_step_collapses(ring_teacher):
    data, _ = ring_teacher.sample_data(2000, random_state=1)
    heun = ring_teacher.sample(2000, n_steps=40, random_state=2)
    one = ring_teacher.sample(2000, n_steps=1, sampler="euler", random_state=2)
    assert energy_distance(heun, data) < 0.02  # measured 0.003 (noise floor ~0.003)
    heun_modes = mixture_mode_metrics(heun, ring_means(), 0.1)
    assert heun_modes.on_mode_fraction > 0.97 and heun_modes.weight_tv < 0.05
    assert energy_distance(one, data) > 1.0  # measured 1.23: the posterior mean at sigma_max
    assert mixture_mode_metrics(one, ring_means(), 0.1).on_mode_fraction == 0.0
    np.testing.assert_allclose(
        one,
        ring_teacher.denoise(ring_teacher.sigma_max_ * _noise(2000, 2, 2), ring_teacher.sigma_max_),
    )


def _noise(n, d, seed):
    return np.random.RandomState(seed).standard_normal((n, d))


def test_gmm_teacher_attributes(ring_teacher):
    assert ring_teacher.sigma_data_ == pytest.approx(np.sqrt(4.0 / 2 + 0.01))
    assert ring_teacher.sigma_max_ == pytest.approx(10 * ring_teacher.sigma_data_)
    assert ring_teacher.training_sigmas_.shape == (1000,)
    assert ring_teacher.n_classes_ is None and ring_teacher.n_features_in_ == 2
    assert isinstance(ring_teacher.network_, EDMDenoiserMLP)


@pytest.mark.slow
def test_gmm_teacher_init_network_learns_the_exact_denoiser():
    short = GaussianMixtureTeacher(ring_means(4), 0.3, n_iter=600, random_state=0).fit()
    # The EDM-weighted regression loss onto the exact denoiser halves (measured 0.120 -> 0.061).
    assert short.loss_curve_[-50:].mean() < 0.7 * short.loss_curve_[:20].mean()


def test_gmm_teacher_class_conditional():
    teacher = GaussianMixtureTeacher(
        ring_means(4), 0.1, class_conditional=True, n_iter=2, hidden=(8,), random_state=0
    ).fit()
    samples = teacher.sample(400, y=np.repeat(np.arange(4), 100), random_state=0)
    counts = mixture_mode_metrics(samples, ring_means(4), 0.1).counts
    assert np.all(counts >= 95)  # each class lands on its own mode
    with pytest.raises(ValueError, match="class-conditional"):
        teacher.sample(5)
    with pytest.raises(ValueError, match="not\\s+fitted on"):
        teacher.sample(2, y=[0, 7])


def test_gmm_teacher_validation():
    with pytest.raises(ValueError, match="stds"):
        GaussianMixtureTeacher(ring_means(), -1.0, n_iter=1).fit()
    with pytest.raises(ValueError, match="weights"):
        GaussianMixtureTeacher(ring_means(), 0.1, weights=[1, 2], n_iter=1).fit()
    with pytest.raises(ValueError, match="columns"):
        GaussianMixtureTeacher(ring_means(), 0.1, n_iter=1).fit(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="sigma_max"):
        GaussianMixtureTeacher(ring_means(), 0.1, sigma_max=0.001, n_iter=1).fit()
    with pytest.raises(ValueError, match="device"):
        GaussianMixtureTeacher(ring_means(), 0.1, device="tpu", n_iter=1).fit()


# ------------------------------------------------------------------ DiffusionTeacher


@pytest.fixture(scope="module")
def ring_data():
    X, labels = sample_gaussian_mixture(ring_means(), 0.1, 1000, random_state=0)
    return X, labels


def test_diffusion_teacher_learns_the_posterior_mean_and_is_reproducible():
    # Data N((1, -0.5), 0.3^2 I): the exact denoiser is known (one-component mixture).
    exact = GaussianMixtureTeacher([[1.0, -0.5]], 0.3, n_iter=1, random_state=0).fit()
    X, _ = exact.sample_data(1000, random_state=0)
    x0, _ = exact.sample_data(500, random_state=2)
    rs = np.random.RandomState(1)
    sigma = np.exp(rs.uniform(np.log(0.1), np.log(3.0), 500))
    x_t = x0 + sigma[:, None] * rs.standard_normal((500, 2))
    target = exact.denoise(x_t, sigma)
    kw = dict(hidden=(32, 32), n_iter=300, batch_size=128, random_state=3)
    a = DiffusionTeacher(**kw).fit(X)
    b = DiffusionTeacher(**kw).fit(X)
    c = DiffusionTeacher(**{**kw, "random_state": 4}).fit(X)
    untrained = DiffusionTeacher(**{**kw, "n_iter": 1}).fit(X)
    err = np.mean((a.denoise(x_t, sigma) - target) ** 2)
    err0 = np.mean((untrained.denoise(x_t, sigma) - target) ** 2)
    assert err < 0.1 * err0  # measured 0.008 vs 0.28
    np.testing.assert_array_equal(a.loss_curve_, b.loss_curve_)
    for pa, pb in zip(a.network_.parameters(), b.network_.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert not np.array_equal(a.loss_curve_, c.loss_curve_)
    assert a.sigma_data_ == pytest.approx(np.sqrt(np.mean(X**2)))
    S = a.sample(7, n_steps=3, random_state=0)
    assert S.shape == (7, 2) and np.all(np.isfinite(S))
    np.testing.assert_array_equal(S, a.sample(7, n_steps=3, random_state=0))
    assert DiffusionTeacher.n_function_evaluations(40, "heun") == 79


def test_diffusion_teacher_class_conditional_and_pandas(ring_data):
    pd = pytest.importorskip("pandas")
    X, labels = ring_data
    frame = pd.DataFrame(X, columns=["a", "b"])
    names = np.array(list("abcdefgh"))[labels]
    teacher = DiffusionTeacher(hidden=(16,), n_iter=5, random_state=0).fit(frame, names)
    assert list(teacher.feature_names_in_) == ["a", "b"]
    np.testing.assert_array_equal(teacher.classes_, list("abcdefgh"))
    assert teacher.sample(3, y="c", n_steps=2, random_state=0).shape == (3, 2)
    assert teacher.denoise(frame.iloc[:4], 0.5, y=names[:4]).shape == (4, 2)
    with pytest.raises(ValueError, match="class-conditional"):
        teacher.sample(3)
    unconditional = DiffusionTeacher(hidden=(16,), n_iter=2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="unconditional"):
        unconditional.sample(3, y=[0, 1, 2])


def test_diffusion_teacher_validation(ring_data):
    X, _ = ring_data
    bad = [
        ({"hidden": ()}, "hidden"),
        ({"lr": -1.0}, "lr"),
        ({"n_iter": 0}, "n_iter"),
        ({"dtype": "float16"}, "dtype"),
        ({"sigma_data": 0.0}, "sigma_data"),
    ]
    for params, match in bad:
        with pytest.raises(ValueError, match=match):
            DiffusionTeacher(**{"n_iter": 1, **params}).fit(X)
    fitted = DiffusionTeacher(hidden=(8,), n_iter=1).fit(X)
    with pytest.raises(ValueError, match="sampler"):
        fitted.sample(2, sampler="rk4")
    with pytest.raises(ValueError, match="sigma"):
        fitted.denoise(X[:2], 0.0)
    with pytest.raises(ValueError, match="columns"):
        fitted.sample_from_noise(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="identically zero"):
        DiffusionTeacher(n_iter=1).fit(np.zeros((5, 2)))
    assert clone(fitted).get_params()["hidden"] == (8,)


def test_importing_diffusion_without_torch_names_the_pinned_install():
    # The metrics need no torch; the estimators name the pinned install when it is missing.
    code = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torch' or name.startswith('torch.'):\n"
        "            raise ImportError('No module named torch')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from selfdistill.diffusion import energy_distance\n"
        "try:\n"
        "    from selfdistill.diffusion import DMD2Distiller\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install torch==2.13.0" in out.stdout
    import selfdistill  # noqa: F401  (the top-level package never needs torch)



def _diffusion_public_api():
    import selfdistill.diffusion as diffusion

    yield "selfdistill.diffusion.data.ring_means"
    yield "selfdistill.diffusion.data.sample_gaussian_mixture"
    for name in diffusion.__all__:
        yield f"selfdistill.diffusion.{name}"
        cls = getattr(diffusion, name)
        for method in (
            "fit",
            "sample",
            "transform",
            "score",
            "denoise",
            "sample_from_noise",
            "sample_data",
            "real_denoiser",
            "n_function_evaluations",
        ):
            if hasattr(cls, method):
                yield f"selfdistill.diffusion.{name}.{method}"


@pytest.mark.parametrize("target", list(_diffusion_public_api()))
def test_public_docstrings_are_numpydoc(target, numpydoc_errors):
    errors = numpydoc_errors(target)
    assert not errors, errors
