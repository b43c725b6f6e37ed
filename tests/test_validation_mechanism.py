"""The declarative parameter-validation mechanism (issue 16): one table per estimator/function."""

from __future__ import annotations

import numbers

import numpy as np
import pytest
from sklearn.base import BaseEstimator

from selfdistill._validation import (
    Boolean,
    Converter,
    HasMethods,
    Interval,
    Options,
    RandomState,
    ValidatedParamsMixin,
    check_alpha_grid,
    check_params,
    validate_params,
)


class _Toy(ValidatedParamsMixin, BaseEstimator):
    _parameter_constraints = {
        "alpha": [Interval(numbers.Real, 0, None, closed="neither")],
        "alphas": [Converter(check_alpha_grid, "a 1-D grid of positive numbers")],
        "max_iter": [None, Interval(numbers.Integral, 1)],
        "solver": [Options("lbfgs", "newton")],
        "warm_start": [Boolean()],
        "estimator": [None, HasMethods("fit", "predict")],
        "random_state": [RandomState()],
    }

    def __init__(self, alpha=1, alphas=(1, 10), max_iter=None, solver="lbfgs", warm_start=False,
                 estimator=None, random_state=None):
        self.alpha = alpha
        self.alphas = alphas
        self.max_iter = max_iter
        self.solver = solver
        self.warm_start = warm_start
        self.estimator = estimator
        self.random_state = random_state


def test_valid_parameters_are_converted():
    params = _Toy(alpha=2, max_iter=3.0, warm_start=np.bool_(True), random_state=np.int64(4))._validate_params()
    assert params.alpha == 2.0 and isinstance(params.alpha, float)
    assert params.max_iter == 3 and isinstance(params.max_iter, int)
    assert params.warm_start is True and params.random_state == 4
    np.testing.assert_array_equal(params.alphas, [1.0, 10.0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alpha": 0}, "_Toy: alpha must be a finite number > 0, got 0."),
        ({"alpha": np.nan}, "alpha must be a finite number > 0"),
        ({"alpha": True}, "alpha must be a finite number > 0, got True."),
        ({"alphas": []}, "_Toy: alphas is empty; give at least one positive penalty"),
        ({"max_iter": 0}, "max_iter must be None or an integer >= 1, got 0."),
        ({"max_iter": 2.5}, "max_iter must be None or an integer >= 1, got 2.5."),
        ({"solver": "sgd"}, "solver must be one of 'lbfgs', 'newton', got 'sgd'."),
        ({"solver": ["lbfgs"]}, "solver must be one of"),
        ({"warm_start": 1}, "warm_start must be True or False, got 1."),
        ({"estimator": object()}, "estimator must be None or an object with method(s) fit(), predict()"),
        ({"random_state": "seed"}, "random_state must be None, an int seed"),
    ],
)
def test_invalid_parameters_name_the_owner_the_parameter_and_the_fix(kwargs, message):
    with pytest.raises(ValueError) as info:
        _Toy(**kwargs)._validate_params()
    assert message in str(info.value)


def test_a_table_that_misses_a_parameter_is_a_bug_of_the_owner():
    with pytest.raises(RuntimeError, match="differ in"):
        check_params({"a": 1, "b": 2}, {"a": [Boolean()]}, "owner")


def test_function_decorator_checks_and_converts_named_arguments_only():
    @validate_params({"alpha": [Interval(numbers.Real, 0, None, closed="neither")]})
    def scaled(X, alpha=1.0):
        return X * alpha

    assert scaled(2, alpha=3) == 6.0
    assert scaled.__parameter_constraints__["alpha"][0].low == 0
    with pytest.raises(ValueError, match="scaled: alpha must be a finite number > 0, got -1"):
        scaled(2, -1)
    with pytest.raises(TypeError, match="no parameter"):
        validate_params({"beta": [Boolean()]})(scaled.__wrapped__)


def test_interval_bounds_are_inclusive_or_exclusive_as_declared():
    assert Interval(numbers.Real, 0, 1)(1, "p") == 1.0
    assert Interval(numbers.Real, 0, 1, closed="left")(0, "p") == 0.0
    for closed, value in (("left", 1), ("right", 0), ("neither", 0), ("neither", 1)):
        with pytest.raises(ValueError, match=r"p must be a finite number in"):
            check_params({"p": value}, {"p": [Interval(numbers.Real, 0, 1, closed=closed)]}, "o")
