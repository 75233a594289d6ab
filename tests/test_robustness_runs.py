"""Issue 11: interrupted and diverged runs (every task), `--resume` with other data, and the
hygiene of a run folder (torn metrics line, torn config.json, stale temp files, permissions)."""

from __future__ import annotations

import json
import os
import signal
import stat

import pytest

from rnnkit.cli import main
from rnnkit.train import load_checkpoint
from tests.robust_inputs import one_line_error, train_argv

TASK_CLASS = {
    "text": ("rnnkit.text.task", "TextLMTask"),
    "forecast": ("rnnkit.forecast.task", "WindowTask"),
    "classify": ("rnnkit.classify.task", "ClassifyTask"),
}
REPORTS = ("report.json", "report.md", "forecast.png", "confusion.png")


def _patch_train_loss(monkeypatch, task: str, at_call: int, action):
    import importlib

    module_name, cls_name = TASK_CLASS[task]
    cls = getattr(importlib.import_module(module_name), cls_name)
    real = cls.train_loss
    calls = {"n": 0}

    def patched(self, model, batch, carry):
        loss, state, n = real(self, model, batch, carry)
        calls["n"] += 1
        if calls["n"] == at_call:
            loss = action(loss)
        return loss, state, n

    monkeypatch.setattr(cls, "train_loss", patched)
    return calls


def _sigterm(loss):
    os.kill(os.getpid(), signal.SIGTERM)  # what `kill PID` does: the trainer saves at the step's end
    return loss


