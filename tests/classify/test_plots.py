"""Figures: nothing drawn outside the canvas (the 6-class y-label was cut), attention strips carry a colour scale."""

from __future__ import annotations

import numpy as np

from rnnkit.classify.plots import confusion_figure
from rnnkit.plots import plt


def _inside(fig, artist) -> bool:
    fig.canvas.draw()
    box = artist.get_window_extent(fig.canvas.get_renderer())
    w, h = fig.canvas.get_width_height()
    return box.x0 >= 0 and box.y0 >= 0 and box.x1 <= w and box.y1 <= h


def test_confusion_labels_stay_inside_the_figure():
    for labels in (list("123456"), ["positive", "negative", "neutral_long", "other", "x", "yy"],
                   [f"class {i}" for i in range(12)]):
        fig = confusion_figure(np.arange(len(labels) ** 2).reshape(len(labels), -1), labels, "title")
        ax = fig.axes[0]
        assert _inside(fig, ax.yaxis.label) and _inside(fig, ax.xaxis.label)
        assert all(_inside(fig, t) for t in ax.get_yticklabels() + ax.get_xticklabels())
        plt.close(fig)


def test_attention_strips_have_a_colour_scale(tmp_path):
    series = [np.sin(np.arange(30) / 4)[:, None].astype(np.float32)] * 2
    w = np.full((2, 10), 0.1)
    from rnnkit.classify import plots

    made = []
    real = plots.save_figure
    plots.save_figure = lambda f, p: made.append(f) or real(f, p)
    try:
        plots.plot_attention(series, w, 3, ["a", "b"], tmp_path / "b.png")
    finally:
        plots.save_figure = real
    labels = [ax.get_ylabel() for ax in made[0].axes]
    assert labels.count("attention weight") == 2  # one colour bar per strip
