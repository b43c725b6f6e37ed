"""sklearn's estimator checks on the quantile estimators (small settings keep them fast)."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from selfdistill.quantile import (
    JointQuantileRegressor,
    NonCrossingQuantileRegressor,
    QuantileSelfDistillation,
    RearrangedQuantileRegressor,
    SelfDistilledKernelQuantileRegressor,
)

GRID = (0.25, 0.5, 0.75)
ESTIMATORS = [
    JointQuantileRegressor(method="map", max_iter=15, tau_step=0.05, n_knots=3),
    JointQuantileRegressor(method="mcmc", n_samples=4, thin=2, max_iter=15, tau_step=0.05, n_knots=3, random_state=0),
    NonCrossingQuantileRegressor(quantiles=GRID),
    RearrangedQuantileRegressor(quantiles=GRID),
    QuantileSelfDistillation(teacher=RearrangedQuantileRegressor(quantiles=GRID)),
    SelfDistilledKernelQuantileRegressor(xi=(0.5,), student_alpha=2.0),
]

# The check fits 30 features on the rows left after dropping zero weights (fewer than 31): linear
# quantile planes are then not identified (a whole face of LP solutions), and the estimators refuse
# such data with a ValueError as the issue asks ("fewer rows than parameters").
UNDERDETERMINED = {
    "check_sample_weight_equivalence_on_dense_data": "more coefficients than rows left in the check's data",
}
# For tier A, in addition, rows of weight 0 still span the hull on which non-crossing is guaranteed
# (the specification's zero-weight pseudo-points), so dropping them changes the model by design.
JOINT = {
    "check_sample_weight_equivalence_on_dense_data": "fewer rows than parameters; zero-weight rows shape the hull",
}


def _expected_failures(estimator):
    if isinstance(estimator, JointQuantileRegressor):
        return JOINT
    if isinstance(estimator, SelfDistilledKernelQuantileRegressor):
        return {}
    return UNDERDETERMINED


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)
