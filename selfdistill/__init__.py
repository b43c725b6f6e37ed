"""selfdistill: exact self-distillation for ridge and kernel ridge regression, and beyond.

Linear / kernel-ridge self-distillation (Pareek, Du & Oh, NeurIPS 2024; Borup & Andersen 2021;
Mobahi et al. 2020; Dang, Patil & Rinaldo 2026), computed in closed form from one decomposition.

Conventions used everywhere: X is n_samples x n_features (the paper's design is its transpose);
``alpha`` is the paper's lambda on the *sum* of squares (sklearn's ``Ridge(alpha)``); ``xi``
weights the teacher (step i fits ``xi_i * teacher predictions + (1 - xi_i) * y``) and may take any
real value; ``noise_var`` is the noise variance gamma^2.

Module overview (one line per module, by layer, in the documentation's "Module map" page,
``docs/module_map.rst``). A call runs down these layers and never re-enters one it has left:

* core numerics -- ``_spectral`` (decompose once), ``_filters`` (the k-step filter), ``_risk``
  (exact risks and optimal filters), ``_fixed_design`` / ``theory`` (the fixed-design engine and
  its functional API), ``asymptotics`` (random design), ``_validation`` (parameter tables);
* tuning pipeline -- ``_cv_pipeline`` running stages 0-5: ``_cv_params``, ``_problems``,
  ``_tuning`` / ``_crossfit``, ``_selection``, ``_realise`` / ``_results``; ``report``;
* estimators -- ``linear_model``, ``kernel_ridge``, ``wrapper``;
* extensions -- ``kd``, ``nn``, ``diffusion``, ``quantile``, ``sdrn``;
* datasets -- ``datasets``;
* reproduction layer -- ``cli`` and the experiments behind ``selfdistill reproduce``.
"""

from ._filters import (
    ridge_path_to_xibar,
    xi_to_polynomial,
    xi_to_xibar,
    xibar_to_ridge_path,
    xibar_to_xi,
)
from ._reference import sd_coef_reference
from ._spectral import SpectralDesign, SufficientStatistics
from ._theory_results import QuadraticForm
from ._version import __version__
from .asymptotics import (
    DesignSimulation,
    RandomDesignSD,
    RidgeEquivalent,
    SelfDistillationEquivalent,
    ar1_eigenvalues,
)
from .kernel_ridge import SelfDistilledKernelRidge, SelfDistilledKernelRidgeCV
from .linear_model import SelfDistilledRidge, SelfDistilledRidgeCV
from .refit_regressor import SelfDistillationRegressor
from .report import TuningReport
from .theory import (
    AssumptionReport,
    FixedDesignProblem,
    MonteCarloRisk,
    OneStepOptimum,
    OptimalSD,
    RiskDecomposition,
    SeparationReport,
    assumption_report,
    excess_risk,
    grouped_oracle_risk,
    one_step_optimal_xi,
    optimal_alpha,
    optimal_xi,
    oracle_risk,
    risk_decomposition,
    sd_coef,
    separation_ratio,
    simulate_risk,
)

__all__ = [
    "AssumptionReport",
    "DesignSimulation",
    "FixedDesignProblem",
    "MonteCarloRisk",
    "OneStepOptimum",
    "OptimalSD",
    "QuadraticForm",
    "RandomDesignSD",
    "RidgeEquivalent",
    "RiskDecomposition",
    "SelfDistillationEquivalent",
    "SelfDistillationRegressor",
    "SelfDistilledKernelRidge",
    "SelfDistilledKernelRidgeCV",
    "SelfDistilledRidge",
    "SelfDistilledRidgeCV",
    "SeparationReport",
    "SpectralDesign",
    "SufficientStatistics",
    "TuningReport",
    "__version__",
    "ar1_eigenvalues",
    "assumption_report",
    "excess_risk",
    "grouped_oracle_risk",
    "one_step_optimal_xi",
    "optimal_alpha",
    "optimal_xi",
    "oracle_risk",
    "ridge_path_to_xibar",
    "risk_decomposition",
    "sd_coef",
    "sd_coef_reference",
    "separation_ratio",
    "simulate_risk",
    "xi_to_polynomial",
    "xi_to_xibar",
    "xibar_to_ridge_path",
    "xibar_to_xi",
]
