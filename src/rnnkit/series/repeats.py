"""Many rows on one date: a panel read without its id column, or the times of day kept in a column
of their own. Either would be collapsed to one row per date by the duplicate policy (keep last) and
trained on a sliver of the data, so it is refused with its likely cause instead.

A few repeated dates (a re-exported overlap, the hour a daylight-saving change repeats) stay the
duplicate policy's; `REPEATED` of the rows is far above those (one hour a year is 0.01% of hourly
data) and far below what a missing id (a panel of k series repeats (k-1)/k of its rows, at least
half) or a separate time column (23 of 24 hourly rows) leaves.
"""

from __future__ import annotations

import re
import shlex

import numpy as np
import pandas as pd

from rnnkit.errors import RnnkitError

REPEATED = 0.1  # a share of the rows repeating a date above which the table is refused
FEW = 2  # ... and a count: two repeated rows of a toy table are a few duplicates, not a panel
_CLOCK = re.compile(r"^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(\s*[AaPp]\.?[Mm]\.?)?$")  # 13:30, 1:30 PM, 13:30:05
_HOUR_NAMES = ("hour", "hr", "he", "hour_ending", "time", "hh")


def repeats(dates: pd.Series, ids: pd.Series | None) -> np.ndarray:
    """(N,) True for each row whose date (within its series) a later row repeats."""
    keys = pd.DataFrame({"t": dates.to_numpy()}) if ids is None else \
        pd.DataFrame({"id": ids.to_numpy(), "t": dates.to_numpy()})
    return keys.duplicated(keep="last").to_numpy()


def check_repeats(raw: pd.DataFrame, dates: pd.Series, date_col: str, target: str, id_col: str | None,
                  source: str) -> None:
    """Refuse a table where more than REPEATED of the rows repeat a date with other values, naming
    the column that holds the times of day or the series ids (the likely cause)."""
    ids = raw[id_col].reset_index(drop=True) if id_col else None
    dup = repeats(dates, ids)
    if dup.sum() <= max(REPEATED * len(dates), FEW):
        return
    frame = raw.reset_index(drop=True)
    if _same_values(frame[target], dates, ids):
        return  # the same rows twice (an export appended to itself): keep-last loses nothing
    first = dates[dup].value_counts().index[0]  # the date repeated most
    shown = str(first.date()) if isinstance(first, pd.Timestamp) and first == first.normalize() else str(first)
    said = (f"{source}: {int(dup.sum())} of {len(dates)} rows repeat a date"
            + (" within their series" if id_col else "") + f" (e.g. {shown} on {int((dates == first).sum())} rows)")
    others = [c for c in frame.columns if c not in (date_col, target, id_col)]
    clock = next((c for c in others if _is_clock(frame[c])), None)
    if clock is not None:
        raise RnnkitError(f"{said}; the time of day seems to be in column {clock!r}: join it to the dates "
                          f"(one column such as 2021-01-01 13:00), then name that column with --date-col")
    panel = _panel_column(frame, others, dates, ids)
    if panel is not None:
        raise RnnkitError(f"{said}; it looks like a panel: pass --id-col {shlex.quote(panel)} "
                          f"({frame[panel].nunique()} series)")
    raise RnnkitError(f"{said} with other values; if the file holds several series pass --id-col, if the times "
                      "of day are in a column of their own join them to the dates; the duplicate policy "
                      "(--duplicates) is for a few repeated rows")


def _same_values(target: pd.Series, dates: pd.Series, ids: pd.Series | None) -> bool:
    """True when every repeated date repeats its target value too."""
    keys = [dates.to_numpy()] if ids is None else [ids.to_numpy(), dates.to_numpy()]
    return bool((pd.Series(target.to_numpy()).groupby(keys, dropna=False).nunique(dropna=False) <= 1).all())


def _is_clock(values: pd.Series) -> bool:
    """Times of day (13:30, 1:30 PM), or whole hours 0-24 in a column named like an hour."""
    text = values.dropna().astype(str).str.strip()
    text = text[text != ""]
    if not len(text):
        return False
    if text.str.match(_CLOCK).all():
        return True
    if str(values.name).strip().lower() in _HOUR_NAMES and text.str.fullmatch(r"\d{1,2}").all():
        return bool(text.astype(int).between(0, 24).all())
    return False


def _panel_column(frame: pd.DataFrame, others: list[str], dates: pd.Series, ids: pd.Series | None) -> str | None:
    """The text (or whole-number) column with few values that separates the rows of a repeated date
    best: with it, at most REPEATED of the rows still repeat. None when no column does."""
    best, fewest = None, REPEATED * len(frame)
    for c in others:
        values = frame[c]
        text = values.astype(str).str.strip()
        numeric = pd.to_numeric(text, errors="coerce")
        whole = numeric.notna().all() and (numeric == numeric.round()).all()
        if (numeric.notna().all() and not whole) or values.nunique() > len(frame) / 2:
            continue  # measurements (prices, volumes), not labels
        key = values if ids is None else ids.astype(str) + "\x00" + text
        left = int(repeats(dates, key).sum())
        if left <= fewest:
            best, fewest = c, left
    return best
