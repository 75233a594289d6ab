"""Refit: the selection run fixes the number of epochs, a fresh model trains that long on training +
validation, and its final weights are the run's best.pt. The validation figures stay the selection
model's (measured on sequences it never trained on)."""

from __future__ import annotations

import json

import torch

from rnnkit.classify.config import ClassifyRunConfig
from rnnkit.classify.estimator import train
from rnnkit.train import load_checkpoint

from .conftest import write_ucr


def _cfg(**train_keys) -> ClassifyRunConfig:
    cfg = ClassifyRunConfig()
    cfg.model.hidden = 8
    cfg.data.batch_size = 8
    cfg.train.threads = 1
    for k, v in train_keys.items():
        setattr(cfg.train, k, v)
    return cfg


def test_without_early_stopping_the_refit_trains_the_whole_budget_on_all_rows(tmp_path):
    data, test = write_ucr(tmp_path / "a_TRAIN.tsv", n=40), write_ucr(tmp_path / "a_TEST.tsv", n=10, seed=1)
    run = tmp_path / "run"
    lines = []
    report = train(_cfg(max_epochs=3), data, test, run, log=lines.append)
    assert any(line.startswith("refit: the budget is 3 epoch(s)") for line in lines)
    selection = json.loads((run / "select" / "summary.json").read_text())
    refit = json.loads((run / "summary.json").read_text())
    assert selection["epochs"] == refit["epochs"] == 3
    assert refit["steps"] == 3 * 5 and selection["steps"] == 3 * 4  # 40 rows vs the 32 left after validation
    assert report["sizes"] == {"train": 32, "validation": 8, "test": 10}
    assert report["selection"]["epochs"] == 3 and "select/last.pt" in report["validation_model"]
    assert "best_step" not in report["training"] and report["training"]["epochs"] == 3
    final = load_checkpoint(run / "best.pt")["model"]  # the refit's final weights, not a "best" epoch
    last = load_checkpoint(run / "last.pt")["model"]
    assert all(torch.equal(final[k], last[k]) for k in final)
    chosen = load_checkpoint(run / "select" / "last.pt")["model"]
    assert not all(torch.equal(final[k], chosen[k]) for k in final)


def test_with_early_stopping_the_refit_repeats_the_chosen_epochs(tmp_path):
    data, test = write_ucr(tmp_path / "a_TRAIN.tsv", n=40), write_ucr(tmp_path / "a_TEST.tsv", n=10, seed=1)
    run = tmp_path / "run"
    lines = []
    cfg = _cfg(max_epochs=12, patience=2, lr=0.3)
    cfg.data.min_val_stopping = 8  # the 8 validation series of this tiny set may choose the epochs
    report = train(cfg, data, test, run, log=lines.append)
    assert any(line.startswith("refit: early stopping on the validation part chose") for line in lines)
    assert report["epoch_rule"].startswith("early stopping on validation loss")
    selection = json.loads((run / "select" / "summary.json").read_text())
    chosen_epochs = selection["best_step"] // 4
    assert selection["stopped"] == "early_stopping" and chosen_epochs < selection["epochs"]
    assert json.loads((run / "summary.json").read_text())["epochs"] == chosen_epochs
    assert "select/best.pt" in report["validation_model"]


def test_no_refit_keeps_the_selected_model_in_the_run_folder(tmp_path):
    data, test = write_ucr(tmp_path / "a_TRAIN.tsv", n=40), write_ucr(tmp_path / "a_TEST.tsv", n=10, seed=1)
    cfg = _cfg(max_epochs=2)
    cfg.data.refit = False
    report = train(cfg, data, test, tmp_path / "run", log=lambda _: None)
    assert not (tmp_path / "run" / "select").exists() and "selection" not in report


def test_a_small_validation_part_never_chooses_the_epochs(tmp_path):
    """8 validation series (accuracy in steps of 1/8): early stopping is off, the budget rule
    applies, and the report says so."""
    data, test = write_ucr(tmp_path / "a_TRAIN.tsv", n=40), write_ucr(tmp_path / "a_TEST.tsv", n=10, seed=1)
    lines = []
    report = train(_cfg(max_epochs=3, patience=1), data, test, tmp_path / "run", log=lines.append)
    assert any("early stopping off: the validation part holds 8 sequences" in line for line in lines)
    assert "early stopping off" in report["epoch_rule"] and "fixed budget of 3 epochs" in report["epoch_rule"]
    assert json.loads((tmp_path / "run" / "select" / "summary.json").read_text())["epochs"] == 3
    assert "early stopping off" in (tmp_path / "run" / "report.md").read_text()
