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
