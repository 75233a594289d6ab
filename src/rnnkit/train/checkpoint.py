"""Checkpoints: versioned, self-describing bundles of state_dicts and plain data.

Written atomically (temporary file in the same folder, fsync, rename), so a crash mid-write leaves
the previous file intact. Read with `torch.load(weights_only=True)`: nothing is unpickled beyond
tensors and plain containers. One `load_checkpoint()` serves every command.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import torch

from rnnkit.errors import RnnkitError

FORMAT = "rnnkit-checkpoint"
CHECKPOINT_VERSION = 1


def save_checkpoint(path: str | Path, bundle: dict[str, Any]) -> None:
    """Write `bundle` (plus format and version) to `path` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"format": FORMAT, "version": CHECKPOINT_VERSION, **bundle}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def load_checkpoint(path: str | Path, kind: str | None = None) -> dict[str, Any]:
    """Load and validate a checkpoint file (or a run folder: its best.pt, else last.pt).

    `kind` ("text", "forecast", "classify") rejects a checkpoint made by another task.
    """
    path = resolve_checkpoint(path)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if "Unsupported global" in str(e):
            raise RnnkitError(
                f"checkpoint {path} holds Python objects other than tensors and plain data; rnnkit loads "
                f"checkpoints with weights_only=True and will not unpickle it"
            ) from None
        raise RnnkitError(f"checkpoint {path} is truncated or corrupted") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RnnkitError(f"checkpoint {path} is truncated or corrupted ({first[:120]})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RnnkitError(f"{path} is not an rnnkit checkpoint")
    if data.get("version") != CHECKPOINT_VERSION:
        raise RnnkitError(
            f"checkpoint {path} has format version {data.get('version')}, this rnnkit reads "
            f"version {CHECKPOINT_VERSION}"
        )
    _drop_other_tasks_model_keys(data)
    if kind is not None and data.get("kind") != kind:
        raise RnnkitError(
            f"checkpoint {path} holds a {data.get('kind')!r} model, not a {kind!r} model; "
            f"use `rnnkit {data.get('kind')} ...` with it"
        )
    return data


# Before each task had its own model config, one shared table held these keys for every task.
_SHARED_BEFORE = ("embed_dim", "tie_weights", "summary")


def _drop_other_tasks_model_keys(data: dict[str, Any]) -> None:
    """Checkpoints written before per-task model configs carry the other tasks' model keys (at
    their defaults); drop them so that the task's config reads the file."""
    from dataclasses import fields

    from rnnkit.config import MODEL_CONFIGS

    cls = MODEL_CONFIGS.get(data.get("kind"))
    model = data.get("config", {}).get("model") if isinstance(data.get("config"), dict) else None
    if cls is None or not isinstance(model, dict):
        return
    own = {f.name for f in fields(cls)}
    data["config"]["model"] = {k: v for k, v in model.items() if k in own or k not in _SHARED_BEFORE}


def resolve_checkpoint(path: str | Path) -> Path:
    path = Path(path)
    if path.is_dir():
        for name in ("best.pt", "last.pt"):
            if (path / name).is_file():
                return path / name
        raise RnnkitError(f"run folder {path} has no checkpoint (best.pt or last.pt); train a model into it first")
    if not path.exists():
        raise RnnkitError(f"no such run folder or checkpoint: {path}")
    return path


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
