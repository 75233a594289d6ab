"""The run folders a server has loaded, and the three things it does with them.

Every request carries its own recurrent state (models never keep state on `self`), so one loaded
model serves any number of concurrent requests; generate requests of one model are stepped together
in one batch (batcher.py). Functions here raise `RnnkitError` for bad input;
the app turns that into a 400 JSON answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from rnnkit.errors import RnnkitError


@dataclass
class Loaded:
    name: str
    kind: str  # the task (rnnkit/tasks.py): text | forecast | classify
    path: str
    info: dict[str, Any]
    objects: dict[str, Any] = field(default_factory=dict)


def load_run(run: str | Path, name: str | None = None) -> Loaded:
    from rnnkit.tasks import get
    from rnnkit.train.checkpoint import load_checkpoint, resolve_checkpoint
    from rnnkit.train.int8 import is_quantized

    path = resolve_checkpoint(run)
    ckpt = load_checkpoint(path)
    kind = ckpt.get("kind")
    name = name or (Path(run).name if Path(run).is_dir() else Path(run).parent.name)
    info: dict[str, Any] = {"quantized": is_quantized(ckpt)}
    del ckpt
    own, objects = get(kind, "serve").serve_load(path)  # the task's entry in rnnkit/tasks.py
    return Loaded(name, kind, str(path), {**info, **own}, objects)


def generate(entry: Loaded, prompt: str, length: int, temperature: float, top_k: int | None,
             top_p: float | None, seed: int | None) -> Iterator[str]:
    """Text as it is sampled, stepped in one batch with the model's other requests (batcher.py).
    Argument errors are raised here, before the first character."""
    return entry.objects["batcher"].submit(prompt, length, temperature, top_k, top_p, seed)


def forecast(entry: Loaded, horizon: int | None, points: list[dict] | None) -> list[dict]:
    """One forecast per series: dates, point values and the interval columns."""
    est = entry.objects["estimator"]
    if points is None:
        data = entry.objects["context"]
        if data is None:
            raise RnnkitError(f"model {entry.name} has no stored context (its training CSV is not readable); "
                              "post a series")
    else:
        data = _posted_series(est, points)
    frame = est.predict_table(data, horizon)
    out = []
    groups = frame.groupby("unique_id", sort=False) if "unique_id" in frame else [(data.series[0].id, frame)]
    for sid, part in groups:
        intervals = {c: part[c].astype(float).tolist() for c in part.columns if c.startswith("q")}
        out.append({"id": str(sid), "dates": [_stamp(d) for d in part["date"]],
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
    data, _ = from_dataframe(raw, d.date_col, d.target, features, None, clean_policy(d), source="the posted series")
    dated = data.series[0].index is not None
    if dated != (est.pipeline.freq is not None):
        # calendar inputs come from dates (or positions), so the network's input width differs
        raise RnnkitError("the model was trained on " + ("dated rows; post \"ds\" as dates" if not dated else
                          "integer positions; post \"ds\" as integers"))
    return data


def classify(entry: Loaded, text: str | None, series: list | None) -> dict[str, Any]:
    import torch

    from rnnkit.classify.task import Encoded, predict_proba

    enc = entry.objects["encoder"]
    if (text is None) == (series is None):
        raise RnnkitError("give exactly one of \"text\" or \"series\"")
    if enc.is_text and text is None:
        raise RnnkitError(f"model {entry.name} classifies texts; post \"text\"")
    if not enc.is_text and series is None:
        raise RnnkitError(f"model {entry.name} classifies numeric series; post \"series\"")
    if text is not None:
        item: Any = text
    else:
        try:
            x = np.asarray(series, dtype=np.float32)
        except ValueError:  # ragged: steps with different numbers of features
            raise RnnkitError("\"series\" steps must all have the same number of features") from None
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != enc.n_features or not np.isfinite(x).all():
            raise RnnkitError(f"\"series\" must be a list of steps, each {enc.n_features} finite number(s)")
        item = x
    ids, lengths, truncated = enc.encode([item])
    probs, weights = predict_proba(entry.objects["model"], Encoded(ids, lengths, torch.tensor([-1])))
    p = probs[0]
    return {"predicted": enc.classes[int(p.argmax())], "probabilities": dict(zip(enc.classes, map(float, p))),
            "truncated": bool(truncated)}
