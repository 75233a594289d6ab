"""`rnnkit tune forecast|classify`: the same search over the other two tasks' training entry points."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("optuna")

from rnnkit.cli import main  # noqa: E402
from rnnkit.config import resolve  # noqa: E402
from tests.classify.conftest import write_ucr  # noqa: E402
from tests.forecast.synth import write_stock  # noqa: E402

SMALL = """
[model.hidden]
low = 8
high = 16
[model.layers]
high = 1
"""


def _search(tmp_path, argv):
    (tmp_path / "space.toml").write_text(SMALL + argv.pop())
    out = tmp_path / "search"
    assert main(["tune", *argv, "--out", str(out), "--trials", "2", "--max-epochs", "1", "--space",
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
    train = write_ucr(tmp_path / "t_TRAIN.tsv", n=30)
    out = _search(tmp_path, ["classify", "--data", str(train), "--monitor", "accuracy",
                             "[model.cell]\nchoices = [\"gru\"]\n"])
    rows = (out / "trials.csv").read_text().splitlines()
    summary = json.loads((out / "trials" / "0000" / "summary.json").read_text())
    assert float(rows[1].split(",")[1]) == pytest.approx(summary["best_val_error"])
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
