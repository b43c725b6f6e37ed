"""Classic knowledge distillation with sklearn estimators (numpy/scipy only, no torch).

- :class:`SoftTargetLogisticRegression` -- multinomial logistic regression on hard labels or a
  probability matrix; its ``fit_kd`` fits Hinton's temperature-T loss exactly.
- :class:`KnowledgeDistillationClassifier`, :class:`KnowledgeDistillationRegressor` -- Hinton,
  Vinyals & Dean (2015): ``xi * T^2 CE(q(v;T), q(z;T)) + (1 - xi) CE(y, q(z;1))``, and the squared
  loss ``xi (f - t)^2 + (1 - xi)(f - y)^2`` (``xi`` weights the TEACHER term).
- :class:`BornAgainClassifier`, :class:`BornAgainRegressor` -- Furlanello et al. (2018):
  generations of fresh models, each taught by the previous one; BANE averaging; the CWTM and
  DKPP controls.
- :func:`soften`, :func:`distillation_loss`, :func:`dkpp_permute`, :func:`cwtm_weights` -- the
  underlying maps, for analysis.
"""

from ._born_again import BornAgainClassifier, BornAgainRegressor
from ._distill import KnowledgeDistillationClassifier, KnowledgeDistillationRegressor
from ._logistic import SoftTargetLogisticRegression
from ._objective import distillation_loss
from ._targets import cwtm_weights, dkpp_permute, soften

__all__ = [
    "BornAgainClassifier",
    "BornAgainRegressor",
    "KnowledgeDistillationClassifier",
    "KnowledgeDistillationRegressor",
    "SoftTargetLogisticRegression",
    "cwtm_weights",
    "distillation_loss",
    "dkpp_permute",
    "soften",
]
