"""What a trained forecaster chooses on its validation windows, after training and before anything
is scored, in this order: how much of its correction a residual network applies (`choose_shrink`),
how much of the forecast is the network's beside a statistical model (`choose_combination`,
forecast/combine.py), and how wide its intervals are (`choose_spread`). All are stored in the
run's meta, so a loaded run forecasts the same.

The spread is split-conformal calibration of the outer quantiles: every quantile's distance from
the median is multiplied by one factor k, the smallest that makes the interval cover its nominal
share (e.g. 80% for 0.1..0.9) of the validation points, with the finite-sample (n + 1) rule. A
quantile head trained on a few dozen windows is overconfident, and this is where it learns so;
with fewer than MIN_POINTS validation points k stays 1."""

from __future__ import annotations

import numpy as np

from rnnkit.forecast import combine
from rnnkit.forecast.pipeline import Arrays
from rnnkit.series.frame import SeriesSet

SHRINK_GRID = (1.0, 0.5, 0.0)  # tried in this order; the first of equal errors wins
MIN_POINTS = 20  # validation points needed before the interval's spread is calibrated


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
    the statistical model, chosen on the validation windows of the series the network forecasts;
    None when no combination is asked for or statsforecast is missing."""
    est.combination, est.meta["combine"] = None, None
    kind = combine.kind(est.cfg.forecast.combine)
    if kind is None:
        return
    h, lb = est.train_horizon(), est.cfg.forecast.lookback
    c = combine.Combination(kind, est.pipeline.season, train_ends=train_ends(est.meta, splits))
    cases = []
    for s, sp in zip(data.series, splits):
        at = combine.validation_origins(sp.train_end, sp.val_end, lb, h, est.first)
        if s.id not in est.fallback and len(at):
            cases.append((s, at, est._network(s, at, h)))
    if cases:
        c.choose(cases, h, est.point_index)
        est.combination, est.meta["combine"] = c, c.state()
        est.design.append(c.describe())


def choose_spread(est, data: SeriesSet, splits: list) -> float:
    """The factor k on every quantile's distance from the median (1 = the network's own intervals)."""
    est.spread = 1.0
    q = est.quantiles
    if len(q) < 3:
        return 1.0
    h, lb, point = est.train_horizon(), est.cfg.forecast.lookback, est.point_index
    need = []
    for s, sp in zip(data.series, splits):
        at = combine.validation_origins(sp.train_end, sp.val_end, lb, h, est.first)
        if s.id in est.fallback or not len(at):
            continue
        f = est.forecast(s, at, h)  # (N, H, Q) with the shares chosen so far
        y = s.y[at[:, None] + np.arange(h)[None, :]]
        med, below, above = f[..., point], f[..., point] - f[..., 0], f[..., -1] - f[..., point]
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.where(y < med, (med - y) / below, (y - med) / above)
        need.append(np.where(y == med, 0.0, np.nan_to_num(k, nan=np.inf, posinf=np.inf)).ravel())
    if not need or sum(len(v) for v in need) < MIN_POINTS:
        return 1.0
    k = np.sort(np.concatenate(need))
    nominal = q[-1] - q[0]
    rank = min(len(k) - 1, int(np.ceil(nominal * (len(k) + 1))) - 1)
    est.spread = float(np.clip(k[rank], 0.25, 10.0)) if np.isfinite(k[rank]) else 10.0
    return est.spread


def widen(levels: np.ndarray, point: int, spread: float) -> np.ndarray:
    """levels (..., Q) with every quantile's distance from the median times `spread`."""
    if spread == 1.0:
        return levels
    med = levels[..., point:point + 1]
    return med + spread * (levels - med)


def train_ends(meta: dict, splits: list | None = None) -> dict[str, int]:
    """Series id -> the end of its training part (from `splits`, else from a run's meta)."""
    ends = [sp.train_end for sp in splits] if splits else [sp[0] for sp in meta.get("splits", [])]
    return dict(zip(meta.get("series", []), ends))
