"""Learning-rate schedules as small objects with plain-data state (for exact resume).

cosine:   linear warm-up, then cosine decay to `min_lr_ratio * lr` at the end of the budget. The
          budget's progress is the furthest of steps/max_steps, epochs and elapsed/max_minutes, so a
          wall-clock budget (`--max-minutes`) still decays to the floor exactly when time runs out.
plateau:  warm-up, then multiply by `factor` after `patience` evaluations without improvement.
constant: warm-up, then constant.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass


@dataclass
class Schedule:
    kind: str
    lr: float
    warmup_steps: int
    min_lr_ratio: float = 0.05
    factor: float = 0.5
    patience: int = 2
    scale: float = 1.0  # plateau multiplier so far
    best: float = math.inf
    bad_evals: int = 0

    def __post_init__(self):
        if self.kind not in ("cosine", "plateau", "constant"):
            raise ValueError(f"unknown schedule {self.kind!r}")

    def lr_at(self, step: int, progress: float | None) -> float:
        """`progress` in [0, 1] of the training budget, None when no budget is known."""
        warm = min(1.0, (step + 1) / self.warmup_steps) if self.warmup_steps > 0 else 1.0
        if self.kind == "cosine" and progress is not None:
            p = min(max(progress, 0.0), 1.0)
            floor = self.min_lr_ratio
            return self.lr * warm * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * p)))
        return self.lr * warm * self.scale

    def observe(self, metric: float) -> None:
        """Called after each evaluation (only the plateau schedule reacts)."""
        if self.kind != "plateau":
            return
        if metric < self.best - 1e-12:
            self.best, self.bad_evals = metric, 0
        else:
            self.bad_evals += 1
            if self.bad_evals > self.patience:
                self.scale *= self.factor
                self.bad_evals = 0

    def state_dict(self) -> dict:
        return asdict(self)

    def load_state_dict(self, state: dict) -> None:
        for key, value in state.items():
            setattr(self, key, value)
