"""Long-format files (one row per step, grouped by an id column) through train and predict: value
columns are matched by name, and predictions carry the sequence id."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from rnnkit.cli import main

TINY = ["--hidden", "8", "--max-epochs", "2", "--threads", "1", "--batch-size", "8", "--kernels", "0"]


def write_long(path: Path, columns: tuple[str, ...] = ("hr", "bp"), n: int = 20, seed: int = 0) -> Path:
    """patient,time,<columns>,label: class c1 has a high hr, c0 a low one; bp is noise."""
    rng = np.random.default_rng(seed)
    lines = [",".join(["patient", "time", *columns, "label"])]
    for i in range(n):
        c = i % 2
        for t in range(6):
            value = {"hr": (2.0 if c else -2.0) + rng.normal(0, 0.1), "bp": rng.normal(0, 1.0)}
            lines.append(",".join([f"p{i}", str(t), *(f"{value[k]:.4f}" for k in columns), f"c{c}"]))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def long_run(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("long")
    data = write_long(root / "long.csv")
    run = root / "run"
    assert main(["classify", "train", "--data", str(data), "--id-col", "patient", "--out", str(run), *TINY]) == 0
    return run, root


def _predict(capsys, run: Path, data: Path) -> tuple[int, list[dict], str]:
    code = main(["classify", "predict", "--run", str(run), "--data", str(data)])
    out, err = capsys.readouterr()
    return code, list(csv.DictReader(out.splitlines())), err


def test_predict_matches_value_columns_by_name_not_by_place(long_run, capsys):
    run, root = long_run
    _, same, _ = _predict(capsys, run, write_long(root / "same.csv", seed=1))
    code, swapped, err = _predict(capsys, run, write_long(root / "swapped.csv", ("bp", "hr"), seed=1))
    assert code == 0, err
    assert [r["p_c1"] for r in swapped] == [r["p_c1"] for r in same]


def test_predict_refuses_a_file_without_a_trained_value_column(long_run, capsys):
    run, root = long_run
    path = root / "nobp.csv"
    path.write_text("patient,time,hr,label\np1,0,1.0,c1\np1,1,1.5,c1\n")
    code, _, err = _predict(capsys, run, path)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "no value column 'bp'" in lines[0], err


def test_predictions_carry_the_sequence_id_under_the_files_id_column_name(long_run, capsys):
    run, root = long_run
    code, rows, err = _predict(capsys, run, write_long(root / "ids.csv", seed=2))
    assert code == 0, err
    assert list(rows[0])[:3] == ["row", "patient", "predicted"]
    assert [r["patient"] for r in rows] == [f"p{i}" for i in range(20)]
    assert all(r["label"] == f"c{i % 2}" for i, r in enumerate(rows))
