"""The text task's entry in the task registry (rnnkit/tasks.py): character language models."""

import sys
from pathlib import Path
from typing import Any

from rnnkit.taskspec import TaskSpec


def _run_config() -> type:
    from rnnkit.text.task import TextRunConfig

    return TextRunConfig


def _help_defaults() -> list[tuple[str, dict[str, Any]]]:
    from rnnkit.config import to_dict

    return [("", to_dict(_run_config()()))]


def _resolve(config_file: str | None, overrides: dict[str, Any], data: str | None):
    from rnnkit.text.task import resolve_text_config

    return resolve_text_config(config_file, overrides)


def _check(cfg, inputs) -> None:
    import copy

    from rnnkit.text.task import check_config, prepare_text

    check_config(cfg)
    prepare_text(copy.deepcopy(cfg), 1, lambda _msg: None)  # an empty or too short corpus fails here, not in a trial


def _train_trial(cfg, inputs, run_dir: Path, on_eval, log) -> dict[str, Any]:
    from rnnkit.text.task import train_text

    return train_text(cfg, run_dir, on_eval=on_eval, log=log).summary


def _load_model(path: Path):
    from rnnkit.text.task import load_text_model

    return load_text_model(path)[0]


def _export_source(path: Path, run: str):
    from rnnkit.text.task import load_text_model

    model, tokenizer, cfg = load_text_model(path)
    return model, {"model": cfg.model.cell, "tokenizer": tokenizer.to_dict()}, True, 0, 0, False


def _last_step(out):
    return out[:, -1]  # (B, 1, V) -> (B, V)


def _run_onnx(model, args) -> None:
    from rnnkit.export import runner

    chars = runner.generate(model, args.prompt, args.length, args.temperature, args.top_k, args.top_p, args.seed)
    first = next(chars, None)  # validates before anything is printed
    sys.stdout.write(args.prompt + (first or ""))
    for ch in chars:
        sys.stdout.write(ch)
    sys.stdout.write("\n")


def _serve_load(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    from rnnkit.serve.batcher import TextBatcher
    from rnnkit.text.task import load_text_model

    model, tokenizer, cfg = load_text_model(path)
    batcher = TextBatcher(model, tokenizer)
    info = {"model": cfg.model.cell, "vocab": tokenizer.vocab_size, "stepper": type(batcher.stepper).__name__}
    return info, {"model": model, "tokenizer": tokenizer, "batcher": batcher}


def _serve_routes(app, api) -> None:
    # (this module keeps its annotations evaluated: FastAPI reads the request models from them)
    from fastapi.responses import StreamingResponse

    from rnnkit.errors import RnnkitError
    from rnnkit.serve.schemas import DEFAULT_LENGTH, GenerateRequest

    @app.post("/v1/generate", summary="stream generated text (text/plain: first characters at once, then every 50 ms)")
    def generate(req: GenerateRequest):
        """The continuation of `prompt` (not the prompt itself) as text/plain, sent while it is
        sampled. Same seed, same text. 400 for characters the model never saw or a length over
        the server's --max-length."""
        length = min(DEFAULT_LENGTH, api.max_length) if req.length is None else req.length
        if length > api.max_length:
            raise RnnkitError(f"length must be <= {api.max_length} (the server's --max-length), got {length}")
        entry = api.pick(req.model, "text")
        # stepped in one batch with the model's other requests (serve/batcher.py); argument
        # errors are raised here, before the first character
        chars = entry.objects["batcher"].submit(req.prompt, length, req.temperature, req.top_k, req.top_p, req.seed)
        return StreamingResponse(chars, media_type="text/plain; charset=utf-8",
                                 headers={"X-Rnnkit-Model": entry.name})


SPEC = TaskSpec(
    kind="text", run_config=_run_config, help_defaults=_help_defaults, resolve=_resolve,
    monitor=lambda cfg: "val_loss", check=_check, train_trial=_train_trial,
    tune_choices=(("model.cell", ("lstm", "gru")), ("data.seq_len", (64, 128, 256)),
                  ("data.batch_size", (16, 32, 64, 128))),
    load_model=_load_model, export_source=_export_source, onnx_output="logits", onnx_pick=_last_step,
    run_onnx=_run_onnx, serve_load=_serve_load, serve_routes=_serve_routes,
)
