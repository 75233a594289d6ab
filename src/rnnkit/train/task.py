"""The contract between the trainer and a task (text, forecast, classify)."""

from __future__ import annotations

from typing import Any, Protocol

import torch
from torch import nn


class Task(Protocol):
    """A task adapter. Batches are addressed by (epoch, index) so that a resumed run reads exactly
    the batches an uninterrupted one would have; any shuffling must be seeded from the epoch."""

    unit: str  # what throughput counts, e.g. "chars", "windows", "sequences"
    monitor: str  # the key of `evaluate()` to minimise for best.pt / early stopping, e.g. "val_loss"

    def batches_per_epoch(self) -> int: ...

    def batch(self, epoch: int, index: int) -> tuple[torch.Tensor, ...]:
        """CPU tensors; the trainer moves them to the device."""
        ...

    def train_loss(
        self, model: nn.Module, batch: tuple[torch.Tensor, ...], carry: Any
    ) -> tuple[torch.Tensor, Any, int]:
        """(mean loss, carry for the next batch of this epoch, items in the batch).

        `carry` is None at the start of each epoch; stateful tasks (TBPTT) return the detached
        recurrent state here, stateless ones return None. The trainer checkpoints it."""
        ...

    def evaluate(self, model: nn.Module, device: torch.device) -> dict[str, float]:
        """Validation metrics (model is already in eval mode under no_grad)."""
        ...
