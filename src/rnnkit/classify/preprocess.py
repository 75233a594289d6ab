"""The splits of a classification data set: stratified (validation, cross-validation folds) or in
file order (a collection published with its test part last). The encoder fitted on the training
part is in encoding.py.
"""

from __future__ import annotations

import numpy as np

from rnnkit.errors import RnnkitError


def stratified_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(kept, carved) row indices; each class gives round(fraction * count) rows (at least one when
    it has two or more), so rare classes are represented on both sides."""
    if not 0.0 < fraction < 1.0:
        raise RnnkitError(f"a split fraction must be between 0 and 1, got {fraction}")
    rng = np.random.default_rng(seed)
    kept, carved = [], []
    for c in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == c))
        k = min(max(round(fraction * len(rows)), 1 if len(rows) >= 2 else 0), len(rows) - 1)
        carved.extend(rows[:k])
        kept.extend(rows[k:])
    return np.sort(np.array(kept, dtype=np.int64)), np.sort(np.array(carved, dtype=np.int64))


def ordered_split(n: int, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """(first rows, last `fraction` of rows): the split of a collection published in file order."""
    if not 0.0 < fraction < 1.0:
        raise RnnkitError(f"a split fraction must be between 0 and 1, got {fraction}")
    cut = n - round(fraction * n)
    return np.arange(cut), np.arange(cut, n)
