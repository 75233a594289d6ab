"""`rnnkit tune forecast|classify`: the same search over the other two tasks' training entry points."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("optuna")

from rnnkit.cli import main  # noqa: E402
from rnnkit.config import resolve, to_dict  # noqa: E402
from tests.classify.conftest import write_ucr  # noqa: E402
from tests.forecast.synth import write_stock  # noqa: E402

SMALL = """
[model.hidden]
low = 8
high = 16
[model.layers]
high = 1
"""


def _search(tmp_path, argv, trials=2):
    (tmp_path / "space.toml").write_text(SMALL + argv.pop())
    out = tmp_path / "search"
    assert main(["tune", *argv, "--out", str(out), "--trials", str(trials), "--max-epochs", "1", "--space",
                 str(tmp_path / "space.toml")]) == 0
    assert (out / "trials" / "0001" / "best.pt").exists() and (out / "best.toml").exists()
    return out


def test_tune_forecast(tmp_path):
    csv = write_stock(tmp_path / "s.csv", n=260)
    out = _search(tmp_path, ["forecast", "--csv", str(csv), "[forecast.lookback]\nchoices = [10, 20]\n"])
    from rnnkit.forecast.config import ForecastRunConfig

    cfg = resolve(ForecastRunConfig, out / "best.toml", {})
    assert cfg.forecast.lookback in (10, 20) and 8 <= cfg.model.hidden <= 16 and cfg.data.csv == str(csv)
    assert cfg.train.max_epochs == ForecastRunConfig().train.max_epochs  # the base budget, not the trial's
    assert not (out / "trials" / "0000" / "report.json").exists()  # trials never score the test part


def test_tune_classify_minimises_the_monitored_error(tmp_path):
    import optuna

    train = write_ucr(tmp_path / "t_TRAIN.tsv", n=40)
    rows = train.read_text().splitlines()  # every 4th label flipped: no trial is perfect, and they differ
    rows = [("1" if r.startswith("-1") else "-1") + r[r.index("\t"):] if i % 4 == 0 else r for i, r in enumerate(rows)]
    train.write_text("\n".join(rows) + "\n")
    # a learning rate too small to learn in one epoch, and one that learns
    out = _search(tmp_path, ["classify", "--data", str(train), "--monitor", "accuracy",
                             "[model.cell]\nchoices = [\"gru\"]\n[train.lr]\nchoices = [1e-5, 0.05]\n"], trials=3)
    study = optuna.load_study(study_name="rnnkit-classify", storage=f"sqlite:///{out / 'study.db'}")
    assert study.direction == optuna.study.StudyDirection.MINIMIZE
    errors = {int(d.name): json.loads((d / "summary.json").read_text())["best_val_error"]
              for d in (out / "trials").iterdir()}
    assert len(errors) == 3 and len(set(errors.values())) > 1, errors  # else any choice would be "the lowest"
    rows = (out / "trials.csv").read_text().splitlines()
    assert {int(r.split(",")[0]): float(r.split(",")[1]) for r in rows[1:]} == pytest.approx(errors)
    lowest = [n for n, e in errors.items() if e == min(errors.values())]
    header = (out / "best.toml").read_text().splitlines()[0]
    chosen = int(header.split("trial ")[1].split(",")[0])
    assert chosen in lowest and study.best_trial.number == chosen, (header, errors)
    from rnnkit.classify.config import ClassifyRunConfig

    best = resolve(ClassifyRunConfig, out / "best.toml", {})
    trial = json.loads((out / "trials" / f"{chosen:04d}" / "config.json").read_text())
    assert to_dict(best.model) == trial["model"]
    assert (best.train.lr, best.data.batch_size) == (trial["train"]["lr"], trial["data"]["batch_size"])
    assert not (out / "trials" / "0000" / "report.json").exists()


@pytest.mark.parametrize("task", ["forecast", "classify"])
def test_unusable_data_is_refused_before_the_search_folder_exists(tmp_path, capsys, task):
    if task == "forecast":
        (tmp_path / "empty.csv").write_text("")
        argv = ["forecast", "--csv", str(tmp_path / "empty.csv")]
    else:
        argv = ["classify", "--data", str(write_ucr(tmp_path / "one_TRAIN.tsv", n=20, labels=("1", "1")))]  # one class
    out = tmp_path / "search"
    assert main(["tune", *argv, "--out", str(out), "--trials", "1", "--max-epochs", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("rnnkit: error:") and "\n" not in err, err
    assert not out.exists()  # no study.db, no failed trial recorded
