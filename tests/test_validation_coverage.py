"""Every public estimator and function is validated by the one declarative mechanism (issue 16).

Estimators inherit ``ValidatedParamsMixin`` with a constraint table naming exactly their
``get_params()``; public functions carry a ``@validate_params`` table (``__parameter_constraints__``).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pytest
from sklearn.base import BaseEstimator

import selfdistill
from selfdistill._validation import ValidatedParamsMixin

# the reproduction layer is a command-line harness, not library API
_LIBRARY_MODULES = ["selfdistill"] + [
    info.name
    for info in pkgutil.iter_modules(selfdistill.__path__, "selfdistill.")
    if not info.name.rsplit(".", 1)[-1].startswith("_") and info.name not in ("selfdistill.cli", "selfdistill.reproduce")
]


def _public(kind):
    found = {}
    for name in _LIBRARY_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:  # an optional extra (torch) is missing
            pytest.skip(f"{name} needs an optional dependency: {exc}")
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if kind == "estimator" and inspect.isclass(obj) and issubclass(obj, BaseEstimator):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
            if kind == "function" and inspect.isfunction(obj):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return sorted(found.items())


def test_every_public_estimator_declares_one_constraint_table():
    missing = []
    for name, cls in _public("estimator"):
        if not issubclass(cls, ValidatedParamsMixin):
            missing.append(f"{name}: not a ValidatedParamsMixin")
            continue
        params = set(inspect.signature(cls.__init__).parameters) - {"self"}
        if set(cls._parameter_constraints) != params:
            missing.append(f"{name}: table {sorted(cls._parameter_constraints)} vs params {sorted(params)}")
    assert not missing, "\n".join(missing)


def _has_hyper_parameters(func) -> bool:
    """A parameter with a default or a keyword-only one is a setting; the rest are the data."""
    return any(
        p.default is not inspect.Parameter.empty or p.kind is inspect.Parameter.KEYWORD_ONLY
        for p in inspect.signature(func).parameters.values()
    )


def test_every_public_function_with_settings_declares_its_constraints():
    # functions of data arrays only (energy_distance(X, Y), approx_sign(u), ...) check their
    # arrays in the body, with sklearn's check_array where they are numpy arrays
    missing = [
        name
        for name, func in _public("function")
        if _has_hyper_parameters(func) and not hasattr(func, "__parameter_constraints__")
    ]
    assert not missing, missing


def test_tables_added_for_the_last_unchecked_functions_refuse_bad_input():
    from selfdistill.kd import cwtm_weights
    from selfdistill.quantile import check_loss

    with pytest.raises(ValueError, match="check_loss: tau must be quantile levels strictly between 0 and 1"):
        check_loss([1.0, -1.0], 1.5)
    with pytest.raises(ValueError, match="cwtm_weights: proba contains NaN"):
        cwtm_weights([[0.2, float("nan")]])
    with pytest.raises(ValueError, match="sample_weight has negative entries"):
        cwtm_weights([[0.2, 0.8], [0.5, 0.5]], [1.0, -1.0])
    np.testing.assert_allclose(cwtm_weights([[0.2, 0.8], [0.5, 0.5]], [1, 2]), [0.8 / 1.8, 1.0 / 1.8])


def test_torch_distillation_loss_checks_its_weights():
    torch = pytest.importorskip("torch")
    from selfdistill.nn import distillation_loss

    logits = torch.zeros(2, 3)
    with pytest.raises(ValueError, match=r"distillation_loss: xi must be a finite number in \[0, 1\]"):
        distillation_loss(logits, logits, torch.zeros(2, dtype=torch.long), 1.5, 2.0)
