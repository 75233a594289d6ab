"""The classification task adapter for `rnnkit.train.fit`, and batched inference."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from rnnkit.classify.metrics import classification_report


@dataclass
class Encoded:
    x: torch.Tensor  # (N, T) int64 token ids or (N, T, F) float32, zero-padded
    lengths: torch.Tensor  # (N,) real steps per sequence
    y: torch.Tensor  # (N,) class index, -1 for a class never seen in training

    def __len__(self) -> int:
        return len(self.y)

    def take(self, rows: np.ndarray | torch.Tensor) -> "Encoded":
        rows = torch.as_tensor(rows, dtype=torch.int64)
        lengths = self.lengths[rows]
        steps = int(lengths.max()) if len(rows) else 0
        return Encoded(self.x[rows, :steps], lengths, self.y[rows])

    def concat(self, other: "Encoded") -> "Encoded":
        """Rows of `self` then rows of `other`, padded to the longer of the two."""
        steps = max(self.x.shape[1], other.x.shape[1])

        def pad(x: torch.Tensor) -> torch.Tensor:  # zeros after the last step; feature axes untouched
            return torch.nn.functional.pad(x, (0, 0) * (x.dim() - 2) + (0, steps - x.shape[1]))

        return Encoded(torch.cat([pad(self.x), pad(other.x)]), torch.cat([self.lengths, other.lengths]),
                       torch.cat([self.y, other.y]))


class ClassifyTask:
    """Shuffled mini-batches of whole sequences (each cut to its longest member), cross-entropy
    (optionally class-weighted, summed over the model's heads), and validation loss / accuracy /
    macro-F1.

    Mixup (Zhang et al. 2018) on numeric inputs: each batch is blended with a shuffled copy of
    itself, x = lam * x + (1 - lam) * x[perm], lam ~ Beta(a, a), and the loss blends the two
    labels' losses with the same lam. A batch is (x, lengths, y, y_mix, lam); without mixup
    y_mix = y and lam = 1. Texts (token ids) are never mixed."""

    unit = "sequences"

    def __init__(self, train: Encoded, val: Encoded, batch_size: int, seed: int, monitor: str,
                 class_weights: torch.Tensor | None = None, jitter: float = 0.0, mixup: float = 0.0):
        self.train, self.val = train, val
        self.jitter = jitter  # std of Gaussian noise added to numeric training inputs (augmentation)
        self.mixup = mixup  # Beta(a, a) parameter of mixup on numeric training inputs; 0 = off
        self.batch_size = batch_size
        self.seed = seed
        self.monitor = {"loss": "val_loss", "accuracy": "val_error"}[monitor]
        self.class_weights = class_weights  # (C,) or None

    def batches_per_epoch(self) -> int:
        return math.ceil(len(self.train) / self.batch_size)

    def batch(self, epoch: int, index: int) -> tuple[torch.Tensor, ...]:
        """A pure function of (seed, epoch, index), noise and mixing included, for exact resume."""
        b = self.train.take(self._epoch_order(epoch)[index])
        x, lengths, y = b.x, b.lengths, b.y
        y_mix, lam = y, torch.ones(len(y))
        numeric = x.is_floating_point()
        if self.jitter > 0 and numeric:
            g = torch.Generator().manual_seed((self.seed * 1_000_003 + epoch) * 100_003 + index)
            real = (torch.arange(x.shape[1])[None, :] < lengths[:, None]).unsqueeze(-1)  # (B, T, 1)
            x = x + self.jitter * torch.randn(x.shape, generator=g) * real  # padding stays zero
        if self.mixup > 0 and numeric and len(y) > 1:
            rng = np.random.default_rng([self.seed, epoch, index])
            mix = float(rng.beta(self.mixup, self.mixup))
            perm = torch.from_numpy(rng.permutation(len(y)))
            x = mix * x + (1.0 - mix) * x[perm]  # padding of both stays zero past the longer length
            lengths, y_mix, lam = torch.maximum(lengths, lengths[perm]), y[perm], torch.full((len(y),), mix)
        return x, lengths, y, y_mix, lam

    def _epoch_order(self, epoch: int) -> list[torch.Tensor]:
        """The epoch's batches (row indices), a pure function of (seed, epoch) for exact resume.
        Rows are shuffled, sorted by length within pools of 32 batches (less padding, so texts
        of very different lengths train several times faster), and the batches shuffled again."""
        if getattr(self, "_cached", (None,))[0] == epoch:
            return self._cached[1]
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        order = torch.randperm(len(self.train), generator=g)
        pool = 32 * self.batch_size
        batches = []
        for start in range(0, len(order), pool):
            chunk = order[start: start + pool]
            chunk = chunk[torch.argsort(self.train.lengths[chunk], stable=True)]
            batches += list(chunk.split(self.batch_size))
        shuffled = [batches[i] for i in torch.randperm(len(batches), generator=g)]
        self._cached = (epoch, shuffled)
        return shuffled

    def train_loss(self, model: nn.Module, batch: tuple[torch.Tensor, ...], carry):
        x, lengths, y, y_mix, lam = batch
        out, _ = model(x, lengths=lengths)
        w = torch.ones(out.logits.shape[-1], device=y.device) if self.class_weights is None \
            else self.class_weights.to(y.device)
        # the (class-weighted) mean over rows of lam * loss(y) + (1 - lam) * loss(y_mix), per head
        row_w = lam * w[y] + (1 - lam) * w[y_mix]
        loss = 0.0
        for logits in out.heads or (out.logits,):
            logp = torch.log_softmax(logits.float(), dim=-1)
            nll = -(lam * w[y] * logp.gather(1, y[:, None]).squeeze(1)
                    + (1 - lam) * w[y_mix] * logp.gather(1, y_mix[:, None]).squeeze(1))
            loss = loss + nll.sum() / row_w.sum()
        return loss, None, len(y)

    def evaluate(self, model: nn.Module, device: torch.device) -> dict[str, float]:
        probs, _ = predict_proba(model, self.val, device)
        y = self.val.y.numpy()
        loss = float(-np.log(np.maximum(probs[np.arange(len(y)), y], 1e-12)).mean())
        report = classification_report(y, probs.argmax(axis=1), [str(i) for i in range(probs.shape[1])])
        return {"val_loss": loss, "val_accuracy": report["accuracy"], "val_error": 1.0 - report["accuracy"],
                "val_macro_f1": report["macro_f1"]}


@torch.no_grad()
def predict_proba(model: nn.Module, data: Encoded, device: torch.device | str = "cpu",
                  batch_size: int = 256) -> tuple[np.ndarray, np.ndarray | None]:
    """(probabilities (N, C), attention weights (N, T) or None). Rows keep the order of `data`."""
    model.eval()
    probs, weights = [], []
    for start in range(0, len(data), batch_size):
        b = data.take(np.arange(start, min(start + batch_size, len(data))))
        out, _ = model(b.x.to(device), lengths=b.lengths.to(device))
        probs.append(torch.softmax(out.logits.float(), dim=-1).cpu())
        if out.weights is not None:
            w = torch.zeros(len(b), data.x.shape[1])
            w[:, : out.weights.shape[1]] = out.weights.float().cpu()
            weights.append(w)
    return torch.cat(probs).numpy(), (torch.cat(weights).numpy() if weights else None)
