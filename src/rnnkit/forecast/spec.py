"""The forecast task's entry in the task registry (rnnkit/tasks.py): window forecasters."""

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rnnkit.errors import RnnkitError
from rnnkit.taskspec import TaskSpec


def _run_config() -> type:
    from rnnkit.forecast.config import ForecastRunConfig

    return ForecastRunConfig


def _help_defaults() -> list[tuple[str, dict[str, Any]]]:
    from rnnkit.config import to_dict

    return [("", to_dict(_run_config()()))]


def _resolve(config_file: str | None, overrides: dict[str, Any], data: str | None):
    from rnnkit.config import resolve

    return resolve(_run_config(), config_file, overrides)


def _check(cfg, inputs) -> None:
    from rnnkit.forecast.config import check

    from rnnkit.forecast.run import load_data

    check(cfg)
    if not cfg.data.csv:
        raise RnnkitError("no data: give --csv PATH (or a dataset name such as aapl)")
    load_data(cfg)  # a missing, empty or unreadable CSV fails here, not in a trial


def _train_trial(cfg, inputs, run_dir: Path, on_eval, log) -> dict[str, Any]:
    from rnnkit.forecast.estimator import Forecaster
    from rnnkit.forecast.run import load_data

    data, _ = load_data(cfg)
    result, _ = Forecaster(cfg).fit_run(data, run_dir, log=log, extra_meta={"csv": cfg.data.csv}, on_eval=on_eval)
    return result.summary


def _load_model(path: Path):
    from rnnkit.forecast.estimator import Forecaster

    return Forecaster.load(path).model


def _export_source(path: Path, run: str):
    from rnnkit.forecast.config import clean_policy
    from rnnkit.forecast.estimator import Forecaster

    est = Forecaster.load(path)
    d, f = est.cfg.data, est.cfg.forecast
    meta = dict(
        model=est.cfg.model.cell, pipeline=est.pipeline.state_dict(), meta=est.meta,
        data={"date_col": d.date_col, "sep": d.sep, "target": d.target, "features": list(d.features),
              "id_col": d.id_col, "policy": asdict(clean_policy(d, f.horizon))},
        forecast={"horizon": f.horizon, "lookback": f.lookback, "strategy": f.strategy},
        first=est.first, quantiles=est.quantiles, point_index=est.point_index)
    return est.model, meta, False, est.pipeline.n_inputs, f.lookback // f.patch, False


def _run_onnx(model, args) -> None:
    from rnnkit.export import runner

    if not args.csv:
        raise RnnkitError("a forecast model needs --csv HISTORY")
    sys.stdout.write(runner.forecast(model, args.csv, args.horizon).to_csv(index=False))


def _serve_load(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    from rnnkit.forecast.estimator import Forecaster

    est = Forecaster.load(path)
    context = _stored_context(est)
    f = est.cfg.forecast
    info = dict(model=est.cfg.model.cell, horizon=f.horizon, lookback=f.lookback, strategy=f.strategy,
                quantiles=est.quantiles, features=list(est.meta.get("features", [])),
                stored_context=None if context is None else [s.id for s in context.series])
    return info, {"estimator": est, "context": context}


def _stored_context(est) -> Any:
    """The series the model was trained on (its CSV, re-read and cleaned the same way), or None
    when that file is gone: forecasts then need a posted series."""
    from rnnkit.forecast.run import load_data

    if not est.cfg.data.csv:
        return None
    try:
        data, _ = load_data(est.cfg)
    except RnnkitError:
        return None
    return data


def _serve_routes(app, api) -> None:
    # (this module keeps its annotations evaluated: FastAPI reads the request models from them)
    from rnnkit.forecast.serving import forecast as forecast_entry
    from rnnkit.serve.schemas import ForecastRequest

    @app.post("/v1/forecast", summary="forecast a posted series, or the model's stored context")
    def forecast(req: ForecastRequest) -> dict:
        """Per series: `dates`, `values` (the median, or the point forecast) and `intervals` (one
        list per quantile column, e.g. q10 and q90). Without `series`, the model's training data is
        the history."""
        entry = api.pick(req.model, "forecast")
        points = None if req.series is None else [p.model_dump() for p in req.series]
        horizon = req.horizon or entry.info["horizon"]
        return {"model": entry.name, "horizon": horizon, "quantiles": entry.info["quantiles"],
                "forecasts": forecast_entry(entry, horizon, points)}


SPEC = TaskSpec(
    kind="forecast", run_config=_run_config, help_defaults=_help_defaults, resolve=_resolve,
    monitor=lambda cfg: "val_loss", check=_check, train_trial=_train_trial,
    tune_choices=(("model.cell", ("lstm", "gru", "attention")), ("forecast.lookback", (20, 40, 60, 120)),
                  ("forecast.batch_size", (32, 64, 128))),
    load_model=_load_model, export_source=_export_source, onnx_output="forecast",
    onnx_pick=lambda out: out,  # (B, horizon, Q)
    run_onnx=_run_onnx, serve_load=_serve_load, serve_routes=_serve_routes,
)
