"""Tiny classification files written by the tests (never copies of the shared data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def write_ucr(path: Path, n: int = 24, length: int = 20, seed: int = 0, labels=("-1", "1")) -> Path:
    """Two separable classes: a bump early (first label) or late (second label), plus noise."""
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n):
        c = i % len(labels)
        x = rng.normal(0, 0.2, length)
        centre = length // 4 if c == 0 else 3 * length // 4
        x[centre - 2: centre + 2] += 2.0
        lines.append("\t".join([labels[c], *(f"{v:.5f}" for v in x)]))
    path.write_text("\n".join(lines) + "\n")
    return path


def write_ts(path: Path, n: int = 18, seed: int = 0) -> Path:
    """Multivariate (2 dimensions), variable length (5-9 steps), 3 classes by mean level."""
    rng = np.random.default_rng(seed)
    head = ["# a comment", "@problemName Tiny", "@timeStamps false", "@univariate false", "@dimensions 2",
            "@equalLength false", "@classLabel true a b c", "@data"]
    rows = []
    for i in range(n):
        c = "abc"[i % 3]
        t = int(rng.integers(5, 10))
        dims = [rng.normal("abc".index(c), 0.1, t) for _ in range(2)]
        rows.append(":".join(",".join(f"{v:.4f}" for v in d) for d in dims) + f":{c}")
    path.write_text("\n".join(head + rows) + "\n")
    return path


SPAM = ["WIN a FREE prize now, call 0800 123", "URGENT! you won cash, text WIN to 8000",
        "free entry: claim your prize today", "Congratulations, cash prize waiting, call now"]
HAM = ["see you at lunch tomorrow", "ok I will call you later", "are we still on for dinner?",
       "thanks, the meeting went well"]


def write_texts(path: Path, repeat: int = 4, header: bool = True, sep: str = ",") -> Path:
    rows = []
    for r in range(repeat):
        rows += [("spam", f"{t} {r}") for t in SPAM] + [("ham", f"{t} {r}") for t in HAM]
    lines = ([f"label{sep}text"] if header else []) + [f"{y}{sep}{t}" for y, t in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def ucr_pair(tmp_path: Path) -> tuple[Path, Path]:
    return write_ucr(tmp_path / "tiny_TRAIN.tsv", seed=0), write_ucr(tmp_path / "tiny_TEST.tsv", n=12, seed=1)


@pytest.fixture
def text_file(tmp_path: Path) -> Path:
    return write_texts(tmp_path / "texts.tsv", sep="\t")
