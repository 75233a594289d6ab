"""Cleaning with a report: every change to the user's data is counted, nothing is silent.

Per series: dates parsed (rnnkit.series.dates; errors name the line), unsorted dates sorted,
duplicate dates kept-last or refused, non-numeric or non-finite cells refused (naming row and
column), the series put on its regular grid (missing time stamps inserted, rnnkit.series.calendar),
then split, and inside each part missing values forward-filled / interpolated / dropped and outliers
in the one-step changes flagged or clipped with statistics of the training part only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rnnkit.errors import RnnkitError
from rnnkit.series.calendar import CLOSURE, closures, grid, to_offset
from rnnkit.series.dates import parse_dates  # noqa: F401  (re-exported)
from rnnkit.series.split import split_bounds

DUPLICATES = ("keep_last", "error")
MISSING = ("ffill", "interpolate", "drop")
OUTLIERS = ("flag", "clip", "none")
OUTLIER_METHODS = ("robust_z", "iqr")
THOUSANDS = (",", ".", " ", "'")  # 1,078  1.078  1 078  1'078


@dataclass
class CleanPolicy:
    """How a table is read and cleaned. Cleaning never reads a later part: the split below is made
    on the regular grid first, then missing values are filled and outlier statistics fitted inside
    the training part, and `clip` rewrites training rows only (validation and test stay as read)."""

    duplicates: str = "keep_last"
    missing: str = "ffill"
    outliers: str = "flag"
    outlier_method: str = "robust_z"
    outlier_threshold: float = 8.0  # robust z-score, or IQR multiples beyond the quartiles
    # the split (as DataConfig's): below 1 a fraction, from 1 up steps; dates take precedence
    val: float = 0.0
    test: float = 0.0
    val_start: str | None = None
    test_start: str | None = None
    # reading
    date_format: str | None = None  # strftime form of the date column, e.g. %d.%m.%Y
    dayfirst: bool | None = None  # None: day/month order from the data, ambiguous dates refused
    decimal: str = "."  # "," for decimal commas (1.234,5 reads as 1234.5)
    freq: str | None = None  # None: inferred
    min_part: int = 0  # a validation or test part given as a fraction holds at least this many steps (the horizon)
    thousands: str | None = None  # the thousands separator, when given: "," reads 1,078 as 1078

    def check(self) -> None:
        for name, allowed in (("duplicates", DUPLICATES), ("missing", MISSING), ("outliers", OUTLIERS),
                              ("outlier_method", OUTLIER_METHODS)):
            if getattr(self, name) not in allowed:
                raise RnnkitError(f"data.{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}")
        if self.decimal not in (".", ","):
            raise RnnkitError(f"--decimal must be '.' or ',', got {self.decimal!r}")
        if self.thousands is not None and (self.thousands not in THOUSANDS or self.thousands == self.decimal):
            raise RnnkitError(f"--thousands must be one of {', '.join(map(repr, THOUSANDS))} and differ from --decimal "
                              f"({self.decimal!r}), got {self.thousands!r}")

    @property
    def splits(self) -> bool:
        return bool(self.val or self.test or self.val_start or self.test_start)


class NothingToForecast(RnnkitError):
    """A series without values, or a constant one: an error for a lone series; a panel skips it
    (the cleaning report keeps the `reason`)."""

    def __init__(self, label: str, reason: str, hint: str = ""):
        super().__init__(f"{label}: {reason}{hint}")
        self.reason = reason


@dataclass
class CleaningReport:
    rows_in: int = 0
    columns: list[str] = field(default_factory=list)  # the table's columns, as read
    rows_out: int = 0
    series: int = 0
    freq: str = ""  # the frequency the series were regularised to ("" for positions)
    seasons: list[int] = field(default_factory=list)
    season_acf: float | None = None  # autocorrelation of the training changes at the main season (a check)
    season_noise: float | None = None  # white noise's one-sided 95% bound for season_acf
    zones: str = ""  # how UTC offsets were handled
    unsorted: int = 0  # series whose dates were not ascending (now sorted)
    duplicates: int = 0  # duplicate-date rows removed (keep last)
    inserted: int = 0  # missing time stamps inserted by the regularisation, then filled by the policy
    missing: dict[str, int] = field(default_factory=dict)  # column -> missing cells found (before inserting)
    missing_policy: str = ""
    rows_dropped: int = 0  # by the missing-value policy (incl. leading gaps ffill cannot fill)
    outliers: int = 0
    outlier_action: str = ""
    outlier_examples: list[str] = field(default_factory=list)
    gaps: int = 0  # calendar steps missing between consecutive rows (inserted, or closed days of a trading calendar)
    closed: int = 0  # of those, closed periods not inserted (holidays of business-day or business-hour data)
    long_gaps: list[str] = field(default_factory=list)  # business days missing for longer than a closure: inserted
    largest_gap: int = 0  # in steps of the series' frequency
    largest_gap_at: str = ""  # the first time stamp missing in it
    clock_changes: list[str] = field(default_factory=list)  # local clock-change days seen, e.g. "2026-03-29 an hour missing"
    rounded: int = 0  # time stamps moved to the --freq grid they jitter around (calendar.round_to_grid)
    largest_rounding: str = ""  # the largest such move, e.g. "4 s"
    leading: int = 0  # rows before a series' first target value, left out before the split
    trailing: int = 0  # rows after a series' last target value (e.g. future covariates), left out
    skipped: dict[str, str] = field(default_factory=dict)  # panel series left out -> why (constant, no values)

    @property
    def season_shown(self) -> bool | None:
        """Whether the data shows the calendar's main season (None: too short to tell)."""
        if self.season_acf is None:
            return None
        return bool(self.season_acf > self.season_noise)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def summary_lines(self) -> list[str]:
        miss = ", ".join(f"{k} {v}" for k, v in self.missing.items() if v) or "none"
        season = "/".join(map(str, self.seasons)) or "none from the calendar"
        lines = [
            f"rows: {self.rows_in} read, {self.rows_out} kept ({self.series} series)",
            f"frequency: {self.freq or 'positions (no dates)'}; seasons {season}"
            + (f" (autocorrelation at lag {self.seasons[0]}: {self.season_acf:.2f}"
               + (f", within noise (below {self.season_noise:.2f}): the training changes do not repeat at "
                  "this lag; --season sets another period" if not self.season_shown else "") + ")"
               if self.season_acf is not None else "")
            + (f"; {self.zones}" if self.zones else "")
            + (f"; {self.rounded} times rounded to the {self.freq} grid (largest move {self.largest_rounding})"
               if self.rounded else ""),
            f"unsorted dates: {'sorted ' + str(self.unsorted) + ' series' if self.unsorted else 'none'}; "
            f"duplicate dates: {self.duplicates} removed (keep last)",
            f"missing time stamps: {self.inserted} inserted and filled ({self.missing_policy})"
            + (f"; {self.closed} closed periods (holidays) not inserted" if self.closed else "")
            + (f"; business days missing for longer than {CLOSURE} days are missing data, not holidays: from "
               + ", ".join(self.long_gaps[:3]) + (", ..." if len(self.long_gaps) > 3 else "") if self.long_gaps else ""),
            f"missing values: {miss} ({self.missing_policy}; {self.rows_dropped} rows dropped)",
            f"outliers in one-step (log) changes: {self.outliers} ({self.outlier_action})"
            + (f", e.g. {', '.join(self.outlier_examples[:3])}" if self.outlier_examples else ""),
            f"calendar gaps: {self.gaps} missing steps"
            + (f", largest {self.largest_gap} from {self.largest_gap_at}" if self.largest_gap else ""),
        ]
        if self.clock_changes:
            shown = ", ".join(self.clock_changes[:4]) + (", ..." if len(self.clock_changes) > 4 else "")
            lines.append(f"daylight-saving changes, it seems: {shown} (local clock times without UTC offsets; a missing "
                         "hour is inserted and filled, a repeated one keeps its later rows; times with offsets keep "
                         "every hour)")
        if self.leading:
            lines.append(f"rows before the first target value: {self.leading} left out (before the split, so the "
                         "parts are shares of the rows with values)")
        if self.trailing:
            lines.append(f"rows after the last target value: {self.trailing} left out (future covariate values "
                         "are not read; the forecast starts after the last target value)")
        if self.skipped:
            shown = "; ".join(f"{sid}: {why}" for sid, why in list(self.skipped.items())[:5])
            lines.append(f"series left out, nothing to forecast: {len(self.skipped)} ({shown}"
                         + (", ..." if len(self.skipped) > 5 else "") + ")")
        return lines


