"""Windows, calendar features and the seasonal period.

A window at origin o reads the history [o - lookback, o) and predicts the targets [o, o + H). It
belongs to the part (train / validation / test) that its targets fall in; its inputs may reach back
into earlier parts, the true history a user would have at that time.

    steps:   ... | o-L ........ o-1 | o ... o+H-1 | ...
                   inputs (lookback)   targets (horizon)
"""

from __future__ import annotations

import numpy as np

from rnnkit.series.calendar import DAY, Session, seasons, to_offset


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


def calendar_features(index, positions: np.ndarray, freq: str | None, season: int) -> np.ndarray:
    """(T, C) sin/cos encodings: day of week and month for dated data, time of day for sub-daily
    data; the phase of the position within the seasonal period for series without dates, and for
    dated series whose season is not one the calendar already encodes (a `--season` of the user's).
    Positions of dated series are calendar period numbers, so the phase agrees across a panel."""
    cols: list[np.ndarray] = []

    def cyclic(value: np.ndarray, period: float) -> None:
        angle = 2 * np.pi * np.asarray(value, dtype=np.float64) / period
        cols.extend([np.sin(angle), np.cos(angle)])

    if index is not None:
        if _sub_daily(freq):
            cyclic(index.hour + index.minute / 60, 24)
        cyclic(index.day_of_week, 7)
        cyclic(index.month - 1, 12)
        if season > 1 and season not in seasons(freq):
            cyclic(positions % season, season)
    elif season > 1:
        cyclic(positions % season, season)
    if not cols:
        return np.zeros((len(positions), 0))
    return np.stack(cols, axis=1)


def _sub_daily(freq: str | None) -> bool:
    if freq in (None, "B"):
        return False
    if Session.parse(freq) is not None:
        return True
    try:
        return to_offset(freq).nanos < DAY
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
    """The seasonal period from the autocorrelation of the first differences over the given training
    parts (used for series without a calendar season): the first local peak (>= threshold, within 90%
    of the highest) after the autocorrelation first turns negative, so a smooth series' slow decay is
    not mistaken for a season and a multiple of the season (156 for 52) does not win over it; 1 when
    there is none. Lag k averages the series at least 3k long, so a panel's short series do not hide
    the long seasons of its long ones."""
    usable = [np.diff(p) for p in train_parts if len(p) > 12]
    if not usable:
        return 1
    usable = sorted(usable, key=len, reverse=True)[:50]
    lag = min(max_lag, len(usable[0]) // 3)
    if lag < 3:
        return 1
    total, count = np.zeros(lag + 1), np.zeros(lag + 1)
    for d in usable:
        k = min(lag, len(d) // 3)
        total[: k + 1] += acf(d, k)
        count[: k + 1] += 1
    r = total / np.maximum(count, 1)
    trough = next((k for k in range(1, lag) if r[k] < 0), lag)  # past the initial decay
    peaks = [k for k in range(max(2, trough), lag) if r[k] >= r[k - 1] and r[k] >= r[k + 1] and r[k] >= threshold]
    if not peaks:
        return 1
    best = max(r[k] for k in peaks)
    return next(k for k in peaks if r[k] >= 0.9 * best)


def lookback_that_fits(lengths: list[int], horizon: int, first: int = 0) -> int:
    """The largest lookback for which a series of each length still has one training window."""
    return max(0, min(lengths) - horizon - first)
