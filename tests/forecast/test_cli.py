"""`rnnkit forecast ...`: smoke tests with tiny settings, and every bad input the issue lists
(one line on stderr, exit status 2, nothing written)."""

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from rnnkit.cli import main
from synth import stock_frame, write_stock

TINY = ["--max-epochs", "1", "--hidden", "8", "--layers", "1", "--lookback", "10", "--threads", "1"]


def run(args, capsys):
    code = main(["forecast", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny run with features and a 2-step horizon, shared by the smoke tests."""
    root = tmp_path_factory.mktemp("cli")
    csv = write_stock(root / "prices.csv", 300)
    out = root / "run"
    assert main(["forecast", "train", "--csv", str(csv), "--out", str(out), "--features", "Open,Volume",
                 "--horizon", "2", "--model", "attention", *TINY]) == 0
    return root, csv, out


def test_train_writes_reports_and_plots(trained):
    _, _, out = trained
    for name in ("report.json", "report.md", "forecast.png", "loss.png", "attention.png", "cleaning.json", "best.pt"):
        assert (out / name).is_file(), name
    report = json.loads((out / "report.json").read_text())
    from rnnkit.forecast.stats import available

    stats = {"auto_ets", "auto_arima", "auto_theta"} if available() else set()
    assert set(report["models"]) == {"attention", "naive", "drift", "moving_average(5)"} | stats
    assert report["best_reference"] in set(report["models"]) - {"attention"}
    assert report["outcome"] in ("beats", "tie", "worse") and "Diebold-Mariano" in report["verdict"]
    for key in ("mae", "rmse", "mape", "smape", "mase", "owa", "directional_accuracy", "rel_rmse_vs_naive", "coverage"):
        assert key in report["models"]["attention"]
    assert report["models"]["naive"]["rel_rmse_vs_naive"] == 1.0
    assert report["models"]["naive"]["owa"] == 1.0  # no season: Naive2 is the naive forecast
    assert "the best reference" in (out / "report.md").read_text()


def test_backtest_and_predict(trained, capsys):
    root, csv, out = trained
    code, stdout, _ = run(["backtest", "--run", str(out)], capsys)
    assert code == 0 and "one step ahead" in stdout
    doc = json.loads((out / "backtest.json").read_text())
    assert doc["one_step"]["horizon"] == 1 and doc["multi_step"]["origins_every"] == 2
    code, stdout, _ = run(["predict", "--run", str(out), "--csv", str(csv)], capsys)
    assert code == 0 and stdout.splitlines()[0] == "date,yhat,q10,q90"
    dest = root / "pred.csv"
    code, _, _ = run(["predict", "--run", str(out), "--csv", str(csv), "--horizon", "2", "--out", str(dest)], capsys)
    frame = pd.read_csv(dest, parse_dates=["date"])
    assert code == 0 and len(frame) == 2 and (frame["date"].dt.day_of_week < 5).all()


def test_backtest_refit_every_fine_tunes_through_the_cli(trained, capsys, tmp_path, monkeypatch):
    from rnnkit.forecast import update

    _, _, out = trained
    real, refits = update.finetune, []

    def spy(est, part, starts, ends, train_cfg, run_dir, log=None):
        refits.append((len(part.series[0].y), train_cfg.max_epochs))
        return real(est, part, starts, ends, train_cfg, run_dir, log)

    monkeypatch.setattr(update, "finetune", spy)
    code, stdout, err = run(["backtest", "--run", str(out), "--refit-every", "20", "--out", str(tmp_path / "refit")],
                            capsys)
    assert code == 0, err
    # 60 one-step origins refit at the 21st and 41st, 30 two-step origins at the 21st
    assert refits == [(260, 1), (280, 1), (280, 1)], refits
    doc = json.loads((tmp_path / "refit" / "backtest.json").read_text())
    assert doc["one_step"]["refit_every"] == doc["multi_step"]["refit_every"] == 20
    monkeypatch.setattr(update, "finetune", real)
    assert run(["backtest", "--run", str(out), "--out", str(tmp_path / "plain")], capsys)[0] == 0
    plain = json.loads((tmp_path / "plain" / "backtest.json").read_text())
    assert plain["one_step"]["refit_every"] is None
    refit, fixed = doc["one_step"]["models"], plain["one_step"]["models"]
    assert refit["attention"]["mae"] != fixed["attention"]["mae"]  # the refitted blocks forecast differently
    assert refit["naive"] == fixed["naive"]  # the references are not refitted


def test_update_keeps_the_previous_version(trained, capsys, tmp_path):
    root, csv, out = trained
    newer = write_stock(tmp_path / "newer.csv", 330)  # the same prices plus 30 new business days
    before = (out / "best.pt").read_bytes()
    code, stdout, _ = run(["update", "--run", str(out), "--csv", str(newer), "--max-epochs", "1", "--threads", "1"], capsys)
    assert code == 0, stdout
    assert "skipped 300 rows" in stdout
    assert (out / "versions" / "v1" / "best.pt").read_bytes() == before  # the old version is kept
    assert (out / "versions" / "v2" / "best.pt").is_file()
    assert (out / "best.pt").read_bytes() == (out / "versions" / "v2" / "best.pt").read_bytes()
    result = json.loads((out / "versions" / "v2" / "update.json").read_text())
    assert result["new_rows"] == 30 and set(result["before"]) == {"attention", "naive"}
    # the same rows again: all overlap the (updated) training span
    code, _, err = run(["update", "--run", str(out), "--csv", str(newer)], capsys)
    assert code == 2 and "skipped" in err and len(err.strip().splitlines()) == 1


def bad_csv(tmp_path, edit) -> Path:
    df = stock_frame(300)
    df = edit(df) if edit else df
    path = tmp_path / "bad.csv"
    df.to_csv(path, index=False)
    return path


def _text(df):
    df["Close"] = df["Close"].astype(object)
    df.loc[17, "Close"] = "n/a?"
    return df


def _constant(df):
    df["Close"] = 5.0
    return df


def _nan(df):
    df["Close"] = float("nan")
    return df


def _dates(df):
    df.loc[5, "Date"] = "31/31/2020"
    return df


@pytest.mark.parametrize("case,args,message", [
    ("missing file", ["--csv", "{tmp}/nope.csv"], "not found"),
    ("missing column", ["--csv", "{csv}", "--target", "Price"], "missing column"),
    ("missing feature", ["--csv", "{csv}", "--features", "Open,High"], "'High'"),
    ("text target", ["--csv", "{text}"], "non-numeric value 'n/a?' at row 18"),
    ("too few rows", ["--csv", "{csv}", "--lookback", "250"], "too few"),
    ("all-NaN target", ["--csv", "{nan}"], "all missing"),
    ("constant target", ["--csv", "{constant}"], "constant"),
    ("bad dates", ["--csv", "{dates}"], "does not parse as a date"),
    ("horizon 0", ["--csv", "{csv}", "--horizon", "0"], "--horizon must be >= 1"),
    ("horizon -3", ["--csv", "{csv}", "--horizon", "-3"], "--horizon must be >= 1"),
    ("ensemble 0", ["--csv", "{csv}", "--ensemble", "0"], "model.ensemble (--ensemble) must be >= 1"),
    ("negative val", ["--csv", "{csv}", "--val", "-0.1"], "--val takes a share below 1 or a whole number"),
    ("fractional steps", ["--csv", "{csv}", "--test", "2.5"], "--test takes a share below 1 or a whole number"),
    ("unknown stat model", ["--csv", "{csv}", "--stat-models", "ets,prophet"], "--stat-models takes ets, arima"),
])
def test_bad_train_input(case, args, message, tmp_path, capsys):
    paths = {"tmp": tmp_path, "csv": bad_csv(tmp_path, None)}
    for name, edit in (("text", _text), ("nan", _nan), ("constant", _constant), ("dates", _dates)):
        sub = tmp_path / name
        sub.mkdir()
        paths[name] = bad_csv(sub, edit)
    out = tmp_path / "run"
    argv = ["train", *[a.format(**paths) for a in args], "--out", str(out), *TINY]
    if "--lookback" in args:
        argv = argv[: -len(TINY)] + ["--max-epochs", "1", "--hidden", "8", "--layers", "1"]
    code, _, err = run(argv, capsys)
    assert code == 2, err
    errors = [line for line in err.splitlines() if line.startswith("rnnkit: error:")]  # progress lines are on stderr too
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in err
    assert not out.exists()  # nothing written half-way
    if "{csv}" in args and "--lookback" not in args:  # a bad setting is refused before the data is read
        assert "cleaning:" not in err, err


def test_predict_and_update_refuse_other_features(trained, capsys, tmp_path):
    _, _, out = trained
    plain = tmp_path / "plain.csv"
    stock_frame(330).drop(columns=["Volume"]).to_csv(plain, index=False)
    for cmd in ("predict", "update"):
        code, _, err = run([cmd, "--run", str(out), "--csv", str(plain)], capsys)
        assert code == 2 and "trained with features Open, Volume" in err and "lacks Volume" in err
    assert not (out / "versions" / "v3").exists()


def test_predict_backtest_and_update_refuse_a_file_on_another_calendar(trained, capsys, tmp_path):
    _, _, out = trained  # trained on business days
    monthly = tmp_path / "monthly.csv"
    frame = stock_frame(330)
    frame["Date"] = pd.date_range("1990-01-01", periods=len(frame), freq="MS").strftime("%Y-%m-%d")
    frame.to_csv(monthly, index=False)
    for cmd in ("predict", "backtest", "update"):
        code, _, err = run([cmd, "--run", str(out), "--csv", str(monthly)], capsys)
        assert code == 2 and "holds frequency MS, but the model" in err and "trained on frequency B" in err, err
    assert not (out / "versions" / "v3").exists()


@pytest.mark.parametrize("horizon", ["0", "-2"])
def test_predict_refuses_a_horizon_below_1(trained, capsys, horizon):
    _, csv, out = trained  # (0 was read as "the trained horizon")
    code, printed, err = run(["predict", "--run", str(out), "--csv", str(csv), "--horizon", horizon], capsys)
    assert code == 2 and err.strip() == f"rnnkit: error: --horizon must be >= 1, got {horizon}" and not printed


def test_entry_point_prints_one_line_without_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "rnnkit", "forecast", "train", "--csv", str(tmp_path / "x.csv"),
                           "--out", str(tmp_path / "r"), "--max-epochs", "1"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("rnnkit: error: CSV file not found") and len(proc.stderr.splitlines()) == 1


def test_update_with_only_the_new_rows_reads_the_history_from_the_training_csv(tmp_path, capsys):
    full = stock_frame(330)
    train_csv, overlap, new_csv = tmp_path / "train.csv", tmp_path / "overlap.csv", tmp_path / "new.csv"
    full.iloc[:300].to_csv(train_csv, index=False)
    full.iloc[300:].to_csv(new_csv, index=False)  # new rows only
    full.iloc[295:].to_csv(overlap, index=False)  # the last 5 training rows, then the new: too little history
    for path in (new_csv, overlap):
        out = tmp_path / f"run_{path.stem}"
        assert main(["forecast", "train", "--csv", str(train_csv), "--out", str(out), *TINY]) == 0
        capsys.readouterr()
        code, stdout, err = run(["update", "--run", str(out), "--csv", str(path), "--max-epochs", "1"], capsys)
        assert code == 0, err
        assert "history comes from the training CSV" in stdout
        assert json.loads((out / "versions" / "v2" / "update.json").read_text())["new_rows"] == 30


def test_predict_beyond_the_trained_horizon_rolls_forward(trained, capsys):
    root, csv, out = trained  # trained for --horizon 2
    code, stdout, stderr = run(["predict", "--run", str(out), "--csv", str(csv), "--horizon", "5"], capsys)
    assert code == 0 and "rolled forward" in stderr and "the features Open, Volume are held at their last values" in stderr
    frame = pd.read_csv(io.StringIO(stdout))
    assert list(frame.columns) == ["date", "yhat", "q10", "q90"] and len(frame) == 5
    width = (frame["q90"] - frame["q10"]).to_numpy()
    assert width[-1] > width[0]  # the simulated paths spread out


def test_a_long_format_run_is_scored_against_a_held_out_file(tmp_path, capsys):
    from synth import long_frame

    full = long_frame(series=3, n=150, season=12)
    train = full.groupby("unique_id").head(144)
    train.to_csv(tmp_path / "train.csv", index=False)
    rows = [[sid, *g["y"].to_numpy()[-6:]] for sid, g in full.groupby("unique_id")]
    pd.DataFrame(rows, columns=["V1", *[f"V{i}" for i in range(2, 8)]]).to_csv(tmp_path / "test.csv", index=False)
    args = ["train", "--csv", str(tmp_path / "train.csv"), "--season", "12", "--horizon", "6", "--val", "12",
            "--test", "0", "--holdout", str(tmp_path / "test.csv"), "--out", str(tmp_path / "run"), *TINY]
    code, stdout, _ = run(args, capsys)
    assert code == 0 and "report skipped" not in stdout
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["points"] == 3 * 6 and "seasonal_naive(12)" in report["models"]
    code, _, stderr = run(["backtest", "--run", str(tmp_path / "run")], capsys)  # no test part of its own
    assert code == 2 and "no test part to backtest on" in stderr and not (tmp_path / "run" / "backtest.md").exists()
    pd.DataFrame(rows[:2]).to_csv(tmp_path / "short.csv", index=False)  # one series lacks its values
    args[args.index(str(tmp_path / "test.csv"))] = str(tmp_path / "short.csv")
    args[args.index(str(tmp_path / "run"))] = str(tmp_path / "run2")
    code, _, stderr = run(args, capsys)
    assert code == 2 and "has no values for 1 series" in stderr


def test_a_panel_of_series_shorter_than_a_season_trains_without_a_lookback_flag(tmp_path, capsys):
    """Weekly series of 20-45 points (less than the 52-week season): the default window fits the
    data instead of refusing it, and MASE (undefined here) is said so, not printed as nan."""
    import warnings

    import numpy as np

    rows = [(f"s{i}", pd.Timestamp("2020-01-06") + pd.Timedelta(weeks=t), 50 + i + np.sin(t))
            for i, n in enumerate(range(20, 46, 5)) for t in range(n)]
    csv = tmp_path / "panel.csv"
    pd.DataFrame(rows, columns=["unique_id", "ds", "y"]).to_csv(csv, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        code, _, err = run(["train", "--csv", str(csv), "--out", str(tmp_path / "run"), "--horizon", "4",
                            "--max-epochs", "1", "--hidden", "8", "--layers", "1", "--threads", "1"], capsys)
    assert code == 0, err
    report = (tmp_path / "run" / "report.md").read_text()
    assert "MASE and OWA are not defined" in report and "| nan" not in report


def test_a_panel_whose_first_series_is_too_short_to_score_reports_and_plots_the_next(tmp_path, capsys):
    from synth import long_frame

    df = long_frame(series=3, n=200, season=12)
    df = pd.concat([df[df.unique_id == "S0"].head(12), df[df.unique_id != "S0"]])  # S0: no test part
    csv = tmp_path / "panel.csv"
    df.to_csv(csv, index=False)
    code, _, err = run(["train", "--csv", str(csv), "--out", str(tmp_path / "run"), "--horizon", "4", *TINY], capsys)
    assert code == 0, err
    doc = json.loads((tmp_path / "run" / "report.json").read_text())
    assert doc["test_span"][0] and doc["test_span"][1]  # the first scored series' span, not empty
    assert (tmp_path / "run" / "forecast.png").is_file()


def test_a_run_trained_on_a_relative_path_backtests_from_another_folder(tmp_path, capsys, monkeypatch):
    (tmp_path / "data").mkdir()
    write_stock(tmp_path / "data" / "p.csv", 200)
    monkeypatch.chdir(tmp_path)
    assert run(["train", "--csv", "data/p.csv", "--out", "run", *TINY], capsys)[0] == 0
    monkeypatch.chdir(tmp_path / "data")
    code, _, err = run(["backtest", "--run", str(tmp_path / "run")], capsys)
    assert code == 0, err


def test_a_latin1_spreadsheet_is_refused_naming_the_byte_and_read_with_encoding(tmp_path, capsys):
    frame = stock_frame(200)
    path = tmp_path / "alt.csv"
    body = "Datum;Stück\n" + "".join(f"{d};{str(round(v, 2)).replace('.', ',')}\n"
                                      for d, v in zip(frame["Date"], frame["Close"]))
    path.write_bytes(body.encode("latin-1"))
    flags = ["--csv", str(path), "--sep", ";", "--decimal", ",", "--date-col", "Datum", "--target", "Stück", *TINY]
    code, _, err = run(["train", "--out", str(tmp_path / "a"), *flags], capsys)
    assert code == 2 and "byte offset 8 (byte 0xfc)" in err and "--encoding" in err
    assert not (tmp_path / "a").exists()
    code, _, err = run(["train", "--out", str(tmp_path / "b"), "--encoding", "latin-1", *flags], capsys)
    assert code == 0, err


def test_update_says_when_a_gap_before_the_new_rows_was_filled(tmp_path, capsys):
    full = stock_frame(330)
    full["Date"] = pd.date_range("2020-01-01", periods=len(full), freq="D").strftime("%Y-%m-%d")
    train_csv, new_csv = tmp_path / "train.csv", tmp_path / "new.csv"
    full.iloc[:300].to_csv(train_csv, index=False)
    full.iloc[305:].to_csv(new_csv, index=False)  # five days missing between them
    out = tmp_path / "run"
    assert main(["forecast", "train", "--csv", str(train_csv), "--out", str(out), *TINY]) == 0
    capsys.readouterr()
    code, stdout, err = run(["update", "--run", str(out), "--csv", str(new_csv), "--max-epochs", "1"], capsys)
    assert code == 0, err
    assert "note: 5 missing time stamps were inserted and filled (ffill)" in stdout + err


def test_a_run_without_best_pt_says_it_uses_last_pt(trained, capsys, tmp_path):
    import shutil

    _, csv, out = trained
    copy = tmp_path / "run"
    shutil.copytree(out, copy)
    (copy / "best.pt").unlink()
    code, _, err = run(["predict", "--run", str(copy), "--csv", str(csv)], capsys)
    assert code == 0 and f"warning: {copy} has no best.pt" in err and "using last.pt" in err


@pytest.mark.parametrize("given,shown,absent", [
    ("theta", ["auto_theta"], ["auto_ets", "auto_arima"]),
    ("none", [], ["auto_ets", "auto_arima", "auto_theta"]),
])
def test_stat_models_chooses_the_statistical_references_and_the_report_says_so(given, shown, absent, tmp_path,
                                                                               capsys):
    pytest.importorskip("statsforecast")
    csv = write_stock(tmp_path / "prices.csv", 200)
    out = tmp_path / "run"
    code, _, err = run(["train", "--csv", str(csv), "--out", str(out), "--stat-models", given, *TINY], capsys)
    assert code == 0, err
    models = list(json.loads((out / "report.json").read_text())["models"])
    assert all(m in models for m in shown) and not any(m in models for m in absent)
    report = (out / "report.md").read_text()
    assert ("--stat-models none" in report) == (given == "none")


@pytest.mark.parametrize("rows", [6, 10])
def test_a_backtest_with_no_test_origin_is_refused_and_writes_nothing(trained, capsys, tmp_path, rows):
    root, csv, out = trained
    short = tmp_path / "short.csv"
    pd.read_csv(csv).tail(rows).to_csv(short, index=False)
    dest = tmp_path / "bt"
    code, _, err = run(["backtest", "--run", str(out), "--csv", str(short), "--out", str(dest)], capsys)
    assert code == 2 and "Traceback" not in err and err.count("rnnkit: error:") == 1, err
    assert not dest.exists()


def test_update_says_when_old_rows_hold_other_values_than_the_training_csv(tmp_path, capsys):
    csv = write_stock(tmp_path / "prices.csv", 300)
    out = tmp_path / "run"
    assert main(["forecast", "train", "--csv", str(csv), "--out", str(out), *TINY]) == 0
    newer = stock_frame(330)
    newer.to_csv(tmp_path / "same.csv", index=False)
    newer.loc[100:109, "Close"] *= 2  # a correction of ten old rows
    newer.to_csv(tmp_path / "changed.csv", index=False)
    newer.assign(Sentiment=0.5).to_csv(tmp_path / "extra.csv", index=False)
    shutil.copytree(out, tmp_path / "copy")
    capsys.readouterr()
    code, stdout, _ = run(["update", "--run", str(out), "--csv", str(tmp_path / "changed.csv")], capsys)
    assert code == 0 and "note: 10 rows of" in stdout and "hold other values than the training CSV" in stdout
    assert f"e.g. series {newer.loc[100, 'Date']}" in stdout
    assert "does not read" not in stdout  # Open and Volume are not features, but were in the training CSV too
    shutil.copytree(tmp_path / "copy", tmp_path / "copy2")
    code, stdout, _ = run(["update", "--run", str(tmp_path / "copy"), "--csv", str(tmp_path / "same.csv")], capsys)
    assert code == 0 and "hold other values" not in stdout
    code, stdout, _ = run(["update", "--run", str(tmp_path / "copy2"), "--csv", str(tmp_path / "extra.csv")], capsys)
    assert code == 0 and "column(s) Sentiment that the model does not read" in stdout


def test_predict_on_screen_keeps_the_digits_of_large_values():
    from rnnkit.cli.forecast import _shown

    assert _shown(5.41006123e13) == "54100612300000"  # %.6g printed 5.41006e+13
    assert _shown(91.80453214) == "91.8045" and _shown(-2.5e7) == "-25000000"
