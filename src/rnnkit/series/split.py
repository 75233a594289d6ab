"""Chronological train / validation / test boundaries, by fractions, step counts or dates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnnkit.errors import RnnkitError


def split_bounds(n: int, val: float, test: float, index: pd.DatetimeIndex | None = None,
                 val_start: str | None = None, test_start: str | None = None, at_least: int = 0) -> tuple[int, int]:
    """(train_end, val_end): train = [0, train_end), validation = [train_end, val_end), test =
    [val_end, n). `val` / `test` below 1 are fractions of n, from 1 up they are step counts;
    dates (first step on or after the date) take precedence over them. A part given as a fraction
    holds at least `at_least` steps (the forecast horizon: a shorter part could not score one
    forecast), so a short series is not refused for the rounding of its fractions."""
    test_n = _count(n, test, "test", at_least)
    val_n = _count(n, val, "val", at_least)
    val_end = n - test_n
    train_end = val_end - val_n
    if test_start is not None:
        val_end = _position(index, test_start, "test_start")
    if val_start is not None:
        train_end = _position(index, val_start, "val_start")
    elif test_start is not None:
        train_end = val_end - val_n
    if not 0 < train_end <= val_end <= n and test_start is None and val_start is None:
        floor = f" (each at least the horizon, {at_least})" if at_least else ""
        raise RnnkitError(f"the split leaves no training data: of {n} steps the test part takes {test_n} and the "
                          f"validation part {val_n}{floor}; give more data, a shorter --horizon or smaller --val/--test")
    if not 0 < train_end <= val_end <= n:
        raise RnnkitError(_by_dates(index, train_end, val_end, val_n, val, val_start, test_start))
    return train_end, val_end


def _by_dates(index: pd.DatetimeIndex, train_end: int, val_end: int, val_n: int, val: float,
              val_start: str | None, test_start: str | None) -> str:
    """Why split dates leave no training data, in the dates and flags the user gave."""
    first = _day(index[0])
    if val_start is not None and test_start is not None and train_end > val_end:
        return (f"--val-start {val_start} is after --test-start {test_start}: the validation part comes before the "
                "test part; give an earlier --val-start or a later --test-start")
    if val_start is not None:
        return (f"--val-start {val_start} is on or before the first date, {first}: no training data is left before "
                "it; give a later --val-start")
    if val_end == 0:
        return (f"--test-start {test_start} is on or before the first date, {first}: no data is left before it; "
                "give a later --test-start")
    return (f"--test-start {test_start} leaves {val_end} steps before it ({first} to {_day(index[val_end - 1])}), "
            f"and the validation part takes {val_n} of them (--val {val:g}): none is left for training; give a "
            "later --test-start, a --val-start, or a smaller --val")


def _day(t: pd.Timestamp) -> str:
    t = pd.Timestamp(t)
    return str(t.date()) if t == t.normalize() else str(t)


def _count(n: int, value: float, name: str, at_least: int = 0) -> int:
    if value < 0:
        raise RnnkitError(f"data.{name} must be >= 0, got {value}")
    if value >= 1:
        if value != int(value):
            raise RnnkitError(f"data.{name} from 1 up counts steps and must be whole, got {value} "
                              "(a share is below 1)")
        return int(value)
    return max(int(round(value * n)), at_least) if value > 0 else 0


def _position(index: pd.DatetimeIndex | None, date: str, name: str) -> int:
    flag = "--" + name.replace("_", "-")  # data.test_start in a config file
    if index is None:
        raise RnnkitError(f"{flag} needs dated data; this series has positions only")
    try:
        when = pd.Timestamp(date)
    except ValueError:
        raise RnnkitError(f"{flag}: {date!r} is not a date (e.g. 2021-03-01)") from None
    at = int(np.searchsorted(index.values, np.datetime64(when), side="left"))
    if at == len(index):
        raise RnnkitError(f"{flag} {date} is after the last date, {_day(index[-1])}; the part would be empty")
    return at
