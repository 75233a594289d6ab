"""What the `rnnkit forecast train / predict` commands do, as functions (the CLI only parses flags)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from rnnkit.errors import RnnkitError
from rnnkit.files import check_no_run, write_text
from rnnkit.forecast import combine
from rnnkit.forecast.config import ForecastRunConfig, clean_policy
from rnnkit.forecast.estimator import Forecaster, Split, check_calendar, stamp
from rnnkit.forecast.fallback import choose as choose_fallback
from rnnkit.forecast.fallback import forecast as fallback_forecast
from rnnkit.forecast.evaluate import Evaluation, evaluate
from rnnkit.forecast.references import reference_notes, references
from rnnkit.forecast.report import table, write_reports
from rnnkit.forecast.stats import NAMES, available
from rnnkit.series.clean import CleaningReport
from rnnkit.series.frame import Series, SeriesSet, future_index
from rnnkit.series.io import from_dataframe, read_csv

Log = Callable[[str], None]


def load_data(cfg: ForecastRunConfig, csv: str | None = None, need: list[str] | None = None,
              run: str | None = None, history: str | None = None,
              freq: str | None = None) -> tuple[SeriesSet, CleaningReport]:
    """Read and clean the CSV (or dataset name). With a saved model's `run`, `need` lists its
    feature columns and `freq` the frequency it was trained on, so a CSV without those columns or
    on another calendar gets an error that names the run; `history` is a CSV read before it (rows
    on the same dates are replaced by the newer file's)."""
    d = cfg.data
    csv = csv or d.csv
    if not csv:
        raise RnnkitError("no data: give --csv PATH (or a dataset name such as aapl)")
    raw = read_csv(csv, d.sep, d.encoding, d.errors)
    if need and run:
        lacking = [c for c in need if c not in raw.columns]
        if lacking:
            raise RnnkitError(f"the model in {run} was trained with features {', '.join(need)}; {csv} lacks "
                              f"{', '.join(lacking)}; give a CSV with those columns or train a new model")
    if history:
        raw = pd.concat([read_csv(history, d.sep, d.encoding, d.errors), raw], ignore_index=True)
    data, report = from_dataframe(raw, d.date_col, d.target, d.features, d.id_col,
                                  clean_policy(d, cfg.forecast.horizon), source=str(csv))
    if run:
        check_calendar(data, freq, str(csv), run)
    return data, report


def evaluate_test(model, data: SeriesSet, splits: list[Split], horizon: int | None = None,
                  every: int | None = None, est: Forecaster | None = None) -> Evaluation:
    """The model and every baseline on the test part: origins every `every` steps (default: the
    horizon, so multi-step forecasts do not overlap), each from the true history. `model` is the
    estimator, or a wrapper with its `forecast()` (a refitting backtest) when `est` is given."""
    est = est or model
    h = est.cfg.forecast.horizon if horizon is None else horizon
    if h <= 0:
        raise RnnkitError(f"--horizon must be >= 1, got {h}")
    refs = references(est.pipeline.season, est.cfg.forecast.stat_models, data, [sp.val_end for sp in splits])
    ev = evaluate([model] + refs, data, [sp.val_end for sp in splits], [sp.train_end for sp in splits], h,
                  every or h, est.cfg.forecast.lookback + est.first, est.pipeline.season, est.quantiles)
    ev.notes += reference_notes(refs, est.cfg.forecast.stat_models)
    return ev


def train_run(cfg: ForecastRunConfig, out: Path, resume: bool = False, log: Log = print) -> dict:
    if not resume:  # before any reading
        check_no_run(out, ("last.pt", "select/last.pt"))
    if out.exists() and not out.is_dir():
        raise RnnkitError(f"--out {out} is a file; give a folder for the run")
    est = Forecaster(cfg)  # the settings are checked before the data is read
    data, cleaning = load_data(cfg)
    if cfg.data.csv and Path(cfg.data.csv).is_file():  # backtest and update read it from any folder
        cfg.data.csv = str(Path(cfg.data.csv).resolve())
    for line in cleaning.summary_lines():
        log(f"cleaning: {line}")
    result, splits = est.fit_run(data, out, resume=resume, log=log, extra_meta={"csv": cfg.data.csv})
    write_text(out / "cleaning.json", json.dumps(cleaning.to_dict(), indent=2) + "\n")
    if all(sp.val_end >= sp.n for sp in splits):
        if not cfg.data.holdout:
            log("no test part (data.test = 0) and no --holdout file: report skipped")
            return {}
        data, splits = with_holdout(data, splits, cfg.data.holdout, cfg.forecast.horizon)
        log(f"scoring the held-out file {cfg.data.holdout}: the next {cfg.forecast.horizon} values of each series")
    stats = [NAMES[k] for k in cfg.forecast.stat_models]
    log(f"scoring the test part beside the baselines"
        + (f" and {', '.join(stats)} (one fit per series, {len(data.series)} series; --stat-models chooses them)"
           if stats and available() else ""))
    ev = evaluate_test(est, data, splits)
    m, d, f = cfg.model, cfg.data, cfg.forecast
    settings = (f"{m.cell} {m.layers}x{m.hidden}, lookback {f.lookback}, target transform {d.target_transform}, "
                f"scaler {d.scaler} (fit on the training part), normalize {d.normalize}, loss {f.loss}, "
                f"stopped after {result.summary['epochs']:.0f} epochs ({result.stopped}), best at step {result.summary['best_step']}"
                + (f"; then trained again on training + validation for {est.refit_epochs} epoch(s)"
                   if est.refit_epochs else "") + _combination_note(est))
    extra = {"season_detected": cfg.data.season is None and data.season is None, "train": result.summary,
             "csv": cfg.data.csv, "settings": settings, "season": est.pipeline.season, "seasons": list(data.seasons),
             "fallback": dict(est.fallback)}
    short = [est.fallback_note] if est.fallback_note else []
    report = write_reports(out, ev, est.name, data.target, extra, cleaning.summary_lines() + short)
    write_figures(out, est, data, ev)
    log("")
    log(table(ev))
    log(f"\nverdict: {report['verdict']}")
    return report


def _combination_note(est: Forecaster) -> str:
    """How the model's row is made beyond the network: the share of its correction to the residual
    baseline (forecast/shares.py) and the statistical combination (forecast/combine.py)."""
    return _share_note(est) + _stat_note(est)


def _share_note(est: Forecaster) -> str:
    residual = est.pipeline.residual if est.pipeline is not None else "none"
    if residual == "none" or est.shrink == 1.0:
        return ""
    base = "seasonal naive" if residual == "seasonal" else "naive"
    if est.shrink == 0.0:
        return (f"; correction share 0 (chosen on validation): the network's forecast is its {base} baseline, "
                "unchanged")
    return f"; correction share {est.shrink:g} of the network's change to {base} (chosen on validation)"


def _stat_note(est: Forecaster) -> str:
    c = est.combination
    if c is not None:
        return f"; the {est.name} row is the network {c.describe()}" if c.uses_stat() else \
            f"; the network alone (validation kept it over combining with {c.name})"
    if est.cfg.forecast.combine != "none" and combine.kind(est.cfg.forecast.combine) is None:
        return "; no statistical combination: statsforecast is not installed (pip install 'rnnkit[stats]')"
    return ""


def with_holdout(data: SeriesSet, splits: list[Split], path: str, horizon: int) -> tuple[SeriesSet, list[Split]]:
    """Each series followed by its held-out next values, and splits whose test part is exactly them.
    The file is the M4 layout (first column the series id, then the next values) or long format."""
    try:
        raw = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise RnnkitError(f"--holdout {path} is not a readable CSV ({str(e).splitlines()[0][:120]})") from None
    if {"unique_id", "y"} <= set(raw.columns):
        order = ["unique_id", "ds"] if "ds" in raw.columns else ["unique_id"]
        raw = raw.sort_values(order, kind="stable")
        values = {str(k): g["y"].to_numpy(dtype=float) for k, g in raw.groupby("unique_id", sort=False)}
    else:
        values = {str(r.iloc[0]): pd.to_numeric(r.iloc[1:], errors="coerce").dropna().to_numpy(dtype=float)
                  for _, r in raw.iterrows()}
    lacking = [s.id for s in data.series if s.id not in values]
    if lacking:
        raise RnnkitError(f"--holdout {path} has no values for {len(lacking)} series ({', '.join(lacking[:3])}); "
                          "it needs a row per series (M4 layout) or unique_id, ds, y rows")
    short = [s.id for s in data.series if len(values[s.id]) < horizon]
    if short:
        raise RnnkitError(f"--holdout {path}: {len(short)} series ({', '.join(short[:3])}) have fewer than "
                          f"--horizon {horizon} values")
    if data.features:
        raise RnnkitError("--holdout scores the target only; train without --features to use it")
    series, out = [], []
    for s, sp in zip(data.series, splits):
        extra = values[s.id][:horizon]
        index = None
        if s.index is not None:
            index = s.index.append(pd.DatetimeIndex(future_index(s.index[-1], data.freq, horizon, 0)))
        series.append(Series(s.id, np.concatenate([s.y, extra]), np.zeros((len(s) + horizon, 0)), index, s.t0))
        out.append(Split(sp.train_end, len(s), len(s) + horizon))
    return dataclasses.replace(data, series=series), out  # the input's seasons and column names kept


def write_figures(out: Path, est: Forecaster, data: SeriesSet, ev: Evaluation, prefix: str = "") -> None:
    from rnnkit.forecast.plots import plot_attention, plot_forecast
    from rnnkit.plots import plot_loss_curves

    s, at = data.series[ev.plot_series], ev.plot_origins
    if at is not None and len(at):
        idx = (at[:, None] + np.arange(ev.horizon)[None, :]).ravel()
        x = s.index[idx] if s.index is not None else s.t0 + idx
        f = ev.plot_levels[est.name]
        q = f.shape[-1]
        band = (f[..., 0].ravel(), f[..., -1].ravel()) if q >= 3 else None
        label = f"{100 * (max(est.quantiles) - min(est.quantiles)):.0f}% interval" if q >= 3 else ""
        span = "held-out values" if est.cfg.data.holdout else "test span"
        title = f"{data.target}{' (' + s.id + ')' if len(data) > 1 else ''}: {span}, horizon {ev.horizon}, " \
                f"origins every {ev.every}"
        from rnnkit.forecast.verdict import decide

        best = decide(ev, est.name).best
        refs = {"naive": ev.plot_levels["naive"][..., 0].ravel()}
        if best and best != "naive" and best in ev.plot_levels:
            refs[f"{best} (best reference)"] = ev.plot_levels[best][..., 0].ravel()
        else:
            refs = {"naive (persistence, best reference)" if best == "naive" else "naive (persistence)": refs["naive"]}
        plot_forecast(x, s.y[idx], f[..., est.point_index].ravel(), refs, band, out / f"{prefix}forecast.png",
                      title, est.name, label, xlabel=("date (UTC)" if data.utc else "date") if s.index is not None else "time step",
                      ylabel=data.target)
        if est.cfg.model.cell == "attention":
            plot_attention(est.attention(s, at), out / f"{prefix}attention.png")
    metrics = out / "select" / "metrics.jsonl"  # a refit run's held-out curve is its selection run's
    metrics = metrics if metrics.exists() else out / "metrics.jsonl"
    if not prefix and metrics.exists():
        plot_loss_curves(metrics, out / "loss.png", title=f"{est.name} training")


def predict_run(run: str, csv: str, horizon: int | None, out: str | None) -> pd.DataFrame:
    est = Forecaster.load(run)
    data, cleaning = load_data(est.cfg, csv, need=est.meta["features"], run=run, freq=est.pipeline.freq)
    frame = predict_table(est, data, horizon)
    frame.attrs["trained_horizon"] = est.cfg.forecast.horizon
    frame.attrs["skipped"] = cleaning.skipped
    frame.attrs["features"] = list(data.features)
    if out:
        write_text(out, frame.to_csv(index=False))  # atomic: a full disk leaves no 0-byte or partial file
    return frame


def predict_table(est: Forecaster, data: SeriesSet, horizon: int | None = None) -> pd.DataFrame:
    """What `rnnkit forecast predict` prints: forecasts past the end of every series, with future
    dates (business days for daily stock data) and one column per quantile."""
    horizon = est._horizon(horizon)
    rows, need, short = [], est.cfg.forecast.lookback + est.first, {}
    for s in data.series:
        _check_positive(est, s)
        if s.id not in est.fallback and len(s) < need:  # too short for the network: a baseline
            short[s.id] = choose_fallback(s, len(s), len(s), est.pipeline.season, horizon)
    networked = [s for s in data.series if s.id not in short]
    forecasts = dict(zip((s.id for s in networked), est.forecast_ends(networked, horizon)))  # (H, Q) each
    for s in data.series:
        if s.id in short:
            levels = est.pipeline.floor(fallback_forecast(short[s.id], est.pipeline.season, s, np.array([len(s)]),
                                                          horizon, est.quantiles))[0]
        else:
            levels = forecasts[s.id]
        frame = pd.DataFrame({data.id_col: s.id, data.date_col: data.future(s, est.pipeline.freq, horizon),
                              "yhat": levels[:, est.point_index]})
        frame["model"] = {**est.fallback, **short}.get(s.id) or est.made_by(s.id)
        for j, q in enumerate(est.quantiles):
            if q != 0.5:
                frame[f"q{q * 100:g}"] = levels[:, j]
        rows.append(frame)
    out = pd.concat(rows, ignore_index=True)
    out = out if (out["model"] != est.name).any() else out.drop(columns="model")  # which model made each row
    out = out if len(data.series) > 1 else out.drop(columns=data.id_col)
    out.attrs["rolled"] = est.rolled(horizon)
    return out


def _check_positive(est: Forecaster, s: Series) -> None:
    """A model that reads ratios or logs of the target (pct, logret, window-normalised levels)
    refuses a value at or below zero at predict time, as training does."""
    p = est.pipeline
    if (p.transform in ("pct", "logret") or p.by_level) and not (s.y > 0).all():
        i = int(np.flatnonzero(~(s.y > 0))[0])
        raise RnnkitError(f"series {s.id}: the target is {s.y[i]:g} at {stamp(s, i)}, but this model needs "
                          f"values above zero everywhere ({'log levels' if p.by_level else p.transform}); "
                          "fix the value or train a model on differences (--target-transform diff)")
