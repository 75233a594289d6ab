"""Reading a date column without guessing.

Supported forms: ISO dates and times (`2021-03-04`, `2021-03-04 13:30`, `2021-03-04T13:30:00+01:00`),
day/month/year with `/`, `-` or `.` (`04/03/2021`, `04.03.2021`), month/day/year (`03/04/2021`), ISO
week strings (`2021-W09`, `2021 W09`: the Monday of that week), quarters (`2021Q1`, `2021 Q1`: the
quarter's first day), YYYYMMDD integers (`20210304`, when every value is a valid date), YYYYMM integers
(`202103`: month starts, when every value's month is 01-12), other integers
(read as positions, not dates), and any `--date-format` (`%s`: unix seconds, read as UTC times; integers are
never taken for unix times unasked, as they could be positions).

Day/month order is decided by the data, never guessed: a value with a first part above 12 proves
day-first, a second part above 12 proves month-first. When no value proves either, the dates are
refused unless `--dayfirst` / `--no-dayfirst` or `--date-format` says which. Dotted dates
(`04.03.2021`) are the day-first notation (DIN 5008 and most of Europe) and are read day-first.

Time zones: offsets that are all equal are dropped (the wall-clock time is kept); different offsets
(daylight saving), or a datetime column in a named zone, are converted to UTC, which is regular
where local time is not, except when every value is at local midnight: those are dates, and the
local dates are kept.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from rnnkit.errors import RnnkitError

EPOCH = "%s"  # --date-format for unix seconds (seconds since 1970-01-01 UTC), as GNU date +%s writes them
_DMY = re.compile(r"^\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})(?=$|[ T])")
_WEEK = re.compile(r"^\s*(\d{4})[- ]?W(\d{1,2})\s*$", re.IGNORECASE)
_QUARTER = re.compile(r"^\s*(\d{4})[- ]?Q([1-4])\s*$", re.IGNORECASE)
_OFFSET = re.compile(r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})\s*$")  # after a time of day
_OFFSET_ONLY = re.compile(r"\s*(?:Z|[+-]\d{2}:?\d{2})\s*$")
_MIDNIGHT = re.compile(r"[T ]00:00(?::00(?:\.0+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})\s*$")


def parse_dates(values: pd.Series, line_offset: int, where: str, column: str,
                date_format: str | None = None, dayfirst: bool | None = None) -> pd.Series:
    """Datetimes (naive), or int64 positions when the column is integer (e.g. M4's hour numbers)."""
    if pd.api.types.is_integer_dtype(values) and date_format is None:
        compact = _compact_dates(values.astype(str))
        return compact if compact is not None else values.astype("int64")
    if pd.api.types.is_datetime64_any_dtype(values):
        tz = getattr(values.dt, "tz", None)
        if tz is not None and tz.utcoffset(None) is None and not (values == values.dt.normalize()).all():
            values = values.dt.tz_convert("UTC")  # times in a zone with daylight saving: to UTC
        return _drop_zone(values)  # local dates (every value at midnight) keep their dates
    text = values.astype(str).str.strip()
    if text.str.contains(_MIDNIGHT).all():  # local dates written with their offset: the dates are kept
        text = text.str.replace(_OFFSET_ONLY, "", regex=True)
    if date_format is None and text.str.fullmatch(r"-?\d+").all():
        compact = _compact_dates(text)
        return compact if compact is not None else text.astype("int64")

    def fail(i: int, why: str) -> RnnkitError:
        hint = "; say which with --dayfirst (or --no-dayfirst) or --date-format (e.g. %d/%m/%Y)" \
            if "ambiguous" in why else ""
        return RnnkitError(f"{where}: date column {column!r} {why}: {values.iloc[i]!r} at row {i + 1} "
                           f"(line {i + line_offset}){hint}")

    if date_format == EPOCH:
        seconds = pd.to_numeric(text, errors="coerce")
        bad = np.flatnonzero((seconds.isna() | ~(seconds.abs() < 1e11)).to_numpy())  # 1e11 s: year 5138
        if len(bad):
            raise fail(int(bad[0]), f"has a value that is not unix seconds (--date-format {EPOCH})")
        return pd.Series(pd.to_datetime(seconds, unit="s"), index=text.index)  # UTC, kept naive
    if date_format is not None:
        try:
            parsed = pd.to_datetime(text, format=date_format, errors="coerce", utc=_zoned(text))
        except ValueError as e:  # a directive strptime does not know: '%q'
            raise RnnkitError(f"--date-format {date_format!r} is not a strftime form ({str(e).splitlines()[0]}); "
                              f"e.g. %d.%m.%Y or %Y-%m-%d %H:%M, or {EPOCH} for unix seconds") from None
        bad = np.flatnonzero(parsed.isna().to_numpy())
        if len(bad):
            raise fail(int(bad[0]), f"has a value that does not match --date-format {date_format!r}")
        return _drop_zone(parsed)
    if text.str.match(_WEEK).all():
        parts = text.str.extract(_WEEK)
        iso = parts[0] + "-W" + parts[1].str.zfill(2) + "-1"
        parsed = pd.to_datetime(iso, format="%G-W%V-%u", errors="coerce")
    elif text.str.match(_QUARTER).all():
        parts = text.str.extract(_QUARTER)
        parsed = pd.PeriodIndex.from_fields(year=parts[0].astype(int), quarter=parts[1].astype(int),
                                            freq="Q").to_timestamp()
        parsed = pd.Series(parsed, index=text.index)
    else:
        first = _day_first(text, dayfirst, fail)
        parsed = pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=bool(first), utc=_zoned(text))
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        raise fail(int(bad[0]), "has a value that does not parse as a date (give its form with --date-format)")
    return _drop_zone(parsed)


