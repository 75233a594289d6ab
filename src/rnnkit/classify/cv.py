"""Stratified k-fold splits of a training part: how bench/ chooses classification defaults
without ever reading a test file (the folds are cut from the rows they are given, nothing else)."""

from __future__ import annotations

import numpy as np

from rnnkit.errors import RnnkitError


def stratified_folds(y: np.ndarray, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """[(fit rows, held rows)] for k folds. Each class is shuffled and dealt round-robin over the
    folds (the deal starts where the previous class stopped), so every fold holds floor or ceil of
    count / k rows of each class and the fold sizes differ by at most one."""
    y = np.asarray(y)
    if k < 2 or k > len(y):
        raise RnnkitError(f"k-fold needs 2 <= k <= rows ({len(y)}), got k = {k}")
    rng = np.random.default_rng(seed)
    fold = np.empty(len(y), dtype=np.int64)
    start = 0
    for c in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == c))
        fold[rows] = (start + np.arange(len(rows))) % k
        start = (start + len(rows)) % k
    return [(np.flatnonzero(fold != i), np.flatnonzero(fold == i)) for i in range(k)]
