"""Classification figures: the confusion matrix and attention heat strips under numeric series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.ticker import MaxNLocator

from rnnkit.plots import new_figure, plt, save_figure


def plot_confusion(matrix: np.ndarray, labels: list[str], path: str | Path, title: str = "") -> Path:
    """Counts in each cell; colour = share of the true class (row), so rare classes stay readable."""
    return save_figure(confusion_figure(matrix, labels, title), path)


def confusion_figure(matrix: np.ndarray, labels: list[str], title: str = ""):
    n = len(labels)
    longest = max((len(str(x)) for x in labels), default=1)
    size = min(2.5 + 0.55 * n, 12)
    # room for the tick labels: the figure grows with the longest class name, and long names tilt
    fig, ax = new_figure(size + 1.5 + 0.08 * min(longest, 40), size + 0.06 * min(longest, 40))
    fig.get_layout_engine().set(w_pad=0.12, h_pad=0.12)  # inches kept free around the axes' labels
    rows = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, rows, out=np.zeros(matrix.shape, dtype=float), where=rows > 0)
    im = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(n):
        for j in range(n):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=9 if n < 15 else 6,
                    color="white" if share[i, j] > 0.6 else "black")
    tilt = n > 6 or longest > 4
    ax.set_xticks(range(n), labels, rotation=45 if tilt else 0, ha="right" if tilt else "center")
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true", labelpad=6)
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046, label="share of the true class")
    return fig


def plot_attention(series: list[np.ndarray], weights: np.ndarray, patch: int, titles: list[str],
                   path: str | Path) -> Path:
    """One panel per example: the series (T, F) as lines, and under it a strip coloured by the
    attention weight of each step (a weight covers `patch` consecutive steps)."""
    n = len(series)
    fig = plt.figure(figsize=(10, 2.3 * n), constrained_layout=True)
    grid = fig.add_gridspec(2 * n, 1, height_ratios=[4, 1] * n)
    for i, (s, title) in enumerate(zip(series, titles)):
        steps = len(s)
        w = np.repeat(weights[i][: -(-steps // patch)], patch)[:steps]  # (T,)
        ax = fig.add_subplot(grid[2 * i])
        for f in range(s.shape[1]):
            ax.plot(np.arange(steps), s[:, f], lw=1.2 if s.shape[1] == 1 else 0.8)
        ax.set_xlim(-0.5, steps - 0.5)
        ax.set_title(title, fontsize=9, loc="left")
        ax.tick_params(labelbottom=False)
        strip = fig.add_subplot(grid[2 * i + 1], sharex=ax)
        im = strip.imshow(w[None, :], aspect="auto", cmap="Reds", vmin=0, vmax=max(float(w.max()), 1e-9),
                          extent=(-0.5, steps - 0.5, 0, 1))
        bar = fig.colorbar(im, ax=[ax, strip], location="right", fraction=0.025, pad=0.01)
        bar.set_label("attention weight", fontsize=7)
        bar.ax.tick_params(labelsize=7)
        strip.set_yticks([])
        strip.xaxis.set_major_locator(MaxNLocator(integer=True))
        strip.set_ylabel("attn", rotation=0, ha="right", va="center", fontsize=8)
    fig.axes[-1].set_xlabel("time step")
    return save_figure(fig, path)


def plot_weights(labels: list[str], weights: np.ndarray, path: str | Path, title: str) -> Path:
    """A bar per token (explain for texts, alongside the HTML view)."""
    fig, ax = new_figure(max(6, 0.25 * len(labels)), 3.5)
    ax.bar(range(len(labels)), weights, color="tab:red")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_ylabel("attention weight")
    ax.set_title(title, fontsize=9)
    return save_figure(fig, path)
