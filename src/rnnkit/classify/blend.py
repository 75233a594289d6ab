"""How the prediction weighs its heads (`data.blend`): equal, or the weights chosen on a validation
part.

A classifier with several heads (the recurrent summaries, the random-feature head, the text bag)
predicts their weighted mean probability. Each head trains on its own loss, so the weights only
decide how the trained heads are combined, after training. `val` takes, over a grid on the simplex
(steps of 1/10, equal weights included), the weights whose mixture has the lowest log-loss on the
validation part, scored with the selection run's model: data the heads never trained on. A
validation part of fewer than `min_val` sequences, or a single head, keeps equal weights.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch

from rnnkit.classify.task import Encoded
from rnnkit.models.classifier import SequenceClassifier

BLENDS = ("equal", "val")
STEPS = 10  # grid resolution: weights are multiples of 1/STEPS


@torch.no_grad()
def head_probabilities(model: SequenceClassifier, part: Encoded, batch_size: int = 256) -> np.ndarray:
    """(heads, N, C): each head's class probabilities on `part`."""
    model.eval()
    chunks = []
    for start in range(0, len(part), batch_size):
        b = part.take(np.arange(start, min(start + batch_size, len(part))))
        out, _ = model(b.x, lengths=b.lengths)
        heads = out.heads or (out.logits,)
        chunks.append(torch.stack([torch.softmax(z.float(), -1) for z in heads]))
    return torch.cat(chunks, dim=1).numpy()


def simplex_grid(n: int, steps: int = STEPS) -> list[tuple[float, ...]]:
    """Equal weights first, then every n-tuple of multiples of 1/steps that sums to 1."""
    grid = [tuple(k / steps for k in ks) for ks in itertools.product(range(steps + 1), repeat=n) if sum(ks) == steps]
    return [tuple([1.0 / n] * n), *grid]


def choose_blend(model: SequenceClassifier, part: Encoded, min_val: int) -> tuple[list[float], str]:
    """(weights in `model.head_names()` order, a sentence saying how they were chosen)."""
    names = model.head_names()
    n = len(names)
    if n < 2:
        return [], "one head: nothing to weigh"
    if len(part) < min_val:
        return [], f"equal weights (the validation part holds {len(part)} sequences, < {min_val})"
    probs = head_probabilities(model, part)  # (n, N, C)
    truth = probs[:, np.arange(len(part)), part.y.numpy()]  # (n, N): each head's probability of the label
    grid = np.array(simplex_grid(n))  # (G, n)
    loss = -np.log(np.clip(grid @ truth, 1e-12, None)).mean(axis=1)  # (G,) the mixture's log-loss
    best = int(np.argmin(loss))  # the first of equal losses: equal weights win a tie
    weights = [float(w) for w in grid[best]]
    shown = ", ".join(f"{name} {w:.2f}" for name, w in zip(names, weights))
    return weights, (f"{shown} (lowest validation log-loss {loss[best]:.4f} over {len(grid)} weightings; "
                     f"equal weights {loss[0]:.4f}; {len(part)} validation sequences)")
