"""Reading a corpus file (or a named dataset) into text, with clear errors for bad input."""

from __future__ import annotations

import codecs
from pathlib import Path

from rnnkit import datasets
from rnnkit.errors import RnnkitError

ERROR_POLICIES = ("strict", "replace", "ignore")


def resolve_corpus(corpus: str) -> Path:
    """A path, or the name of a registered dataset (e.g. `tinyshakespeare`)."""
    path = Path(corpus)
    if path.exists():
        if path.is_dir():
            raise RnnkitError(f"corpus {path} is a folder; give a text file")
        return path
    if datasets.is_dataset_name(corpus):
        return datasets.fetch(corpus)
    raise RnnkitError(f"corpus not found: {corpus} (not a file, nor a dataset name: {', '.join(datasets.REGISTRY)})")


def read_text(path: str | Path, encoding: str = "utf-8", errors: str = "strict") -> str:
    """The whole file as text. Invalid bytes under `errors="strict"` raise an error naming the
    byte offset; NUL bytes mark a binary file."""
    path = Path(path)
    if errors not in ERROR_POLICIES:
        raise RnnkitError(f"--errors must be one of {', '.join(ERROR_POLICIES)}, got {errors!r}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise RnnkitError(f"unknown --encoding {encoding!r}") from None
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RnnkitError(f"file not found: {path}") from None
    except OSError as e:
        raise RnnkitError(f"cannot read {path}: {e.strerror}") from None
    if not raw:
        raise RnnkitError(f"{path} is empty")
    if b"\x00" in raw[: 1 << 16] and not encoding.lower().replace("-", "").startswith(("utf16", "utf32")):
        raise RnnkitError(f"{path} looks like a binary file (it contains NUL bytes); give a text file")
    try:
        text = raw.decode(encoding, errors=errors)
    except UnicodeDecodeError as e:
        raise RnnkitError(
            f"{path} is not valid {encoding} at byte offset {e.start} (byte 0x{raw[e.start]:02x}); "
            f"pass --encoding (e.g. latin-1) or --errors replace"
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text:
        raise RnnkitError(f"{path} holds no text")
    return text
