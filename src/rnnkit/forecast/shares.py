"""What a trained forecaster chooses on its validation windows, after training and before anything
is scored: how much of its correction a residual network applies (`choose_shrink`), and how much
of the forecast is the network's beside a statistical model (`choose_combination`,
forecast/combine.py). Both are stored in the run's meta, so a loaded run forecasts the same."""

from __future__ import annotations

import numpy as np

from rnnkit.forecast import combine
from rnnkit.forecast.pipeline import Arrays
from rnnkit.series.frame import SeriesSet

SHRINK_GRID = (1.0, 0.5, 0.0)  # tried in this order; the first of equal errors wins


def choose_shrink(est, arrays: Arrays, val_g: np.ndarray) -> float:
    """How much of its correction a residual network applies (0 = its baseline alone), chosen on
    the validation windows by the point forecast's squared error in model space (each window
    normalised, so a panel's largest series do not decide for all): the network moves away from
    the baseline only as far as validation supports. Ties keep the larger share."""
    h = est.train_horizon()
    truth = est.pipeline.encode(arrays, val_g, arrays.Y[val_g[:, None] + np.arange(h)[None, :]])
    best, best_err = 1.0, np.inf
    for share in SHRINK_GRID:
        est.shrink = share
        point = est.pipeline.encode(arrays, val_g, est._direct(arrays, val_g)[..., est.point_index])
        err = float(np.mean((point - truth) ** 2))
        if err < best_err * (1 - 1e-9):
            best, best_err = share, err
    return best


def choose_combination(est, data: SeriesSet, splits: list) -> None:
    """Sets est.combination (and its meta) from est.cfg.forecast.combine: the network's share beside
    the statistical model, chosen on the validation windows of the series the network forecasts
    (`best`: each partner tried there, the lowest error kept); None when no combination is asked
    for or statsforecast is missing."""
    est.combination, est.meta["combine"] = None, None
    partners = combine.kinds(est.cfg.forecast.combine)
    if not partners:
        return
    h, lb = est.train_horizon(), est.cfg.forecast.lookback
    cases = []
    for s, sp in zip(data.series, splits):
        at = combine.validation_origins(sp.train_end, sp.val_end, lb, h, est.first)
        if s.id not in est.fallback and len(at):
            cases.append((s, at, est._network(s, at, h)))
    if not cases:
        return
    best = None
    for kind in partners:
        c = combine.Combination(kind, est.pipeline.season, train_ends=combine.train_ends(est.meta, splits),
                                intervals=est.cfg.forecast.combine_intervals)
        c.choose(cases, h, est.point_index, per_series=est.cfg.forecast.combine_per_series)
        if best is None or c.score < best.score - 1e-9:
            best = c
    est.combination, est.meta["combine"] = best, best.state()
    est.design.append(best.describe() + (f" (of {', '.join(combine.NAMES[k] for k in partners)})"
                                         if len(partners) > 1 else ""))
