"""Reading forecasting data: a wide CSV (date, target, features), the long format of many series
(`unique_id, ds, y`, as the Nixtla tools use), a DataFrame, or plain arrays."""

from __future__ import annotations

import io
import shlex
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit.errors import RnnkitError
from rnnkit.files import one_column_error, read_text
from rnnkit.series.calendar import check_freq, infer_freq, jitter_hint, ordinals, round_to_grid, seasons
from rnnkit.series.clean import CleaningReport, CleanPolicy, NothingToForecast, clean_one, parse_numeric
from rnnkit.series.dates import TO_UTC, parse_dates, two_digit_years, zone_note
from rnnkit.series.frame import Series, SeriesSet
from rnnkit.series.repeats import check_repeats

LONG_COLUMNS = ("unique_id", "ds", "y")


def resolve_csv(path_or_name: str) -> Path:
    """A path, or a named dataset such as `aapl` (see rnnkit.datasets)."""
    from rnnkit import datasets

    path = Path(path_or_name)
    if not path.exists() and datasets.is_dataset_name(path_or_name):
        return datasets.fetch(path_or_name)
    if path.is_dir():
        raise RnnkitError(f"{path_or_name} is a folder; give a CSV file")
    if not path.is_file():
        raise RnnkitError(f"CSV file not found: {path_or_name} (give a path, or a dataset name: "
                          f"{', '.join(sorted(datasets.REGISTRY))})")
    return path


def read_csv(path_or_name: str, sep: str = ",", encoding: str = "utf-8", errors: str = "strict") -> pd.DataFrame:
    """The raw table, every cell as text (so non-numeric cells can be reported exactly). Decimal
    commas are read by `from_dataframe` (CleanPolicy.decimal), as text cells stay text here. Bytes
    invalid in `encoding` are an error naming their offset unless `errors` says otherwise."""
    path = resolve_csv(path_or_name)
    if not sep:
        raise RnnkitError("--sep must be a character such as ',' or ';'")
    sep = "\t" if sep == "\\t" else sep  # a shell's literal backslash-t
    text = read_text(path, encoding, errors)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, skipinitialspace=True, sep=sep)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        _note_above_header(path, text, sep)
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RnnkitError(f"{path} is not a readable CSV with --sep {sep!r} ({first[:160]})") from None
    if len(df.columns) == 1:
        _note_above_header(path, text, sep)
        raise one_column_error(path, sep, str(df.columns[0]))
    df.columns = [str(c).strip() for c in df.columns]  # " Close " is the column Close
    filled = np.flatnonzero(df.notna().any(axis=1).to_numpy())
    return df.iloc[: filled[-1] + 1 if len(filled) else 0]  # spreadsheets end with rows of separators only


def _note_above_header(path: Path, text: str, sep: str) -> None:
    """Refuse a file whose first line is a note without the separator (an export's title) above
    a header that has it, naming both lines."""
    lines = text.splitlines()[:20]
    if not lines or any(mark in lines[0] for mark in {sep, ";", "\t", "|"}):
        return  # another separator (a ';' file with decimal commas): one_column_error says which
    header = next((k for k, line in enumerate(lines) if sep in line), None)
    if header is not None:
        raise RnnkitError(f"{path}: line 1 ({lines[0][:60]!r}) has no {sep!r}; it seems to be a note above the header, "
                          f"line {header + 1} ({lines[header][:60]!r}): remove the line(s) above the header")


def detect_layout(df: pd.DataFrame, date_col: str, target: str, id_col: str | None) -> tuple[str, str, str | None]:
    """(date_col, target, id_col); a table with unique_id/ds/y columns (or ds/y and the given
    id column) is read as the long format when it has none of the given names, or they are ds and y;
    ds/y alone is one series."""
    given = (date_col, target) == ("ds", "y") or (date_col not in df.columns and target not in df.columns)
    ids = id_col or LONG_COLUMNS[0]
    if given and all(c in df.columns for c in LONG_COLUMNS[1:]):
        return "ds", "y", ids if ids in df.columns else None
    return date_col, target, id_col


def _missing_hint(df: pd.DataFrame, missing: list[str], date_col: str, target: str, id_col: str | None) -> str:
    """What to do about missing columns: the case the names differ in, a wide table's reshaping,
    or the flags that name the columns."""
    by_lower = {str(c).lower(): str(c) for c in df.columns}
    cased = [(m, by_lower[m.lower()]) for m in missing if m.lower() in by_lower]
    if cased:
        return ("; column names are case-sensitive: " + ", ".join(f"the file has {c!r}, not {m!r}" for m, c in cased)
                + " (give them with --date-col / --target / --features)")
    if date_col not in missing and target not in missing:
        return ""
    wide = _wide_columns(df, None if date_col in missing else date_col) if target in missing and not id_col else None
    if wide:
        ds, series = wide
        shown = ", ".join(series[:4]) + (", ..." if len(series) > 4 else "")
        return (f"; it looks wide (one column per series: {shown}): reshape it to unique_id, ds, y (pandas: "
                f"df.melt(id_vars={ds!r}, var_name='unique_id', value_name='y')), or pass --date-col {shlex.quote(ds)} "
                "--target <column> for one of them")
    return "; name them with --date-col and --target (or give unique_id, ds, y)"


