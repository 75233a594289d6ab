"""The estimator: every encoder, strategies, global models, save/load, future dates, backtest origins."""

import numpy as np
import pandas as pd
import pytest

from rnnkit.forecast.backtest import backtest, backtest_origins
from rnnkit.forecast.estimator import Forecaster
from rnnkit.forecast.run import predict_table
from rnnkit.series.io import from_dataframe
from synth import long_frame, stock_frame


def stock(n=300):
    return from_dataframe(stock_frame(n), "Date", "Close", [])[0]


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "bilstm", "attention"])
def test_every_encoder_trains_forecasts_and_reloads(cell, tiny_cfg, tmp_path):
    tiny_cfg.model.cell = cell
    tiny_cfg.forecast.horizon = 2
    data = stock()
    est = Forecaster(tiny_cfg)
    est.fit_run(data, tmp_path, log=lambda _m: None)
    s = data.series[0]
    at = np.array([250, 260, 298])
    f = est.forecast(s, at, 2)
    assert f.shape == (3, 2, 3)
    assert (np.diff(f, axis=-1) >= 0).all()  # quantiles in order
    assert np.isfinite(f).all() and (f > 0).all()
    again = Forecaster.load(tmp_path).forecast(s, at, 2)
    np.testing.assert_allclose(again, f, rtol=1e-6)
    if cell == "attention":
        w = est.attention(s, at)
        assert w.shape == (3, 10) and np.allclose(w.sum(1), 1, atol=1e-5)


def test_recursive_strategy_forecasts_any_horizon(tiny_cfg, tmp_path):
    tiny_cfg.forecast.strategy = "recursive"
    tiny_cfg.forecast.horizon = 4
    data = stock()
    est = Forecaster(tiny_cfg)
    est.fit_run(data, tmp_path, log=lambda _m: None)
    assert est.model.horizon == 1
    f = est.forecast(data.series[0], np.array([280]), 6)
    assert f.shape == (1, 6, 3) and np.isfinite(f).all()
    # the first recursive step equals a direct one-step forecast
    direct = est._direct(est.pipeline.arrays([data.series[0]]), np.array([280]))[:, 0]
    np.testing.assert_allclose(f[:, 0], np.sort(direct, axis=-1))


def test_predict_gives_business_days_and_quantile_columns(tiny_cfg, tmp_path):
    tiny_cfg.forecast.horizon = 3
    data = stock()
    est = Forecaster(tiny_cfg)
    est.fit_run(data, tmp_path, log=lambda _m: None)
    out = predict_table(est, data)
    last = data.series[0].index[-1]
    assert list(out.columns) == ["date", "yhat", "q10", "q90"]
    assert list(out["date"]) == list(pd.bdate_range(last + pd.offsets.BDay(1), periods=3))
    assert (out["date"].dt.day_of_week < 5).all()
    assert (out["q10"] <= out["yhat"]).all() and (out["yhat"] <= out["q90"]).all()


def test_global_model_over_long_format(tiny_cfg, tmp_path):
    df = long_frame(series=3, n=200, season=24)
    data, _ = from_dataframe(df.astype(str), "Date", "Close", [])
    d, f = tiny_cfg.data, tiny_cfg.forecast
    d.target_transform, d.scaler, d.normalize, d.val, d.test = "level", "none", "window", 24, 24
    f.lookback, f.patch, f.horizon, f.residual = 48, 24, 24, "seasonal"
    est = Forecaster(tiny_cfg)
    est.fit_run(data, tmp_path, log=lambda _m: None)
    assert est.pipeline.season == 24  # detected
    assert est.model.encoder.rnn.input_size == 24 * 3  # a day of (value, sin, cos) per recurrent step
    out = predict_table(est, data)
    assert list(out["unique_id"].unique()) == ["S0", "S1", "S2"]
    assert list(out.loc[out.unique_id == "S0", "ds"]) == list(range(201, 225))  # the input's names are kept
    # per-window normalisation: forecasts track each series' own level
    means = out.groupby("unique_id")["yhat"].mean().to_numpy()
    assert np.all(np.abs(means - np.array([50, 60, 70])) < 5)


def test_backtest_origins_and_horizons(tiny_cfg, tmp_path):
    tiny_cfg.forecast.horizon = 5
    data = stock()
    est = Forecaster(tiny_cfg)
    _, splits = est.fit_run(data, tmp_path, log=lambda _m: None)
    at = backtest_origins(240, 300, 5, 11)
    assert list(at) == list(range(240, 296, 5))  # every H steps, each with a full horizon inside the span
    res = backtest(est, data, splits)
    assert res["one_step"].points == 60 and res["one_step"].horizon == 1
    assert res["multi_step"].points == 60 and res["multi_step"].every == 5
    assert {"lstm", "naive", "drift", "moving_average(5)"} <= set(res["multi_step"].scores)
    naive = res["one_step"].scores["naive"]
    y = data.series[0].y
    assert naive["mae"] == pytest.approx(np.mean(np.abs(y[240:] - y[239:-1])))


