"""The shared trainer: exact resume, interruption, NaN handling, early stopping, outputs."""

import json
import os
import signal

import pytest
import torch

from rnnkit.errors import RnnkitError, TrainingDiverged, TrainingInterrupted
from rnnkit.text.task import train_text
from rnnkit.train import load_checkpoint
from tests.helpers import tiny_text_config, write_corpus


def _weights(run):
    return load_checkpoint(run / "last.pt")["model"]


def test_interrupted_then_resumed_equals_uninterrupted(tmp_path):
    corpus = write_corpus(tmp_path)
    cfg = tiny_text_config(corpus, max_steps=14, eval_every=4)
    full = train_text(cfg, tmp_path / "full")
    assert full.stopped == "max_steps"

    # the same run, stopped mid-epoch at step 6 (between evaluations), then resumed
    cut = train_text(cfg, tmp_path / "cut", on_step=lambda step, loss: step == 6)
    assert cut.stopped == "hook"
    assert load_checkpoint(tmp_path / "cut" / "last.pt")["progress"]["step"] == 6
    resumed = train_text(cfg, tmp_path / "cut", resume=True)
    assert resumed.summary["steps"] == 14

    a, b = _weights(tmp_path / "full"), _weights(tmp_path / "cut")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert resumed.summary["best_val_loss"] == full.summary["best_val_loss"]


def test_sigint_saves_last_checkpoint_and_reports_interrupted(tmp_path):
    corpus = write_corpus(tmp_path)
    cfg = tiny_text_config(corpus, max_steps=50, eval_every=100)

    def interrupt(step, loss):
        if step == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return False

    before = signal.getsignal(signal.SIGINT)  # SIG_IGN when the test runner was started in the background
    with pytest.raises(TrainingInterrupted, match="--resume"):
        train_text(cfg, tmp_path / "run", on_step=interrupt)
    assert load_checkpoint(tmp_path / "run" / "last.pt")["progress"]["step"] == 3
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["stopped"] == "interrupted"
    assert signal.getsignal(signal.SIGINT) is before  # the previous handler is restored


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path, monkeypatch):
    from rnnkit.text import task as text_task

    corpus = write_corpus(tmp_path)
    cfg = tiny_text_config(corpus, max_steps=20, eval_every=2)
    real = text_task.TextLMTask.train_loss
    calls = {"n": 0}

    def poisoned(self, model, batch, carry):
        loss, state, n = real(self, model, batch, carry)
        calls["n"] += 1
        return (loss * float("nan") if calls["n"] == 5 else loss), state, n

    monkeypatch.setattr(text_task.TextLMTask, "train_loss", poisoned)
    with pytest.raises(TrainingDiverged, match="NaN.*last.pt, step 4"):
        train_text(cfg, tmp_path / "run")
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["steps"] == 4
    last = load_checkpoint(tmp_path / "run" / "last.pt")
    assert last["progress"]["step"] == 4
    assert all(torch.isfinite(t).all() for t in last["model"].values())


def test_early_stopping_on_no_improvement(tmp_path):
    corpus = write_corpus(tmp_path)
    cfg = tiny_text_config(corpus, max_steps=400, eval_every=1, patience=2, lr=1e-9, warmup_steps=0)
    result = train_text(cfg, tmp_path / "run")
    assert result.stopped == "early_stopping"
    assert result.summary["steps"] < 400


def test_outputs_of_a_run(tmp_path):
    corpus = write_corpus(tmp_path)
    result = train_text(tiny_text_config(corpus), tmp_path / "run")
    run = tmp_path / "run"
    for name in ("best.pt", "last.pt", "metrics.jsonl", "summary.json", "config.json", "loss.png"):
        assert (run / name).is_file(), name
    summary = json.loads((run / "summary.json").read_text())
    for key in ("best_val_loss", "best_val_bpc", "train_chars_per_sec", "steps", "elapsed_s"):
        assert key in summary
    assert summary["best_val_bpc"] == pytest.approx(summary["best_val_loss"] / 0.6931471805599453)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert {r["event"] for r in rows} == {"train", "eval"}
    ckpt = load_checkpoint(run / "best.pt", kind="text")
    assert ckpt["config"]["model"]["hidden"] == 16
    assert ckpt["extra"]["tokenizer"]["type"] == "char"
    assert result.summary["steps"] == 12


def test_refuses_to_overwrite_and_checks_architecture_on_resume(tmp_path):
    corpus = write_corpus(tmp_path)
    cfg = tiny_text_config(corpus, max_steps=4)
    train_text(cfg, tmp_path / "run")
    with pytest.raises(RnnkitError, match="already holds a run"):
        train_text(cfg, tmp_path / "run")
    cfg.model.hidden = 32
    with pytest.raises(RnnkitError, match="changed architecture.*hidden: 16 -> 32"):
        train_text(cfg, tmp_path / "run", resume=True)


def test_budget_is_required(tmp_path):
    corpus = write_corpus(tmp_path)
    cfg = tiny_text_config(corpus, max_steps=None)
    with pytest.raises(RnnkitError, match="no training budget"):
        train_text(cfg, tmp_path / "run")


@pytest.mark.parametrize("damage", ["truncated", "missing"])
def test_resume_over_a_damaged_best_checkpoint_ends_with_a_valid_one(tmp_path, damage):
    # The resumed run trains no further (its budget is spent), so validation cannot beat the
    # recorded best: without forgetting it, the damaged best.pt would stay (or none be written).
    corpus = write_corpus(tmp_path)
    cfg = tiny_text_config(corpus, max_steps=8, eval_every=4)
    run = tmp_path / "run"
    train_text(cfg, run)
    best = run / "best.pt"
    if damage == "truncated":
        best.write_bytes(best.read_bytes()[: best.stat().st_size // 2])
    else:
        best.unlink()
    lines = []
    result = train_text(cfg, run, resume=True, log=lines.append)
    warnings = [line for line in lines if line.startswith("warning:")]
    assert len(warnings) == 1 and f"best.pt is {'unreadable' if damage == 'truncated' else 'missing'}" in warnings[0]
    assert "next evaluation writes a new best.pt" in warnings[0]
    ckpt = load_checkpoint(best, kind="text")  # raises on a truncated file
    summary = json.loads((run / "summary.json").read_text())
    assert summary["best_step"] == ckpt["progress"]["step"] == 8
    assert summary["best_val_loss"] == ckpt["progress"]["best"] == result.summary["best_val_loss"]
