"""Typed configuration: one dataclass per concern, composed into a run config per task.

Precedence, lowest first: the dataclass defaults, a TOML file (`--config FILE`), command-line flags.
Unknown keys are errors, values are type-checked, and the resolved config is written into the run
folder and into every checkpoint as plain data (`to_dict`), so `from_dict` can rebuild it.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rnnkit.errors import RnnkitError

T = TypeVar("T")

CELLS = ("lstm", "gru", "rnn")


@dataclass
class ModelConfig:
    """The network. `cell` picks the recurrent core; task packages add their own heads."""

    cell: str = "lstm"  # lstm | gru | rnn, or for forecasting/classification also bilstm | attention
    hidden: int = 256
    layers: int = 2
    dropout: float = 0.0  # between recurrent layers and before the head
    embed_dim: int | None = None  # text only; None = hidden
    tie_weights: bool = False  # text only; needs embed_dim == hidden
    layer_norm: bool = False  # layer norm on the core's output, before the head
    summary: str = "final"  # classification, recurrent kinds: final | pooled | both (see models/classifier.py)


@dataclass
class TrainConfig:
    """The optimisation loop shared by every task (see rnnkit.train.trainer)."""

    lr: float = 2e-3
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    schedule: str = "cosine"  # cosine | plateau | constant
    warmup_steps: int = 100
    min_lr_ratio: float = 0.05  # cosine floor, as a fraction of lr
    plateau_factor: float = 0.5
    plateau_patience: int = 2  # evaluations without improvement before the LR drops
    max_steps: int | None = None
    max_epochs: int | None = None
    max_minutes: float | None = None
    eval_every: int = 200  # steps between evaluations (and last.pt writes)
    patience: int | None = None  # evaluations without improvement before early stopping
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    threads: int | None = 1  # torch intra-op threads; None leaves torch's default
    precision: str = "fp32"  # fp32 | bf16 (autocast) | auto (bf16 where the hardware has it natively)
    log_every: int = 20


def from_dict(cls: type[T], data: dict[str, Any], where: str = "") -> T:
    """Build dataclass `cls` from plain data, rejecting unknown keys and wrong types."""
    if not isinstance(data, dict):
        raise RnnkitError(f"config section [{where}] must be a table, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise RnnkitError(
            f"unknown config key(s) {', '.join(_dotted(where, k) for k in unknown)}; "
            f"known keys: {', '.join(sorted(names))}"
        )
    kwargs = {}
    for name, value in data.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            kwargs[name] = from_dict(hint, value, _dotted(where, name))
        else:
            kwargs[name] = _coerce(value, hint, _dotted(where, name))
    return cls(**kwargs)


def to_dict(cfg: Any) -> dict[str, Any]:
    """Plain data (dicts, lists, numbers, strings, None) for JSON, TOML and checkpoints."""
    return dataclasses.asdict(cfg)


def load_toml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise RnnkitError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as e:
        raise RnnkitError(f"config file {path} is not valid TOML: {e}") from None


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Recursively overlay `override` onto `base` (neither is modified)."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def resolve(cls: type[T], config_file: str | Path | None, overrides: dict[str, Any]) -> T:
    """Defaults <- TOML file <- overrides (flags that were given; None values are skipped)."""
    data = to_dict(cls())
    if config_file is not None:
        data = merge(data, load_toml(config_file))
    data = merge(data, _drop_none(overrides))
    return from_dict(cls, data)


def to_toml(data: dict[str, Any]) -> str:
    """A small TOML writer for configs (tables of scalars and lists; None values are omitted)."""
    lines: list[str] = []
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict)}
    for key, value in scalars.items():
        if value is not None:
            lines.append(f"{key} = {_toml_value(value)}")
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append("")
            lines.append(f"[{key}]")
            for k, v in value.items():
                if isinstance(v, dict):
                    raise ValueError("nested tables deeper than one level are not supported")
                if v is not None:
                    lines.append(f"{k} = {_toml_value(v)}")
    return "\n".join(lines).lstrip("\n") + "\n"


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out[k] = _drop_none(v)
        elif v is not None:
            out[k] = v
    return out


def _dotted(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _coerce(value: Any, hint: Any, name: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, name)
            except RnnkitError as e:
                errors.append(str(e))
        raise RnnkitError(errors[0] if errors else f"config key {name} must not be empty")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise RnnkitError(f"config key {name} must be a list, got {value!r}")
        (item,) = typing.get_args(hint)[:1] or (Any,)
        items = [_coerce(v, item, name) for v in value] if item is not Any else list(value)
        return tuple(items) if origin is tuple else items
    if hint is Any:
        return value
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif hint is str:
        if isinstance(value, str):
            return value
    elif hint is dict or origin is dict:
        if isinstance(value, dict):
            return value
    else:
        return value
    raise RnnkitError(f"config key {name} must be {getattr(hint, '__name__', hint)}, got {value!r}")