def two_digit_years(values: pd.Series) -> str | None:
    """The first value when every date is three two-digit parts (20-01-31: yy-mm-dd or dd-mm-yy),
    so the year's place cannot be told from the form; None otherwise."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return None
    text = values.dropna().astype(str).str.strip()
    if not len(text) or not text.str.fullmatch(r"\d{2}([-/.])\d{2}\1\d{2}").all():
        return None
    return str(text.iloc[0])


def _compact_dates(text: pd.Series) -> pd.Series | None:
    """Dates written as YYYYMMDD integers (20210304), when every value is a valid date of the years
    1800-2199, or as YYYYMM integers (202103: the month's first day), when every value is a month
    01-12 of those years; None otherwise (the integers are positions)."""
    for pattern, form in ((r"(18|19|20|21)\d{6}", "%Y%m%d"), (r"(18|19|20|21)\d{2}(0[1-9]|1[0-2])", "%Y%m")):
        if text.str.fullmatch(pattern).all():
            parsed = pd.to_datetime(text, format=form, errors="coerce")
            return None if parsed.isna().any() else parsed
    return None


def _day_first(text: pd.Series, dayfirst: bool | None, fail) -> bool | None:
    """True / False for numeric d/m/y or m/d/y dates, None when the dates are year-first (ISO)."""
    parts = text.str.extract(_DMY)
    numeric = parts[0].notna().to_numpy()
    if not numeric.any():
        return None
    a = parts[0].astype(float).to_numpy()
    b = parts[2].astype(float).to_numpy()
    day_proof = np.flatnonzero(numeric & (a > 12) & (b <= 12))  # 13/01/2021: the first part is a day
    month_proof = np.flatnonzero(numeric & (b > 12) & (a <= 12))  # 01/13/2021: the second part is a day
    if len(day_proof) and len(month_proof):
        raise fail(int(month_proof[0]), f"mixes day-first ({text.iloc[day_proof[0]]!r}) and month-first dates")
    if dayfirst is True and len(month_proof):
        raise fail(int(month_proof[0]), "is month-first, but --dayfirst was given")
    if dayfirst is False and len(day_proof):
        raise fail(int(day_proof[0]), "is day-first, but --no-dayfirst was given")
    if len(day_proof):
        return True
    if len(month_proof):
        return False
    if dayfirst is not None:
        return dayfirst
    ambiguous = np.flatnonzero(numeric & (a <= 12) & (b <= 12) & (a != b))  # 01/01/2021 reads the same
    if not len(ambiguous):
        return False
    first = int(ambiguous[0])
    if parts[1].iloc[first] == ".":
        return True  # dotted dates are the day-first notation
    raise fail(first, "has ambiguous dates (day/month or month/day, and no value decides it), the first")


def _zoned(text: pd.Series) -> bool:
    """True when the values carry different UTC offsets (parse in UTC, so they can be compared)."""
    return text.str.extract(_OFFSET)[0].dropna().nunique() > 1


def _drop_zone(parsed: pd.Series) -> pd.Series:
    parsed = pd.Series(parsed)
    if getattr(parsed.dt, "tz", None) is None:
        return parsed
    return parsed.dt.tz_localize(None)  # UTC after a UTC parse, else the one offset's wall clock


TO_UTC = "converted to UTC"  # how zone_note ends when the times became UTC (forecast dates say so: +00:00)


def zone_note(text: pd.Series) -> str:
    """'' or how time zones were handled (for the cleaning report)."""
    offsets = text.astype(str).str.extract(_OFFSET)[0].dropna().unique()
    if len(offsets) == 0:
        return ""
    if len(offsets) == 1:
        return f"UTC offset {offsets[0]} on every row: wall-clock times kept"
    if text.astype(str).str.strip().str.contains(_MIDNIGHT).all():
        return f"UTC offsets {', '.join(sorted(map(str, offsets))[:4])} on dates at local midnight: the local dates kept"
    return f"UTC offsets {', '.join(sorted(map(str, offsets))[:4])}: {TO_UTC}"
