"""`--nproc N`: the torchrun relaunch from the command line, and its clean error output."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rnnkit.cli import main
from rnnkit.train.distributed import LauncherFilter, _without_nproc, torchrun_command
from tests.helpers import CORPUS

REPO = Path(__file__).resolve().parents[2]

# what torchrun 2.13 prints when rank 1 exits with status 2 (a user error), trimmed
TORCHRUN_FAILURE = """\
rnnkit: error: corpus not found: x.txt
rnnkit: error: corpus not found: x.txt
W1127 14:26:42.877000 10540 torch/distributed/elastic/multiprocessing/api.py:1028] Sending process 10544 closing signal SIGTERM
Traceback (most recent call last):
  File "<frozen runpy>", line 198, in _run_module_as_main
  File "<frozen runpy>", line 88, in _run_code
  File "/v/lib/python3.11/site-packages/torch/distributed/run.py", line 1032, in <module>
    main()
torch.distributed.elastic.multiprocessing.errors.ChildFailedError: 
============================================================
rnnkit FAILED
------------------------------------------------------------
Failures:
[1]:
  exitcode  : -15 (pid: 10544)  (SIGTERM)
------------------------------------------------------------
Root Cause (first observed failure):
[0]:
  exitcode  : 2 (pid: 10545) 
============================================================
Traceback (most recent call last):
  File "<frozen runpy>", line 198, in _run_module_as_main
  File "<frozen runpy>", line 88, in _run_code
  File "/work/main/src/rnnkit/__main__.py", line 5, in <module>
ZeroDivisionError: a bug in a rank is shown whole
"""


def test_launcher_filter_keeps_rank_messages_and_drops_torchrun_noise():
    out = io.StringIO()
    f = LauncherFilter(out)
    for line in TORCHRUN_FAILURE.splitlines(keepends=True):
        f.feed(line)
    text = out.getvalue()
    assert f.exit_code == 2
    assert text.count("rnnkit: error: corpus not found") == 1
    assert "ChildFailedError" not in text and "torch/distributed/run.py" not in text and "W1127" not in text
    assert "rnnkit/__main__.py" in text and "ZeroDivisionError" in text  # a rank's own traceback stays


def test_nproc_is_removed_from_the_relaunched_command_line():
    assert _without_nproc(["text", "train", "--nproc", "2", "--out", "r"]) == ["text", "train", "--out", "r"]
    assert _without_nproc(["text", "train", "--nproc=2"]) == ["text", "train"]


def test_torchrun_reads_none_of_rnnkits_flags():
    from torch.distributed.run import get_args_parser

    argv = ["classify", "train", "--monitor", "accuracy", "--data", "d.tsv", "--nproc", "2"]
    parsed = get_args_parser().parse_args(torchrun_command(2, argv)[3:])
    assert parsed.module and parsed.nproc_per_node == "2" and parsed.standalone
    assert [parsed.training_script, *parsed.training_script_args] == ["rnnkit", *argv[:-2]]


def test_bad_nproc_is_a_one_line_error(tmp_path, capsys):
    assert main(["text", "train", "--corpus", "x", "--out", str(tmp_path / "r"), "--max-steps", "1",
                 "--nproc", "0"]) == 2
    assert capsys.readouterr().err.strip() == "rnnkit: error: --nproc must be >= 1, got 0"


def test_nproc_2_trains_with_rank_zero_writing_alone(tmp_path):
    (tmp_path / "c.txt").write_text(CORPUS)
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    cmd = [sys.executable, "-m", "rnnkit", "text", "train", "--corpus", "c.txt", "--out", "run", "--hidden", "16",
           "--layers", "1", "--seq-len", "16", "--batch-size", "4", "--max-steps", "6", "--eval-every", "3",
           "--precision", "fp32", "--nproc", "2"]
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("best val loss") == 1  # rank 1 prints nothing
    assert done.stderr.count("step 6  val_loss") == 1
    assert "Traceback" not in done.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["processes"] == 2 and summary["steps"] == 6


def test_nproc_2_classify_runs_the_selection_and_the_refit_on_both_ranks(tmp_path):
    """The refit is a second fit() after the first one: rank 1 must take part in both."""
    from tests.classify.conftest import write_ucr

    write_ucr(tmp_path / "d_TRAIN.tsv", n=32)
    write_ucr(tmp_path / "d_TEST.tsv", n=10, seed=1)
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    cmd = [sys.executable, "-m", "rnnkit", "classify", "train", "--data", "d_TRAIN.tsv", "--test", "d_TEST.tsv",
           "--out", "run", "--hidden", "8", "--batch-size", "8", "--max-epochs", "2", "--nproc", "2"]
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("test accuracy") == 1  # rank 0 alone reports
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["processes"] == 2 and summary["epochs"] == 2
    assert (tmp_path / "run" / "select" / "last.pt").exists() and (tmp_path / "run" / "report.json").exists()
