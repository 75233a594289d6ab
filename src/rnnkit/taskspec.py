"""What a task declares for the commands around it: one `TaskSpec` per task, in its package's
`spec.py`, found through the registry (rnnkit/tasks.py). This module sits below every task and
imports none of them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

OnEval = Callable[[int, dict[str, float]], bool]
Log = Callable[[str], None]
# (model, metadata for the file, reads token ids, input width, whole-sequence example length,
#  whole-sequence length varies): what export/onnx.py needs to trace a run's model
ExportSource = tuple[Any, dict[str, Any], bool, int, int, bool]


@dataclass(frozen=True)
class TaskSpec:
    """What the commands around a task need from it. Hooks take plain arguments and import
    the task's code when called."""

    kind: str  # the checkpoint kind and the command name, e.g. "text"
    run_config: Callable[[], type]  # the run config dataclass
    help_defaults: Callable[[], list[tuple[str, dict[str, Any]]]]  # (label, plain-data config) for --help
    # config file, overrides, data path -> resolved run config (classify picks text defaults by the data)
    resolve: Callable[[str | None, dict[str, Any], str | None], Any]
    # tuning: the validation metric to minimise, a fail-fast check, one trial's training
    monitor: Callable[[Any], str]
    check: Callable[[Any, Any], None]  # (run config, tune.tasks.Inputs); reads the data too, before any file is made
    train_trial: Callable[[Any, Any, Path, OnEval, Log], dict[str, Any]]  # -> fit summary
    tune_choices: tuple[tuple[str, tuple[Any, ...]], ...]  # task-specific search dimensions (dotted key, choices)
    # runs: the model of a run folder (int8 runs load as int8), for quantize
    load_model: Callable[[Path], Any]
    # ONNX: what to trace, the name of the graph's output, the output from the model's forward
    export_source: Callable[[Path, str], ExportSource]
    onnx_output: str
    onnx_pick: Callable[[Any], Any]
    run_onnx: Callable[[Any, Any], None]  # (export.runner.OnnxModel, CLI args): `rnnkit export run`
    # serving: (info for /v1/models, objects the request handlers use)
    serve_load: Callable[[Path], tuple[dict[str, Any], dict[str, Any]]]
    # serving: add the task's endpoints to the app: (FastAPI app, serve.app.Api) -> None
    serve_routes: Callable[[Any, Any], None] | None = None
