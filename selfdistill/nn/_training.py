"""The minibatch training loop shared by every torch estimator of :mod:`selfdistill.nn`.

MicroVSA's recipe: Adam, cosine annealing of the learning rate over the epochs (one scheduler
step per epoch), gradient-norm clipping, a fixed number of epochs. The batch order of each epoch
and the loss of each batch are supplied by the caller, which is what lets plain training,
constant-``xi`` distillation and scheduled curriculum distillation share one loop (and makes
``alpha = 0`` with a random order reproduce plain training bit for bit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

#: order(epoch) -> LongTensor of sample indices (on the CPU) presented in that epoch.
OrderFn = Callable[[int], torch.Tensor]
#: loss(epoch, logits, batch_indices) -> scalar loss of the batch.
LossFn = Callable[[int, torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class TrainingConfig:
    """Optimiser settings (validated by the estimators)."""

    epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    grad_clip: float | None


def batches(order: torch.Tensor, batch_size: int) -> list[torch.Tensor]:
    """Split ``order`` into consecutive batches; a last batch of one sample joins the previous one.

    (BatchNorm cannot normalise a single value, and a one-sample step is mostly noise.)
    """
    chunks = list(torch.split(order, batch_size))
    if len(chunks) > 1 and chunks[-1].numel() == 1:
        chunks[-2] = torch.cat(chunks[-2:])
        chunks.pop()
    return chunks


def train_module(
    module: torch.nn.Module,
    inputs: torch.Tensor,
    config: TrainingConfig,
    order: OrderFn,
    loss: LossFn,
) -> np.ndarray:
    """Train ``module`` in place; return the mean training loss of every epoch.

    Parameters
    ----------
    module : torch.nn.Module
        Maps a batch of ``inputs`` to logits.
    inputs : Tensor
        All training inputs (first axis = samples), on the module's device.
    config : TrainingConfig
    order : callable
        ``order(epoch)`` gives the sample indices of the epoch, in presentation order.
    loss : callable
        ``loss(epoch, logits, indices)`` gives the batch loss.

    Returns
    -------
    ndarray of shape (epochs,)
        Sample-weighted mean of the batch losses per epoch. The module is left in eval mode.
    """
    optimizer = torch.optim.Adam(module.parameters(), lr=config.lr,
                                 weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
    history = np.empty(config.epochs)
    for epoch in range(config.epochs):
        module.train()
        total, count = 0.0, 0
        for idx in batches(order(epoch), config.batch_size):
            idx = idx.to(inputs.device)
            batch_loss = loss(epoch, module(inputs[idx]), idx)
            optimizer.zero_grad()
            batch_loss.backward()
            if config.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(module.parameters(), config.grad_clip)
            optimizer.step()
            total += float(batch_loss.detach()) * idx.numel()
            count += idx.numel()
        scheduler.step()
        history[epoch] = total / count
        if not np.isfinite(history[epoch]):
            raise ValueError(
                f"the training loss became {history[epoch]} in epoch {epoch}; lower lr or "
                "rescale the inputs."
            )
    module.eval()
    return history
