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


def image_suffixes() -> list[str]:
    """The file suffixes matplotlib's Agg canvas writes (.png, .pdf, .svg, ...), sorted."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    return sorted(f".{kind}" for kind in FigureCanvasAgg.get_supported_filetypes())


def check_image_suffix(path: str | Path, flag: str = "--out") -> None:
    """Before any work: `path` must name an image format matplotlib writes (not .html, not none)."""
    from rnnkit.errors import RnnkitError

    suffix = Path(path).suffix.lower()
    if suffix not in image_suffixes():
        got = f"ends in {suffix}" if suffix else "has no suffix"
        raise RnnkitError(f"{flag} {path} {got}; a plot is an image: give a name ending in .png, .pdf or .svg")


def save_figure(fig, path: str | Path, dpi: int = 120) -> Path:
    """Written atomically (rnnkit/files.py): a full disk leaves no half-written image."""
    from rnnkit.files import atomic_write

    path = Path(path)
    try:
        with atomic_write(path, "wb") as f:
            fig.savefig(f, dpi=dpi, format=path.suffix.lstrip(".") or "png")
    finally:
        plt.close(fig)
    return path


def plot_loss_curves(metrics_jsonl: str | Path, path: str | Path, title: str = "training") -> Path:
    """Training loss (every log_every steps) and validation metrics (every evaluation) from a
    run folder's metrics.jsonl."""
    import json

    train, evals = [], []
    for line in Path(metrics_jsonl).read_text(errors="replace").splitlines():
        try:
            row = json.loads(line)
        except ValueError:  # a line torn by a killed run: the plot shows the rest
            continue
        if isinstance(row, dict) and "step" in row:
            (train if row.get("event") == "train" else evals).append(row)
    train = [r for r in train if "loss" in r]
    evals = [r for r in evals if "val_loss" in r]
    fig, ax = new_figure(8, 4)
    if train:
        ax.plot([r["step"] for r in train], [r["loss"] for r in train], "o-" if len(train) < 3 else "-",
                label="train loss", alpha=0.7)  # one or two points: markers, or nothing shows
    if evals:
        ax.plot([r["step"] for r in evals], [r["val_loss"] for r in evals], "o-", label="validation loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if train or evals:
        ax.legend()
    return save_figure(fig, path)
