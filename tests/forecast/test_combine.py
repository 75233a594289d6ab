"""The network combined with a statistical forecast (forecast/combine.py): the share chosen on
validation, applied to every quantile alike, carried by the checkpoint and refitted on load."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from rnnkit.errors import RnnkitError
from rnnkit.forecast.combine import WEIGHTS, Combination
from rnnkit.forecast.estimator import Forecaster
from rnnkit.series.frame import Series
from tests.forecast.synth import long_frame

pytest.importorskip("statsforecast")


def _series(n: int = 240, season: int = 12, seed: int = 0) -> Series:
    t = np.arange(n)
    y = 100 + 10 * np.sin(2 * np.pi * t / season) + np.random.default_rng(seed).normal(0, 0.3, n)
    return Series("s", y, np.zeros((n, 0), dtype=np.float32), None)


def test_the_share_follows_what_validation_says():
    s, at, h = _series(), np.arange(180, 228, 6), 6
    truth = s.y[at[:, None] + np.arange(h)]
    c = Combination("ets", 12, train_ends={"s": 180})
    stat = c.statistical(s, at, h)
    good_net = np.stack([truth - 0.01, truth, truth + 0.01], axis=-1)  # a network that is right
    assert c.choose([(s, at, good_net)], h, point=1) == 1.0
    bad = stat[..., None] + 25.0  # a network far off, the statistical model close (a season of sine)
    assert np.sqrt(np.mean((stat - truth) ** 2)) < 2.0
    assert c.choose([(s, at, bad + np.array([-1.0, 0.0, 1.0]))], h, point=1) == 0.0
    assert WEIGHTS[-1] == 0.0


def test_per_series_each_series_gets_the_share_its_own_validation_supports(monkeypatch):
    from rnnkit.forecast import combine

    good, bad = _series(seed=1), _series(seed=2)
    good.id, bad.id = "good", "bad"
    at, h = np.arange(180, 228, 6), 6
    c = Combination("ets", 12, train_ends={"good": 180, "bad": 180})
    cases = []
    for s, off in ((good, 0.0), (bad, 25.0)):
        truth = s.y[at[:, None] + np.arange(h)]
        cases.append((s, at, np.stack([truth - 1, truth, truth + 1], axis=-1) + off))
    pooled = c.choose(cases, h, point=1)
    assert c.weights == {}  # the panel's one share unless asked
    assert c.choose(cases, h, point=1, per_series=True) == pooled
    assert c.weights == {"good": 1.0, "bad": 0.0}
    assert c.weight_of("never seen") == pooled and "per series" in c.describe()
    net = cases[0][2][:2]
    assert c.apply(good, at[:2], net, point=1) is net  # share 1: the network unchanged
    np.testing.assert_allclose(c.apply(bad, at[:2], net, point=1)[..., 1], c.statistical(bad, at[:2], h))
    meta = {"combine": c.state(), "series": ["good", "bad"], "splits": [[180, 228, 240]] * 2}
    assert combine.from_meta(meta, 12).weights == c.weights
    meta["combine"]["weight"] = 1.0  # a per-series share below 1 still needs statsforecast
    monkeypatch.setattr(combine, "available", lambda: False)
    with pytest.raises(RnnkitError, match=r"combines its network with a statistical forecast .*rnnkit\[stats\]"):
        combine.from_meta(meta, 12)


def test_every_quantile_moves_by_the_median_change():
    s, at = _series(), np.array([200, 212])
    c = Combination("theta", 12, weight=0.5, train_ends={"s": 180})
    net = np.zeros((2, 4, 3)) + np.array([90.0, 100.0, 110.0])
    out = c.apply(s, at, net, point=1)
    stat = c.statistical(s, at, 4)
    np.testing.assert_allclose(out[..., 1], 0.5 * 100.0 + 0.5 * stat)
    np.testing.assert_allclose(out[..., 2] - out[..., 0], 20.0)  # the interval's width is the network's
    c.weight = 1.0
    assert c.apply(s, at, net, point=1) is net


def test_the_choice_is_saved_and_a_loaded_run_forecasts_the_same(tiny_cfg, tmp_path):
    tiny_cfg.forecast.horizon, tiny_cfg.data.season, tiny_cfg.forecast.lookback = 6, 12, 24
    tiny_cfg.forecast.combine = "theta"  # the cheapest statistical fit: the mechanics, not the model
    est = Forecaster(tiny_cfg).fit(long_frame(series=2, n=200, season=12), tmp_path / "run")
    assert est.combination is not None and est.combination.weight in WEIGHTS
    assert est.meta["combine"] == {"kind": "theta", "weight": est.combination.weight, "intervals": "blend"}
    assert any("auto_theta" in d and "network share" in d for d in est.design)
    loaded = Forecaster.load(tmp_path / "run" / "best.pt")
    assert loaded.combination.state() == est.combination.state()
    for s in est.data.series:
        at = np.array([170, 182, len(s)])
        est.combination.weight = loaded.combination.weight = 0.5  # whatever was chosen: the same numbers
        np.testing.assert_allclose(loaded.forecast(s, at, 6), est.forecast(s, at, 6), rtol=1e-6)
        # the statistical part was refitted on the training part only, as in training
        assert loaded.combination.train_ends[s.id] == est.splits[0].train_end


def test_none_and_a_missing_statsforecast_leave_the_network_alone(tiny_cfg, monkeypatch):
    from rnnkit.forecast import combine

    assert combine.kind("none") is None and combine.kind("auto") == combine.AUTO
    monkeypatch.setattr(combine, "available", lambda: False)
    assert combine.kind("auto") is None and combine.kind("arima") is None
    tiny_cfg.forecast.horizon, tiny_cfg.data.season, tiny_cfg.forecast.combine = 3, 12, "auto"
    est = Forecaster(tiny_cfg).fit(long_frame(series=1, n=150, season=12))
    assert est.combination is None and est.meta["combine"] is None


def test_a_run_that_needs_its_statistical_model_refuses_to_load_without_it(monkeypatch):
    from rnnkit.forecast import combine

    meta = {"combine": {"kind": "theta", "weight": 0.5}, "series": ["s"], "splits": [[100, 120, 150]]}
    assert combine.from_meta(meta, 12).train_ends == {"s": 100}
    monkeypatch.setattr(combine, "available", lambda: False)
    with pytest.raises(RnnkitError, match="rnnkit\\[stats\\]"):
        combine.from_meta(meta, 12)
    meta["combine"]["weight"] = 1.0  # the network alone: nothing is missing
    assert combine.from_meta(meta, 12) is None


def test_the_mean_kind_averages_the_three_statistical_models():
    from rnnkit.forecast.stats import StatModel

    s, at, h = _series(), np.array([200, 212]), 6
    c = Combination("mean", 12, weight=0.0, train_ends={"s": 180})
    assert c.name == "stat_mean"
    parts = []
    for kind in ("ets", "arima", "theta"):
        m = StatModel(kind, 12)
        m.fit_series(s, 180)
        parts.append(m.forecast(s, at, h)[..., 0])
    np.testing.assert_allclose(c.statistical(s, at, h), np.mean(parts, axis=0), rtol=1e-9)
    net = np.zeros((2, h, 3))
    np.testing.assert_allclose(c.apply(s, at, net, point=1)[..., 1], np.mean(parts, axis=0), rtol=1e-9)


def test_blended_intervals_average_both_models_quantiles():
    """`blend`: each quantile is w x the network's + (1 - w) x the statistical model's own; the
    median is the same as `shift`'s, and a state without the key loads as `shift`."""
    from rnnkit.forecast.combine import from_meta

    s, at = _series(), np.array([200, 212])
    qs = [0.1, 0.5, 0.9]
    c = Combination("theta", 12, weight=0.5, train_ends={"s": 180}, intervals="blend")
    net = np.zeros((2, 4, 3)) + np.array([90.0, 100.0, 110.0])
    stat_q = c.statistical(s, at, 4, qs)
    assert stat_q.shape == (2, 4, 3) and np.all(stat_q[..., 0] < stat_q[..., 2])  # AutoTheta's own 80% interval
    out = c.apply(s, at, net, point=1, quantiles=qs)
    np.testing.assert_allclose(out, 0.5 * net + 0.5 * stat_q)
    c.intervals = "shift"
    np.testing.assert_allclose(c.apply(s, at, net, point=1, quantiles=qs)[..., 1], out[..., 1])
    assert c.state()["intervals"] == "shift"
    assert from_meta({"combine": {"kind": "theta", "weight": 0.5}}, 12).intervals == "shift"


