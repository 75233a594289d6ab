"""Typed configuration: one dataclass per concern, composed into a run config per task.

Precedence, lowest first: the dataclass defaults, a TOML file (`--config FILE`), command-line flags.
Unknown keys are errors, values are type-checked, and the resolved config is written into the run
folder and into every checkpoint as plain data (`to_dict`), so `from_dict` can rebuild it.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from rnnkit.errors import RnnkitError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser from PyPI (a dependency there, see pyproject.toml)
    import tomli as tomllib

T = TypeVar("T")

CELLS = ("lstm", "gru", "rnn")  # the unidirectional recurrent cores (models/recurrent.py)
# What `text generate`, `export run` and the server's /v1/generate sample with unless told: a little
# below 1 keeps a small model's text readable (the Python API's generate() samples plainly, at 1).
GENERATE_TEMPERATURE = 0.8


@dataclass
class ModelConfig:
    """The network settings every task shares. `cell` picks the recurrent core; each task has its
    own subclass below with the keys only it reads, so a key of another task is an unknown key.
    Values are checked when the config is built (flags, TOML, a tuner's trial or a checkpoint)."""

    # The model kinds (`cell` values) a task's network accepts: declared once, on its model config
    # below, and read by its CLI flag, its check and its search space (tests/test_tasks.py holds
    # them against the lists the models themselves accept).
    CELLS: ClassVar[tuple[str, ...]] = CELLS

    cell: str = "lstm"  # one of the task's CELLS, checked by the task
    hidden: int = 256
    layers: int = 2
    dropout: float = 0.0  # between recurrent layers and before the head
    layer_norm: bool = False  # layer norm on the core's output, before the head

    def __post_init__(self) -> None:
        check_model(self)


@dataclass
class TextModelConfig(ModelConfig):
    """The character language model (models/charlm.py)."""

    embed_dim: int | None = None  # None = hidden
    tie_weights: bool = False  # share the embedding with the output layer; needs embed_dim == hidden


@dataclass
class ForecastModelConfig(ModelConfig):
    """The window forecaster (models/forecaster.py)."""

    CELLS: ClassVar[tuple[str, ...]] = CELLS + ("bilstm", "attention")

    ensemble: int = 1  # networks trained side by side (each initialised apart) whose quantiles are averaged


@dataclass
class ClassifyModelConfig(ModelConfig):
    """The sequence classifier (models/classifier.py)."""

    CELLS: ClassVar[tuple[str, ...]] = ("bilstm", "attention") + CELLS

    embed_dim: int | None = None  # token embedding size for texts; None = hidden
    summary: str = "final"  # recurrent kinds: final | pooled | both (see models/classifier.py)


# The model config of each task, by checkpoint kind (train/checkpoint.py reads older checkpoints,
# written when one ModelConfig held every task's keys, through it).
MODEL_CONFIGS: dict[str, type[ModelConfig]] = {
    "text": TextModelConfig, "forecast": ForecastModelConfig, "classify": ClassifyModelConfig,
}


@dataclass
class TrainConfig:
    """The optimisation loop shared by every task (see rnnkit.train.trainer)."""

    lr: float = 2e-3
    weight_decay: float = 0.01
    grad_clip: float = 1.0  # 0 turns clipping off
    schedule: str = "cosine"  # cosine | plateau | constant
    warmup_steps: int = 100
    min_lr_ratio: float = 0.05  # cosine floor, as a fraction of lr
    plateau_factor: float = 0.5
    plateau_patience: int = 2  # evaluations without improvement before the LR drops
    max_steps: int | None = None
    max_epochs: int | None = None
    max_minutes: float | None = None
    eval_every: int = 200  # steps between evaluations (and last.pt writes); forecast/classify: 0 = each epoch
    patience: int | None = None  # evaluations without improvement before early stopping
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    threads: int | None = 1  # torch intra-op threads; None leaves torch's default
    precision: str = "fp32"  # fp32 | bf16 (autocast) | auto (bf16 where the hardware has it natively)
    log_every: int = 20

    def __post_init__(self) -> None:
        check_train(self)


# -- the one validator for model and training settings -----------------------------------------
# Each message names the config key and, where there is one, the flag that sets it. Which cells a
# task accepts, and its batch size (in its own [data]/[forecast] table), its own check says.

SUMMARIES = ("final", "pooled", "both")

def check_model(m: ModelConfig) -> None:
    _at_least("model.hidden (--hidden)", m.hidden, 1)
    _at_least("model.layers (--layers)", m.layers, 1)
    _finite("model.dropout (--dropout)", m.dropout)
    if not 0.0 <= m.dropout < 1.0:
        raise RnnkitError(f"model.dropout (--dropout) must be in [0, 1), got {m.dropout}")
    ensemble = getattr(m, "ensemble", None)
    if ensemble is not None:
        _at_least("model.ensemble (--ensemble)", ensemble, 1)
    embed = getattr(m, "embed_dim", None)
    if embed is not None:
        _at_least("model.embed_dim (--embed-dim)", embed, 1)
    if getattr(m, "tie_weights", False) and (embed or m.hidden) != m.hidden:
        raise RnnkitError(f"model.tie_weights needs model.embed_dim equal to model.hidden ({m.hidden}) or unset, "
                          f"got {embed}")
    summary = getattr(m, "summary", None)
    if summary is not None and summary not in SUMMARIES:
        raise RnnkitError(f"model.summary (--summary) must be one of {', '.join(SUMMARIES)}, got {summary!r}")


def check_train(t: TrainConfig) -> None:
    _finite("train.lr (--lr)", t.lr)
    if t.lr <= 0:
        raise RnnkitError(f"train.lr (--lr) must be > 0, got {t.lr}")
    for name in ("weight_decay", "grad_clip", "min_lr_ratio"):
        value = getattr(t, name)
        _finite(f"train.{name}", value)
        if value < 0:
            raise RnnkitError(f"train.{name} must be >= 0, got {value}")
    if t.min_lr_ratio > 1:
        raise RnnkitError(f"train.min_lr_ratio must be in [0, 1], got {t.min_lr_ratio}")
    _finite("train.plateau_factor", t.plateau_factor)
    if not 0 < t.plateau_factor <= 1:
        raise RnnkitError(f"train.plateau_factor must be in (0, 1], got {t.plateau_factor}")
    if t.schedule not in ("cosine", "plateau", "constant"):
        raise RnnkitError(f"train.schedule must be cosine, plateau or constant, got {t.schedule!r}")
    if t.precision not in ("auto", "fp32", "bf16"):
        raise RnnkitError(f"train.precision (--precision) must be auto, fp32 or bf16, got {t.precision!r}")
    _at_least("train.warmup_steps", t.warmup_steps, 0)
    _at_least("train.plateau_patience", t.plateau_patience, 1)
    _at_least("train.eval_every (--eval-every)", t.eval_every, 0)
    _at_least("train.log_every", t.log_every, 1)
    for name in ("max_steps", "max_epochs", "patience", "threads"):
        value = getattr(t, name)
        if value is not None:
            _at_least(f"train.{name} (--{name.replace('_', '-')})", value, 1)
    if t.max_minutes is not None:
        _finite("train.max_minutes (--max-minutes)", t.max_minutes)
        if t.max_minutes <= 0:
            raise RnnkitError(f"train.max_minutes (--max-minutes) must be > 0, got {t.max_minutes}")


def _at_least(name: str, value: int, low: int) -> None:
    if value < low:
        raise RnnkitError(f"{name} must be >= {low}, got {value}")


def _finite(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise RnnkitError(f"{name} must be a finite number, got {value}")


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
