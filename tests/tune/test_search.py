"""The search: pruning, resuming from storage after Ctrl-C, best.toml, outputs, the CLI."""

from __future__ import annotations

import json
import os
import signal
import sys
from dataclasses import replace

import pytest

pytest.importorskip("optuna")
import optuna  # noqa: E402

from rnnkit import tasks  # noqa: E402
from rnnkit.cli import main  # noqa: E402
from rnnkit.config import resolve  # noqa: E402
from rnnkit.errors import RnnkitError  # noqa: E402
from rnnkit.text.task import TextRunConfig, train_text  # noqa: E402
from rnnkit.tune import SearchSettings, tune  # noqa: E402
from tests.helpers import tiny_text_config, write_corpus  # noqa: E402

# a tiny search: only the learning rate and the cell vary
SPACE = """
[model.hidden]
low = 16
high = 16
[model.layers]
high = 1
[model.dropout]
search = false
[data.seq_len]
choices = [16]
[data.batch_size]
choices = [4]
"""


@pytest.fixture
def setup(tmp_path):
    corpus = write_corpus(tmp_path)
    (tmp_path / "space.toml").write_text(SPACE)
    return tiny_text_config(corpus, max_steps=8, eval_every=4), tmp_path / "space.toml"


def _quiet(_msg):
    pass


def test_median_pruner_stops_a_deliberately_bad_trial(tmp_path, setup):
    base, space = setup
    storage = f"sqlite:///{tmp_path / 'out' / 'study.db'}"
    (tmp_path / "out").mkdir()
    study = optuna.create_study(storage=storage, study_name="rnnkit-text")
    for lr in (1e-2, 1e-2, 1e-2, 1e-4):  # three good trials, then one that barely learns
        study.enqueue_trial({"train.lr": lr, "model.cell": "lstm"})
    result = tune("text", base, tmp_path / "out", SearchSettings(trials=4, budget={"max_steps": 8}),
                  space_file=space, log=_quiet)
    states = [t.state for t in sorted(result.study.trials, key=lambda t: t.number)]
    assert states == [optuna.trial.TrialState.COMPLETE] * 3 + [optuna.trial.TrialState.PRUNED]
    bad = json.loads((tmp_path / "out" / "trials" / "0003" / "summary.json").read_text())
    assert bad["stopped"] == "hook" and bad["steps"] < 8  # stopped at an evaluation, not at the budget
    good = json.loads((tmp_path / "out" / "trials" / "0000" / "summary.json").read_text())
    assert good["steps"] == 8 and result.study.best_value == pytest.approx(good["best_val_loss"])


def test_ctrl_c_then_the_same_command_continues_the_study(tmp_path, setup, monkeypatch):
    base, space = setup
    real = tasks.get("text").train_trial

    def interrupt_trial_1(cfg, inputs, run_dir, on_eval, log):
        def hook(step, metrics):
            if run_dir.name == "0001":
                os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C does: the trainer saves and stops
            return on_eval(step, metrics)
        return real(cfg, inputs, run_dir, hook, log)

    monkeypatch.setitem(tasks._specs, "text", replace(tasks.get("text"), train_trial=interrupt_trial_1))
    settings = SearchSettings(trials=3, budget={"max_steps": 8}, pruner="none")
    first = tune("text", base, tmp_path / "out", settings, space_file=space, log=_quiet)
    assert first.interrupted and first.finished == 1
    monkeypatch.setitem(tasks._specs, "text", replace(tasks.get("text"), train_trial=real))

    again = tune("text", base, tmp_path / "out", settings, space_file=space, log=_quiet)
    assert not again.interrupted and again.finished == 3
    numbers = {t.number: t.state.name for t in again.study.trials}
    assert numbers == {0: "COMPLETE", 1: "FAIL", 2: "COMPLETE", 3: "COMPLETE"}
    assert sorted(p.name for p in (tmp_path / "out" / "trials").iterdir()) == ["0000", "0001", "0002", "0003"]
    # the study already has its 3 finished trials: running the command once more trains nothing
    third = tune("text", base, tmp_path / "out", settings, space_file=space, log=_quiet)
    assert len(third.study.trials) == 4


def test_best_toml_loads_with_resolve_and_trains(tmp_path, setup):
    base, space = setup
    result = tune("text", base, tmp_path / "out", SearchSettings(trials=2, budget={"max_steps": 8}),
                  space_file=space, log=_quiet)
    best = result.study.best_trial
    cfg = resolve(TextRunConfig, tmp_path / "out" / "best.toml", {"train": {"max_steps": 4}})
    assert cfg.train.lr == best.params["train.lr"] and cfg.model.cell == best.params["model.cell"]
    assert cfg.data.corpus == base.data.corpus and cfg.model.dropout == base.model.dropout
    assert train_text(cfg, tmp_path / "retrain").summary["steps"] == 4
    for name in ("trials.csv", "history.png", "importance.png"):
        assert (tmp_path / "out" / name).stat().st_size > 0, name
    header = (tmp_path / "out" / "trials.csv").read_text().splitlines()[0].split(",")
    assert {"number", "value", "state", "train.lr", "run_dir"} <= set(header)


def test_one_complete_trial_skips_importances_gracefully(tmp_path, setup):
    base, space = setup
    lines = []
    tune("text", base, tmp_path / "out", SearchSettings(trials=1, budget={"max_steps": 4}), space_file=space,
         log=lines.append)
    assert (tmp_path / "out" / "best.toml").exists() and (tmp_path / "out" / "history.png").exists()
    assert not (tmp_path / "out" / "importance.png").exists()
    assert any("importance.png skipped" in line for line in lines)


