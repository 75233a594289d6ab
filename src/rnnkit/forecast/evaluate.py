"""Scoring the estimator and the baselines on exactly the same test points."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rnnkit.forecast import metrics as M
from rnnkit.series.frame import SeriesSet
from rnnkit.series.windows import origins


@dataclass
class Evaluation:
    horizon: int
    every: int
    season: int
    quantiles: list[float]
    scores: dict[str, dict[str, float | None]] = field(default_factory=dict)
    points: int = 0
    up_share: float = 0.0
    span: tuple[str, str] = ("", "")
    # the first scored series' forecasts for plots: its index in the data, origins (N,), levels
    # per model (N, H, Q); in a panel the first series may be too short to score
    plot_series: int = 0
    plot_origins: np.ndarray | None = None
    plot_levels: dict[str, np.ndarray] = field(default_factory=dict)
    # per model, per series: errors (N, H) divided by the series' MASE scale (comparable across
    # series), in origin order: what the Diebold-Mariano test of the verdict reads
    errors: dict[str, list[np.ndarray]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def evaluate(models: list, data: SeriesSet, test_starts: list[int], train_ends: list[int], horizon: int,
             every: int, min_origin: int, season: int, quantiles: list[float]) -> Evaluation:
    """`models`: objects with `.name` and `.forecast(series, origins, horizon)`; the first is the
    network (its quantiles give the interval). Metrics are computed per series and averaged (M4's
    convention); coverage and directional accuracy are pooled over all points."""
    ev = Evaluation(horizon, every, season, quantiles)
    per: dict[str, list[dict]] = {m.name: [] for m in models}
    pooled: dict[str, dict[str, list]] = {m.name: {"dir": [], "cov": []} for m in models}
    ev.errors = {m.name: [] for m in models}
    ups, ends = [], []
    for k, (s, start, tr_end) in enumerate(zip(data.series, test_starts, train_ends)):
        at = origins(start, len(s), min_origin, horizon, every)
        at = at[at >= min_origin]
        if len(at) == 0:
            continue
        idx = at[:, None] + np.arange(horizon)[None, :]
        y, last = s.y[idx], np.repeat(s.y[at - 1][:, None], horizon, axis=1)
        scale = M.mase_scale(s.y[:tr_end], season)
        ups.append(y > last)
        first = ev.plot_origins is None
        if first:
            ev.plot_series, ev.plot_origins = k, at
        ends.append((_stamp(s, int(at[0])), _stamp(s, int(idx[-1, -1]))))
        for m in models:
            f = m.forecast(s, at, horizon)  # (N, H, Q)
            point = f[..., _point_index(m)]
            per[m.name].append({"mae": M.mae(y, point), "rmse": M.rmse(y, point), "mape": M.mape(y, point),
                                "smape": M.smape(y, point), "mase": M.mase(y, point, scale)})
            pooled[m.name]["dir"].append(np.sign(point - last) == np.sign(y - last))
            ev.errors[m.name].append((y - point) / (scale if np.isfinite(scale) and scale > 0 else 1.0))
            if f.shape[-1] >= 3:
                pooled[m.name]["cov"].append((y >= f[..., 0]) & (y <= f[..., -1]))
            if first:
                ev.plot_levels[m.name] = f
        ev.points += y.size
    if ends:  # from the first scored point of any series to the last
        ev.span = (_text(min(e[0] for e in ends)), _text(max(e[1] for e in ends)))
    ev.up_share = float(np.mean(np.concatenate([u.ravel() for u in ups]))) if ups else float("nan")
    naive_rmse = None
    for m in models:
        rows = per[m.name]
        if not rows:
            continue
        score = {key: _mean_defined([r[key] for r in rows]) for key in rows[0]}
        score["directional_accuracy"] = float(np.mean(np.concatenate([d.ravel() for d in pooled[m.name]["dir"]])))
        cov = pooled[m.name]["cov"]
        score["coverage"] = float(np.mean(np.concatenate([c.ravel() for c in cov]))) if cov else None
        if m.name == "naive":
            naive_rmse = score["rmse"]
        ev.scores[m.name] = score
    # OWA against Naive2 (M4's reference); without seasonality Naive2 is the naive forecast
    ref = ev.scores.get("naive2") or ev.scores.get("naive")
    for score in ev.scores.values():
        score["rel_rmse_vs_naive"] = score["rmse"] / naive_rmse if naive_rmse else None
        ok = ref and ref["smape"] > 0 and ref["mase"] > 0
        score["owa"] = M.owa(score["smape"], score["mase"], ref["smape"], ref["mase"]) if ok else None
    return ev


def _point_index(model) -> int:
    """Where the median sits in a model's quantile axis (baselines give a point: index 0)."""
    quantiles = getattr(model, "quantiles", None)
    return quantiles.index(0.5) if quantiles else 0


def _stamp(s, i: int):
    return s.index[i] if s.index is not None else int(s.t0 + i)


def _text(t) -> str:
    return str(t.date()) if hasattr(t, "date") and t == t.normalize() else str(t)


def _mean_defined(values: list[float]) -> float:
    """Mean over the series where the metric is defined (MASE needs a training part longer than
    the season); NaN, without a warning, when it is defined on none."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    return float(v.mean()) if v.size else float("nan")
