"""Forecasting over HTTP (`POST /v1/forecast`, added by forecast/spec.py): a posted series, or
the run's stored context, forecast past its end. Bad input raises `RnnkitError` (the app's 400)."""

from __future__ import annotations

from rnnkit.errors import RnnkitError
from rnnkit.forecast.run import predict_table


def forecast(entry, horizon: int | None, points: list[dict] | None) -> list[dict]:
    """One forecast per series: dates, point values and the interval columns."""
    est = entry.objects["estimator"]
    if points is None:
        data = entry.objects["context"]
        if data is None:
            raise RnnkitError(f"model {entry.name} has no stored context (its training CSV is not readable); "
                              "post a series")
    else:
        data = _posted_series(est, points)
    frame = predict_table(est, data, horizon)
    out = []
    ids = data.id_col  # the input's column names, as predict keeps them
    groups = frame.groupby(ids, sort=False) if ids in frame else [(data.series[0].id, frame)]
    for sid, part in groups:
        intervals = {c: part[c].astype(float).tolist() for c in part.columns if c.startswith("q")}
        made_by = str(part["model"].iloc[0]) if "model" in part else est.name  # e.g. auto_theta, a fallback
        out.append({"id": str(sid), "model": made_by, "dates": [_stamp(d) for d in part[data.date_col]],
                    "values": part["yhat"].astype(float).tolist(), "intervals": intervals})
    return out


def _stamp(d) -> str | int:
    """Dates as YYYY-MM-DD (with the time when it is not midnight); positions as integers."""
    if hasattr(d, "strftime"):
        return d.strftime("%Y-%m-%d") if d == d.normalize() else d.isoformat()
    return int(d)


def _posted_series(est, points: list[dict]):
    import pandas as pd

    from rnnkit.forecast.config import clean_policy
    from rnnkit.series.io import from_dataframe

    d = est.cfg.data
    features = list(est.meta.get("features", []))
    rows = []
    for i, p in enumerate(points):
        given = p.get("features") or {}
        unknown = sorted(set(given) - set(features))
        if unknown:
            raise RnnkitError(f"series[{i}] has feature(s) {', '.join(unknown)} that the model does not use; "
                              f"it was trained with: {', '.join(features) or 'none'}")
        lacking = [f for f in features if f not in given]
        if lacking:
            raise RnnkitError(f"series[{i}] lacks feature(s) {', '.join(lacking)} that model was trained with; "
                              "give them as \"features\": {name: value}")
        rows.append({d.date_col: str(p["ds"]), d.target: repr(float(p["y"])),
                     **{f: repr(float(given[f])) for f in features}})
    raw = pd.DataFrame(rows, columns=[d.date_col, d.target, *features])
    data, _ = from_dataframe(raw, d.date_col, d.target, features, None, clean_policy(d, est.cfg.forecast.horizon),
                             source="the posted series")
    dated = data.series[0].index is not None
    if dated != (est.pipeline.freq is not None):
        # calendar inputs come from dates (or positions), so the network's input width differs
        raise RnnkitError("the model was trained on " + ("dated rows; post \"ds\" as dates" if not dated else
                          "integer positions; post \"ds\" as integers"))
    return data
