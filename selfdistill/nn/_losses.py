"""Hinton's distillation loss in torch (the teacher weight is the project's ``xi``)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .._validation import FRACTION, POSITIVE, validate_params


@validate_params({
    "xi": [FRACTION],
    "temperature": [POSITIVE],
})
def distillation_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor,
                      targets: torch.Tensor, xi: float, temperature: float) -> torch.Tensor:
    r"""Batch mean of ``xi T^2 KL(q(v;T) || q(z;T)) + (1 - xi) CE(y, q(z;1))``.

    Hinton, Vinyals & Dean (2015), with ``q_k(z; T) = softmax(z / T)_k``, student logits ``z``,
    teacher logits ``v`` and labels ``y``:

    .. math::

        L = \frac{1}{n}\sum_{i=1}^n \Big[\xi\, T^2 \sum_k q_k(v_i;T)
            \log\frac{q_k(v_i;T)}{q_k(z_i;T)} - (1-\xi) \log q_{y_i}(z_i;1)\Big].

    ``xi`` weights the TEACHER term (project convention). The KL divergence differs from the
    soft cross-entropy ``-sum_k q_k(v;T) log q_k(z;T)`` by the teacher entropy, a constant: the
    gradients are the same, and ``L = 0`` for the soft term when the student matches the teacher.

    Parameters
    ----------
    student_logits, teacher_logits : Tensor of shape (n, K)
        Teacher logits may be log-probabilities (softmax is shift invariant).
    targets : LongTensor of shape (n,)
        Class indices.
    xi : float in [0, 1]
        Teacher weight.
    temperature : float
        ``T > 0``.

    Returns
    -------
    Tensor
        The scalar loss.
    """
    log_q_student = F.log_softmax(student_logits / temperature, dim=1)
    log_q_teacher = F.log_softmax(teacher_logits / temperature, dim=1)
    soft = (log_q_teacher.exp() * (log_q_teacher - log_q_student)).sum(dim=1).mean()
    hard = F.cross_entropy(student_logits, targets)
    return xi * temperature**2 * soft + (1.0 - xi) * hard