def _wide_columns(df: pd.DataFrame, date_col: str | None) -> tuple[str, list[str]] | None:
    """(date column, value columns) when the table is a date column and two or more numeric
    columns (one series each); None otherwise."""
    names = [str(c) for c in df.columns]
    ds = date_col or next((c for c in names if c.lower() in ("ds", "date", "time", "timestamp", "datetime")), names[0])
    text = df[ds].dropna().astype(str).str.strip()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dated = pd.to_datetime(text, errors="coerce", format="mixed") if len(text) else pd.Series([], dtype=float)
    if not len(text) or dated.isna().mean() > 0.1 or text.str.fullmatch(r"[+-]?[\d.,]+").all():
        return None
    series = [c for c in names if c != ds and df[c].notna().any()
              and pd.to_numeric(df[c].dropna().astype(str).str.replace(",", "", regex=False), errors="coerce").notna().all()]
    return (ds, series) if len(series) >= 2 else None


def from_dataframe(
    df: pd.DataFrame, date_col: str, target: str, features: list[str], id_col: str | None = None,
    policy: CleanPolicy | None = None, source: str = "data", line_offset: int = 2,
) -> tuple[SeriesSet, CleaningReport]:
    """Validate, clean and split a table into series. `line_offset` maps row i to CSV line i + offset."""
    policy = policy or CleanPolicy()
    policy.check()
    date_col, target, id_col = detect_layout(df, date_col, target, id_col)
    needed = [date_col, target, *features] + ([id_col] if id_col else [])
    missing = [c for c in needed if c not in df.columns]
    if missing:
        shown = ", ".join(map(str, df.columns[:12])) + (f", ... ({len(df.columns)} in all)" if len(df.columns) > 12 else "")
        raise RnnkitError(f"{source}: missing column(s) {', '.join(map(repr, missing))}; columns are: {shown}"
                          + _missing_hint(df, missing, date_col, target, id_col))
    if target in features:
        raise RnnkitError(f"{source}: the target {target!r} is also listed in --features")
    if len(df) == 0:
        raise RnnkitError(f"{source}: the table has no rows")
    values = [target, *features]
    table = df[needed].reset_index(drop=True)
    zones = zone_note(table[date_col]) if not pd.api.types.is_numeric_dtype(table[date_col]) else ""
    dates = parse_dates(table[date_col], line_offset, source, date_col, policy.date_format, policy.dayfirst)
    check_repeats(df, dates, date_col, target, id_col, source)  # before a panel's ids are read as numbers
    table = parse_numeric(table, values, line_offset, source, policy.decimal, policy.thousands)
    table[date_col] = dates
    report = CleaningReport(rows_in=len(table), columns=[str(c) for c in df.columns], missing_policy=policy.missing,
                            outlier_action="not checked", zones=zones)
    if policy.freq and not pd.api.types.is_integer_dtype(table[date_col]):
        table[date_col], report.rounded, largest = round_to_grid(table[date_col], policy.freq)
        report.largest_rounding = f"{largest.total_seconds():g} s" if report.rounded else ""
    groups = [(str(k), g) for k, g in table.groupby(id_col, sort=False)] if id_col else [("series", table)]
    try:
        freq = frequency([(sid, g[date_col]) for sid, g in groups], policy.freq, source)
    except RnnkitError as e:
        short = two_digit_years(df[date_col]) if "cannot be inferred" in str(e) else None
        if short is None:
            raise
        raise RnnkitError(f"{source}: date column {date_col!r} has ambiguous dates: with two-digit parts such as "
                          f"{short!r} the year may come first or last, and read day-month-year they have no regular "
                          "step; give their order with --date-format (%y-%m-%d year first, %d-%m-%y day first, "
                          "%m-%d-%y month first)") from None
    out, first = [], None
    for sid, group in groups:
        label = f"{source} (series {sid})" if id_col else source
        try:
            g, split = clean_one(group.reset_index(drop=True), date_col, values, policy, report, label, freq)
        except NothingToForecast as e:
            if len(groups) == 1:
                raise
            first = first or e
            report.skipped[sid] = e.reason
            continue
        t = g[date_col]
        index = None if pd.api.types.is_integer_dtype(t) else pd.DatetimeIndex(t)
        X = g[features].to_numpy(dtype=np.float64) if features else np.zeros((len(g), 0))
        t0 = int(t.iloc[0]) if index is None else int(ordinals(index[:1], freq)[0]) if freq else 0
        out.append(Series(sid, g[target].to_numpy(dtype=np.float64), X, index, t0, split))
    if not out:
        raise first
    report.series = len(out)
    report.rows_out = sum(len(s) for s in out)
    report.freq, report.seasons = freq or "", list(seasons(freq))
    if report.seasons:
        check = season_check([x.y[: x.split[0] if x.split else len(x)] for x in out], report.seasons[0])
        report.season_acf, report.season_noise = check or (None, None)
    names = (date_col if id_col or date_col == LONG_COLUMNS[1] else "date",  # the long format keeps its names
             id_col or LONG_COLUMNS[0])
    return SeriesSet(out, target, list(features), freq, seasons(freq), *names, utc=zones.endswith(TO_UTC)), report


