"""The classify task's entry in the task registry (rnnkit/tasks.py): sequence classifiers."""

import json
from pathlib import Path
from typing import Any

from rnnkit.errors import RnnkitError
from rnnkit.taskspec import TaskSpec


def _run_config() -> type:
    from rnnkit.classify.config import ClassifyRunConfig

    return ClassifyRunConfig


def _help_defaults() -> list[tuple[str, dict[str, Any]]]:
    from rnnkit.classify.config import TEXT_DEFAULTS
    from rnnkit.config import merge, to_dict

    numeric = to_dict(_run_config()())
    return [("", numeric), ("texts", merge(numeric, TEXT_DEFAULTS))]


def _resolve(config_file: str | None, overrides: dict[str, Any], data: str | None):
    from rnnkit.classify.estimator import resolve_config  # texts and numeric series have different defaults

    return resolve_config(config_file, overrides, data)


def _monitor(cfg) -> str:
    return {"loss": "val_loss", "accuracy": "val_error"}[cfg.data.monitor]


def _check(cfg, inputs) -> None:
    from rnnkit.classify.estimator import check_config

    check_config(cfg)
    if not inputs.data:
        raise RnnkitError("no data: give --data PATH")
    for path in (inputs.data, inputs.test):
        if path and not Path(path).exists():
            raise RnnkitError(f"no such file: {path}")
    import copy

    from rnnkit.classify.estimator import prepare

    prepare(copy.deepcopy(cfg), inputs.data, inputs.test, lambda _msg: None)  # unusable data fails here, not in a trial


def _train_trial(cfg, inputs, run_dir: Path, on_eval, log) -> dict[str, Any]:
    from rnnkit.classify.estimator import train

    return train(cfg, inputs.data, inputs.test, run_dir, log=log, on_eval=on_eval, score_test=False)["training"]


def _load_model(path: Path):
    from rnnkit.classify.inference import load_run

    return load_run(path)[0]


def _export_source(path: Path, run: str):
    from rnnkit.classify.encoding import UNK
    from rnnkit.classify.inference import load_run

    model, encoder, cfg = load_run(path)
    own = {"model": cfg.model.cell, "encoder": encoder.state(), "first_id": UNK + 1}  # not PAD or UNK
    return model, own, encoder.is_text, encoder.input_size, 12, True


def _run_onnx(model, args) -> None:
    from rnnkit.export import runner

    if (args.text is None) == (args.series is None):
        raise RnnkitError("a classify model needs exactly one of --text or --series FILE")
    item = args.text if args.text is not None else _read_series(args.series)
    probs = runner.classify(model, item)
    print(json.dumps({"predicted": max(probs, key=probs.get), "probabilities": probs}))


def _read_series(path: str):
    import numpy as np

    try:
        rows = [[float(v) for v in line.replace(",", " ").split()] for line in Path(path).read_text().splitlines()
                if line.strip()]
        x = np.array(rows, dtype=np.float32)
    except (OSError, ValueError) as e:
        raise RnnkitError(f"cannot read series file {path} ({e})") from None
    return x.T if x.ndim == 2 and x.shape[0] == 1 else x


def _serve_load(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    from rnnkit.classify.inference import load_run

    model, encoder, cfg = load_run(path)
    info = dict(model=cfg.model.cell, classes=list(encoder.classes),
                input="text" if encoder.is_text else "numeric", n_features=encoder.n_features)
    return info, {"model": model, "encoder": encoder}


def _serve_routes(app, api) -> None:
    # (this module keeps its annotations evaluated: FastAPI reads the request models from them)
    from rnnkit.classify.serving import classify as classify_entry
    from rnnkit.serve.schemas import ClassifyRequest

    @app.post("/v1/classify", summary="class probabilities for a text or a numeric series")
    def classify(req: ClassifyRequest) -> dict:
        """`predicted` class and `probabilities` per class; `truncated` when a text was cut to the
        model's max_len tokens."""
        entry = api.pick(req.model, "classify")
        return {"model": entry.name, **classify_entry(entry, req.text, req.series)}


SPEC = TaskSpec(
    kind="classify", run_config=_run_config, help_defaults=_help_defaults, resolve=_resolve,
    monitor=_monitor, check=_check, train_trial=_train_trial,
    tune_choices=(("model.cell", ("bilstm", "attention", "gru", "lstm")), ("data.batch_size", (8, 16, 32, 64))),
    load_model=_load_model, export_source=_export_source, onnx_output="logits",
    onnx_pick=lambda out: out.logits,  # (B, C)
    run_onnx=_run_onnx, serve_load=_serve_load, serve_routes=_serve_routes,
)
