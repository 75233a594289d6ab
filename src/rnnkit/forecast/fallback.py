"""Series too short for the network: forecast by their best baseline instead of stopping a panel.

A series whose training part holds no window of `lookback + horizon` steps is left out of training.
Its forecasts come from the baseline that scores best (MAE) on its own validation part, among naive,
seasonal naive and drift; without a validation window, seasonal naive when the history before the
first scored origin (the end of the validation part) holds a full season, else naive. The report
and the training log say which series, and which baseline.
"""

from __future__ import annotations

import numpy as np

from rnnkit.forecast.baselines import Drift, Naive, SeasonalNaive
from rnnkit.series.frame import Series
from rnnkit.series.windows import origins


def candidates(season: int) -> dict:
    out = {"naive": Naive(), "drift": Drift()}
    if season > 1:
        out[f"seasonal_naive({season})"] = SeasonalNaive(season)
    return out


def choose(series: Series, train_end: int, val_end: int, season: int, horizon: int) -> str:
    """The name of the best baseline for one short series, chosen on its validation part only."""
    models = candidates(season)
    at = origins(train_end, val_end, max(1, season), horizon, every=horizon)
    if len(at):
        idx = at[:, None] + np.arange(horizon)[None, :]
        errors = {name: float(np.mean(np.abs(m.forecast(series, at, horizon)[..., 0] - series.y[idx])))
                  for name, m in models.items()}
        return min(errors, key=errors.get)
    seasonal = f"seasonal_naive({season})"
    return seasonal if seasonal in models and val_end >= season else "naive"


def forecast(name: str, season: int, series: Series, at: np.ndarray, horizon: int,
             quantiles: list[float]) -> np.ndarray:
    """(N, horizon, Q) levels: the baseline's point forecast, and around it the spread of the
    series' own k-step changes before each origin (their quantiles less their median), so the
    interval widens with the step; a series with fewer than 3 values before an origin gets none."""
    models = candidates(season)
    model = models.get(name, models["naive"])
    at = np.asarray(at)
    point = model.forecast(series, at, horizon)  # (N, H, 1)
    q = np.asarray(quantiles if len(quantiles) else [0.5], dtype=np.float64)
    out = np.repeat(point, len(q), axis=-1)
    for i, o in enumerate(at):
        out[i] += change_spread(series.y[: int(o)], horizon, q)
    return out


def change_spread(y: np.ndarray, horizon: int, q: np.ndarray) -> np.ndarray:
    """(horizon, Q): quantiles q of the k-step changes y[t+k] - y[t] (k = 1..horizon) less their
    median; where a k has fewer than 2 changes, the one-step spread times sqrt(k)."""
    out = np.zeros((horizon, len(q)))
    if len(y) < 3:
        return out
    one = np.diff(y)
    base = np.quantile(one, q) - np.quantile(one, 0.5)
    for k in range(1, horizon + 1):
        d = y[k:] - y[:-k]
        out[k - 1] = np.quantile(d, q) - np.quantile(d, 0.5) if len(d) >= 2 else base * np.sqrt(k)
    return out


def summary(fallback: dict[str, str], total: int, lookback: int, horizon: int, fits_all: int = 0) -> str:
    """One line for the log and the report."""
    if not fallback:
        return ""
    by: dict[str, int] = {}
    for name in fallback.values():
        by[name] = by.get(name, 0) + 1
    names = ", ".join(list(fallback)[:5]) + (", ..." if len(fallback) > 5 else "")
    kinds = ", ".join(f"{k} for {v}" for k, v in sorted(by.items()))
    return (f"{len(fallback)} of {total} series are too short for --lookback {lookback} + --horizon {horizon} "
            f"in their training part ({names}): forecast by their best baseline ({kinds})"
            + (f"; --lookback {fits_all} would fit every series" if fits_all > 0 else
               "; no --lookback fits every series"))
