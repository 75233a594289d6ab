"""Bad input to `rnnkit classify ...` found by a tester: each gets one line and exit 2 (nothing
written), or a one-line warning where the run can go on."""

from __future__ import annotations

import pytest

from rnnkit.cli import main
from tests.classify.conftest import write_ucr

TINY = ["--hidden", "8", "--max-epochs", "2", "--threads", "1", "--batch-size", "8"]


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["classify", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def _one_error(code: int, err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("rnnkit: error: "), err
    return lines[0]


@pytest.mark.parametrize("flag, value, message", [
    ("--ensemble", 0, "--ensemble must be >= 1"), ("--ensemble", -1, "--ensemble must be >= 1"),
    ("--patch", -1, "--patch must be >= 0 (0 = auto)"), ("--kernels", -5, "--kernels must be >= 0 (0 = off)"),
])
def test_out_of_range_counts_are_one_line_and_write_nothing(tmp_path, capsys, flag, value, message):
    data = write_ucr(tmp_path / "a_TRAIN.tsv")
    run = tmp_path / "run"
    code, _, err = _run(capsys, "train", "--data", data, "--out", run, flag, value, *TINY)
    assert message in _one_error(code, err)
    assert not run.exists()
