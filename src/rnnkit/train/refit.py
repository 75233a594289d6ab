"""What every task's refit shares (classify/estimator.py, forecast/estimator.py): after a selection
run with a validation part, a fresh model is trained on training + validation for the epochs that
run chose, and its last weights, not the "best" on data it trained on, are the run's model."""

from __future__ import annotations

import math
from pathlib import Path

from rnnkit.train.checkpoint import load_checkpoint, save_checkpoint


def refit_epochs(to_best: bool, selection: dict, batches_per_epoch: int) -> int:
    """The epochs up to the selection run's best.pt (`to_best`: the model selected is its best
    checkpoint), else every epoch it trained (its whole budget). `selection` is its summary.json;
    `batches_per_epoch` its own."""
    if to_best:
        return max(1, math.ceil(max(selection["best_step"], 1) / batches_per_epoch))
    return max(1, math.ceil(selection["epochs"] - 1e-9))


def keep_last(run_dir: Path, kind: str) -> dict:
    """The refit run's last.pt copied to best.pt (what `load` reads); returns that checkpoint."""
    last = load_checkpoint(run_dir / "last.pt", kind=kind)
    save_checkpoint(run_dir / "best.pt", {k: last[k] for k in ("kind", "config", "extra", "model", "progress")})
    return last