@pytest.mark.parametrize("task", ["text", "forecast", "classify"])
def test_sigterm_exits_130_writes_no_report_and_resumes(task, tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    argv = train_argv(task, tmp_path / "in", out)
    calls = _patch_train_loss(monkeypatch, task, 2, _sigterm)
    before = signal.getsignal(signal.SIGTERM)
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "--resume" in err and "Traceback" not in err
    assert signal.getsignal(signal.SIGTERM) is before
    folder = out / "select" if (out / "select" / "last.pt").exists() else out  # classify: the selection run
    assert load_checkpoint(folder / "last.pt")["progress"]["step"] == 2
    assert not any((out / name).exists() for name in REPORTS)  # no verdict for a half-trained model
    monkeypatch.undo()
    assert calls["n"] >= 2
    assert main(argv + ["--resume"]) == 0, capsys.readouterr().err
    if task != "text":
        assert (out / "report.json").is_file()


@pytest.mark.parametrize("task", ["text", "forecast", "classify"])
def test_a_nan_loss_is_an_error_without_a_report(task, tmp_path, capsys, monkeypatch):
    import torch

    out = tmp_path / "run"
    _patch_train_loss(monkeypatch, task, 3, lambda loss: loss * float("nan"))
    code = main(train_argv(task, tmp_path / "in", out) + ["--eval-every", "2"])  # a checkpoint at step 2
    line = one_line_error(code, capsys.readouterr().err, "the training loss became NaN/Inf at step 3")
    assert "(last.pt, step 2)" in line
    assert not any((out / name).exists() for name in REPORTS)
    assert not (out / "best.pt").exists() or task != "classify"  # classify: no refit copy of a diverged model
    # README: the last good last.pt is kept, a plain bundle of finite weights from the step before
    folder = out / "select" if task == "classify" else out  # classify: the selection run
    ckpt = torch.load(folder / "last.pt", map_location="cpu", weights_only=True)
    assert ckpt["progress"]["step"] == 2
    weights = {k: v for k, v in ckpt["model"].items() if torch.is_floating_point(v)}
    assert weights and not [k for k, v in weights.items() if not torch.isfinite(v).all()]


@pytest.mark.parametrize("task", ["text", "forecast", "classify"])
def test_resume_with_other_data_is_refused(task, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(train_argv(task, tmp_path / "in", out)) == 0
    capsys.readouterr()
    files = sorted(p.name for p in out.rglob("*"))
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    code = main(train_argv(task, tmp_path / "other", out, seed=1) + ["--resume"])
    one_line_error(code, capsys.readouterr().err, "--resume with other data")
    assert sorted(p.name for p in out.rglob("*")) == files
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps  # nothing rewritten
    assert main(train_argv(task, tmp_path / "in", out) + ["--resume"]) == 0  # the same data resumes


def test_text_resume_on_a_corpus_with_other_characters_is_one_line(tmp_path, capsys):
    out = tmp_path / "run"
    argv = train_argv("text", tmp_path / "in", out)
    assert main(argv) == 0
    other = tmp_path / "other.txt"
    other.write_text("zyxwvu 0123456789 QRSTUV\n" * 200)
    argv[argv.index("--corpus") + 1] = str(other)
    capsys.readouterr()
    one_line_error(main(argv + ["--resume"]), capsys.readouterr().err, "--resume with other data")


def test_a_torn_metrics_line_does_not_break_the_resumed_run(tmp_path, capsys):
    out = tmp_path / "run"
    argv = train_argv("text", tmp_path / "in", out)
    assert main(argv) == 0
    with (out / "metrics.jsonl").open("a") as f:
        f.write('{"event": "train", "step": 5, "lo')  # killed mid-write
    (out / ".last.pt.dead0001.tmp").write_bytes(b"\0" * 1000)  # a killed checkpoint write
    (out / ".best.pt.dead0002.tmp").write_bytes(b"\0" * 1000)
    i = argv.index("--max-steps")
    argv[i + 1] = "8"
    assert main(argv + ["--resume"]) == 0, capsys.readouterr().err
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert max(r["step"] for r in rows) == 8
    assert (out / "loss.png").stat().st_size > 1000
    assert not list(out.glob(".*.tmp"))  # removed by the next checkpoint write


def test_the_loss_plot_skips_a_torn_line(tmp_path):
    from rnnkit.plots import plot_loss_curves

    log = tmp_path / "metrics.jsonl"
    log.write_text('{"event": "train", "step": 1, "loss": 2.0}\n{"event": "eval", "step": 2, "val_loss": 1.5}\n{"ev')
    assert plot_loss_curves(log, tmp_path / "loss.png").stat().st_size > 1000


@pytest.mark.parametrize("content", ["", "{\"model\": ", "[]"])
def test_classify_refit_resumes_with_an_empty_or_torn_config_json(content, tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    argv = train_argv("classify", tmp_path / "in", out)
    _patch_train_loss(monkeypatch, "classify", 7, _sigterm)  # 2 epochs x 2 batches select, then the refit
    assert main(argv) == 130
    monkeypatch.undo()
    assert (out / "last.pt").exists(), "the interruption should land in the refit"
    (out / "config.json").write_text(content)
    capsys.readouterr()
    assert main(argv + ["--resume"]) == 0, capsys.readouterr().err
    assert json.loads((out / "config.json").read_text())["model"]["hidden"] == 8
    assert (out / "report.json").is_file()


def test_checkpoints_get_the_folders_file_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "run"
        assert main(train_argv("text", tmp_path / "in", out)) == 0
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(out / "best.pt") == mode(out / "last.pt") == mode(out / "config.json") == 0o644


def test_a_forecast_refit_interrupted_mid_refit_resumes_to_the_same_weights(tmp_path, capsys, monkeypatch):
    import torch

    whole = tmp_path / "whole"
    argv = train_argv("forecast", tmp_path / "in", whole) + ["--refit", "--max-epochs", "3", "--patience", "5"]
    calls = _patch_train_loss(monkeypatch, "forecast", -1, lambda loss: loss)
    assert main(argv) == 0, capsys.readouterr().err
    selection_steps = json.loads((whole / "select" / "summary.json").read_text())["steps"]
    assert calls["n"] > selection_steps  # the refit trained too
    monkeypatch.undo()
    out = tmp_path / "cut"
    argv = [a if a != str(whole) else str(out) for a in argv]
    _patch_train_loss(monkeypatch, "forecast", selection_steps + 2, _sigterm)  # the refit's second step
    assert main(argv) == 130
    assert load_checkpoint(out / "last.pt")["progress"]["step"] == 2 and (out / "select" / "best.pt").exists()
    monkeypatch.undo()
    assert main(argv + ["--resume"]) == 0, capsys.readouterr().err
    want, got = load_checkpoint(whole / "best.pt")["model"], load_checkpoint(out / "best.pt")["model"]
    assert want.keys() == got.keys() and all(torch.equal(want[k], got[k]) for k in want)


@pytest.mark.parametrize("task", ["text", "forecast", "classify"])
def test_a_new_run_into_a_folder_of_other_files_is_refused_and_nothing_is_overwritten(task, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "report.md").write_text("my notes\n")
    (out / ".DS_Store").write_text("")
    code = main(train_argv(task, tmp_path / "in", out))
    one_line_error(code, capsys.readouterr().err, "already holds other files (report.md)")
    assert sorted(p.name for p in out.iterdir()) == [".DS_Store", "report.md"]
    assert (out / "report.md").read_text() == "my notes\n"
    (out / "report.md").unlink()  # hidden files alone do not make a folder occupied
    assert main(train_argv(task, tmp_path / "in", out)) == 0
