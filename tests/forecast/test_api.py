"""The long-format DataFrame API round trip, and forecasts beyond the trained horizon."""

import numpy as np
import pandas as pd
import pytest

from rnnkit.forecast.config import ForecastRunConfig
from rnnkit.forecast.estimator import Forecaster
from rnnkit.series.io import from_arrays

from synth import long_frame


def test_fit_predict_cross_validation_evaluate_round_trip(tiny_cfg):
    df = long_frame(series=2, n=160, season=12)
    df["temp"] = np.sin(np.arange(len(df)))  # a covariate column
    tiny_cfg.forecast.horizon, tiny_cfg.data.season = 6, 12
    tiny_cfg.forecast.lookback = None  # from the data
    est = Forecaster(tiny_cfg).fit(df)
    assert isinstance(est, Forecaster) and est.meta["features"] == ["temp"]
    out = est.predict(6)
    assert list(out.columns) == ["unique_id", "ds", "lstm", "lstm-lo-80", "lstm-hi-80"]
    assert len(out) == 12 and list(out.loc[out.unique_id == "S0", "ds"]) == list(range(161, 167))
    assert (out["lstm-lo-80"] <= out["lstm"]).all() and (out["lstm"] <= out["lstm-hi-80"]).all()
    assert out.attrs["rolled"] is False and est.predict(9).attrs["rolled"] is True
    cv = est.cross_validation(df, h=6, n_windows=2)
    assert len(cv) == 2 * 2 * 6 and {"cutoff", "y", "lstm", "naive", "seasonal_naive(12)"} <= set(cv.columns)
    first = cv[cv.unique_id == "S0"]
    assert list(first["ds"]) == list(range(149, 161))
    assert np.allclose(first["y"], df[df.unique_id == "S0"]["y"].to_numpy()[-12:])
    scores = est.evaluate(df, h=6, n_windows=2)
    assert {"lstm", "naive", "seasonal_naive(12)"} <= set(scores["model"]) and "rmse" in scores.columns
    assert "best reference" in scores.attrs["verdict"]


def test_cross_validation_says_the_largest_window_count_that_fits(tiny_cfg):
    from rnnkit.errors import RnnkitError

    df = long_frame(series=1, n=120, season=12)
    tiny_cfg.forecast.horizon, tiny_cfg.data.season = 6, 12
    est = Forecaster(tiny_cfg).fit(df)
    with pytest.raises(RnnkitError, match="largest n_windows that fits is 18"):
        est.cross_validation(df, h=6, n_windows=40)
    with pytest.raises(RnnkitError, match="too short for 1 windows of 3 .* the largest n_windows that fits is 0"):
        est.evaluate(df.iloc[:12], h=3, n_windows=1)  # was an empty table


def test_data_on_another_calendar_is_refused_by_predict_cross_validation_and_evaluate(tiny_cfg):
    from rnnkit.errors import RnnkitError

    monthly = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2000-01-01", periods=120, freq="MS"),
                            "y": 10 + np.sin(np.arange(120) * 2 * np.pi / 12)})
    tiny_cfg.forecast.horizon = 3
    est = Forecaster(tiny_cfg).fit(monthly)
    daily = monthly.assign(ds=pd.date_range("2000-03-01", periods=120, freq="D"))
    for call in (lambda: est.predict(3, daily), lambda: est.cross_validation(daily, h=3),
                 lambda: est.evaluate(daily, h=3)):
        with pytest.raises(RnnkitError, match="holds frequency D, but the model was trained on frequency MS"):
            call()
    assert list(est.predict(3, monthly)["ds"]) == list(pd.date_range("2010-01-01", periods=3, freq="MS"))


@pytest.mark.slow
def test_rolled_horizon_intervals_widen_and_cover():
    """A 1-step model of a random walk, rolled 10 steps ahead: the 80% intervals grow like the
    walk's spread (about sqrt(k)) and cover about 80% of the actual values."""
    rng = np.random.default_rng(0)
    n = 1500
    y = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    cfg = ForecastRunConfig()
    cfg.model.hidden, cfg.model.layers = 8, 1
    cfg.train.max_epochs, cfg.train.threads, cfg.train.lr = 6, 1, 0.01
    cfg.forecast.lookback, cfg.forecast.stat_models, cfg.forecast.combine = 10, [], "none"
    cfg.data.season, cfg.data.calendar = 1, False
    est = Forecaster(cfg).fit(from_arrays(y))
    at = np.arange(1100, n - 10, 20)
    f = est.forecast(est.data.series[0], at, 10)
    truth = y[at[:, None] + np.arange(10)]
    inside = (truth >= f[..., 0]) & (truth <= f[..., -1])
    width = (f[..., -1] - f[..., 0]).mean(axis=0)
    assert width[-1] > 2 * width[0]  # a one-step interval held flat would not widen at all
    assert 0.65 <= inside[:, 1:].mean() <= 0.95
    assert np.all(np.diff(width) > 0)


