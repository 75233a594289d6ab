"""Baselines are models too: `fit(data, train_ends)` and `forecast(series, origins, horizon)` ->
levels (N, H, 1), exactly like the estimator, so every report scores them on the same points."""

from __future__ import annotations

import numpy as np

from rnnkit.series.frame import Series, SeriesSet
from rnnkit.series.windows import acf


class Naive:
    """Persistence: every future step equals the last observed value."""

    name = "naive"

    def fit(self, data: SeriesSet, train_ends: list[int]) -> "Naive":
        return self

    def forecast(self, series: Series, at: np.ndarray, horizon: int) -> np.ndarray:
        last = series.y[np.asarray(at) - 1]
        return np.repeat(last[:, None], horizon, axis=1)[:, :, None]


class SeasonalNaive:
    """Step h repeats the value one season (m steps) before it: y[o + h - m * ceil((h + 1) / m)]."""

    def __init__(self, season: int):
        self.season = max(1, season)
        self.name = f"seasonal_naive({self.season})"

    def fit(self, data: SeriesSet, train_ends: list[int]) -> "SeasonalNaive":
        return self

    def forecast(self, series: Series, at: np.ndarray, horizon: int) -> np.ndarray:
        m = self.season
        back = m - (np.arange(horizon) % m)  # (H,): steps back from o + h
        idx = np.asarray(at)[:, None] - back[None, :]  # o - m + (h mod m)
        return series.y[np.clip(idx, 0, None)][:, :, None]


class Drift:
    """The last value plus h times the average step over the history: y[o-1] + h (y[o-1] - y[0]) / (o-1)."""

    name = "drift"

    def fit(self, data: SeriesSet, train_ends: list[int]) -> "Drift":
        return self

    def forecast(self, series: Series, at: np.ndarray, horizon: int) -> np.ndarray:
        at = np.asarray(at)
        last = series.y[at - 1]
        slope = (last - series.y[0]) / np.maximum(at - 1, 1)
        return (last[:, None] + slope[:, None] * np.arange(1, horizon + 1)[None, :])[:, :, None]


class MovingAverage:
    """The mean of the last `window` values, for every future step."""

    def __init__(self, window: int):
        self.window = max(1, window)
        self.name = f"moving_average({self.window})"

    def fit(self, data: SeriesSet, train_ends: list[int]) -> "MovingAverage":
        return self

    def forecast(self, series: Series, at: np.ndarray, horizon: int) -> np.ndarray:
        at = np.asarray(at)
        csum = np.concatenate([[0.0], np.cumsum(series.y)])
        lo = np.maximum(at - self.window, 0)
        mean = (csum[at] - csum[lo]) / (at - lo)
        return np.repeat(mean[:, None], horizon, axis=1)[:, :, None]


class Naive2:
    """M4's Naive2: naive on seasonally adjusted data (classical multiplicative decomposition),
    the seasonality kept only when a 90% autocorrelation test at lag m says the series is seasonal.
    Seasonal indices come from the history before each origin."""

    def __init__(self, season: int):
        self.season = season
        self.name = "naive2"

    def fit(self, data: SeriesSet, train_ends: list[int]) -> "Naive2":
        return self

    def forecast(self, series: Series, at: np.ndarray, horizon: int) -> np.ndarray:
        out = np.zeros((len(at), horizon, 1))
        for i, o in enumerate(np.asarray(at)):
            y = series.y[:o]
            idx = seasonal_indices(y, self.season)  # (m,)
            m = len(idx)
            adjusted_last = y[-1] / idx[(len(y) - 1) % m]
            out[i, :, 0] = adjusted_last * idx[(len(y) + np.arange(horizon)) % m]
        return out


def is_seasonal(y: np.ndarray, m: int) -> bool:
    """M4's test: |acf(m)| > 1.645 * sqrt((1 + 2 * sum_{k<m} acf(k)^2) / n)."""
    if m <= 1 or len(y) < 3 * m:
        return False
    r = acf(y, m)
    limit = 1.645 * np.sqrt((1 + 2 * np.sum(r[1:m] ** 2)) / len(y))
    return abs(r[m]) > limit


def seasonal_indices(y: np.ndarray, m: int) -> np.ndarray:
    """(m,) multiplicative indices by position (t mod m), all ones when not seasonal."""
    if not is_seasonal(y, m):
        return np.ones(1)
    # centred moving average of order 2 x m (m even) or m (odd), as in classical decomposition
    if m % 2 == 0:
        kernel = np.r_[0.5, np.ones(m - 1), 0.5] / m
    else:
        kernel = np.ones(m) / m
    trend = np.convolve(y, kernel, mode="valid")
    offset = (len(kernel) - 1) // 2
    ratio = y[offset:offset + len(trend)] / trend
    pos = (np.arange(len(ratio)) + offset) % m
    idx = np.array([ratio[pos == k].mean() for k in range(m)])
    return idx * m / idx.sum()


def default_baselines(season: int, window: int = 5) -> list:
    out = [Naive()]
    if season > 1:
        out += [SeasonalNaive(season), Naive2(season)]
    out += [Drift(), MovingAverage(season if season > 1 else window)]
    return out
