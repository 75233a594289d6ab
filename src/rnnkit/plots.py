"""Matplotlib on the Agg backend (no display needed) and one way to save figures.

Task packages draw their own figures (forecast/plots.py, classify/plots.py) with these helpers."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def new_figure(width: float = 10.0, height: float = 4.5, rows: int = 1, cols: int = 1):
    """(fig, axes) with a consistent look."""
    fig, axes = plt.subplots(rows, cols, figsize=(width, height), constrained_layout=True)
    return fig, axes


def save_figure(fig, path: str | Path, dpi: int = 120) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def plot_loss_curves(metrics_jsonl: str | Path, path: str | Path, title: str = "training") -> Path:
    """Training loss (every log_every steps) and validation metrics (every evaluation) from a
    run folder's metrics.jsonl."""
    import json

    train, evals = [], []
    for line in Path(metrics_jsonl).read_text().splitlines():
        row = json.loads(line)
        (train if row.get("event") == "train" else evals).append(row)
    fig, ax = new_figure(8, 4)
    if train:
        ax.plot([r["step"] for r in train], [r["loss"] for r in train], label="train loss", alpha=0.7)
    if evals and "val_loss" in evals[0]:
        ax.plot([r["step"] for r in evals], [r["val_loss"] for r in evals], "o-", label="validation loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path)
