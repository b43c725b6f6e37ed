"""SDRN torch export (forward equals numpy) and the trainable mode (masks fixed)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from selfdistill.sdrn import (
    SelfDistilledSparseDeepReLU,
    SparseDeepReLUClassifier,
    SparseDeepReLURegressor,
)


def test_sdrn_import_does_not_load_torch():
    code = ("import sys, numpy as np; from selfdistill.sdrn import SparseDeepReLURegressor as R; "
            "X = np.random.rand(50, 2); R(loss='absolute').fit(X, X[:, 0]).predict(X); "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("loss", ["squared", "quantile", "huber"])
def test_exported_module_equals_the_numpy_network(rng, loss):
    X = rng.uniform(-2, 3, size=(400, 3))
    y = np.sin(X[:, 0]) * X[:, 1] + 0.1 * rng.standard_normal(400)
    model = SparseDeepReLURegressor(loss=loss, tau=0.3).fit(X, y)
    module = model.to_torch()
    X_new = rng.uniform(-4, 5, size=(300, 3))  # including points outside the training range
    out = module(torch.as_tensor(X_new)).detach().numpy()
    np.testing.assert_allclose(out, model.predict(X_new), rtol=0, atol=1e-10)
    assert sum(p.numel() for p in module.parameters() if p.requires_grad) == model.n_params_
    assert len(module.layers) == model.depth_ - 1


def test_exported_masks_are_the_construction_sparsity(rng):
    X = rng.uniform(size=(200, 2))
    model = SparseDeepReLURegressor(level=4).fit(X, X.prod(axis=1))
    module = model.to_torch()
    for layer, W in zip(module.layers, model.network_.weights, strict=True):
        mask = layer.mask().numpy()
        assert np.array_equal(mask, W.toarray() != 0)


def test_multiclass_classifier_export(rng):
    X = rng.uniform(size=(300, 2))
    y = np.digitize(X[:, 0], [0.3, 0.7])
    clf = SparseDeepReLUClassifier().fit(X, y)
    out = clf.to_torch()(torch.as_tensor(X)).detach().numpy()
    np.testing.assert_allclose(out, clf.decision_function(X), rtol=0, atol=1e-10)


def test_trainable_mode_keeps_masks_and_lowers_the_objective(rng):
    X = rng.uniform(size=(300, 2))
    y = X[:, 0] * X[:, 1] + 0.05 * rng.standard_normal(300)
    base = SparseDeepReLURegressor(loss="huber", huber_delta=0.1, level=3, mult_depth=2).fit(X, y)
    tuned = SparseDeepReLURegressor(loss="huber", huber_delta=0.1, level=3, mult_depth=2, mode="trainable",
                                    n_epochs=8, learning_rate=3e-3, batch_size=64, random_state=0).fit(X, y)
    for W0, W1 in zip(base.network_.weights, tuned.network_.weights, strict=True):
        assert np.array_equal(W0.indices, W1.indices) and np.array_equal(W0.indptr, W1.indptr)
    changed = sum(np.abs(W0.data - W1.data).max() > 1e-6
                  for W0, W1 in zip(base.network_.weights, tuned.network_.weights, strict=True))
    assert changed > len(base.network_.weights) // 2  # hidden weights were trained
    h = tuned.train_loss_history_
    assert np.all(np.isfinite(h)) and h[-1] < h[0]
    # the numpy and torch forwards still agree after training
    out = tuned.to_torch()(torch.as_tensor(X)).detach().numpy()
    np.testing.assert_allclose(out, tuned.predict(X), rtol=0, atol=1e-10)
    # the same seed gives the same network
    again = SparseDeepReLURegressor(**tuned.get_params()).fit(X, y)
    np.testing.assert_array_equal(again.predict(X), tuned.predict(X))


def test_trainable_self_distillation_and_classifier(rng):
    X = rng.uniform(size=(200, 2))
    y = (X[:, 0] > X[:, 1]).astype(int)
    clf = SparseDeepReLUClassifier(loss="hinge", level=3, mult_depth=2, mode="trainable", n_epochs=3,
                                   random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.9
    student = SparseDeepReLURegressor(loss="absolute", level=3, mult_depth=2, mode="trainable",
                                      n_epochs=2, random_state=0)
    sd = SelfDistilledSparseDeepReLU(student, xi=[0.5]).fit(X, X[:, 0] + 0.1 * rng.standard_cauchy(200))
    assert len(sd.estimators_) == 2
    with pytest.raises(ValueError, match="sparse_grid"):
        SelfDistilledSparseDeepReLU(student, xi="cv").fit(X, X[:, 0])
