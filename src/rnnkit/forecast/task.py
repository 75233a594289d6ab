"""The trainer's task adapter for window forecasting (stateless: each window starts from zero state)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from rnnkit.forecast.pipeline import Arrays, Pipeline


def forecast_loss(pred: torch.Tensor, target: torch.Tensor, loss: str, quantiles: list[float]) -> torch.Tensor:
    """pred: (B, H, Q), target: (B, H) -> scalar. Quantile loss is the pinball loss averaged over
    quantiles and steps; point losses use the single output. An ensemble in training mode gives
    (B, H, Q, M): the mean of its members' own losses, so no member's gradient reads another's output."""
    if pred.dim() == 4:
        return torch.stack([forecast_loss(pred[..., k], target, loss, quantiles) for k in range(pred.shape[-1])]).mean()
    if loss == "quantile":
        q = torch.tensor(quantiles, dtype=pred.dtype, device=pred.device)  # (Q,)
        err = target.unsqueeze(-1) - pred  # (B, H, Q)
        return torch.maximum(q * err, (q - 1) * err).mean()
    point = pred[..., 0]
    if loss == "mse":
        return nn.functional.mse_loss(point, target)
    if loss == "mae":
        return nn.functional.l1_loss(point, target)
    return nn.functional.huber_loss(point, target, delta=1.0)


class WindowTask:
    unit = "windows"
    monitor = "val_loss"

    def __init__(self, pipeline: Pipeline, arrays: Arrays, train_g: np.ndarray, val_g: np.ndarray,
                 loss: str, quantiles: list[float], batch_size: int, seed: int,
                 windows_per_epoch: int | None = None):
        self.pipeline, self.arrays = pipeline, arrays
        self.train_g, self.val_g = train_g, val_g
        self.loss, self.quantiles = loss, quantiles
        self.batch_size, self.seed = batch_size, seed
        self.per_epoch = min(windows_per_epoch or len(train_g), len(train_g))
        self._order: tuple[int, np.ndarray] | None = None

    def batches_per_epoch(self) -> int:
        return max(1, math.ceil(self.per_epoch / self.batch_size))

    def _epoch_order(self, epoch: int) -> np.ndarray:
        if self._order is None or self._order[0] != epoch:
            gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)  # same batches on resume
            perm = torch.randperm(len(self.train_g), generator=gen).numpy()[: self.per_epoch]
            self._order = (epoch, self.train_g[perm])
        return self._order[1]

    def tensors(self, g: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.from_numpy(np.ascontiguousarray(self.pipeline.inputs(self.arrays, g), dtype=np.float32))
        y = torch.from_numpy(self.pipeline.targets(self.arrays, g).astype(np.float32))
        return x, y  # (B, L, C), (B, H)

    def batch(self, epoch: int, index: int) -> tuple[torch.Tensor, ...]:
        g = self._epoch_order(epoch)[index * self.batch_size:(index + 1) * self.batch_size]
        return self.tensors(g)

    def train_loss(self, model: nn.Module, batch: tuple[torch.Tensor, ...], carry):
        x, y = batch
        pred, _ = model(x)
        return forecast_loss(pred, y, self.loss, self.quantiles), None, len(x)

    def evaluate(self, model: nn.Module, device: torch.device) -> dict[str, float]:
        total, n = 0.0, 0
        for i in range(0, len(self.val_g), 1024):
            x, y = self.tensors(self.val_g[i:i + 1024])
            pred, _ = model(x.to(device))
            total += float(forecast_loss(pred, y.to(device), self.loss, self.quantiles)) * len(x)
            n += len(x)
        return {"val_loss": total / max(n, 1)}