def season_check(train_parts: list[np.ndarray], m: int) -> tuple[float, float] | None:
    """The mean autocorrelation at lag m of the training parts' one-step (log) changes: how much of
    the calendar's season the data shows (a check reported beside it, not a choice), and the
    one-sided 95% bound of white noise for that mean (1.645 / sqrt(changes read))."""
    from rnnkit.series.windows import acf

    values, n = [], 0
    for y in train_parts[:200]:
        if len(y) > 3 * m + 1:
            z = np.diff(np.log(y) if (y > 0).all() else y)
            values.append(acf(z, m)[m])
            n += len(z)
    if not values:
        return None
    return round(float(np.mean(values)), 3), round(1.645 / float(np.sqrt(n)), 3)


def frequency(columns: list[tuple[str, pd.Series]], given: str | None, source: str) -> str | None:
    """The frequency of every series' dates: `given` (checked against the dates), else inferred on
    the longest series and checked on the others; None for integer positions."""
    dated = [(sid, pd.DatetimeIndex(t).sort_values().unique()) for sid, t in columns
             if not pd.api.types.is_integer_dtype(t)]
    if not dated:
        if given:
            raise RnnkitError(f"{source}: --freq {given} needs dates, but the date column holds integer positions")
        return None
    freq = given
    if freq is None:
        sid, longest = max(dated, key=lambda p: len(p[1]))
        if len(longest) < 3:
            return None
        freq = infer_freq(longest)
        if freq is None:
            steps = pd.Series(np.diff(longest.as_unit("ns").asi8)).value_counts().index[:3]
            shown = ", ".join(str(pd.Timedelta(int(v), unit="ns")) for v in steps)
            raise RnnkitError(f"{source}: the frequency of the dates cannot be inferred (most common steps "
                              f"{shown}); set it with --freq (e.g. D, h, W-MON, MS)" + jitter_hint(longest))
    for sid, index in dated:
        check_freq(freq, index, f"{source} (series {sid})" if len(dated) > 1 else source)
    return freq


def from_arrays(y, X=None, dates=None, ids: list[str] | None = None, target: str = "y",
                features: list[str] | None = None) -> SeriesSet:
    """Plain arrays: y (T,) or a list of (T_i,) arrays for many series; X (T, F) or a list;
    dates (T,) or a list, or None for positions. Values are checked, not cleaned."""
    many = isinstance(y, (list, tuple)) and len(y) > 0 and np.ndim(y[0]) == 1
    ys = [np.asarray(v, dtype=np.float64) for v in (y if many else [y])]
    Xs = list(X) if (many and X is not None) else [X] * len(ys) if not many else [None] * len(ys)
    Ds = list(dates) if (many and dates is not None) else [dates] * len(ys) if not many else [None] * len(ys)
    series = []
    for i, (yi, Xi, Di) in enumerate(zip(ys, Xs, Ds)):
        if yi.ndim != 1 or not np.isfinite(yi).all():
            raise RnnkitError(f"series {i}: y must be a 1-D array of finite numbers")
        if np.std(yi) == 0:
            raise RnnkitError(f"series {i}: the target is constant; there is nothing to forecast")
        Xi = np.zeros((len(yi), 0)) if Xi is None else np.asarray(Xi, dtype=np.float64).reshape(len(yi), -1)
        index = None if Di is None else pd.DatetimeIndex(pd.to_datetime(Di))
        series.append(Series(ids[i] if ids else str(i), yi, Xi, index))
    n_feat = series[0].X.shape[1]
    names = features or [f"x{j}" for j in range(n_feat)]
    freq = infer_freq(series[0].index) if series[0].index is not None else None
    if freq is not None:
        for s in series:
            s.t0 = int(ordinals(s.index[:1], freq)[0])
    return SeriesSet(series, target, names, freq, seasons(freq))
