"""The pipeline's encode/decode is exact for every transform and normalisation, and the residual
baseline is what it says it is."""

import numpy as np
import pytest
import torch

from rnnkit.forecast.baselines import Naive, SeasonalNaive
from rnnkit.forecast.estimator import Forecaster
from rnnkit.forecast.pipeline import Pipeline
from rnnkit.series.io import from_dataframe
from synth import long_frame, stock_frame


@pytest.mark.parametrize("transform", ["level", "diff", "pct", "logret"])
@pytest.mark.parametrize("normalize", ["none", "window"])
def test_encode_decode_round_trip(transform, normalize):
    data, _ = from_dataframe(stock_frame(200), "Date", "Close", [])
    p = Pipeline(transform, "robust", normalize, True, 1, 20, 4, "none", data.freq, 0).fit(data, [140])
    a = p.arrays(data.series)
    g = np.arange(25, 190, 7)
    future = a.Y[g[:, None] + np.arange(4)[None, :]]
    np.testing.assert_allclose(p.decode(a, g, p.encode(a, g, future)), future, rtol=1e-10)
    x = p.inputs(a, g)
    assert x.shape == (len(g), 20, 1 + 4) and np.isfinite(x).all()


@pytest.mark.parametrize("residual,baseline", [("seasonal", SeasonalNaive(24)), ("naive", Naive())])
def test_a_zero_network_forecasts_its_residual_baseline(residual, baseline, tiny_cfg, tmp_path):
    data, _ = from_dataframe(long_frame(2, 150).astype(str), "Date", "Close", [])
    d, f = tiny_cfg.data, tiny_cfg.forecast
    d.target_transform, d.scaler, d.normalize, d.val, d.test, d.season = "level", "none", "window", 30, 0, 24
    f.lookback, f.horizon, f.residual = 48, 30, residual
    est = Forecaster(tiny_cfg)
    est.fit_run(data, tmp_path, log=lambda _m: None)
    with torch.no_grad():
        est.model.head.weight.zero_()
        est.model.head.bias.zero_()
    s = data.series[1]
    at = np.array([60, 100, 150])
    np.testing.assert_allclose(est.forecast(s, at, 30)[..., 1], baseline.forecast(s, at, 30)[..., 0], rtol=1e-9)


def test_volatility_normalisation_scales_with_the_window(tiny_cfg):
    df = stock_frame(300)
    data, _ = from_dataframe(df, "Date", "Close", [])
    p = Pipeline("logret", "standard", "window", False, 1, 20, 1, "none", data.freq, 0).fit(data, [210])
    a = p.arrays(data.series)
    g = np.array([100])
    vol = p.volatility(a, g)
    calm = p.encode(a, g, a.Y[g - 1][:, None] * 1.01)
    a.Z[80:100, 0] *= 3  # the window's scaled returns, three times as large
    np.testing.assert_allclose(p.volatility(a, g), 3 * vol)
    np.testing.assert_allclose(p.encode(a, g, a.Y[g - 1][:, None] * 1.01), calm / 3)  # the same move, a third as surprising
    assert p.inputs(a, g)[0, -1, 0] == pytest.approx(a.Z[99, 0] / (3 * vol[0]), rel=1e-6)


def test_forecasts_of_data_that_never_went_below_zero_stay_at_or_above_it(tiny_cfg):
    """Intermittent counts (mostly 0): the quantiles went down to -0.45; data with negative values
    keeps its negative forecasts."""
    from rnnkit.series.io import from_arrays

    rng = np.random.default_rng(0)
    counts = rng.poisson(0.3, 300).astype(float)
    tiny_cfg.forecast.horizon, tiny_cfg.forecast.loss = 3, "quantile"
    tiny_cfg.data.normalize = "none"  # levels with zeros: the scaler, no log
    est = Forecaster(tiny_cfg).fit(from_arrays(counts))
    assert est.pipeline.nonnegative
    f = est.forecast(est.data.series[0], np.arange(200, 290, 3))
    assert f.min() >= 0.0 and (f[..., 0] == 0.0).any()  # floored where the lower quantile fell below
    shifted = Forecaster(tiny_cfg).fit(from_arrays(counts - 0.5))
    assert not shifted.pipeline.nonnegative
    assert shifted.forecast(shifted.data.series[0], np.arange(200, 290, 3)).min() < 0.0


def test_state_keeps_the_floor():
    p = Pipeline("level", "standard", "none", False, 1, 10, 3, "none", None, 0)
    p.nonnegative = True
    q = Pipeline.from_state(p.state_dict())
    assert q.nonnegative and q.floor(np.array([-1.0, 2.0])).tolist() == [0.0, 2.0]
    old = {k: v for k, v in p.state_dict().items() if k != "nonnegative"}  # a run saved before the floor
    assert not Pipeline.from_state(old).nonnegative
