"""Checkpoints: versioned, self-describing bundles of state_dicts and plain data.

Written atomically (temporary file in the same folder, fsync, rename; see rnnkit/files.py), so a
crash mid-write leaves the previous file intact, and the next write removes what a killed one left. Read with `torch.load(weights_only=True)`: nothing is unpickled beyond
tensors and plain containers. One `load_checkpoint()` serves every command.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from rnnkit.errors import RnnkitError
from rnnkit.files import atomic_write, remove_stale_temps

FORMAT = "rnnkit-checkpoint"
CHECKPOINT_VERSION = 1


def save_checkpoint(path: str | Path, bundle: dict[str, Any]) -> None:
    """Write `bundle` (plus format and version) to `path` atomically."""
    path = Path(path)
    data = {"format": FORMAT, "version": CHECKPOINT_VERSION, **bundle}
    if path.parent.is_dir():
        remove_stale_temps(path.parent, path.name)  # of an earlier write that was killed
    with atomic_write(path, "wb") as f:
        torch.save(data, f)
    _fsync_dir(path.parent)


def load_checkpoint(path: str | Path, kind: str | None = None) -> dict[str, Any]:
    """Load and validate a checkpoint file (or a run folder: its best.pt, else last.pt).

    `kind` ("text", "forecast", "classify") rejects a checkpoint made by another task.
    """
    path = resolve_checkpoint(path)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        code = _code_globals(path)
        if code or "Unsupported global" in str(e) or "GLOBAL" in str(e):
            named = f" ({', '.join(code[:3])})" if code else ""
            raise RnnkitError(
                f"{path} holds code{named}, not just tensors and plain data; unpickling it could run "
                f"that code, so it was not loaded (only load checkpoints you trust, written by rnnkit)"
            ) from None
        raise RnnkitError(f"checkpoint {path} is truncated or corrupted") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RnnkitError(f"checkpoint {path} is truncated or corrupted ({_shortened(first)})") from None
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


# What a torch checkpoint of tensors and plain containers legitimately names when it is unpickled.
_PLAIN_MODULES = ("torch", "collections", "_codecs", "numpy")
_STRINGS = ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "SHORT_BINSTRING", "BINSTRING", "STRING")


def _code_globals(path: Path) -> list[str]:
    """The callables/classes a pickle names outside torch and plain containers, read with
    pickletools (which never executes anything); [] when none or when the file is not a pickle."""
    import pickletools

    try:
        raw = path.read_bytes()
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                member = next((n for n in z.namelist() if n.endswith("data.pkl")), None)
                raw = z.read(member) if member else b""
        names, strings = [], []
        for op, arg, _pos in pickletools.genops(raw):
            if op.name == "GLOBAL":
                names.append(str(arg).replace(" ", "."))
            elif op.name in _STRINGS:
                strings.append(str(arg))
            elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
                names.append(f"{strings[-2]}.{strings[-1]}")
    except Exception:  # noqa: BLE001 - not a readable pickle: the caller says "corrupted"
        return []
    return [n for n in dict.fromkeys(names) if n.split(".")[0] not in _PLAIN_MODULES]


def read_run_config(run_dir: str | Path) -> dict[str, Any]:
    """A run folder's resolved config: config.json, or, when that file is missing, empty or torn
    (a full disk, a killed write), the copy inside last.pt / best.pt, which is written atomically."""
    import json

    path = Path(run_dir) / "config.json"
    try:
        data = json.loads(path.read_text())
        if isinstance(data, dict):
            return data
    except (OSError, ValueError):
        pass
    for name in ("last.pt", "best.pt"):
        if (Path(run_dir) / name).is_file():
            return load_checkpoint(Path(run_dir) / name)["config"]
    raise RnnkitError(f"{path} is missing or unreadable and {run_dir} has no checkpoint to read the config from; "
                      "train into a new --out")


def _shortened(message: str, limit: int = 120) -> str:
    """`message`, or its words up to `limit` characters and '...' (never cut inside a word)."""
    if len(message) <= limit:
        return message
    return message[: limit + 1].rsplit(" ", 1)[0].rstrip(" .,;:") + " ..."


def resolve_checkpoint(path: str | Path) -> Path:
    path = Path(path)
    if path.is_dir():
        if (path / "best.pt").is_file():
            return path / "best.pt"
        if (path / "last.pt").is_file():
            from rnnkit.console import progress

            progress(f"warning: {path} has no best.pt (an interrupted run, or a file removed); using last.pt")
            return path / "last.pt"
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
