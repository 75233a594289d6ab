"""A fingerprint of the data a run trains on, so that `--resume` with other data is refused.

The digest covers what the model actually sees (token ids and vocabulary, cleaned series,
encoded sequences), not file names: the same data under another path resumes, other data with
the same name does not. Arrays are hashed with their dtype and shape.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

import numpy as np


def data_fingerprint(*parts: Any) -> str:
    """sha256 over `parts`: arrays / tensors / pandas indexes, strings, bytes, numbers, dataclass
    instances (field by field) and (nested) lists, tuples and dicts of them."""
    h = hashlib.sha256()
    for part in parts:
        _update(h, part)
    return "sha256:" + h.hexdigest()


def _update(h, part: Any) -> None:
    if hasattr(part, "detach") and hasattr(part, "cpu"):  # a torch tensor, without importing torch here
        part = part.detach().cpu().numpy()
    elif hasattr(part, "to_numpy") and not isinstance(part, np.ndarray):  # a pandas Index or Series
        part = part.to_numpy()
    if dataclasses.is_dataclass(part) and not isinstance(part, type):
        h.update(f"{type(part).__name__}|".encode())
        for f in dataclasses.fields(part):
            _update(h, f.name)
            _update(h, getattr(part, f.name))
    elif isinstance(part, np.ndarray):
        a = np.ascontiguousarray(part)
        h.update(f"array {a.dtype.str} {a.shape}|".encode())
        h.update(a.tobytes() if a.dtype != object else json.dumps(a.tolist(), default=str).encode())
    elif isinstance(part, bytes):
        h.update(b"bytes %d|" % len(part) + part)
    elif isinstance(part, dict):
        h.update(b"dict|")
        for key in sorted(part, key=str):
            _update(h, str(key))
            _update(h, part[key])
    elif isinstance(part, (list, tuple)):
        h.update(f"list {len(part)}|".encode())
        for item in part:
            _update(h, item)
    else:
        text = json.dumps(part, default=str)
        h.update(f"value {len(text)}|".encode() + text.encode())