def test_missing_optuna_names_the_extra(tmp_path, setup, monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(RnnkitError, match=r"pip install 'rnnkit\[tune\]'"):
        tune("text", setup[0], tmp_path / "out", SearchSettings(trials=1, budget={"max_steps": 4}))


def test_cli_tune_text_writes_the_outputs(tmp_path, setup, capsys):
    corpus = setup[0].data.corpus
    out = tmp_path / "search"
    code = main(["tune", "text", "--corpus", corpus, "--out", str(out), "--max-steps", "4", "--eval-every", "2",
                 "--precision", "fp32", "--trials", "2", "--space", str(setup[1]), "--seed", "3"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "rnnkit text train --config" in printed and "2 of 2 trials finished" in printed
    cfg = resolve(TextRunConfig, out / "best.toml", {})
    assert cfg.train.max_steps == TextRunConfig().train.max_steps  # the trial budget stays out of best.toml
    assert cfg.train.eval_every == 2 and cfg.train.seed == 3  # other flags are part of the base config


@pytest.mark.parametrize("argv, message", [
    (["--storage", "postgresql://nohost/db"], "cannot open --storage"),
    (["--trials", "0"], "--trials must be >= 1"),
    (["--max-steps", "0"], "--max-steps must be > 0"),
    (["--space", "nowhere.toml"], "config file not found: nowhere.toml"),
])
def test_cli_bad_input_is_one_line_exit_2(tmp_path, setup, capsys, argv, message):
    base = ["tune", "text", "--corpus", setup[0].data.corpus, "--out", str(tmp_path / "o")]
    if "--max-steps" not in argv:
        base += ["--max-steps", "4"]
    assert main(base + argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("rnnkit: error:") and "\n" not in err
    if message:
        assert message in err


def test_cli_unknown_task_and_missing_budget(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["tune", "poetry", "--out", str(tmp_path)])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "invalid choice: 'poetry'" in err and "\n" not in err
    assert main(["tune", "text", "--corpus", "x.txt", "--out", str(tmp_path / "o")]) == 2
    assert "per-trial budget" in capsys.readouterr().err


def test_hyperband_pruner_runs_a_search(tmp_path, setup):
    base, space = setup
    result = tune("text", base, tmp_path / "out", SearchSettings(trials=2, pruner="hyperband",
                  budget={"max_steps": 8}), space_file=space, log=_quiet)
    assert result.finished == 2
    assert isinstance(result.study.pruner, optuna.pruners.HyperbandPruner)


def test_a_first_trial_that_fails_on_a_sampled_value_does_not_stop_the_search():
    """A sampled lookback too long for the data fails that trial only; an error about the data
    itself (no sampled flag in it) still stops a search whose first trial fails."""
    from rnnkit.tune.search import _blames_a_sample

    sampled = {"forecast.lookback": 40, "train.lr": 0.00463, "forecast.batch_size": 64}
    too_long = ("every series is too short for --lookback 40 + --horizon 12 in its training part; "
                "the largest --lookback that fits the longest is 23")
    assert _blames_a_sample(too_long, sampled)
    assert not _blames_a_sample(too_long, {**sampled, "forecast.lookback": 20})  # 40 was not this trial's
    assert not _blames_a_sample("no data: give --csv PATH", sampled)
    assert _blames_a_sample("--batch-size 64 is larger than the training windows", sampled)


@pytest.mark.parametrize("text", ["", "0123456789"])
def test_cli_unusable_corpus_is_refused_before_the_search_folder_exists(tmp_path, capsys, text):
    corpus = write_corpus(tmp_path, text)
    out = tmp_path / "search"
    assert main(["tune", "text", "--corpus", str(corpus), "--out", str(out), "--trials", "1",
                 "--max-steps", "5"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("rnnkit: error:") and "\n" not in err
    assert not out.exists()  # no study.db, no failed trial recorded


@pytest.mark.parametrize("existed", [False, True])
def test_a_search_whose_first_trial_fails_leaves_nothing(tmp_path, setup, monkeypatch, existed):
    base, space = setup

    def broken(cfg, inputs, run_dir, on_eval, log):
        run_dir.mkdir(parents=True)
        raise RnnkitError("the data cannot be trained on")  # what the check could not foresee

    monkeypatch.setitem(tasks._specs, "text", replace(tasks.get("text"), train_trial=broken))
    out = tmp_path / "out"
    if existed:
        out.mkdir()
        (out / "notes.txt").write_text("mine")
    with pytest.raises(RnnkitError, match="cannot be trained on"):
        tune("text", base, out, SearchSettings(trials=1, budget={"max_steps": 4}), space_file=space, log=_quiet)
    if existed:  # a folder the user made keeps what it held, and only that
        assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    else:
        assert not out.exists()


def test_tune_refuses_a_training_run_folder_but_continues_its_own(tmp_path, setup, capsys):
    base, space = setup
    run = tmp_path / "run"
    train_text(tiny_text_config(write_corpus(tmp_path), max_steps=4), run)
    before = sorted(p.name for p in run.iterdir())
    capsys.readouterr()
    argv = ["tune", "text", "--corpus", base.data.corpus, "--max-steps", "4", "--precision", "fp32",
            "--space", str(space), "--trials"]
    assert main(argv + ["1", "--out", str(run)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("rnnkit: error:") and "holds a training run" in err and "\n" not in err
    assert sorted(p.name for p in run.iterdir()) == before  # no study.db, trials/ or best.toml mixed in
    search = tmp_path / "search"
    assert main(argv + ["1", "--out", str(search)]) == 0
    assert main(argv + ["2", "--out", str(search)]) == 0  # the same folder again: the search continues
    assert "2 of 2 trials finished" in capsys.readouterr().out
