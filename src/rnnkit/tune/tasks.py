"""What a search needs from each task: its run config type, the validation metric it minimises,
a fail-fast check of the base config, and one training run into a trial folder.

Trials train exactly as `rnnkit <task> train` does (same entry points, same run folder), but
never score the test part: the objective is the task's monitored validation metric."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from rnnkit.errors import RnnkitError

OnEval = Callable[[int, dict[str, float]], bool]
Log = Callable[[str], None]


@dataclass(frozen=True)
class Inputs:
    """Data that lives outside the run config (classify reads --data/--test from the command line)."""

    data: str | None = None
    test: str | None = None


@dataclass(frozen=True)
class TuneTask:
    name: str
    config_cls: type
    monitor: Callable[[Any], str]  # run config -> key of the validation metrics to minimise
    check: Callable[[Any, Inputs], None]
    train: Callable[[Any, Inputs, Path, OnEval, Log], dict[str, Any]]  # -> fit summary


# -- text -------------------------------------------------------------------------------------

def _text_check(cfg, inputs: Inputs) -> None:
    from rnnkit.text.corpus import resolve_corpus
    from rnnkit.text.task import check_config

    check_config(cfg)
    resolve_corpus(cfg.data.corpus)


def _text_train(cfg, inputs: Inputs, run_dir: Path, on_eval: OnEval, log: Log) -> dict[str, Any]:
    from rnnkit.text.task import train_text

    return train_text(cfg, run_dir, on_eval=on_eval, log=log).summary


# -- forecast ---------------------------------------------------------------------------------

def _forecast_check(cfg, inputs: Inputs) -> None:
    from rnnkit.forecast.config import check

    check(cfg)
    if not cfg.data.csv:
        raise RnnkitError("no data: give --csv PATH (or a dataset name such as aapl)")


def _forecast_train(cfg, inputs: Inputs, run_dir: Path, on_eval: OnEval, log: Log) -> dict[str, Any]:
    from rnnkit.forecast.estimator import Forecaster
    from rnnkit.forecast.run import load_data

    data, _ = load_data(cfg)
    result, _ = Forecaster(cfg).fit_run(data, run_dir, log=log, extra_meta={"csv": cfg.data.csv}, on_eval=on_eval)
    return result.summary


# -- classify ---------------------------------------------------------------------------------

def _classify_check(cfg, inputs: Inputs) -> None:
    from rnnkit.classify.estimator import check_config

    check_config(cfg)
    if not inputs.data:
        raise RnnkitError("no data: give --data PATH")
    for path in (inputs.data, inputs.test):
        if path and not Path(path).exists():
            raise RnnkitError(f"no such file: {path}")


def _classify_train(cfg, inputs: Inputs, run_dir: Path, on_eval: OnEval, log: Log) -> dict[str, Any]:
    from rnnkit.classify.estimator import train

    return train(cfg, inputs.data, inputs.test, run_dir, log=log, on_eval=on_eval, score_test=False)["training"]


def _config_cls(task: str) -> type:
    if task == "text":
        from rnnkit.text.task import TextRunConfig

        return TextRunConfig
    if task == "forecast":
        from rnnkit.forecast.config import ForecastRunConfig

        return ForecastRunConfig
    from rnnkit.classify.config import ClassifyRunConfig

    return ClassifyRunConfig


def _classify_monitor(cfg) -> str:
    return {"loss": "val_loss", "accuracy": "val_error"}[cfg.data.monitor]


TASKS = ("text", "forecast", "classify")


def get_task(name: str) -> TuneTask:
    if name not in TASKS:
        raise RnnkitError(f"unknown task {name!r}; tune one of {', '.join(TASKS)}")
    parts = {
        "text": (lambda cfg: "val_loss", _text_check, _text_train),
        "forecast": (lambda cfg: "val_loss", _forecast_check, _forecast_train),
        "classify": (_classify_monitor, _classify_check, _classify_train),
    }[name]
    return TuneTask(name, _config_cls(name), *parts)
