"""Continual learning: fine-tune a saved model on rows appended since it was trained.

Run-folder layout after updates:
    best.pt                the current version (what predict / backtest load)
    versions/v1/best.pt    the version trained by `forecast train` (kept)
    versions/v2/...        each update: a trainer run folder plus update.json (before/after errors)
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from rnnkit.config import TrainConfig, to_dict
from rnnkit.errors import RnnkitError
from rnnkit.forecast.baselines import Naive
from rnnkit.forecast.estimator import Forecaster
from rnnkit.forecast.evaluate import evaluate
from rnnkit.forecast.task import WindowTask
from rnnkit.series.clean import when
from rnnkit.series.frame import SeriesSet
from rnnkit.series.windows import origins


def finetune(est: Forecaster, data: SeriesSet, starts: list[int], ends: list[int], train_cfg: TrainConfig,
             run_dir: Path, log: Callable[[str], None] | None = None) -> Forecaster:
    """A copy of `est` fine-tuned on the windows whose targets lie in [starts[i], ends[i]) of each
    series (inputs may reach back further); the scaler is kept as it is."""
    from rnnkit.train.checkpoint import load_checkpoint
    from rnnkit.train.trainer import fit

    new = copy.deepcopy(est)
    arrays = new.pipeline.arrays(data.series)
    h, lb = new.train_horizon(), new.cfg.forecast.lookback
    g = [origins(a, b, lb, h, first=new.first) + off for a, b, off in zip(starts, ends, arrays.starts)]
    g = np.concatenate(g) if g else np.zeros(0, dtype=np.int64)
    if len(g) == 0:
        raise RnnkitError(f"too few new rows to fine-tune on: a window needs {h} new target step(s) after "
                          f"{lb} steps of history")
    f = new.cfg.forecast
    # validation = the fine-tuning windows themselves: the newest rows stay unseen for the after-score
    task = WindowTask(new.pipeline, arrays, g, g, f.loss, new.quantiles, f.batch_size, train_cfg.seed)
    cfg = copy.deepcopy(train_cfg)
    if cfg.eval_every == 0:
        cfg.eval_every = task.batches_per_epoch()
    new.model.train()
    fit(new.model, task, cfg, run_dir, kind="forecast", config=to_dict(new.cfg), extra=new.extra(),
        log=log or (lambda _m: None))
    if (run_dir / "best.pt").exists():
        new.model.load_state_dict(load_checkpoint(run_dir / "best.pt", kind="forecast")["model"])
    new.model.to("cpu").eval()  # forecasting runs on the CPU
    return new


def new_rows(est: Forecaster, data: SeriesSet) -> list[int]:
    """Per series, the position of the first row after the data the model was trained on."""
    ends = dict(zip(est.meta["series"], est.meta["data_end"]))
    out = []
    for s in data.series:
        if s.id not in ends:
            raise RnnkitError(f"series {s.id!r} is not one the model was trained on ({', '.join(ends)[:200]})")
        end = ends[s.id]
        if s.index is not None:
            out.append(int(np.searchsorted(s.index.values, np.datetime64(pd.Timestamp(end)), side="right")))
        else:
            out.append(int(np.searchsorted(s.t0 + np.arange(len(s)), int(end), side="right")))
    return out


def update_run(run: Path, data: SeriesSet, csv: str, train_cfg: TrainConfig, refit_scaler: bool = False,
               log: Callable[[str], None] = print) -> dict:
    est = Forecaster.load(run)
    from rnnkit.train.int8 import is_quantized_model

    if is_quantized_model(est.model):
        raise RnnkitError(f"{run} holds an int8 model (rnnkit quantize), which cannot be trained; update the "
                          "float run it was made from, then quantize again")
    first_new = new_rows(est, data)
    skipped = sum(first_new)
    n_new = sum(len(s) - f for s, f in zip(data.series, first_new))
    last_seen = ", ".join(str(e) for e in est.meta["data_end"][:3])
    if n_new == 0:
        raise RnnkitError(f"{csv}: all {skipped} rows are on or before the end of the training data ({last_seen}) "
                          "and were skipped; there is nothing new to learn from")
    if any(f == 0 for f in first_new):
        raise RnnkitError(f"{csv} starts after the training data; it must also hold the rows before the new ones "
                          f"(at least --lookback {est.cfg.forecast.lookback}) so windows have their history")
    if skipped:
        log(f"skipped {skipped} rows up to {last_seen} (already in the training span); {n_new} new rows")
    if not any(est.uses_network(s.id) for s in data.series):
        log(f"note: no series is forecast by the network (validation gave it share 0"
            + ("; short series get a baseline" if est.fallback else "") + "), so fine-tuning it cannot change "
            "these forecasts; train a new run on the longer data to choose again")
    h = est.cfg.forecast.horizon
    # the newest part (last 20% of the new rows, at least one horizon) scores before and after
    holdout = [max(h, int(round(0.2 * (len(s) - f)))) for s, f in zip(data.series, first_new)]
    tune_end = [len(s) - k for s, k in zip(data.series, holdout)]
    if any(e - f < est.train_horizon() for e, f in zip(tune_end, first_new)):
        raise RnnkitError(f"{csv} has {n_new} new rows: too few to fine-tune on and score (need at least "
                          f"{2 * h} new rows per series)")
    if refit_scaler:
        est.pipeline.fit(data, tune_end)
    versions = run / "versions"
    if not versions.exists():
        (versions / "v1").mkdir(parents=True)
        shutil.copy2(run / "best.pt", versions / "v1" / "best.pt")
    k = 1 + max(int(p.name[1:]) for p in versions.iterdir() if p.name.startswith("v") and p.name[1:].isdigit())
    target = versions / f"v{k}"
    est.meta = {**est.meta, "data_end": [_stamp(s) for s in data.series], "version": k}
    tmp = versions / f".v{k}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    new = finetune(est, data, first_new, tune_end, train_cfg, tmp, log)
    before = _score(est, data, tune_end)
    after = _score(new, data, tune_end)
    result = {"version": k, "csv": csv, "new_rows": n_new, "skipped_rows": skipped,
              "scored_on": "the newest rows (last 20% of the new rows, at least one horizon), unseen in fine-tuning",
              "before": before, "after": after, "scaler_refit": refit_scaler}
    (tmp / "update.json").write_text(json.dumps(result, indent=2) + "\n")
    os.replace(tmp, target)
    shutil.copy2(target / "best.pt", run / ".best.pt.tmp")
    os.replace(run / ".best.pt.tmp", run / "best.pt")  # the new version becomes current atomically
    return result


def _score(est: Forecaster, data: SeriesSet, starts: list[int]) -> dict:
    h = est.cfg.forecast.horizon
    ev = evaluate([est, Naive()], data, starts, [len(s) for s in data.series], h, h,
                  est.cfg.forecast.lookback + est.first, est.pipeline.season, est.quantiles)
    return {name: {k: s[k] for k in ("mae", "rmse", "mape", "coverage")} for name, s in ev.scores.items()}


def _stamp(s) -> str | int:
    return when(s.index[-1]) if s.index is not None else int(s.t0 + len(s) - 1)