def when(t) -> str:
    """A time stamp for messages: the date alone at midnight, positions as they are."""
    if isinstance(t, (int, np.integer)):
        return str(int(t))
    t = pd.Timestamp(t)
    return str(t.date()) if t == t.normalize() else str(t)


# the cells pandas.read_csv reads as missing by default (its na_values), for a DataFrame's text cells too
NA_TOKENS = frozenset(["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                       "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"])
LARGEST = 1e30  # beyond this a value overflows the squares and products of training (float32 ends at 3e38)
_THOUSANDS = r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$"
_THOUSANDS_US = r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"
_PROVEN_US = r"^[+-]?\d{1,3}(,\d{3}){2,}(\.\d*)?$|^[+-]?\d{1,3}(,\d{3})+\.\d*$"  # 1,234,567 or 1,234.5


def _us_grouped(text: pd.Series) -> bool:
    """True when every cell with a comma groups thousands the US way and one of them proves it
    (1,234.5 or 1,234,567; a lone 1,234 could be a decimal comma)."""
    commas = text[text.str.contains(",", regex=False, na=False)]
    return bool(len(commas)) and commas.str.match(_THOUSANDS_US).all() and commas.str.match(_PROVEN_US).any()


def _grouped(text: pd.Series, raw: pd.Series, thousands: str, decimal: str, where: str, col: str,
             line_offset: int) -> pd.Series:
    """Text cells with the given thousands separator, as plain numbers ("1,078" -> "1078"); a cell
    holding the separator that does not group thousands (1,5) is an error, not a number."""
    sep, dec = re.escape(thousands), re.escape(decimal)
    marked = text.str.contains(thousands, regex=False, na=False)
    bad = marked & ~text.str.match(rf"^[+-]?\d{{1,3}}({sep}\d{{3}})+({dec}\d*)?$", na=False)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise RnnkitError(f"{where}: column {col!r} has {str(raw.iloc[i])!r} at row {i + 1} (line {i + line_offset}), "
                          f"which does not group thousands with --thousands {thousands!r} (e.g. 1{thousands}234); "
                          "fix it or give the separator the file uses")
    return text.str.replace(thousands, "", regex=False)


def _ambiguous_comma(value: str) -> str:
    """The hint for a cell that reads two ways (1,078: 1078 with a thousands comma, 1.078 with a
    decimal comma); '' for other cells."""
    value = value.strip()
    if not re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", value):
        return ""
    return (f" (ambiguous: {value.replace(',', '')} with a thousands separator or {value.replace(',', '.', 1)} with "
            "a decimal comma; give --thousands ',' or --decimal ',')")


_CURRENCY = r"[$€£¥₹]"


def _without_currency(raw: pd.Series) -> pd.Series:
    """A spreadsheet's currency format ($1,234.50, -$5, 1.234,50 €): the symbol dropped when every
    value present carries the same one, so the number is read as the cell shows it."""
    text = raw.astype(str).str.strip()
    present = raw.notna() & (text != "")
    if not present.any():
        return raw
    prefix = text[present].str.extract(rf"^[-+]?\s*({_CURRENCY})")[0]
    found = prefix.where(prefix.notna(), text[present].str.extract(rf"({_CURRENCY})$")[0])
    if found.isna().any() or found.nunique() != 1:
        return raw
    stripped = text.str.replace(rf"^([-+]?)\s*{_CURRENCY}\s*|\s*{_CURRENCY}$", r"\1", regex=True)
    return stripped.where(present, raw)


def parse_numeric(df: pd.DataFrame, columns: list[str], line_offset: int, where: str,
                  decimal: str = ".", thousands: str | None = None) -> pd.DataFrame:
    """Columns to float; a cell that is present but not a finite number is an error naming row and column."""
    out = df.copy()
    for col in columns:
        raw = out[col]
        if not pd.api.types.is_numeric_dtype(raw):  # a DataFrame's 'N/A' is missing, as in a CSV
            raw = raw.mask(raw.astype(str).str.strip().isin(NA_TOKENS))
        if not pd.api.types.is_numeric_dtype(raw):
            raw = _without_currency(raw)
        text = raw
        if thousands is not None and not pd.api.types.is_numeric_dtype(raw):
            text = _grouped(raw.astype(str).str.strip(), raw, thousands, decimal, where, col, line_offset)
            text = (text.str.replace(",", ".", regex=False) if decimal == "," else text).where(raw.notna())
        elif decimal == "," and not pd.api.types.is_numeric_dtype(raw):
            text = raw.astype(str).str.strip()
            grouped = text.str.match(_THOUSANDS)  # 1.234,5: the dots group thousands
            text = text.where(~grouped, text.str.replace(".", "", regex=False))
            text = text.str.replace(",", ".", regex=False).where(raw.notna())
        elif decimal == "." and not pd.api.types.is_numeric_dtype(raw):
            stripped = raw.astype(str).str.strip()
            if _us_grouped(stripped):  # 10,012.6: the commas group thousands
                text = stripped.str.replace(",", "", regex=False).where(raw.notna())
        values = pd.to_numeric(text, errors="coerce")
        bad = values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            commas = "," in str(raw.iloc[i]) and decimal == "." and thousands is None
            hint = _ambiguous_comma(str(raw.iloc[i])) if commas else ""
            hint = hint or (" (decimal commas? give --sep ';' --decimal ','; thousands separators are read when every "
                            "value with a comma groups them, e.g. 1,234.5, or give --thousands ',')") if commas else ""
            raise RnnkitError(
                f"{where}: column {col!r} has a non-numeric value {str(raw.iloc[i])!r} at row {i + 1} "
                f"(line {i + line_offset}){hint}; fix or remove it"
            )
        values = values.astype(float)
        huge = np.flatnonzero(values.notna().to_numpy() & ~(np.abs(values.to_numpy()) < LARGEST))
        if len(huge):
            i = int(huge[0])
            raise RnnkitError(f"{where}: column {col!r} has a non-finite or out-of-range value {str(raw.iloc[i])!r} "
                              f"at row {i + 1} (line {i + line_offset}); values must be finite and below {LARGEST:g}")
        out[col] = values
    return out


def clean_one(df: pd.DataFrame, time_col: str, value_cols: list[str], policy: CleanPolicy,
              report: CleaningReport, label: str, freq: str | None = None
              ) -> tuple[pd.DataFrame, tuple[int, int] | None]:
    """Sort, de-duplicate, regularise, split, fill and screen one series (df holds parsed time and
    float values). Returns the cleaned rows and, when the policy has a split, (train_end, val_end)."""
    t = df[time_col]
    if not t.is_monotonic_increasing:
        report.unsorted += 1
        df = df.sort_values(time_col, kind="stable")
    dup = df[time_col].duplicated(keep="last")
    if freq is not None and not report.zones:
        _clock_changes(df[time_col], dup, freq, report)
    if dup.any():
        if policy.duplicates == "error":
            first = df.loc[dup, time_col].iloc[0]
            raise RnnkitError(f"{label}: {int(dup.sum())} duplicate dates (first {first}); "
                              "remove them or set data.duplicates = \"keep_last\"")
        report.duplicates += int(dup.sum())
        df = df.loc[~dup]
    df = df.reset_index(drop=True)
    target = value_cols[0]
    if df[target].isna().all():
        raise NothingToForecast(label, f"the target column {target!r} has no values (all missing)")
    known = np.flatnonzero(df[target].notna().to_numpy())
    if known[0] > 0:  # rows before the first target value: no history, and they would skew the split
        report.leading += int(known[0])
        df = df.iloc[known[0]:].reset_index(drop=True)
        known = known - known[0]
    if known[-1] < len(df) - 1:  # rows after the last target value (future covariates): not history
        report.trailing += len(df) - 1 - int(known[-1])
        df = df.iloc[: known[-1] + 1]
    for col in value_cols:
        report.missing[col] = report.missing.get(col, 0) + int(df[col].isna().sum())
    _count_gaps(df[time_col], freq, report)
    if freq is not None or pd.api.types.is_integer_dtype(df[time_col]):
        df = _regularise(df, time_col, freq, report, label)
    n = len(df)
    bounds = _bounds(df, time_col, policy)
    tr, va = bounds or (n, n)
    if policy.missing == "drop":
        keep = df[value_cols].notna().all(axis=1).to_numpy()
    else:
        if policy.missing == "interpolate":  # inside each part: no value is read across a boundary
            for a, b in ((0, tr), (tr, va), (va, n)):
                if b > a:
                    df.loc[a:b - 1, value_cols] = df.loc[a:b - 1, value_cols].interpolate(
                        method="linear", limit_area="inside").to_numpy()
        df[value_cols] = df[value_cols].ffill()  # reads only the past
        keep = df[value_cols].notna().all(axis=1).to_numpy()  # leading gaps: nothing to fill from
    df = df.loc[keep].reset_index(drop=True)
    tr, va = int(keep[:tr].sum()), int(keep[:va].sum())
    report.rows_dropped += n - len(df)
    if len(df) == 0:
        raise NothingToForecast(label, "no complete rows remain after removing missing values")
    y = df[target].to_numpy()
    if len(y) == 1:
        raise NothingToForecast(label, f"the target column {target!r} has a single value")
    if np.nanstd(y) == 0:
        raise NothingToForecast(label, f"the target column {target!r} is constant ({y[0]:g})",
                                "; there is nothing to forecast")
    if policy.outliers != "none":
        df = _screen_outliers(df, time_col, target, policy, report, tr)
    return df, ((tr, va) if bounds is not None else None)


def _bounds(df: pd.DataFrame, time_col: str, policy: CleanPolicy) -> tuple[int, int] | None:
    """The split on the regular grid; None without a split, or when this series is too short for it
    (the estimator then decides what a series without training data gets)."""
    if not policy.splits:
        return None
    t = df[time_col]
    index = None if pd.api.types.is_integer_dtype(t) else pd.DatetimeIndex(t)
    try:
        return split_bounds(len(df), policy.val, policy.test, index, policy.val_start, policy.test_start,
                            policy.min_part)
    except RnnkitError:
        return None


def _regularise(df: pd.DataFrame, time_col: str, freq: str | None, report: CleaningReport,
                label: str) -> pd.DataFrame:
    """The rows on the regular grid (the frequency's, or consecutive positions); the stamps
    inserted are filled later by the missing-value policy and counted here."""
    t = df[time_col]
    if pd.api.types.is_integer_dtype(t):
        full = _positions(t.to_numpy(), time_col, label)
        if len(full) - len(t) > len(t):  # more made up than observed: not consecutive steps
            raise RnnkitError(f"{label}: the integer column {time_col!r} ({t.iloc[0]} to {t.iloc[-1]}) read as "
                              f"positions would get {len(full) - len(t)} missing steps for {len(t)} rows, more "
                              "invented than read; if its values are dates give their form with --date-format "
                              "(e.g. %Y%m), else number the steps 0, 1, 2, ...")
    else:
        index = pd.DatetimeIndex(t)
        full = grid(index, freq)
        if len(full) - len(index) > len(index):  # more made up than observed: another calendar
            raise RnnkitError(f"{label}: on the frequency {freq} it would get {len(full) - len(index)} missing time "
                              f"stamps for {len(index)} rows, more invented than read; its dates are on another "
                              "calendar (a panel's series share one frequency: put this series in a file of its "
                              "own) or mostly missing")
    if len(full) == len(df):
        return df
    out = df.set_index(time_col).reindex(full)
    out.index.name = time_col
    report.inserted += len(full) - len(df)
    return out.reset_index()


def _positions(t: np.ndarray, time_col: str, label: str) -> np.ndarray:
    """Integer positions count steps: the consecutive ones from first to last, so a forecast's
    positions continue from the last one. A common step above 1 (0, 10, 20, ...) is refused rather
    than read as consecutive."""
    if len(t) < 2:
        return t
    step = int(np.gcd.reduce(np.diff(t)))
    if step > 1:
        unix = ("; unix seconds? give --date-format %s" if 1e8 <= t[0] < 1e11 else
                "; unix milliseconds? divide them by 1000 and give --date-format %s" if 1e11 <= t[0] < 1e14 else "")
        raise RnnkitError(f"{label}: the integer column {time_col!r} goes in steps of {step} ({t[0]}, {t[1]}, ...); "
                          f"integer positions must count steps (0, 1, 2, ...): renumber them, or give dates{unix}")
    return np.arange(t[0], t[-1] + 1)


def _screen_outliers(df: pd.DataFrame, time_col: str, target: str, policy: CleanPolicy,
                     report: CleaningReport, train_end: int) -> pd.DataFrame:
    y = df[target].to_numpy(dtype=float)
    if len(y) < 10:
        return df
    positive = bool((y > 0).all())
    d = np.diff(np.log(y)) if positive else np.diff(y)  # log changes: a price's moves scale with it
    fit = d[: max(5, train_end - 1)]  # statistics from the steps inside the training part only
    if policy.outlier_method == "robust_z":
        med = np.median(fit)
        mad = np.median(np.abs(fit - med)) / 0.6745
        if mad == 0:
            return df
        lo, hi = med - policy.outlier_threshold * mad, med + policy.outlier_threshold * mad
    else:
        q1, q3 = np.percentile(fit, [25, 75])
        iqr = q3 - q1
        if iqr == 0:
            return df
        lo, hi = q1 - policy.outlier_threshold * iqr, q3 + policy.outlier_threshold * iqr
    flagged = np.flatnonzero((d < lo) | (d > hi)) + 1  # row index of the step's end
    report.outliers += len(flagged)
    report.outlier_action = {"flag": "flagged, kept", "clip": "clipped in the training part"}[policy.outliers]
    for i in flagged[: max(0, 5 - len(report.outlier_examples))]:
        report.outlier_examples.append(when(df[time_col].iloc[i]))
    clip = flagged[flagged < train_end]  # validation and test targets are scored as they are
    if policy.outliers == "clip" and len(clip):
        y = y.copy()
        for i in clip:  # rebuild the level so the step is clipped to the fitted range
            if positive:
                y[i] = y[i - 1] * np.exp(np.clip(np.log(y[i] / y[i - 1]), lo, hi))
            else:
                y[i] = y[i - 1] + np.clip(y[i] - y[i - 1], lo, hi)
        df = df.copy()
        df[target] = y
    return df


def _count_gaps(t: pd.Series, freq: str | None, report: CleaningReport) -> None:
    """Steps missing between consecutive rows, on the frequency's calendar."""
    if len(t) < 2:
        return
    if pd.api.types.is_integer_dtype(t):
        steps = np.diff(t.to_numpy())
    elif freq is None:
        return
    else:
        index = pd.DatetimeIndex(t)
        full = grid(index, freq)
        if freq == "B":  # business days: weekends are not gaps, short closures are holidays
            missing = closures(index)
            steps = missing + 1
            report.closed += int(missing[missing <= CLOSURE].sum())
            report.long_gaps += [f"{when(t + pd.offsets.BDay(1))} ({int(k)} business days)"
                                 for t, k in zip(index[:-1][missing > CLOSURE], missing[missing > CLOSURE])]
        else:
            pos = full.get_indexer(index)
            steps = np.diff(pos)
            if "@" in freq:  # a session: whole weekdays without data are closed (holidays)
                days = index.normalize().unique().values.astype("datetime64[D]")
                report.closed += int(np.clip(np.busday_count(days[:-1], days[1:]) - 1, 0, None).sum())
    missing = np.clip(steps - 1, 0, None)
    report.gaps += int(missing.sum())
    if missing.size and missing.max() > report.largest_gap:
        i = int(missing.argmax())
        report.largest_gap = int(missing[i])
        if pd.api.types.is_integer_dtype(t):
            first = int(t.iloc[i]) + 1
        elif freq == "B":
            first = t.iloc[i] + pd.offsets.BDay(1)
        else:
            first = full[pos[i] + 1]
        report.largest_gap_at = when(first)


def _clock_changes(t: pd.Series, dup: pd.Series, freq: str, report: CleaningReport) -> None:
    """Days of sub-daily data without UTC offsets where one hour is missing or repeated early on a
    Sunday morning (00:00-04:00), the mark of a daylight-saving change read as local clock time."""
    offset = to_offset(freq.split("@")[0])
    if pd.api.types.is_integer_dtype(t) or not isinstance(offset, pd.offsets.Tick) \
            or pd.Timedelta(offset) > pd.Timedelta(hours=1):
        return
    index, step = pd.DatetimeIndex(t), pd.Timedelta(offset)
    early_sunday = (index.dayofweek == 6) & (index.hour < 4)
    found = {}
    for day in index[dup.to_numpy() & early_sunday].normalize().unique():
        found[day] = "an hour repeated"
    order = np.argsort(index.asi8, kind="stable")
    ordered, sunday = index[order], early_sunday[order]
    jump = np.diff(ordered.asi8) == (pd.Timedelta(hours=1) + step).value
    for i in np.flatnonzero(jump & sunday[1:]):
        found[ordered[i + 1].normalize()] = "an hour missing"
    report.clock_changes.extend(f"{day.date()} {what}" for day, what in sorted(found.items()))
