"""Frequencies, the regular grid of a series, future dates and the seasons a calendar implies.

A frequency is a pandas offset alias (`min`, `30min`, `h`, `D`, `B`, `W-MON`, `MS`, `ME`, `QS-JAN`,
`YS-JAN`, ...) found by `pd.infer_freq`, or, when rows are missing (so pandas finds none), by the most
common step checked against the offset's own calendar (every date on a month start, ...).

Two kinds of data follow a trading calendar rather than the clock, and are read as series of the
periods that exist (not every clock step):
- business days (`B`): a missing weekday is a market holiday, counted but not inserted, and so is a
  run of up to CLOSURE of them (the NYSE closed 4 days after 9/11); a longer run is missing data,
  inserted like any missing stamp;
- business hours (a session such as `5min@07:00-21:00@Mon,Tue,Wed,Thu,Fri`): every day with data
  holds the same intervals; nights, weekends and days without any row are closed, not missing.
  Missing intervals inside an open day are inserted; the season is the intervals per day.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from rnnkit.errors import RnnkitError

DAY = 86_400 * 10**9
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


@dataclass(frozen=True)
class Session:
    """Intervals of `step` from `start` to `end` (both included) on the weekdays `days` (0 = Monday)."""

    step: str
    start: pd.Timedelta
    end: pd.Timedelta
    days: tuple[int, ...]

    def __str__(self) -> str:
        return f"{self.step}@{_hhmm(self.start)}-{_hhmm(self.end)}@{','.join(DAYS[d] for d in self.days)}"

    @property
    def nanos(self) -> int:
        return int(pd.Timedelta(pd.tseries.frequencies.to_offset(self.step)).value)

    @property
    def per_day(self) -> int:
        return int((self.end - self.start).value // self.nanos) + 1

    @classmethod
    def parse(cls, freq: str | None) -> "Session | None":
        if not freq or "@" not in freq:
            return None
        try:
            step, hours, days = freq.split("@")
            start, end = (pd.Timedelta(f"{t}:00") for t in hours.split("-"))
            return cls(step, start, end, tuple(DAYS.index(d) for d in days.split(",")))
        except ValueError:
            raise RnnkitError(f"--freq {freq!r}: a session is written STEP@HH:MM-HH:MM@Mon,Tue,... "
                              "(e.g. 5min@07:00-21:00@Mon,Tue,Wed,Thu,Fri)") from None

    def grid(self, days: pd.DatetimeIndex) -> pd.DatetimeIndex:
        """Every interval of the given (open) days."""
        slots = self.start + pd.to_timedelta(np.arange(self.per_day) * self.nanos, unit="ns")
        return pd.DatetimeIndex((days.values[:, None] + slots.values[None, :]).ravel())

    def after(self, last: pd.Timestamp, horizon: int) -> pd.DatetimeIndex:
        """The next `horizon` intervals after `last`, skipping nights and closed weekdays."""
        out, day = [], last.normalize()
        slot = int((last - day - self.start).value // self.nanos) + 1
        while len(out) < horizon:
            if slot >= self.per_day or day.day_of_week not in self.days:
                day, slot = day + pd.Timedelta(days=1), 0
                continue
            take = min(self.per_day - slot, horizon - len(out))
            out.extend(day + self.start + pd.Timedelta(self.nanos * k, unit="ns") for k in range(slot, slot + take))
            slot += take
        return pd.DatetimeIndex(out)


def _hhmm(t: pd.Timedelta) -> str:
    minutes = int(t.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def to_offset(freq: str) -> pd.DateOffset:
    try:
        return pd.tseries.frequencies.to_offset(freq)
    except ValueError:
        raise RnnkitError(f"--freq {freq!r} is not a pandas frequency (e.g. min, 30min, h, D, B, W-MON, MS, "
                          "ME, QS, YS) or a session (5min@07:00-21:00@Mon,Tue,Wed,Thu,Fri)") from None


def _ns(index: pd.DatetimeIndex) -> np.ndarray:
    return index.as_unit("ns").asi8


def infer_freq(index: pd.DatetimeIndex) -> str | None:
    """The frequency of a sorted, duplicate-free index; None when there is no regular step."""
    if len(index) < 3:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = pd.infer_freq(index)
    if found is not None:
        return _canonical(getattr(found, "freqstr", found))
    ns = _ns(index)
    steps, counts = np.unique(np.diff(ns), return_counts=True)
    step = int(steps[counts.argmax()])
    alias = _canonical(_alias_for(index, step))
    if alias is None:
        return None
    if step < DAY:
        if ((ns - ns[0]) % step).any():
            return None
        full = len(index) / ((ns[-1] - ns[0]) // step + 1)
        session = _session(index, step, alias)
        if session is not None and full < 0.9:
            return str(session)
        return alias if full >= 0.5 else None
    offset = to_offset(alias)
    if not all(offset.is_on_offset(t) for t in index[:: max(1, len(index) // 500)]):
        return None
    if alias == "B":
        return alias
    return alias if len(index) / len(pd.date_range(index[0], index[-1], freq=offset)) >= 0.5 else None


def _canonical(alias: str | None) -> str | None:
    """One name for each quarterly calendar: pandas 2 calls quarters starting Jan/Apr/Jul/Oct
    `QS-OCT` and pandas 3 `QS-JAN`; both are written QS-JAN (QS-FEB, QS-MAR) and QE-DEC (QE-OCT, QE-NOV)."""
    if alias and alias[:3] in ("QS-", "QE-") and alias[3:] in MONTHS:
        k = MONTHS.index(alias[3:]) % 3
        return f"{alias[:3]}{MONTHS[k if alias[1] == 'S' else k + 9]}"
    return alias


def _alias_for(index: pd.DatetimeIndex, step: int) -> str | None:
    days = step / DAY
    first = index[0]
    if step < DAY:
        return pd.tseries.frequencies.to_offset(pd.Timedelta(step, unit="ns")).freqstr
    if days == 1:
        return "B" if (index.day_of_week < 5).all() else "D"
    if days == int(days) and days < 7:
        return f"{int(days)}D"
    if days == 7:
        return f"W-{DAYS[first.day_of_week].upper()}"
    if 28 <= days <= 31:
        return "MS" if index.is_month_start.all() else "ME" if index.is_month_end.all() else None
    kind = "Q" if 89 <= days <= 92 else "Y" if 365 <= days <= 366 else None
    if kind is None:
        return None
    if index.is_month_start.all():  # QS-JAN: quarters starting in Jan/Apr/Jul/Oct; YS-JUL: years from July
        return f"{kind}S-{MONTHS[(first.month - 1) % 3 if kind == 'Q' else first.month - 1]}"
    if index.is_month_end.all():  # QE-MAR == QE-DEC: quarters ending in Mar/Jun/Sep/Dec
        return f"{kind}E-{MONTHS[first.month - 1]}"
    return None


def _session(index: pd.DatetimeIndex, step: int, alias: str) -> Session | None:
    """A business-hours session when every open day holds the same window of intervals."""
    tod = index - index.normalize()
    start, end = tod.min(), tod.max()
    days = tuple(sorted(set(index.day_of_week)))
    open_days = index.normalize().unique()
    per_day = int((end - start).value // step) + 1
    if len(open_days) < 2 or per_day < 2:
        return None
    if per_day * step >= DAY and len(days) == 7:
        return None  # open around the clock every day: missing days are missing, not closed
    if len(index) / (len(open_days) * per_day) < 0.9:
        return None  # not the same window every day
    return Session(alias, start, end, days)


def check_freq(freq: str, index: pd.DatetimeIndex, where: str) -> None:
    """The given frequency fits the dates (every date on its grid)."""
    session = Session.parse(freq)
    if session is not None:
        tod = index - index.normalize()
        off = ((tod - session.start).as_unit("ns").asi8 % session.nanos != 0) \
            | (tod < session.start) | (tod > session.end)
        bad = np.flatnonzero(np.asarray(off))
    elif isinstance(to_offset(freq), pd.offsets.Tick):
        step = int(pd.Timedelta(to_offset(freq)).value)
        bad = np.flatnonzero((_ns(index) - _ns(index)[0]) % step)
    else:
        offset = to_offset(freq)
        bad = [i for i, t in enumerate(index) if not offset.is_on_offset(t)][:1]
    if len(bad):
        raise RnnkitError(f"{where}: the date {index[int(bad[0])]} is not on the frequency {freq!r}; "
                          "give the frequency the dates follow with --freq")


JITTER = 0.25  # times within this share of a step from a sub-daily grid are readings of that grid
GRIDS = ("s", "5s", "10s", "15s", "30s", "min", "2min", "5min", "10min", "15min", "30min", "h")


def round_to_grid(dates: pd.Series, freq: str) -> tuple[pd.Series, int, pd.Timedelta]:
    """Sensor times a little off a sub-daily grid (a logger writing 10:01:03 for 10:01) rounded to
    the grid of `freq`, the one the user named: (dates, stamps moved, largest move). Unchanged when
    `freq` is not a fixed sub-daily step, when every date is on it, or when one date is further
    than JITTER of a step from it (then it is not jitter, and check_freq names that date)."""
    offset = to_offset(freq) if Session.parse(freq) is None else None
    if not isinstance(offset, pd.offsets.Tick) or pd.Timedelta(offset) >= pd.Timedelta(days=1):
        return dates, 0, pd.Timedelta(0)
    step = pd.Timedelta(offset)
    try:
        rounded = dates.dt.round(step)
    except (ValueError, TypeError):  # e.g. an ambiguous local time
        return dates, 0, pd.Timedelta(0)
    moved = (dates - rounded).abs()
    if not moved.any() or moved.max() > JITTER * step:
        return dates, 0, pd.Timedelta(0)
    return rounded, int((moved > pd.Timedelta(0)).sum()), moved.max()


def jitter_hint(index: pd.DatetimeIndex) -> str:
    """For dates whose frequency cannot be inferred: the sub-daily grid they jitter around, if any."""
    if len(index) < 3:
        return ""
    median = pd.Timedelta(int(np.median(np.diff(_ns(index)))), unit="ns")
    for alias in GRIDS:
        step = pd.Timedelta(to_offset(alias))
        if abs(median - step) <= JITTER * step and (index - index.round(step)).to_series().abs().max() <= JITTER * step:
            return f"; the times are within {JITTER:.0%} of a {alias} grid: --freq {alias} rounds them to it"
    return ""


def grid(index: pd.DatetimeIndex, freq: str) -> pd.DatetimeIndex:
    """The regular index from the first to the last date: every step of the frequency, except the
    closed periods of a trading calendar (absent business days; nights, weekends and absent days of
    a session)."""
    session = Session.parse(freq)
    if session is not None:  # whole open days, cut to the first and last stamps (a day in progress ends there)
        full = session.grid(index.normalize().unique())
        return full[(full >= index[0]) & (full <= index[-1])]
    if freq == "B":
        return _with_long_gaps(index)
    return _date_range(index[0], index[-1], freq, index.unit)


CLOSURE = 5  # business days: the longest run of missing weekdays read as a market closure, not missing data


def closures(index: pd.DatetimeIndex) -> np.ndarray:
    """(T-1,) the business days missing between consecutive dates of business-day data."""
    days = index.values.astype("datetime64[D]")
    return np.clip(np.busday_count(days[:-1], days[1:]) - 1, 0, None)


def _with_long_gaps(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Business-day dates plus every business day of the runs longer than CLOSURE missing from them."""
    missing = closures(index)
    long = np.flatnonzero(missing > CLOSURE)
    if not len(long):
        return index
    filled = [pd.bdate_range(index[i] + pd.offsets.BDay(1), periods=int(missing[i])).as_unit(index.unit) for i in long]
    return index.append(filled).sort_values()


