"""Search spaces: which config keys a search varies, over which ranges, per task.

A parameter is named by its dotted config path ("model.hidden", "train.lr", ...), which is also
its name in the Optuna study and in trials.csv. A `--space FILE` TOML narrows, fixes, drops or
adds parameters, one table per key:

    [model.hidden]            # narrow a range
    low = 64
    high = 128
    [model.cell]              # narrow a choice
    choices = ["gru"]
    [model.dropout]           # stop searching it: the base config's value is used
    search = false
    [train.weight_decay]      # add any other key of the run config
    low = 0.0
    high = 0.1
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnkit.config import load_toml
from rnnkit.errors import RnnkitError


@dataclass(frozen=True)
class Param:
    path: str  # dotted config key, e.g. "model.hidden"
    kind: str  # int | float | choice
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()

    def suggest(self, trial) -> Any:
        if self.kind == "choice":
            return trial.suggest_categorical(self.path, list(self.choices))
        if self.kind == "int":
            return trial.suggest_int(self.path, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.path, float(self.low), float(self.high), log=self.log)

    def describe(self) -> str:
        if self.kind == "choice":
            return f"{self.path} in {list(self.choices)}"
        return f"{self.path} in [{self.low:g}, {self.high:g}]{' (log)' if self.log else ''}"


# The ranges practitioners use (issue 5): hidden 64-512, layers 1-3, dropout 0-0.5, lr 1e-4-1e-2
# (log), plus each task's own choices (sequence length, batch size, cell: its spec's tune_choices).
_COMMON = (
    Param("model.hidden", "int", 64, 512, log=True),
    Param("model.layers", "int", 1, 3),
    Param("model.dropout", "float", 0.0, 0.5),
    Param("train.lr", "float", 1e-4, 1e-2, log=True),
)


def default_space(task: str) -> tuple[Param, ...]:
    """The parameters a search of `task` varies unless a --space file says otherwise."""
    from rnnkit import tasks

    own = tasks.get(task, "tune").tune_choices
    return _COMMON + tuple(Param(path, "choice", choices=choices) for path, choices in own)


_SPEC_KEYS = {"low", "high", "log", "choices", "search"}


def load_space(task: str, run_config_cls: type, space_file: str | Path | None) -> list[Param]:
    """The task's default space, changed by `space_file` (see the module docstring)."""
    params = {p.path: p for p in default_space(task)}
    if space_file is None:
        return list(params.values())
    data = load_toml(space_file)
    for section, table in data.items():
        if not isinstance(table, dict):
            raise RnnkitError(f"{space_file}: [{section}] must be a table of config keys, e.g. [model.hidden]")
        for key, spec in table.items():
            path = f"{section}.{key}"
            hint = _field_type(run_config_cls, path, space_file)
            if not isinstance(spec, dict):
                raise RnnkitError(f"{space_file}: {path} must be a table with low/high, choices or search = false")
            if spec.get("search") is False:
                params.pop(path, None)
                continue
            params[path] = _param(path, spec, params.get(path), hint, space_file)
    return list(params.values())


def apply(data: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A copy of the plain-data run config with `values` (dotted paths) set."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
    for path, value in values.items():
        section, key = path.split(".", 1)
        out[section][key] = value
    return out


def _field_type(cls: type, path: str, where: str | Path) -> Any:
    section, _, key = path.partition(".")
    hints = typing.get_type_hints(cls)
    if section not in hints or not dataclasses.is_dataclass(hints[section]):
        raise RnnkitError(f"{where}: unknown section [{section}]; this task's sections are "
                          f"{', '.join(sorted(hints))}")
    own = {f.name for f in dataclasses.fields(hints[section])}  # config keys, not class constants (CELLS)
    sub = {k: v for k, v in typing.get_type_hints(hints[section]).items() if k in own}
    if key not in sub:
        raise RnnkitError(f"{where}: unknown key {path}; [{section}] has {', '.join(sorted(sub))}")
    hint = sub[key]
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if args and typing.get_origin(hint) in (typing.Union, types.UnionType) else hint


def _param(path: str, spec: dict[str, Any], old: Param | None, hint: Any, where: str | Path) -> Param:
    unknown = sorted(set(spec) - _SPEC_KEYS)
    if unknown:
        raise RnnkitError(f"{where}: {path} has unknown setting(s) {', '.join(unknown)}; use low, high, log, "
                          f"choices or search")
    if "choices" in spec:
        choices = spec["choices"]
        if not isinstance(choices, list) or not choices:
            raise RnnkitError(f"{where}: {path}.choices must be a non-empty list")
        return Param(path, "choice", choices=tuple(choices))
    if hint not in (int, float):
        raise RnnkitError(f"{where}: {path} is not numeric; give it choices = [...]")
    low = spec.get("low", old.low if old and old.kind != "choice" else None)
    high = spec.get("high", old.high if old and old.kind != "choice" else None)
    log = spec.get("log", old.log if old and old.kind != "choice" else False)
    if low is None or high is None:
        raise RnnkitError(f"{where}: {path} needs low and high (or choices)")
    if isinstance(low, bool) or isinstance(high, bool) or not all(isinstance(v, (int, float)) for v in (low, high)):
        raise RnnkitError(f"{where}: {path}.low and .high must be numbers")
    if hint is int and not (float(low).is_integer() and float(high).is_integer()):
        raise RnnkitError(f"{where}: {path} is an integer; low and high must be whole numbers")
    if low > high:
        raise RnnkitError(f"{where}: {path}.low ({low}) is above .high ({high})")
    if log and low <= 0:
        raise RnnkitError(f"{where}: {path} with log = true needs low > 0")
    return Param(path, "int" if hint is int else "float", low, high, bool(log))