def test_refitting_backtest_fine_tunes(tiny_cfg, tmp_path, monkeypatch):
    from rnnkit.forecast import update

    data = stock()
    est = Forecaster(tiny_cfg)
    _, splits = est.fit_run(data, tmp_path / "run", log=lambda _m: None)
    real = update.finetune
    refits = []  # per fine-tune: the rows it was given, its target range, and the origins its model forecast

    def spy(est_, part, starts, ends, train_cfg, run_dir, log=None):
        new = real(est_, part, starts, ends, train_cfg, run_dir, log)
        seen = {"rows": len(part.series[0].y), "y": part.series[0].y.copy(), "ends": list(ends), "at": []}
        refits.append(seen)
        forecast = new.forecast

        def record(series, at, horizon):
            seen["at"].extend(int(a) for a in at)
            return forecast(series, at, horizon)
        new.forecast = record
        return new

    monkeypatch.setattr(update, "finetune", spy)
    res = backtest(est, data, splits, refit_every=30, refit_cfg=tiny_cfg.train)
    assert res["one_step"].points == 60
    assert len(refits) >= 1  # 60 origins, a refit every 30
    y = data.series[0].y
    for seen in refits:
        first = min(seen["at"])  # the origin chunk this refit forecasts, from its first origin on
        # nothing at or after the origin: neither the rows given nor the targets trained on
        assert seen["rows"] <= first and max(seen["ends"]) <= first, (seen["rows"], seen["ends"], first)
        np.testing.assert_array_equal(seen["y"], y[:seen["rows"]])  # the true history, not a shifted one
    monkeypatch.setattr(update, "finetune", real)
    base = backtest(est, data, splits)["one_step"].scores["lstm"]["mae"]
    assert res["one_step"].scores["lstm"]["mae"] != base  # the second block used a fine-tuned model


def test_dated_data_with_gaps_gets_calendar_inputs(tiny_cfg, tmp_path):
    df = stock_frame(300)
    df = df.drop(index=range(5, 300, 7)).reset_index(drop=True)  # missing days
    data = from_dataframe(df, "Date", "Close", [])[0]
    est = Forecaster(tiny_cfg)
    est.fit_run(data, tmp_path, log=lambda _m: None)
    assert est.pipeline.n_inputs == 1 + 4  # the return, day of week and month as sin/cos
    assert est.forecast(data.series[0], np.array([len(data.series[0])]), 1).shape == (1, 1, 3)


def test_refit_trains_a_fresh_network_up_to_the_validation_end_for_the_chosen_epochs(tiny_cfg, tmp_path, monkeypatch):
    import math

    from rnnkit.forecast import estimator as est_module

    seen = []  # the training origins of every network trained
    real = est_module.WindowTask.__init__

    def record(self, pipeline, arrays, train_g, *args, **kwargs):
        seen.append(np.asarray(train_g))
        real(self, pipeline, arrays, train_g, *args, **kwargs)

    monkeypatch.setattr(est_module.WindowTask, "__init__", record)
    tiny_cfg.forecast.refit, tiny_cfg.forecast.horizon = True, 2
    data = stock()
    est = Forecaster(tiny_cfg)
    result, splits = est.fit_run(data, tmp_path, log=lambda _m: None)
    sp, h = splits[0], 2
    selection, final = seen[0], seen[-1]
    assert selection.max() + h <= sp.train_end  # the selection network never trains on validation
    assert final.max() + h == sp.val_end  # the refit one trains up to the validation part's end, no further
    per_epoch = math.ceil(len(selection) / tiny_cfg.forecast.batch_size)
    assert est.refit_epochs == max(1, math.ceil(result.summary["best_step"] / per_epoch))
    assert (tmp_path / "select" / "best.pt").exists()
    s, at = data.series[0], np.array([250, 290])
    np.testing.assert_allclose(Forecaster.load(tmp_path).forecast(s, at, 2), est.forecast(s, at, 2), rtol=1e-6)


def test_a_refit_run_differs_from_its_selection_run(tiny_cfg, tmp_path):
    tiny_cfg.forecast.refit, tiny_cfg.forecast.horizon = True, 2
    data = stock()
    est = Forecaster(tiny_cfg)
    est.fit_run(data, tmp_path, log=lambda _m: None)
    s, at = data.series[0], np.array([250, 290])
    chosen = Forecaster.load(tmp_path / "select").forecast(s, at, 2)
    assert not np.allclose(est.forecast(s, at, 2), chosen)