@lru_cache(maxsize=64)
def _date_range(first: pd.Timestamp, last: pd.Timestamp, freq: str, unit: str) -> pd.DatetimeIndex:
    """pd.date_range, once per span: cleaning asks for each series' grid twice (gaps, then
    regularising), and pandas builds calendar offsets (MS, W, QS) one stamp at a time."""
    return pd.date_range(first, last, freq=to_offset(freq)).as_unit(unit)


def future_index(last: pd.Timestamp | None, freq: str | None, horizon: int, last_position: int) -> pd.Index:
    """The `horizon` time stamps after `last` on the frequency's calendar (month starts stay month
    starts, business days skip weekends, sessions skip nights); positions last_position+1.. when the
    series has no dates."""
    if last is None or freq is None:
        return pd.RangeIndex(last_position + 1, last_position + 1 + horizon)
    session = Session.parse(freq)
    if session is not None:
        return session.after(pd.Timestamp(last), horizon)
    offset = to_offset(freq)
    return pd.date_range(pd.Timestamp(last) + offset, periods=horizon, freq=offset)


def seasons(freq: str | None) -> tuple[int, ...]:
    """Seasonal periods the calendar implies, the main one first: hourly (24, 168), half-hourly
    (48, 336), any sub-daily step (a day, a week), daily 7, business days 5, weekly 52, monthly 12,
    quarterly 4; a session (intervals per day, per week). () for positions and yearly data."""
    if freq is None:
        return ()
    session = Session.parse(freq)
    if session is not None:
        return (session.per_day, session.per_day * len(session.days))
    offset = to_offset(freq)
    code = offset.rule_code.split("-")[0]
    if isinstance(offset, pd.offsets.Tick) and pd.Timedelta(offset).value < DAY:
        per_day = DAY / pd.Timedelta(offset).value
        return (int(per_day), int(7 * per_day)) if per_day == int(per_day) and per_day > 1 else ()
    if code == "D":
        return (7 // offset.n,) if 7 % offset.n == 0 and offset.n < 7 else ()
    # business days: a trading calendar with no season of its own (stocks); the autocorrelation decides
    table = {"W": 52, "MS": 12, "ME": 12, "BMS": 12, "BME": 12, "SMS": 24, "SME": 24,
             "QS": 4, "QE": 4, "BQS": 4, "BQE": 4}
    m = table.get(code, 1)
    m = m // offset.n if m % offset.n == 0 else 1
    return (m,) if m > 1 else ()


def ordinals(index: pd.DatetimeIndex, freq: str | None) -> np.ndarray:
    """(T,) the number of periods since 1970 of each date, so a seasonal phase (ordinal mod m) is the
    same calendar phase in every series of a panel."""
    session = Session.parse(freq)
    days = index.normalize().values.astype("datetime64[D]")
    if session is not None:
        slot = ((index - index.normalize()) - session.start).as_unit("ns").asi8 // session.nanos
        return np.busday_count(np.datetime64("1970-01-01"), days) * session.per_day + np.asarray(slot)
    offset = to_offset(freq)
    code = offset.rule_code.split("-")[0]
    if isinstance(offset, pd.offsets.Tick):
        return _ns(index) // int(pd.Timedelta(offset).value)
    if code in ("B", "C"):
        return np.busday_count(np.datetime64("1970-01-01"), days) // offset.n
    months = (index.year - 1970) * 12 + index.month - 1
    per = {"W": None, "Y": 12, "YS": 12, "YE": 12, "Q": 3, "QS": 3, "QE": 3, "BQS": 3, "BQE": 3}
    if code == "W":
        return (days.astype(np.int64) + 3) // (7 * offset.n)  # 1970-01-01 was a Thursday
    if code in per:
        return np.asarray(months) // (per[code] * offset.n)
    if code in ("MS", "ME", "BMS", "BME", "SMS", "SME"):
        return np.asarray(months) // offset.n
    return days.astype(np.int64) // offset.n


def probe_index(freq: str, n: int) -> pd.DatetimeIndex:
    """n dates on the frequency (for the width of calendar inputs)."""
    return future_index(pd.Timestamp("2000-01-02"), freq, n, 0)
