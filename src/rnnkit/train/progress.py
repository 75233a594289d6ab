"""Where a training run stands, and when its budget is spent.

`Progress` is everything about the loop's position that exact resume needs besides the weights,
the optimizer, the schedule, the RNG and the carried state; it is stored as plain data in every
checkpoint ("progress"). The budget functions read it against the `TrainConfig`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rnnkit.config import TrainConfig, check_train
from rnnkit.errors import RnnkitError


@dataclass
class Progress:
    step: int = 0
    epoch: int = 0
    index: int = 0  # batch index within the epoch
    items: int = 0  # training items (chars, windows, ...) seen
    train_s: float = 0.0  # time inside training steps, for throughput
    elapsed_s: float = 0.0
    best: float = math.inf
    best_step: int = 0
    best_metrics: dict[str, float] = field(default_factory=dict)
    bad_evals: int = 0
    last_eval_step: int = -1

    def epochs(self, n_batches: int) -> float:
        """Epochs done, counting the current one's share."""
        return self.epoch + self.index / max(n_batches, 1)

    def speed(self) -> float:
        """Training items per second of training-step time."""
        return self.items / max(self.train_s, 1e-9)


def check_budget(cfg: TrainConfig) -> None:
    check_train(cfg)  # again: a caller may have changed fields after the config was built
    if cfg.max_steps is None and cfg.max_epochs is None and cfg.max_minutes is None:
        raise RnnkitError("no training budget: set --max-steps, --max-epochs or --max-minutes")
    if cfg.eval_every < 1:
        raise RnnkitError(f"eval_every must be >= 1, got {cfg.eval_every}")


def budget_exhausted(cfg: TrainConfig, prog: Progress, n_batches: int) -> str:
    """The stop reason once a budget is spent, else ""."""
    if cfg.max_steps is not None and prog.step >= cfg.max_steps:
        return "max_steps"
    if cfg.max_epochs is not None and prog.epoch * n_batches + prog.index >= cfg.max_epochs * n_batches:
        return "max_epochs"
    if cfg.max_minutes is not None and prog.elapsed_s >= cfg.max_minutes * 60:
        return "max_minutes"
    return ""


def progress_fraction(cfg: TrainConfig, prog: Progress, n_batches: int) -> float | None:
    """How far through its budget the run is (0..1; the furthest budget counts), for the LR schedule."""
    fractions = []
    if cfg.max_steps is not None:
        fractions.append(prog.step / cfg.max_steps)
    if cfg.max_epochs is not None:
        fractions.append((prog.epoch * n_batches + prog.index) / (cfg.max_epochs * n_batches))
    if cfg.max_minutes is not None:
        fractions.append(prog.elapsed_s / (cfg.max_minutes * 60))
    return max(fractions) if fractions else None
