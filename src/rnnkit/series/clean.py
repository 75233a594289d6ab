"""Cleaning with a report: every change to the user's data is counted, nothing is silent.

Per series: dates parsed (errors name the line), unsorted dates sorted, duplicate dates kept-last or
refused, non-numeric cells refused (naming row and column), missing values forward-filled /
interpolated / dropped, outliers in the one-step changes flagged or clipped, calendar gaps counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rnnkit.errors import RnnkitError

DUPLICATES = ("keep_last", "error")
MISSING = ("ffill", "interpolate", "drop")
OUTLIERS = ("flag", "clip", "none")
OUTLIER_METHODS = ("robust_z", "iqr")


@dataclass
class CleanPolicy:
    duplicates: str = "keep_last"
    missing: str = "ffill"
    outliers: str = "flag"
    outlier_method: str = "robust_z"
    outlier_threshold: float = 8.0  # robust z-score, or IQR multiples beyond the quartiles
    fit_fraction: float = 1.0  # outlier statistics use only this leading share of rows (the train part)

    def check(self) -> None:
        for name, allowed in (("duplicates", DUPLICATES), ("missing", MISSING), ("outliers", OUTLIERS),
                              ("outlier_method", OUTLIER_METHODS)):
            if getattr(self, name) not in allowed:
                raise RnnkitError(f"data.{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}")


@dataclass
class CleaningReport:
    rows_in: int = 0
    rows_out: int = 0
    series: int = 0
    unsorted: int = 0  # series whose dates were not ascending (now sorted)
    duplicates: int = 0  # duplicate-date rows removed (keep last)
    missing: dict[str, int] = field(default_factory=dict)  # column -> missing cells found
    missing_policy: str = ""
    rows_dropped: int = 0  # by the missing-value policy (incl. leading gaps ffill cannot fill)
    outliers: int = 0
    outlier_action: str = ""
    outlier_examples: list[str] = field(default_factory=list)
    gaps: int = 0  # calendar steps missing between consecutive rows (e.g. holidays)
    largest_gap: int = 0  # in steps of the series' frequency
    largest_gap_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def summary_lines(self) -> list[str]:
        miss = ", ".join(f"{k} {v}" for k, v in self.missing.items() if v) or "none"
        lines = [
            f"rows: {self.rows_in} read, {self.rows_out} kept ({self.series} series)",
            f"unsorted dates: {'sorted ' + str(self.unsorted) + ' series' if self.unsorted else 'none'}; "
            f"duplicate dates: {self.duplicates} removed (keep last)",
            f"missing values: {miss} ({self.missing_policy}; {self.rows_dropped} rows dropped)",
            f"outliers in one-step (log) changes: {self.outliers} ({self.outlier_action})"
            + (f", e.g. {', '.join(self.outlier_examples[:3])}" if self.outlier_examples else ""),
            f"calendar gaps: {self.gaps} missing steps"
            + (f", largest {self.largest_gap} at {self.largest_gap_at}" if self.largest_gap else ""),
        ]
        return lines


def when(t) -> str:
    """A time stamp for messages: the date alone at midnight, positions as they are."""
    if isinstance(t, (int, np.integer)):
        return str(int(t))
    t = pd.Timestamp(t)
    return str(t.date()) if t == t.normalize() else str(t)


def parse_numeric(df: pd.DataFrame, columns: list[str], line_offset: int, where: str) -> pd.DataFrame:
    """Columns to float; a cell that is present but not a number is an error naming row and column."""
    out = df.copy()
    for col in columns:
        raw = out[col]
        values = pd.to_numeric(raw, errors="coerce")
        bad = values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise RnnkitError(
                f"{where}: column {col!r} has a non-numeric value {str(raw.iloc[i])!r} at row {i + 1} "
                f"(line {i + line_offset}); fix or remove it"
            )
        out[col] = values.astype(float)
    return out


def parse_dates(values: pd.Series, line_offset: int, where: str, column: str) -> pd.Series:
    """Datetimes, or int64 positions when the column is integer (e.g. M4's hour numbers)."""
    if pd.api.types.is_integer_dtype(values):
        return values.astype("int64")
    text = values.astype(str).str.strip()
    if text.str.fullmatch(r"-?\d+").all():
        return text.astype("int64")
    parsed = pd.to_datetime(values, errors="coerce", format="mixed")
    bad = parsed.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise RnnkitError(
            f"{where}: date column {column!r} has a value that does not parse as a date: "
            f"{values.iloc[i]!r} at row {i + 1} (line {i + line_offset})"
        )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed


def clean_one(df: pd.DataFrame, time_col: str, value_cols: list[str], policy: CleanPolicy,
              report: CleaningReport, label: str) -> pd.DataFrame:
    """Sort, de-duplicate, fill and screen one series (df holds parsed time and float values)."""
    t = df[time_col]
    if not t.is_monotonic_increasing:
        report.unsorted += 1
        df = df.sort_values(time_col, kind="stable")
    dup = df[time_col].duplicated(keep="last")
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
        raise RnnkitError(f"{label}: the target column {target!r} has no values (all missing)")
    for col in value_cols:
        report.missing[col] = report.missing.get(col, 0) + int(df[col].isna().sum())
    n = len(df)
    if policy.missing == "drop":
        df = df.dropna(subset=value_cols)
    else:
        if policy.missing == "interpolate":
            df[value_cols] = df[value_cols].interpolate(method="linear", limit_area="inside")
        df[value_cols] = df[value_cols].ffill()
        df = df.dropna(subset=value_cols)  # leading gaps: nothing before them to fill from
    report.rows_dropped += n - len(df)
    df = df.reset_index(drop=True)
    if len(df) == 0:
        raise RnnkitError(f"{label}: no complete rows remain after removing missing values")
    y = df[target].to_numpy()
    if np.nanstd(y) == 0:
        raise RnnkitError(f"{label}: the target column {target!r} is constant ({y[0]:g}); there is nothing to forecast")
    if policy.outliers != "none":
        df = _screen_outliers(df, time_col, target, policy, report)
    _count_gaps(df[time_col], report)
    return df


def _screen_outliers(df: pd.DataFrame, time_col: str, target: str, policy: CleanPolicy,
                     report: CleaningReport) -> pd.DataFrame:
    y = df[target].to_numpy(dtype=float)
    if len(y) < 10:
        return df
    positive = bool((y > 0).all())
    d = np.diff(np.log(y)) if positive else np.diff(y)  # log changes: a price's moves scale with it
    fit = d[: max(5, int(len(d) * policy.fit_fraction))]  # statistics from the training rows only
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
    report.outlier_action = {"flag": "flagged, kept", "clip": "clipped"}[policy.outliers]
    for i in flagged[: max(0, 5 - len(report.outlier_examples))]:
        report.outlier_examples.append(when(df[time_col].iloc[i]))
    if policy.outliers == "clip" and len(flagged):
        y = y.copy()
        for i in flagged:  # rebuild the level so the step is clipped to the fitted range
            if positive:
                y[i] = y[i - 1] * np.exp(np.clip(np.log(y[i] / y[i - 1]), lo, hi))
            else:
                y[i] = y[i - 1] + np.clip(y[i] - y[i - 1], lo, hi)
        df = df.copy()
        df[target] = y
    return df


def _count_gaps(t: pd.Series, report: CleaningReport) -> None:
    if len(t) < 3:
        return
    if pd.api.types.is_integer_dtype(t):
        steps = np.diff(t.to_numpy())
    else:
        days = t.to_numpy().astype("datetime64[D]")
        if (t.dt.day_of_week < 5).all() and np.median(np.diff(days).astype(int)) == 1:
            steps = np.busday_count(days[:-1], days[1:])  # business days: weekends are not gaps
        else:
            delta = np.diff(t.to_numpy().astype("datetime64[ns]").astype(np.int64))
            step = np.median(delta)
            steps = np.rint(delta / step).astype(int) if step > 0 else np.ones_like(delta)
    missing = np.clip(steps - 1, 0, None)
    report.gaps += int(missing.sum())
    if missing.size and missing.max() > report.largest_gap:
        i = int(missing.argmax())
        report.largest_gap = int(missing[i])
        report.largest_gap_at = when(t.iloc[i + 1])
