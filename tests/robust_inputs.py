"""Tiny inputs for the robustness tests: one for each task, written into tmp_path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tests.classify.conftest import write_ucr
from tests.helpers import write_corpus

TEXT_TINY = ["--hidden", "8", "--layers", "1", "--seq-len", "8", "--batch-size", "4", "--max-steps", "4",
             "--eval-every", "2", "--threads", "1", "--precision", "fp32"]
FORECAST_TINY = ["--hidden", "8", "--layers", "1", "--lookback", "10", "--max-epochs", "2", "--threads", "1"]
CLASSIFY_TINY = ["--hidden", "8", "--max-epochs", "2", "--threads", "1", "--batch-size", "8"]


def write_stock(path: Path, n: int = 200, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0.0005, 0.01, n)))
    pd.DataFrame({"Date": pd.bdate_range("2020-01-01", periods=n).strftime("%Y-%m-%d"),
                  "Close": close}).to_csv(path, index=False)
    return path


def train_argv(task: str, tmp: Path, out: Path, seed: int = 0) -> list[str]:
    """`rnnkit <task> train ...` on a tiny input; `seed` changes the data."""
    tmp.mkdir(parents=True, exist_ok=True)
    if task == "text":
        from tests.helpers import CORPUS

        corpus = write_corpus(tmp, CORPUS if seed == 0 else CORPUS[::-1], name=f"corpus{seed}.txt")
        return ["text", "train", "--corpus", str(corpus), "--out", str(out), *TEXT_TINY]
    if task == "forecast":
        csv = write_stock(tmp / f"prices{seed}.csv", seed=seed)
        return ["forecast", "train", "--csv", str(csv), "--out", str(out), *FORECAST_TINY]
    data = write_ucr(tmp / f"tiny{seed}_TRAIN.tsv", seed=seed)
    test = write_ucr(tmp / f"tiny{seed}_TEST.tsv", n=12, seed=seed + 100)
    return ["classify", "train", "--data", str(data), "--test", str(test), "--out", str(out), *CLASSIFY_TINY]


def one_line_error(code: int, err: str, fragment: str = "") -> str:
    lines = [l for l in err.strip().splitlines() if l.startswith("rnnkit: error:")]
    assert code == 2, err
    assert len(lines) == 1 and fragment in lines[0], err
    assert "Traceback" not in err, err
    return lines[0]
