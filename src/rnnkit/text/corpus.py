"""Reading a corpus file (or a named dataset) into text, with clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

from rnnkit import datasets
from rnnkit.errors import RnnkitError
from rnnkit.files import read_text  # noqa: F401  (the corpus reader, shared with classify)

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