def test_the_correction_share_is_chosen_on_validation_and_saved(tiny_cfg, tmp_path):
    from rnnkit.forecast.baselines import SeasonalNaive

    df = long_frame(series=2, n=200, season=12)
    tiny_cfg.forecast.horizon, tiny_cfg.data.season, tiny_cfg.forecast.lookback = 6, 12, 24
    est = Forecaster(tiny_cfg).fit(df, tmp_path / "run")
    assert est.cfg.forecast.residual == "seasonal" and est.shrink in (0.0, 0.5, 1.0)
    assert Forecaster.load(tmp_path / "run" / "best.pt").shrink == est.shrink
    s = est.data.series[0]
    est.shrink = 0.0  # no correction: the seasonal-naive forecast itself
    f = est.forecast(s, np.array([150, 162]), 6)[..., est.point_index]
    assert np.allclose(f, SeasonalNaive(12).forecast(s, np.array([150, 162]), 6)[..., 0])


def test_a_panel_is_forecast_in_one_batch_with_the_same_numbers(tiny_cfg, monkeypatch):
    """predict() on a panel runs the network once for all series, and gives each series what
    forecasting it alone gives."""
    df = long_frame(series=5, n=120, season=12)
    tiny_cfg.forecast.horizon, tiny_cfg.data.season = 6, 12
    est = Forecaster(tiny_cfg).fit(df)
    alone = [est.forecast(s, np.array([len(s)]), 6)[0] for s in est.data.series]
    calls = []
    forward = est.model.forward
    monkeypatch.setattr(est.model, "forward", lambda x, *a, **k: calls.append(len(x)) or forward(x, *a, **k))
    out = est.predict(6)
    assert calls == [5]
    together = out["lstm"].to_numpy().reshape(5, 6)
    np.testing.assert_allclose(together, [f[:, est.point_index] for f in alone], rtol=1e-5)


def test_a_short_window_rolls_past_its_lookback_up_to_its_reach(tiny_cfg):
    """lookback 4 + trained horizon 3 = 7 steps hold true history; the model still rolls on to 10
    blocks (30 steps), its later intervals from the simulated paths, and refuses beyond with the limit."""
    from rnnkit.errors import RnnkitError
    from rnnkit.forecast.rolling import ROLL_BLOCKS

    tiny_cfg.forecast.horizon, tiny_cfg.forecast.lookback, tiny_cfg.data.season = 3, 4, 1
    est = Forecaster(tiny_cfg).fit(long_frame(series=1, n=120, season=12))
    s = est.data.series[0]
    far = est.forecast(s, np.array([len(s)]), ROLL_BLOCKS * 3)[0]
    assert far.shape[0] == 30 and np.isfinite(far).all()
    np.testing.assert_allclose(far[:3], est.forecast(s, np.array([len(s)]), 3)[0])  # block 1: the model's own
    assert np.all(far[3:, -1] > far[3:, 0])  # later blocks: an interval from the paths' spread
    with pytest.raises(RnnkitError, match="reaches at most 30 steps"):
        est.forecast(s, np.array([len(s)]), 31)


def test_missing_values_in_a_dataframe_are_filled_as_in_a_csv_and_bad_arguments_are_rnnkit_errors(tiny_cfg):
    from rnnkit.errors import RnnkitError
    from rnnkit.forecast.frames import to_series

    df = long_frame(series=1, n=120, season=12)
    df["y"] = df["y"].astype(object)
    df.loc[[5, 17], "y"] = [np.nan, None]
    data = to_series(df, tiny_cfg)
    assert np.isfinite(data.series[0].y).all() and data.series[0].y[5] == df["y"][4]  # filled forward
    with pytest.raises(RnnkitError, match="duplicate column names: y"):
        to_series(pd.concat([df, df[["y"]]], axis=1), tiny_cfg)
    with pytest.raises(RnnkitError, match="got ndarray"):
        Forecaster(tiny_cfg).fit(df["y"].to_numpy())
    tiny_cfg.forecast.horizon = 3
    est = Forecaster(tiny_cfg).fit(df)
    for h in ("3", 3.5):
        with pytest.raises(RnnkitError, match="whole number of steps"):
            est.predict(h)
    with pytest.raises(RnnkitError, match="origin 500 is past its end"):
        est.forecast(est.data.series[0], np.array([500]), 3)


def test_local_times_converted_to_utc_are_forecast_with_utc_dates(tiny_cfg, tmp_path):
    from rnnkit.forecast.run import predict_table
    from rnnkit.series.io import from_dataframe

    t = pd.date_range("2024-03-25", periods=24 * 12, freq="h", tz="Europe/Berlin")  # across the change to +02:00
    df = pd.DataFrame({"unique_id": "a", "ds": t, "y": 100 + np.sin(np.arange(len(t)) / 24 * 2 * np.pi)})
    tiny_cfg.forecast.horizon = 3
    est = Forecaster(tiny_cfg).fit(df)
    out = est.predict(3)["ds"]
    assert str(out.dt.tz) == "UTC"  # not naive: a naive 22:00 reads as local time, two hours off
    assert out.iloc[0] == t[-1] + pd.Timedelta(hours=1)  # the hour after the last one, as an instant
    text = df.assign(ds=t.strftime("%Y-%m-%dT%H:%M:%S%z"))  # a CSV's offsets (+0100, +0200)
    data, report = from_dataframe(text, "ds", "y", [], "unique_id")
    assert data.utc and "converted to UTC" in report.zones
    assert predict_table(est, data, 3)["ds"].iloc[0] == t[-1] + pd.Timedelta(hours=1)
    one_offset, _ = from_dataframe(text.assign(ds=t.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S+00:00")),
                                   "ds", "y", [], "unique_id")
    assert not one_offset.utc  # one offset: wall-clock times kept, dates printed as written
