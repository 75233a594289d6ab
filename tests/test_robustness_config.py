"""Issue 11: one validator for model and training settings, per-task model configs (a key of
another task is an error), and Python 3.10 (no tomllib)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from rnnkit.cli import main
from rnnkit.config import (ClassifyModelConfig, ForecastModelConfig, TextModelConfig, TrainConfig, from_dict,
                           to_dict)
from rnnkit.errors import RnnkitError
from tests.robust_inputs import one_line_error, train_argv

BAD_SETTINGS = [
    (["--hidden", "0"], "model.hidden (--hidden) must be >= 1, got 0"),
    (["--layers", "0"], "model.layers (--layers) must be >= 1, got 0"),
    (["--dropout", "1.5"], "model.dropout (--dropout) must be in [0, 1), got 1.5"),
    (["--dropout", "-0.1"], "must be in [0, 1)"),
    (["--lr", "nan"], "train.lr (--lr) must be a finite number, got nan"),
    (["--lr", "inf"], "train.lr (--lr) must be a finite number, got inf"),
    (["--lr", "0"], "train.lr (--lr) must be > 0"),
    (["--batch-size", "0"], "batch"),
    (["--batch-size", "-4"], "batch"),
    (["--max-steps", "0"], "must be >= 1"),
    (["--threads", "0"], "must be >= 1"),
]


@pytest.mark.parametrize("task", ["text", "forecast", "classify"])
@pytest.mark.parametrize("flags,message", BAD_SETTINGS, ids=[" ".join(f) for f, _ in BAD_SETTINGS])
def test_bad_model_and_training_settings_are_one_line_errors(task, flags, message, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(train_argv(task, tmp_path / "in", out) + flags)
    one_line_error(code, capsys.readouterr().err, message)
    assert not out.exists()


@pytest.mark.parametrize("task", ["text", "forecast", "classify"])
@pytest.mark.parametrize("flags,message", BAD_SETTINGS[:6], ids=[" ".join(f) for f, _ in BAD_SETTINGS[:6]])
def test_tune_validates_the_same_settings(task, flags, message, tmp_path, capsys):
    argv = train_argv(task, tmp_path / "in", tmp_path / "unused")
    argv = ["tune", task] + [a for a in argv[2:]]
    i = argv.index("--out")
    argv[i + 1] = str(tmp_path / "search")
    code = main(argv + flags)
    one_line_error(code, capsys.readouterr().err, message)
    assert not (tmp_path / "search").exists()


FOREIGN = [
    ("forecast", "tie_weights = true"), ("forecast", "embed_dim = 16"), ("forecast", 'summary = "pooled"'),
    ("text", 'summary = "both"'), ("classify", "tie_weights = false"),
]


@pytest.mark.parametrize("task,line", FOREIGN)
def test_a_model_key_of_another_task_is_an_error_naming_it(task, line, tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text(f"[model]\n{line}\n")
    code = main(train_argv(task, tmp_path / "in", tmp_path / "run") + ["--config", str(config)])
    key = line.split(" = ")[0]
    err = one_line_error(code, capsys.readouterr().err, f"unknown config key(s) model.{key}")
    assert "known keys:" in err


def test_each_task_model_config_has_only_its_keys():
    shared = {"cell", "hidden", "layers", "dropout", "layer_norm"}
    assert set(to_dict(ForecastModelConfig())) == shared | {"ensemble"}
    assert set(to_dict(TextModelConfig())) == shared | {"embed_dim", "tie_weights"}
    assert set(to_dict(ClassifyModelConfig())) == shared | {"embed_dim", "summary"}
    with pytest.raises(RnnkitError, match="model.tie_weights"):
        from_dict(ForecastModelConfig, {"tie_weights": True}, "model")
    with pytest.raises(RnnkitError, match="model.ensemble"):
        from_dict(TextModelConfig, {"ensemble": 3}, "model")  # a forecast key


def test_the_validator_runs_wherever_a_config_is_built():
    with pytest.raises(RnnkitError, match="model.layers"):
        ForecastModelConfig(layers=0)
    with pytest.raises(RnnkitError, match="tie_weights needs model.embed_dim"):
        TextModelConfig(hidden=32, embed_dim=16, tie_weights=True)
    with pytest.raises(RnnkitError, match="model.summary"):
        ClassifyModelConfig(summary="mean")
    with pytest.raises(RnnkitError, match="train.weight_decay must be a finite"):
        from_dict(TrainConfig, {"weight_decay": float("nan")}, "train")
    with pytest.raises(RnnkitError, match="train.max_minutes"):
        TrainConfig(max_minutes=float("inf"))
    TrainConfig(max_minutes=0.5, patience=3, threads=None)  # valid settings pass


def test_best_toml_of_a_forecast_search_carries_only_forecast_keys(tmp_path):
    import tomllib
    from types import SimpleNamespace

    from rnnkit.forecast.config import ForecastRunConfig
    from rnnkit.tune.report import write_best_toml
    from rnnkit.tune.search import SearchSettings
    from rnnkit.tune.tasks import get_task

    best = SimpleNamespace(number=3, value=0.5, params={"model.hidden": 32, "model.cell": "gru"})
    path = write_best_toml(best, get_task("forecast"), ForecastRunConfig(), SearchSettings(budget={"max_epochs": 1}),
                           tmp_path / "best.toml")
    data = tomllib.loads(path.read_text())
    assert set(data["model"]) == {"cell", "hidden", "layers", "dropout", "layer_norm", "ensemble"}
    assert data["model"]["hidden"] == 32
    from rnnkit.config import from_dict as build

    build(ForecastRunConfig, data)  # and it reads back as a forecast config


def test_old_checkpoints_with_the_shared_model_keys_still_load(tmp_path):
    """Checkpoints written before per-task model configs carry every task's model keys."""
    import torch

    from rnnkit.forecast.config import ForecastRunConfig
    from rnnkit.train import load_checkpoint, save_checkpoint

    config = to_dict(ForecastRunConfig())
    config["model"].update(embed_dim=None, tie_weights=False, summary="final")
    save_checkpoint(tmp_path / "best.pt", {"kind": "forecast", "config": config, "model": {"w": torch.zeros(1)}})
    ckpt = load_checkpoint(tmp_path, kind="forecast")
    assert from_dict(ForecastRunConfig, ckpt["config"]).model.hidden == config["model"]["hidden"]


