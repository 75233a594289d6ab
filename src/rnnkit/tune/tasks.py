"""What a search needs from each task: its run config type, the validation metric it minimises,
a fail-fast check of the base config, and one training run into a trial folder (all from the
task's entry in the registry, rnnkit/tasks.py).

Trials train exactly as `rnnkit <task> train` does (same entry points, same run folder), but
never score the test part: the objective is the task's monitored validation metric."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from rnnkit import tasks
from rnnkit.errors import RnnkitError
from rnnkit.taskspec import Log, OnEval

__all__ = ["Inputs", "Log", "OnEval", "TuneTask", "get_task"]


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


def get_task(name: str) -> TuneTask:
    if name not in tasks.names():
        raise RnnkitError(f"unknown task {name!r}; tune one of {', '.join(tasks.names())}")
    spec = tasks.get(name)
    return TuneTask(name, spec.run_config(), spec.monitor, spec.check, spec.train_trial)
