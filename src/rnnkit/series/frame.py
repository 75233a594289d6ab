"""The in-memory form of forecasting data: one or many aligned series with their time index."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Series:
    """One series. y: (T,) target; X: (T, F) exogenous features; index: dates, or None when the
    time axis is plain positions (0, 1, 2, ...)."""

    id: str
    y: np.ndarray
    X: np.ndarray
    index: pd.DatetimeIndex | None
    t0: int = 0  # position of the first step when index is None (e.g. the long format's integer ds)

    def __len__(self) -> int:
        return len(self.y)

    def head(self, n: int) -> "Series":
        """The first n steps (the history a forecaster at origin n would have)."""
        return Series(self.id, self.y[:n], self.X[:n], None if self.index is None else self.index[:n], self.t0)


@dataclass
class SeriesSet:
    series: list[Series]
    target: str
    features: list[str]
    freq: str | None  # "B" (business days), "D", or a pandas offset alias; None for positions

    def __len__(self) -> int:
        return len(self.series)


def infer_freq(index: pd.DatetimeIndex) -> str | None:
    """'B' when every date is a weekday and steps are mostly one day (stock data with holidays),
    else the pandas alias of the most common step."""
    if len(index) < 3:
        return None
    deltas = np.diff(index.values.astype("datetime64[ns]").astype(np.int64))
    step = pd.Timedelta(int(np.median(deltas)), unit="ns")
    if step == pd.Timedelta(days=1):
        return "B" if (index.day_of_week < 5).all() else "D"
    try:
        return pd.tseries.frequencies.to_offset(step).freqstr
    except ValueError:
        return None


def future_index(last: pd.Timestamp | None, freq: str | None, horizon: int, last_position: int) -> pd.Index:
    """The `horizon` time stamps after `last`: business days for 'B' (weekends skipped), positions
    last_position+1.. when the series has no dates."""
    if last is None or freq is None:
        return pd.RangeIndex(last_position + 1, last_position + 1 + horizon)
    offset = pd.tseries.frequencies.to_offset(freq)
    return pd.date_range(last + offset, periods=horizon, freq=offset)
