"""`rnnkit tune TASK` takes the task's own `train` flags, and every one of them reaches the config."""

from __future__ import annotations

import argparse

import pytest

from rnnkit.cli import build_parser
from rnnkit.cli.tune import NOT_COPIED, _overrides, _train_parser

TASK_ARGS = {"text": [], "forecast": [], "classify": ["--data", "d.tsv"]}
NOT_CONFIG = {"config", "data", "test"}  # a TOML path and classify's input files (not config keys)


@pytest.mark.parametrize("task", sorted(TASK_ARGS))
def test_every_train_flag_changes_the_base_config(task):
    parser = build_parser()
    args = parser.parse_args(["tune", task, "--out", "o", *TASK_ARGS[task]])
    base = _overrides(args)
    flags = [a for a in _train_parser(task)._actions if a.dest not in NOT_COPIED | NOT_CONFIG]
    assert len(flags) > 10
    for action in flags:
        changed = argparse.Namespace(**vars(args))
        setattr(changed, action.dest, "7")  # a string: also valid for comma-separated list flags
        assert _overrides(changed) != base, f"--{action.dest} is ignored by rnnkit tune {task}"
