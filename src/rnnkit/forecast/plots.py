"""Forecast figures: test span (actual vs model vs naive, with the interval band) and attention."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rnnkit.plots import new_figure, save_figure


def plot_forecast(x, actual: np.ndarray, model: np.ndarray, refs: dict[str, np.ndarray],
                  band: tuple[np.ndarray, np.ndarray] | None, path: str | Path, title: str, model_name: str,
                  band_label: str = "80% interval", xlabel: str = "date", ylabel: str = "value") -> Path:
    """x: (N,) dates or positions of the forecast steps; actual, model and each reference (naive,
    the best reference): (N,) levels. The lower panel zooms into the last `zoom` steps, where the
    lines can be told apart."""
    zoom = 90
    if len(x) > 2 * zoom:
        fig, (top, bottom) = new_figure(11, 7.5, rows=2)
        panels = ((top, slice(None)), (bottom, slice(len(x) - zoom, None)))
        bottom.set_title(f"last {zoom} steps")
    else:
        fig, top = new_figure(11, 4.8)
        panels = ((top, slice(None)),)
    for ax, sl in panels:
        if band is not None:
            ax.fill_between(x[sl], band[0][sl], band[1][sl], color="tab:blue", alpha=0.2, linewidth=0,
                            label=f"{model_name} {band_label}")
        ax.plot(x[sl], actual[sl], color="black", linewidth=1.1, label="actual")
        for (name, values), color in zip(refs.items(), ("tab:orange", "tab:green", "tab:red")):
            # dashed and on top: a reference the model repeats (seasonal naive, say) stays visible
            ax.plot(x[sl], values[sl], color=color, linewidth=1.1, linestyle="--", zorder=3, label=name)
        ax.plot(x[sl], model[sl], color="tab:blue", linewidth=1.0, label=f"{model_name} (median)")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    top.set_title(title)
    top.legend(loc="upper left")
    return save_figure(fig, path)


def plot_attention(weights: np.ndarray, path: str | Path, title: str = "attention over the lookback window") -> Path:
    """weights: (N, T) attention per test window; T is oldest -> newest."""
    fig, (ax1, ax2) = new_figure(11, 4.5, cols=2)
    T = weights.shape[1]
    lags = np.arange(-T, 0)
    mean = weights.mean(axis=0)
    ax1.bar(lags, mean, width=0.9, color="tab:purple")
    ax1.axhline(1 / T, color="gray", linestyle="--", linewidth=0.8, label="uniform")
    ax1.set_xlabel("steps before the forecast origin")
    ax1.set_ylabel("mean attention weight")
    ax1.set_title(title)
    ax1.legend()
    shown = weights[-min(len(weights), 100):]
    im = ax2.imshow(shown, aspect="auto", cmap="viridis", extent=(-T - 0.5, -0.5, len(shown), 0))
    ax2.set_xlabel("steps before the forecast origin")
    ax2.set_ylabel("test window (latest at the bottom)")
    ax2.set_title("weights per window")
    fig.colorbar(im, ax=ax2)
    return save_figure(fig, path)