def test_best_keeps_the_partner_validation_prefers_and_ties_keep_the_first(tiny_cfg, monkeypatch):
    from rnnkit.forecast import combine, shares

    tiny_cfg.forecast.horizon, tiny_cfg.data.season, tiny_cfg.forecast.lookback = 6, 12, 24
    tiny_cfg.forecast.combine = "none"
    est = Forecaster(tiny_cfg).fit(long_frame(series=2, n=200, season=12))
    offsets = {}

    def stat(self, series, at, horizon, quantiles=None):  # each partner: the truth, off by its offset
        truth = np.take(series.y, at[:, None] + np.arange(horizon)[None, :], mode="clip") + offsets[self.kind]
        return np.repeat(truth[..., None], len(quantiles), axis=-1) if quantiles else truth

    monkeypatch.setattr(combine.Combination, "statistical", stat)
    monkeypatch.setattr(est, "_network", lambda s, at, h: np.zeros((len(at), h, 3)) - 1e3)  # far off
    est.cfg.forecast.combine = "best"
    offsets.update(theta=5.0, ets=3.0, arima=0.5)
    shares.choose_combination(est, est.data, est.splits)
    assert est.combination.kind == "arima" and est.combination.weight == 0.0
    assert est.meta["combine"]["kind"] == "arima" and "of auto_theta, auto_ets, auto_arima" in est.design[-1]
    offsets.update(theta=1.0, ets=1.0, arima=1.0)
    shares.choose_combination(est, est.data, est.splits)
    assert est.combination.kind == "theta"  # equal scores: the first (and cheapest) partner
    est.cfg.forecast.combine = "ets"  # a named partner is the only one tried
    shares.choose_combination(est, est.data, est.splits)
    assert est.combination.kind == "ets" and "of " not in est.design[-1]
    assert combine.kinds("best") == combine.PARTNERS and combine.kinds("none") == ()


