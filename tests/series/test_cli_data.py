"""`rnnkit forecast` reading time and data: the data flags end to end, the season reaching the model,
panels with short series, and each bad input (one line on stderr, exit 2, nothing written)."""

import json

import numpy as np
import pandas as pd
import pytest

from rnnkit.cli import main

TINY = ["--max-epochs", "1", "--hidden", "8", "--layers", "1", "--lookback", "10", "--threads", "1"]


def run(args, capsys):
    code = main(["forecast", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def daily(n=300, seed=0, start="2021-01-01", freq="D"):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 100 + 10 * np.sin(2 * np.pi * t / 7) + np.cumsum(rng.normal(0, 1, n)) * 0.3
    return pd.DataFrame({"Date": pd.date_range(start, periods=n, freq=freq), "Close": y})


def write(tmp_path, df, name="data.csv", **kw):
    path = tmp_path / name
    df.to_csv(path, index=False, **kw)
    return path


def test_a_german_export_trains_and_predicts_with_its_own_flags(tmp_path, capsys):
    df = daily(200)
    german = pd.DataFrame({"Datum": df["Date"].dt.strftime("%d.%m.%Y"),
                           "Umsatz": df["Close"].map(lambda v: f"{v:.4f}".replace(".", ","))})
    csv = write(tmp_path, german, sep=";")
    out = tmp_path / "run"
    code, stdout, err = run(["train", "--csv", str(csv), "--sep", ";", "--decimal", ",", "--date-col", "Datum",
                             "--target", "Umsatz", "--horizon", "3", "--out", str(out), *TINY], capsys)
    assert code == 0, err
    assert "frequency: D; seasons 7" in stdout + err  # the log, wherever it goes
    code, stdout, err = run(["predict", "--run", str(out), "--csv", str(csv)], capsys)  # the run keeps the flags
    assert code == 0, err
    lines = stdout.splitlines()
    next_day = str((df["Date"].iloc[-1] + pd.Timedelta(days=1)).date())
    assert lines[0].startswith("date,yhat") and lines[1].startswith(next_day)


def test_monthly_data_gets_month_starts_and_season_12(tmp_path, capsys):
    df = daily(120, freq="MS")
    csv = write(tmp_path, df)
    out = tmp_path / "run"
    code, _, err = run(["train", "--csv", str(csv), "--horizon", "3", "--out", str(out), *TINY], capsys)
    assert code == 0, err
    report = json.loads((out / "report.json").read_text())
    assert "seasonal_naive(12)" in report["models"]
    code, stdout, _ = run(["predict", "--run", str(out), "--csv", str(csv)], capsys)
    dates = [line.split(",")[0] for line in stdout.splitlines()[1:]]
    assert dates == ["2031-01-01", "2031-02-01", "2031-03-01"]


def forecasts(tmp_path, capsys, csv, name, extra):
    out = tmp_path / name
    code, _, err = run(["train", "--csv", str(csv), "--horizon", "2", "--out", str(out), "--seed", "0", *TINY, *extra],
                       capsys)
    assert code == 0, err
    code, stdout, _ = run(["predict", "--run", str(out), "--csv", str(csv)], capsys)
    return stdout, json.loads((out / "report.json").read_text())


def test_season_reaches_the_model_not_only_the_baselines(tmp_path, capsys):
    csv = write(tmp_path, daily(240))
    calendar, report = forecasts(tmp_path, capsys, csv, "a", [])
    assert "seasonal_naive(7)" in report["models"]  # the calendar's season
    again, _ = forecasts(tmp_path, capsys, csv, "b", [])
    assert again == calendar  # the same run twice: the same forecasts
    other, report = forecasts(tmp_path, capsys, csv, "c", ["--season", "12"])
    assert "seasonal_naive(12)" in report["models"] and "seasonal_naive(7)" not in report["models"]
    assert other != calendar  # the network's forecasts change with --season


def test_a_short_series_in_a_panel_falls_back_to_a_baseline(tmp_path, capsys):
    rng = np.random.default_rng(1)
    rows = []
    for k, n in enumerate([200, 180, 16]):
        t = np.arange(n)
        rows.append(pd.DataFrame({"unique_id": f"S{k}", "ds": pd.date_range("2021-01-01", periods=n, freq="D"),
                                  "y": 50 + 5 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.5, n)}))
    csv = write(tmp_path, pd.concat(rows))
    out = tmp_path / "run"
    code, stdout, err = run(["train", "--csv", str(csv), "--horizon", "3", "--out", str(out), *TINY], capsys)
    assert code == 0, err
    log = stdout + err
    assert "1 of 3 series are too short for --lookback 10 + --horizon 3" in log and "(S2)" in log
    assert "S2" in json.loads((out / "report.json").read_text())["fallback"]
    assert "1 of 3 series are too short" in (out / "report.md").read_text()
    code, stdout, err = run(["predict", "--run", str(out), "--csv", str(csv)], capsys)
    assert code == 0, err
    frame = pd.read_csv(pd.io.common.StringIO(stdout))
    assert list(frame.columns[:2]) == ["unique_id", "ds"]  # the long format keeps its names
    assert set(frame["unique_id"]) == {"S0", "S1", "S2"}
    assert set(frame.loc[frame.unique_id == "S2", "model"]) <= {"naive", "drift", "seasonal_naive(7)"}
    assert set(frame.loc[frame.unique_id == "S0", "model"]) <= {"lstm", "lstm+auto_theta", "auto_theta"}
    # predict on a file where a series is shorter than the lookback: that series alone gets a baseline
    cut = pd.concat([rows[0].iloc[:8], rows[1]])
    code, stdout, err = run(["predict", "--run", str(out), "--csv", str(write(tmp_path, cut, "cut.csv"))], capsys)
    assert code == 0, err
    frame = pd.read_csv(pd.io.common.StringIO(stdout))
    assert set(frame.loc[frame.unique_id == "S0", "model"]) <= {"naive", "drift", "seasonal_naive(7)"}
    assert set(frame.loc[frame.unique_id == "S1", "model"]) <= {"lstm", "lstm+auto_theta", "auto_theta"}


def test_predict_refuses_negative_prices_like_train(tmp_path, capsys):
    csv = write(tmp_path, daily(200))
    out = tmp_path / "run"
    assert run(["train", "--csv", str(csv), "--out", str(out), *TINY], capsys)[0] == 0
    bad = daily(200)
    bad.loc[150, "Close"] = -5.0
    code, _, err = run(["predict", "--run", str(out), "--csv", str(write(tmp_path, bad, "neg.csv"))], capsys)
    assert code == 2 and [line for line in err.splitlines() if "error" in line] == [err.strip().splitlines()[-1]]
    assert "above zero" in err and "Traceback" not in err


def _ambiguous(df):
    df = daily(60, freq="MS")
    df["Date"] = df["Date"].dt.strftime("%d/%m/%Y")  # 01/02/2021 ...: every value reads both ways
    return df


def _irregular(df):
    rng = np.random.default_rng(0)
    minutes = np.sort(rng.choice(10**6, len(df), replace=False))
    df["Date"] = pd.Timestamp("2021-01-01") + pd.to_timedelta(minutes, unit="min")
    return df


def _inf(df):
    df["Close"] = df["Close"].astype(object)
    df.loc[40, "Close"] = "inf"
    return df


def _no_id(df):
    return pd.concat([df.assign(Store="a"), df.assign(Store="b", Close=df["Close"] + 1)])


def _split_time(df):
    times = pd.date_range("2021-01-01", periods=len(df), freq="h")
    return df.assign(Date=times.strftime("%Y-%m-%d"), Time=times.strftime("%H:%M"))


def _thousands(df):
    df["Close"] = (df["Close"] * 10).round().astype(int).map(lambda v: f"{v:,}")  # 1,078: every value has a comma
    return df


def test_thousands_separators_are_read_with_the_thousands_flag(tmp_path, capsys):
    csv = write(tmp_path, _thousands(daily(200)))
    out = tmp_path / "run"
    code, _, err = run(["train", "--csv", str(csv), "--thousands", ",", "--out", str(out), *TINY], capsys)
    assert code == 0, err
    assert json.loads((out / "config.json").read_text())["data"]["thousands"] == ","
    code, stdout, err = run(["predict", "--run", str(out), "--csv", str(csv)], capsys)
    assert code == 0, err
    assert 500 < float(stdout.splitlines()[1].split(",")[1]) < 2000  # about 1000, not 1.0


def test_the_largest_horizon_an_error_names_does_fit(tmp_path, capsys):
    """Validation and test parts given as fractions grow to one horizon, so the horizon that fits
    is searched under that rule: the one named trains, one more does not."""
    csv = write(tmp_path, daily(300))
    for h, code in (("96", 0), ("97", 2)):
        assert run(["train", "--csv", str(csv), "--out", str(tmp_path / h), *TINY, "--horizon", h], capsys)[0] == code


@pytest.mark.parametrize("edit,args,message", [
    (_ambiguous, [], "ambiguous dates"),
    (None, ["--date-format", "%d.%m.%Y"], "does not match --date-format"),
    (None, ["--date-format", "%Y-%q"], "--date-format '%Y-%q' is not a strftime form ('q' is a bad directive"),
    (None, ["--sep", ";"], "leaves one column"),
    (_irregular, [], "set it with --freq"),
    (None, ["--freq", "W-MON"], "not on the frequency 'W-MON'"),
    (None, ["--horizon", "100"], "the largest --horizon that fits is 96"),
    (None, ["--lookback", "250", "--target-transform", "logret"], "the largest --lookback that fits is 208"),
    (_inf, [], "non-finite or out-of-range value 'inf' at row 41"),
    (_no_id, [], "looks like a panel: pass --id-col Store"),
    (_thousands, [], "give --thousands ',' or --decimal ','"),
    (_split_time, [], "the time of day seems to be in column 'Time'"),
])
def test_bad_data_input(edit, args, message, tmp_path, capsys):
    df = daily(300)
    csv = write(tmp_path, edit(df) if edit else df)
    out = tmp_path / "run"
    flags = [f for f in TINY if f not in ("--lookback", "10")] if "--lookback" in args else TINY
    code, _, err = run(["train", "--csv", str(csv), "--out", str(out), *flags, *args], capsys)
    assert code == 2, err
    errors = [line for line in err.splitlines() if line.startswith("rnnkit: error:")]  # progress may be on stderr
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in err
    if edit is _ambiguous:
        assert "'01/01/2021'" not in err and "--dayfirst" in err and "--date-format" in err
    assert not out.exists()


def test_missing_columns_say_why_a_wide_table_a_name_in_another_case_and_a_note_above_the_header(tmp_path, capsys):
    df = daily(100)
    wide = pd.DataFrame({"ds": df["Date"], "store 1": df["Close"], "store 2": df["Close"] + 1})
    lower = df.rename(columns={"Date": "date", "Close": "close"})
    note = tmp_path / "note.csv"
    note.write_text("Exported from Bloomberg 2024-01-01\n\n" + df.to_csv(index=False))
    cases = [(write(tmp_path, wide, "wide.csv"), "it looks wide (one column per series: store 1, store 2): reshape it "
              "to unique_id, ds, y (pandas: df.melt(id_vars='ds', var_name='unique_id', value_name='y')), or pass "
              "--date-col ds --target <column>"),
             (write(tmp_path, lower, "lower.csv"), "column names are case-sensitive: the file has 'date', not 'Date', "
              "the file has 'close', not 'Close'"),
             (note, "line 1 ('Exported from Bloomberg 2024-01-01') has no ','; it seems to be a note above the "
              "header, line 3 ('Date,Close')")]
    for csv, message in cases:
        out = tmp_path / "run"
        code, _, err = run(["train", "--csv", str(csv), "--out", str(out), *TINY], capsys)
        assert code == 2 and err.count("rnnkit: error:") == 1 and message in err, err
        assert not out.exists()
