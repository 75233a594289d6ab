"""What `rnnkit forecast backtest` and `rnnkit forecast update` do, as functions."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Callable

import numpy as np

from rnnkit.errors import RnnkitError
from rnnkit.files import write_text
from rnnkit.forecast.estimator import Forecaster, Split, make_splits
from rnnkit.forecast.report import table, to_json
from rnnkit.forecast.run import load_data, write_figures

Log = Callable[[str], None]


def backtest_command(run: str, csv: str | None, refit_every: int | None, refit_epochs: int,
                     out: str | None, log: Log = print) -> dict:
    from rnnkit.forecast.backtest import backtest

    if refit_every is not None and refit_every < 1:
        raise RnnkitError(f"--refit-every must be >= 1, got {refit_every}")
    est = Forecaster.load(run)
    data, _ = load_data(est.cfg, csv, need=est.meta["features"], run=run, freq=est.pipeline.freq)
    saved = est.meta["splits"]
    if len(saved) == len(data) and all(n == len(s) for (_, _, n), s in zip(saved, data.series)):
        splits = [Split(*sp) for sp in saved]  # the very test part the model was reported on
    else:
        splits = make_splits(data, est.cfg)
    if all(sp.val_end >= len(s) for sp, s in zip(splits, data.series)):
        raise RnnkitError(f"the run in {run} has no test part to backtest on (data.test = {est.cfg.data.test:g}"
                          + (", its held-out file was scored in its report" if est.cfg.data.holdout else "")
                          + "); a backtest needs a run trained with a test part (--test above 0)")
    refit_cfg = _finetune_cfg(est, refit_epochs, est.cfg.train.lr / 3, None, None)
    results = backtest(est, data, splits, refit_every, refit_cfg)
    if not any(ev.points for ev in results.values()):
        need = est.cfg.forecast.lookback + est.first
        longest = max(len(s) for s in data.series)
        raise RnnkitError(f"{csv or est.cfg.data.csv} leaves no test origin to score: a forecast reads the {need} rows "
                          f"before its origin and the test part follows the training and validation parts, but the "
                          f"longest series holds {longest} rows; give a CSV with the run's history and more rows")
    target = Path(out or run)
    target.mkdir(parents=True, exist_ok=True)
    doc = {kind: to_json(ev, est.name, data.target, {"refit_every": refit_every}) for kind, ev in results.items()}
    write_text(target / "backtest.json", json.dumps(doc, indent=2) + "\n")
    md = ["# Walk-forward backtest", ""]
    for kind, ev in results.items():
        title = "one step ahead, every test origin" if kind == "one_step" else f"{ev.horizon} steps ahead, origins every {ev.every}"
        md += [f"## {title}", "", f"**{doc[kind]['verdict']}.**", "", table(ev), ""]
        write_figures(target, est, data, ev, prefix=f"backtest_{kind}_")
        log(f"\n{title} ({ev.points} points, {ev.span[0]} .. {ev.span[1]})")
        log(table(ev))
        log(f"verdict: {doc[kind]['verdict']}")
    write_text(target / "backtest.md", "\n".join(md))
    log(f"\nwrote {target}/backtest.json, backtest.md, backtest_*forecast.png")
    return doc


def update_command(run: str, csv: str, epochs: int, lr: float, refit_scaler: bool, seed: int | None,
                   threads: int | None, device: str | None = None, log: Log = print) -> dict:
    from rnnkit.forecast.update import new_rows, update_run

    if epochs < 1:
        raise RnnkitError(f"--max-epochs must be >= 1, got {epochs}")
    est = Forecaster.load(run)
    data, cleaning = load_data(est.cfg, csv, need=est.meta["features"], run=run, freq=est.pipeline.freq)
    old, columns = est.cfg.data.csv, cleaning.columns
    need = est.cfg.forecast.lookback + est.first  # rows of history a window reads
    history = any(f < need for f in new_rows(est, data)) and old and old != csv
    if history:
        # (almost) only new rows were given: their windows need the history the model was trained on
        try:
            data, cleaning = load_data(est.cfg, csv, need=est.meta["features"], run=run, history=old,
                                freq=est.pipeline.freq)
        except RnnkitError as e:
            raise RnnkitError(f"{csv} holds too little history before its new rows, and the training CSV {old} "
                              f"could not be read for it ({e}); give a CSV with both") from None
        log(f"{csv} holds fewer than {need} rows before its new ones: the history comes from the training CSV "
            f"{old} (rows on the same dates: {csv}'s)")
    _compare_with_training_csv(est, data, columns, csv, run, log, values=not history)
    if cleaning.inserted:  # e.g. a gap between the training data and the new rows
        log(f"note: {cleaning.inserted} missing time stamps were inserted and filled ({cleaning.missing_policy}) "
            f"before fine-tuning; largest gap {cleaning.largest_gap} steps from {cleaning.largest_gap_at}")
    cfg = _finetune_cfg(est, epochs, lr, seed, threads)
    cfg.device = device or cfg.device
    result = update_run(Path(run), data, csv, cfg, refit_scaler, log)
    log(f"version v{result['version']} written to {run}/versions/v{result['version']} (previous versions kept); "
        f"now current in {run}/best.pt")
    log("error on the newest rows (unseen while fine-tuning):")
    log("| model | when | mae | rmse | mape | coverage |\n|---|---|---|---|---|---|")
    for when in ("before", "after"):
        for name, s in result[when].items():
            cov = "-" if s["coverage"] is None else f"{s['coverage']:.3f}"
            log(f"| {name} | {when} | {s['mae']:.4g} | {s['rmse']:.4g} | {s['mape']:.4g} | {cov} |")
    return result


def _compare_with_training_csv(est: Forecaster, data, columns: list[str], csv: str, run: str, log: Log,
                               values: bool = True) -> None:
    """Notes on what `csv` holds that the training CSV did not (read once): columns new since it (a
    new covariate: the model does not read them) and, with `values`, rows on the training data's
    dates with other values (a correction the model never learnt from)."""
    old = est.cfg.data.csv
    if not old or old == csv or not Path(old).is_file():
        return
    try:
        trained, report = load_data(est.cfg, old, need=est.meta["features"], run=run, freq=est.pipeline.freq)
    except RnnkitError:
        return
    unread = [c for c in columns if c not in report.columns]
    if unread:
        used = ", ".join(est.meta["features"]) or "none"
        log(f"note: {csv} has column(s) {', '.join(unread[:5])} that the model does not read (its features: {used}); "
            "train a new run to use them")
    before = {s.id: s for s in trained.series}
    changed, example = 0, ""
    for s in data.series if values else []:
        o = before.get(s.id)
        if o is None or s.index is None or o.index is None:
            continue
        shared = s.index.intersection(o.index)
        i, j = s.index.get_indexer(shared), o.index.get_indexer(shared)
        differ = ~np.isclose(s.y[i], o.y[j], rtol=1e-9, atol=0.0)
        if differ.any() and not example:
            k = int(np.flatnonzero(differ)[0])
            example = f"e.g. {s.id} {shared[k]}: {o.y[j[k]]:g} in training, {s.y[i[k]]:g} here"
        changed += int(differ.sum())
    if changed:
        log(f"note: {changed} rows of {csv} on the training data's dates hold other values than the training CSV "
            f"{old} ({example}); the model learnt the training values; fine-tuning learns from the new rows only "
            "(their windows read this file's values)")


def _finetune_cfg(est: Forecaster, epochs: int, lr: float, seed: int | None, threads: int | None):
    cfg = copy.deepcopy(est.cfg.train)
    cfg.max_epochs, cfg.max_steps, cfg.max_minutes, cfg.patience = epochs, None, None, None
    cfg.lr, cfg.schedule, cfg.warmup_steps, cfg.eval_every = lr, "constant", 0, 0
    if seed is not None:
        cfg.seed = seed
    if threads is not None:
        cfg.threads = threads
    return cfg