BLOCK_TOMLLIB = textwrap.dedent("""
    import importlib, importlib.abc, pkgutil, sys
    import tomllib as real
    sys.modules["tomli"] = real            # stands in for the PyPI package on 3.10
    del sys.modules["tomllib"]

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "tomllib":
                raise ModuleNotFoundError("No module named 'tomllib'", name="tomllib")
            return None

    sys.meta_path.insert(0, Blocker())
    import rnnkit
    for info in pkgutil.walk_packages(rnnkit.__path__, "rnnkit."):
        if info.name == "rnnkit.__main__":  # runs the CLI
            continue
        try:
            importlib.import_module(info.name)
        except ModuleNotFoundError as e:
            if e.name == "tomllib":
                raise
            # an optional extra that is not installed here (onnxruntime, fastapi, ...) is not this test's business
    import rnnkit.config as config
    assert config.tomllib is real, config.tomllib
    assert "tomllib" not in sys.modules
    print(config.load_toml(sys.argv[1])["model"]["hidden"])
""")


def test_the_package_imports_and_reads_toml_without_tomllib(tmp_path):
    """Python 3.10 has no tomllib: config.py must fall back to tomli (pyproject.toml requires it there)."""
    toml = tmp_path / "c.toml"
    toml.write_text("[model]\nhidden = 12\n")
    proc = subprocess.run([sys.executable, "-c", BLOCK_TOMLLIB, str(toml)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "12"


def test_text_batch_size_must_divide_among_the_processes(tmp_path, capsys, monkeypatch):
    from rnnkit.train import distributed

    def no_launch(*a, **k):
        raise AssertionError("torchrun must not start")

    monkeypatch.setattr(distributed, "launch_torchrun", no_launch)
    argv = train_argv("text", tmp_path / "in", tmp_path / "run") + ["--batch-size", "7", "--nproc", "2"]
    one_line_error(main(argv), capsys.readouterr().err, "--batch-size 7 does not divide among 2 processes")
    assert not (tmp_path / "run").exists()


def test_each_rank_checks_the_division_too(tmp_path, monkeypatch):
    """Under torchrun started by hand (no --nproc), every rank refuses before reading the corpus."""
    from rnnkit.text.task import train_text
    from rnnkit.train import distributed
    from tests.helpers import tiny_text_config, write_corpus

    monkeypatch.setattr(distributed, "world_size", lambda: 3)
    cfg = tiny_text_config(write_corpus(tmp_path))  # batch_size 4
    with pytest.raises(RnnkitError, match="does not divide among 3 processes"):
        train_text(cfg, tmp_path / "run")


def test_tune_takes_a_flagged_key_out_of_the_space(tmp_path, capsys):
    import csv

    argv = train_argv("text", tmp_path / "in", tmp_path / "search")
    argv = ["tune", "text", *argv[2:], "--trials", "1", "--pruner", "none"]
    i = argv.index("--batch-size")
    argv[i + 1] = "8"
    assert main(argv) == 0, capsys.readouterr().err
    err = capsys.readouterr().err
    assert "not searching data.batch_size: it is set to 8 by a flag" in err
    assert "not searching model.hidden: it is set to 8 by a flag" in err
    rows = list(csv.DictReader((tmp_path / "search" / "trials.csv").open()))
    assert "data.batch_size" not in rows[0] and "model.hidden" not in rows[0] and "train.lr" in rows[0]
    trial = json.loads(next((tmp_path / "search" / "trials").iterdir()).joinpath("config.json").read_text())
    assert trial["data"]["batch_size"] == 8 and trial["model"]["hidden"] == 8


def test_tune_refuses_when_flags_fix_the_whole_space(tmp_path, capsys):
    space = tmp_path / "space.toml"
    space.write_text("[model.cell]\nsearch = false\n[data.seq_len]\nsearch = false\n[train.lr]\nsearch = false\n"
                     "[model.dropout]\nsearch = false\n")
    argv = train_argv("text", tmp_path / "in", tmp_path / "search")
    argv = ["tune", "text", *argv[2:], "--space", str(space)]  # hidden, layers, batch size: flags
    one_line_error(main(argv), capsys.readouterr().err, "nothing left to search")