def test_predict_names_what_forecasts_each_series(tiny_cfg, tmp_path):
    from rnnkit.forecast.run import predict_table

    tiny_cfg.forecast.horizon, tiny_cfg.data.season, tiny_cfg.forecast.lookback = 6, 12, 24
    tiny_cfg.forecast.combine = "theta"
    est = Forecaster(tiny_cfg).fit(long_frame(series=2, n=200, season=12))
    est.combination.weight, est.combination.weights = 0.5, {"S1": 0.0}
    table = predict_table(est, est.data, 6)
    assert set(table.loc[table.unique_id == "S0", "model"]) == {"lstm+auto_theta"}
    assert set(table.loc[table.unique_id == "S1", "model"]) == {"auto_theta"}  # it said "lstm"
    assert est.uses_network("S0") and not est.uses_network("S1")
    est.combination.weight, est.combination.weights = 1.0, {}
    assert "model" not in predict_table(est, est.data, 6).columns  # the network alone: no column needed


def test_update_says_when_no_series_is_forecast_by_the_network(tiny_cfg, tmp_path, capsys, monkeypatch):
    from rnnkit.cli import main

    df = long_frame(series=2, n=230, season=12)
    df.groupby("unique_id").head(200).to_csv(tmp_path / "old.csv", index=False)
    df.to_csv(tmp_path / "new.csv", index=False)
    args = ["--hidden", "8", "--layers", "1", "--max-epochs", "1", "--threads", "1", "--lookback", "24",
            "--horizon", "6", "--season", "12", "--combine", "theta"]
    assert main(["forecast", "train", "--csv", str(tmp_path / "old.csv"), "--out", str(tmp_path / "run"), *args]) == 0
    shutil.copytree(tmp_path / "run", tmp_path / "copy")
    for run, network in (("run", True), ("copy", False)):  # False: as if validation gave every series share 0
        monkeypatch.setattr(Forecaster, "uses_network", lambda self, series_id: network)
        capsys.readouterr()
        assert main(["forecast", "update", "--run", str(tmp_path / run), "--csv", str(tmp_path / "new.csv"),
                     "--max-epochs", "1", "--threads", "1"]) == 0
        said = capsys.readouterr().out
        assert ("fine-tuning it cannot change these forecasts" in said) == (not network)
