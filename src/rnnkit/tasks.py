"""The task registry: each task (text, forecast, classify) is found here by its kind.

A task's package declares once, in its `spec.py` (a `TaskSpec`, see rnnkit/taskspec.py), what
the commands around it need: its run config, how to resolve and check one, how to train a tuning
trial, how to load a run's model, what goes into an ONNX file and how to run one, what a server
keeps of a run. The CLI, export, quantize, serve and tune look a task up by the kind a command or
a checkpoint names (`get("forecast")`) instead of branching on the name.

Adding a task: a new package with a `spec.py` holding `SPEC = TaskSpec(...)`, and its line in
`REGISTERED` (its commands go in `rnnkit/cli/<kind>.py`, found by that name). Spec modules are
imported on first lookup, so `rnnkit --help` never imports torch; each hook imports its task's
code when it is called. A spec module is the one module of a task's package that reaches the
layers above it (export's runner, serve's batcher); only this registry imports it.
"""

from __future__ import annotations

import importlib

from rnnkit.errors import RnnkitError
from rnnkit.taskspec import TaskSpec

# kind -> the module whose SPEC describes it (tests/test_import_cycles.py follows these names)
REGISTERED: dict[str, str] = {
    "text": "rnnkit.text.spec",
    "forecast": "rnnkit.forecast.spec",
    "classify": "rnnkit.classify.spec",
}

_specs: dict[str, TaskSpec] = {}  # the specs looked up (or registered) so far


def register(spec: TaskSpec) -> TaskSpec:
    """Add a task that lives outside REGISTERED (a plug-in, or a test's dummy task)."""
    _specs[spec.kind] = spec
    return spec


def unregister(kind: str) -> None:
    """Forget a task added with `register`."""
    if kind not in REGISTERED:
        _specs.pop(kind, None)


def names() -> tuple[str, ...]:
    return tuple(dict.fromkeys([*REGISTERED, *_specs]))


def get(kind: str | None, what: str = "use") -> TaskSpec:
    """The task of `kind`; an unknown kind is a one-line error (`what`: the verb, e.g. "serve")."""
    if kind not in _specs:
        if kind not in REGISTERED:
            raise RnnkitError(f"cannot {what} a {kind!r} run; rnnkit knows {', '.join(names())} runs")
        _specs[kind] = importlib.import_module(REGISTERED[kind]).SPEC
    return _specs[kind]
