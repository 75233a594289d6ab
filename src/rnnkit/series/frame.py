"""The in-memory form of forecasting data: one or many aligned series with their time index."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rnnkit.series.calendar import future_index, infer_freq  # noqa: F401  (re-exported)


@dataclass
class Series:
    """One series. y: (T,) target; X: (T, F) exogenous features; index: dates, or None when the
    time axis is plain positions (0, 1, 2, ...)."""

    id: str
    y: np.ndarray
    X: np.ndarray
    index: pd.DatetimeIndex | None
    t0: int = 0  # position of the first step: the integer ds, or the calendar period number of a date
    split: tuple[int, int] | None = None  # (train_end, val_end) the data was cleaned with

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
    freq: str | None  # a pandas offset alias ("h", "D", "B", "W-MON", "MS", ...), a session, or None for positions
    seasons: tuple[int, ...] = ()  # the seasonal periods the calendar implies, the main one first
    date_col: str = "date"  # the input's column names, kept in the output
    id_col: str = "unique_id"
    notes: list[str] = field(default_factory=list)
    utc: bool = False  # the input's local times (several UTC offsets) were converted to UTC

    def __len__(self) -> int:
        return len(self.series)

    def future(self, s: Series, freq: str | None, horizon: int) -> pd.Index:
        """The `horizon` dates after series `s` (positions for integer data); UTC-aware when the
        input's local times were converted to UTC, so a printed forecast is not read as local time."""
        when = future_index(s.index[-1] if s.index is not None else None, freq, horizon, s.t0 + len(s) - 1)
        return when.tz_localize("UTC") if self.utc and isinstance(when, pd.DatetimeIndex) else when

    @property
    def season(self) -> int | None:
        """The calendar's main season (None when the calendar implies none: positions, yearly data)."""
        return self.seasons[0] if self.seasons else None
