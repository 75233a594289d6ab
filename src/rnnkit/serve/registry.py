"""The run folders a server has loaded: `load_run` reads one through its task's entry in the
task registry (rnnkit/tasks.py). What a request does with a loaded run is the task's own code (its
spec.py adds the endpoint: text/spec.py, forecast/serving.py, classify/serving.py).

Every request carries its own recurrent state (models never keep state on `self`), so one loaded
model serves any number of concurrent requests; generate requests of one model are stepped together
in one batch (batcher.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any



@dataclass
class Loaded:
    name: str
    kind: str  # the task (rnnkit/tasks.py): text | forecast | classify
    path: str
    info: dict[str, Any]
    objects: dict[str, Any] = field(default_factory=dict)


def load_run(run: str | Path, name: str | None = None) -> Loaded:
    from rnnkit.tasks import get
    from rnnkit.train.checkpoint import load_checkpoint, resolve_checkpoint
    from rnnkit.train.int8 import is_quantized

    path = resolve_checkpoint(run)
    ckpt = load_checkpoint(path)
    kind = ckpt.get("kind")
    name = name or (Path(run).name if Path(run).is_dir() else Path(run).parent.name)
    info: dict[str, Any] = {"quantized": is_quantized(ckpt)}
    del ckpt
    own, objects = get(kind, "serve").serve_load(path)  # the task's entry in rnnkit/tasks.py
    return Loaded(name, kind, str(path), {**info, **own}, objects)
