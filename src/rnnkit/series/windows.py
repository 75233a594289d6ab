"""Windows, calendar features and the seasonal period.

A window at origin o reads the history [o - lookback, o) and predicts the targets [o, o + H). It
belongs to the part (train / validation / test) that its targets fall in; its inputs may reach back
into earlier parts, the true history a user would have at that time.

    steps:   ... | o-L ........ o-1 | o ... o+H-1 | ...
                   inputs (lookback)   targets (horizon)
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def origins(start: int, end: int, lookback: int, horizon: int, every: int = 1, first: int = 0) -> np.ndarray:
    """Origins o whose targets [o, o + horizon) lie inside [start, end) and whose inputs
    [o - lookback, o) start at or after `first`."""
    lo = max(start, first + lookback)
    hi = end - horizon  # last origin
    if hi < lo:
        return np.zeros(0, dtype=np.int64)
    return np.arange(lo, hi + 1, every, dtype=np.int64)


def gather(values: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """values: (T, C), starts: (N,) -> (N, length, C), rows starts[i] .. starts[i] + length - 1."""
    idx = starts[:, None] + np.arange(length)[None, :]
    return values[idx]


def calendar_features(index: pd.DatetimeIndex | None, positions: np.ndarray, freq: str | None,
                      season: int) -> np.ndarray:
    """(T, C) sin/cos encodings: day of week and month for daily data, hour of day for sub-daily
    data; for series without dates, the phase of the position within the seasonal period."""
    cols: list[np.ndarray] = []

    def cyclic(value: np.ndarray, period: float) -> None:
        angle = 2 * np.pi * np.asarray(value, dtype=np.float64) / period
        cols.extend([np.sin(angle), np.cos(angle)])

    if index is not None:
        if _sub_daily(freq):
            cyclic(index.hour, 24)
        cyclic(index.day_of_week, 7)
        cyclic(index.month - 1, 12)
    elif season > 1:
        cyclic(positions % season, season)
    if not cols:
        return np.zeros((len(positions), 0))
    return np.stack(cols, axis=1)


def _sub_daily(freq: str | None) -> bool:
    if freq in (None, "B"):
        return False
    try:
        return pd.tseries.frequencies.to_offset(freq).nanos < 86_400 * 10**9
    except ValueError:  # calendar frequencies (months, ...) have no fixed length
        return False


def acf(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Sample autocorrelation at lags 0..max_lag."""
    x = np.asarray(x, dtype=np.float64) - np.mean(x)
    denom = float(np.dot(x, x))
    if denom == 0:
        return np.zeros(max_lag + 1)
    return np.array([1.0] + [float(np.dot(x[:-k], x[k:])) / denom for k in range(1, max_lag + 1)])


def detect_season(train_parts: list[np.ndarray], max_lag: int = 400, threshold: float = 0.3) -> int:
    """The seasonal period from the mean autocorrelation of the first differences over the given
    training parts: the highest local peak (>= threshold) after the autocorrelation first turns
    negative, so a smooth series' slow decay is not mistaken for a season; 1 when there is none."""
    usable = [np.diff(p) for p in train_parts if len(p) > 12]
    if not usable:
        return 1
    lag = min(max_lag, min(len(d) for d in usable) // 3)
    if lag < 3:
        return 1
    r = np.mean([acf(d, lag) for d in usable[:50]], axis=0)
    trough = next((k for k in range(1, lag) if r[k] < 0), lag)  # past the initial decay
    peaks = [k for k in range(max(2, trough), lag) if r[k] >= r[k - 1] and r[k] >= r[k + 1] and r[k] >= threshold]
    return max(peaks, key=lambda k: r[k]) if peaks else 1
