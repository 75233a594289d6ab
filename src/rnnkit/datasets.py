"""Named datasets: a URL pinned by sha256, a cache folder, and a local mirror that wins.

Resolution order for `fetch(name)`:
1. the mirror: `$RNNKIT_DATA_DIR/<layout>` (e.g. `text/tinyshakespeare.txt`), checked against sha256;
2. the cache: `$RNNKIT_CACHE_DIR/<layout>` (default `~/.cache/rnnkit/<layout>`), checked likewise;
3. the network: downloaded from the pinned URL into the cache, checked before it is kept.
When none works, the error says exactly where to put the file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from rnnkit.errors import RnnkitError


@dataclass(frozen=True)
class Dataset:
    name: str
    url: str
    sha256: str
    layout: str  # relative path inside a mirror or cache folder
    description: str


REGISTRY: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "tinyshakespeare",
            "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
            "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
            "text/tinyshakespeare.txt",
            "40,000 lines of Shakespeare (1.1 MB, 65 distinct characters), karpathy/char-rnn",
        ),
        Dataset(
            "aapl",
            "https://raw.githubusercontent.com/Robotics-lessons/Machine_Learning4Trading/"
            "a7feed0371750455742750db7a782a9f957ccf87/data/AAPL.csv",
            "4c806ef9d7a516e6f0300e9d8d2cb70babc80360a6d4975a4538544ce5778841",
            "stocks/AAPL.csv",
            "daily AAPL prices 1997-01-02..2017-10-31 (Yahoo OHLCV CSV)",
        ),
    )
}


def is_dataset_name(name: str) -> bool:
    return name.lower() in REGISTRY


def mirror_dir() -> Path | None:
    value = os.environ.get("RNNKIT_DATA_DIR")
    return Path(value) if value else None


def cache_dir() -> Path:
    value = os.environ.get("RNNKIT_CACHE_DIR")
    return Path(value) if value else Path.home() / ".cache" / "rnnkit"


def fetch(name: str, timeout: float = 30.0) -> Path:
    """The local path of dataset `name`, downloading it into the cache when needed."""
    try:
        ds = REGISTRY[name.lower()]
    except KeyError:
        raise RnnkitError(f"unknown dataset {name!r}; known: {', '.join(sorted(REGISTRY))}") from None
    mirror = mirror_dir()
    if mirror is not None and (mirror / ds.layout).is_file():
        return _verified(mirror / ds.layout, ds)
    cached = cache_dir() / ds.layout
    if cached.is_file():
        return _verified(cached, ds)
    try:
        _download(ds, cached, timeout)
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        reason = getattr(e, "reason", e)
        where = f"$RNNKIT_DATA_DIR/{ds.layout}" if mirror is None else f"{mirror / ds.layout}"
        raise RnnkitError(
            f"dataset {ds.name!r} is not in the mirror or the cache and could not be downloaded ({reason}); "
            f"download {ds.url} and save it as {where} (set RNNKIT_DATA_DIR to that folder) or as {cached}"
        ) from None
    return cached


def _download(ds: Dataset, target: Path, timeout: float) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(ds.url, timeout=timeout) as response:
            while chunk := response.read(1 << 20):
                out.write(chunk)
        digest = sha256_of(Path(tmp))
        if digest != ds.sha256:
            raise RnnkitError(f"download of {ds.name!r} from {ds.url} has sha256 {digest}, expected {ds.sha256}")
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _verified(path: Path, ds: Dataset) -> Path:
    digest = sha256_of(path)
    if digest != ds.sha256:
        raise RnnkitError(f"{path} does not match dataset {ds.name!r} (sha256 {digest[:12]}…, expected {ds.sha256[:12]}…); delete or replace it")
    return path


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
