"""The long-format DataFrame API (the layout practitioners use: `unique_id, ds, y` plus covariate
columns), behind `Forecaster.fit(df)`, `.predict(h)`, `.cross_validation(df, h, n_windows)` and
`.evaluate(df, h, n_windows)`:

    predict           unique_id, ds, <model>, <model>-lo-80, <model>-hi-80   (80 = the outer quantiles' span)
    cross_validation  unique_id, ds, cutoff, y, <model>, <model>-lo-80, <model>-hi-80, and every reference
    evaluate          one row per model (the network, baselines, statistical models), the metrics as
                      columns; `.attrs["verdict"]` holds the report's verdict against the best reference

Cross-validation keeps the fitted network (no refit): the cutoffs are the last `n_windows` multiples
of h before each series' end, every forecast made from the true history up to its cutoff. The
scores are honest only when the windows lie after the data the network was fitted on (e.g. fit on
`df` minus its last n_windows * h rows per series).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnnkit.errors import RnnkitError
from rnnkit.series.frame import SeriesSet

ID, DS, Y = "unique_id", "ds", "y"


def to_series(df: pd.DataFrame, cfg) -> SeriesSet:
    """A long-format (or the config's wide-format) DataFrame -> SeriesSet; every column other than the
    id, date and target is a covariate unless cfg.data.features names them."""
    from rnnkit.forecast.config import clean_policy
    from rnnkit.series.io import detect_layout, from_dataframe

    if not isinstance(df, pd.DataFrame):
        raise RnnkitError(f"expected a DataFrame with columns {ID}, {DS}, {Y}; got {type(df).__name__}")
    d = cfg.data
    date_col, target, id_col = detect_layout(df, d.date_col, d.target, d.id_col)
    features = list(d.features) or [c for c in df.columns if c not in (date_col, target, id_col)]
    d.date_col, d.target, d.id_col, d.features = date_col, target, id_col, features
    if df.columns.duplicated().any():
        raise RnnkitError(f"the DataFrame has duplicate column names: "
                          f"{', '.join(map(str, df.columns[df.columns.duplicated()].unique()))}")
    text = df.astype(str).mask(df.isna())  # as a CSV reads it: text cells, missing ones empty
    data, _ = from_dataframe(text, date_col, target, features, id_col, clean_policy(d, cfg.forecast.horizon),
                             source="DataFrame")
    return data


def names(est) -> tuple[str, str | None, str | None]:
    """(point column, lower column, upper column) for the estimator's quantiles."""
    q = est.quantiles
    if len(q) < 3:
        return est.name, None, None
    span = f"{100 * (max(q) - min(q)):g}"
    return est.name, f"{est.name}-lo-{span}", f"{est.name}-hi-{span}"


def predict_frame(est, data: SeriesSet, h: int) -> pd.DataFrame:
    point, lo, hi = names(est)
    id_col, date_col = est.cfg.data.id_col or ID, est.cfg.data.date_col if est.cfg.data.id_col else DS
    rows = []
    for s, f in zip(data.series, est.forecast_ends(data.series, h)):  # f: (h, Q)
        frame = pd.DataFrame({id_col: s.id, date_col: data.future(s, est.pipeline.freq, h), point: f[:, est.point_index]})
        if lo:
            frame[lo], frame[hi] = f[:, 0], f[:, -1]
        rows.append(frame)
    out = pd.concat(rows, ignore_index=True)
    out.attrs["rolled"] = est.rolled(h)
    return out


def cutoffs(est, data: SeriesSet, h: int, n_windows: int, what: str) -> list[int]:
    """Each series' first scored position: n_windows windows of h at its end, after the history a
    window reads; too short a series is an error that names the largest n_windows that fits."""
    if n_windows < 1 or h < 1:
        raise RnnkitError(f"{what} needs h >= 1 and n_windows >= 1, got h={h}, n_windows={n_windows}")
    need = est.cfg.forecast.lookback + est.first
    cut = [len(s) - n_windows * h for s in data.series]
    short = [s.id for s, c in zip(data.series, cut) if c < need]
    if short:
        largest = max(0, (min(len(s) for s in data.series) - need) // h)
        raise RnnkitError(f"{len(short)} series ({', '.join(short[:3])}) are too short for {n_windows} windows of "
                          f"{h} after {need} rows of history; the largest n_windows that fits is {largest}")
    return cut


def cross_validation(est, data: SeriesSet, h: int, n_windows: int) -> pd.DataFrame:
    from rnnkit.forecast.references import references

    cut = cutoffs(est, data, h, n_windows, "cross_validation")
    refs = references(est.pipeline.season, est.cfg.forecast.stat_models, data, cut)
    point, lo, hi = names(est)
    id_col, date_col = est.cfg.data.id_col or ID, est.cfg.data.date_col if est.cfg.data.id_col else DS
    rows = []
    for s, c in zip(data.series, cut):
        at = c + h * np.arange(n_windows)
        idx = (at[:, None] + np.arange(h)[None, :]).ravel()
        stamps = s.index[idx] if s.index is not None else s.t0 + idx
        cutoff = np.repeat(s.index[at - 1] if s.index is not None else s.t0 + at - 1, h)
        f = est.forecast(s, at, h)
        frame = pd.DataFrame({id_col: s.id, date_col: stamps, "cutoff": cutoff, est.cfg.data.target: s.y[idx],
                              point: f[..., est.point_index].ravel()})
        if lo:
            frame[lo], frame[hi] = f[..., 0].ravel(), f[..., -1].ravel()
        for r in refs:
            frame[r.name] = r.forecast(s, at, h)[..., 0].ravel()
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def evaluate_frame(est, data: SeriesSet, h: int, n_windows: int) -> pd.DataFrame:
    from rnnkit.forecast.evaluate import evaluate
    from rnnkit.forecast.references import reference_notes, references
    from rnnkit.forecast.verdict import decide

    cut = cutoffs(est, data, h, n_windows, "evaluate")
    refs = references(est.pipeline.season, est.cfg.forecast.stat_models, data, cut)
    ev = evaluate([est] + refs, data, cut, cut, h, h, est.cfg.forecast.lookback + est.first, est.pipeline.season,
                  est.quantiles)
    table = pd.DataFrame(ev.scores).T.rename_axis("model").reset_index()
    table.attrs["verdict"] = decide(ev, est.name).text
    table.attrs["notes"] = reference_notes(refs, est.cfg.forecast.stat_models)
    return table
