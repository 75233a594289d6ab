"""Baselines and metrics against hand-computed values."""

import numpy as np
import pytest

from rnnkit.forecast import metrics as M
from rnnkit.forecast.baselines import Drift, MovingAverage, Naive, Naive2, SeasonalNaive, is_seasonal, seasonal_indices
from rnnkit.series.frame import Series


def series(y):
    y = np.asarray(y, dtype=float)
    return Series("s", y, np.zeros((len(y), 0)), None)


Y = series([1.0, 2.0, 4.0, 3.0, 5.0, 6.0, 8.0, 7.0])


def test_naive():
    f = Naive().forecast(Y, np.array([4, 6]), 2)
    np.testing.assert_array_equal(f[..., 0], [[3, 3], [6, 6]])


def test_seasonal_naive():
    f = SeasonalNaive(3).forecast(Y, np.array([6]), 5)  # history 1 2 4 3 5 6 -> last season 3 5 6
    np.testing.assert_array_equal(f[0, :, 0], [3, 5, 6, 3, 5])


def test_drift():
    f = Drift().forecast(Y, np.array([5]), 2)  # last 5, slope (5 - 1) / 4 = 1
    np.testing.assert_allclose(f[0, :, 0], [6, 7])


def test_moving_average():
    f = MovingAverage(3).forecast(Y, np.array([5]), 2)  # mean(4, 3, 5) = 4
    np.testing.assert_allclose(f[0, :, 0], [4, 4])


def test_naive2_uses_seasonal_indices_only_when_seasonal():
    t = np.arange(96)
    season = 1 + 0.5 * np.sin(2 * np.pi * np.arange(100) / 4)
    y = (10 + 0.01 * t) * season[:96]  # multiplicative seasonality
    assert is_seasonal(y, 4)
    idx = seasonal_indices(y, 4)
    assert idx.mean() == pytest.approx(1.0) and idx.max() > 1.3
    f = Naive2(4).forecast(series(y), np.array([96]), 4)[0, :, 0]
    np.testing.assert_allclose(f, y[95] / season[95] * season[96:100], rtol=1e-3)  # last adjusted level x index
    rng = np.random.default_rng(0)
    noise = 10 + rng.normal(0, 1, 200)
    assert not is_seasonal(noise, 4)
    np.testing.assert_array_equal(Naive2(4).forecast(series(noise), np.array([200]), 3)[0, :, 0], noise[-1])


def test_point_metrics_hand_computed():
    y, f = np.array([100.0, 200.0]), np.array([110.0, 180.0])
    assert M.mae(y, f) == pytest.approx(15)
    assert M.rmse(y, f) == pytest.approx(np.sqrt((100 + 400) / 2))
    assert M.mape(y, f) == pytest.approx(100 * (0.1 + 0.1) / 2)
    assert M.smape(y, f) == pytest.approx((200 * 10 / 210 + 200 * 20 / 380) / 2)


def test_mase_and_owa_worked_example():
    train = np.array([1.0, 3.0, 2.0, 4.0, 3.0, 5.0])
    assert M.mase_scale(train, 1) == pytest.approx((2 + 1 + 2 + 1 + 2) / 5)
    assert M.mase_scale(train, 2) == pytest.approx(1.0)  # |2-1| |4-3| |3-2| |5-4|
    assert M.mase(np.array([6.0, 7.0]), np.array([5.0, 5.0]), 1.0) == pytest.approx(1.5)
    # M4 sNaive on Hourly, against Naive2: 0.5 * (13.912 / 18.383 + 1.193 / 2.395) = 0.6275
    assert M.owa(13.912, 1.193, 18.383, 2.395) == pytest.approx(0.6274, abs=1e-3)
    assert M.owa(18.383, 2.395, 18.383, 2.395) == pytest.approx(1.0)


def test_direction_coverage_pinball():
    last = np.array([10.0, 10.0, 10.0, 10.0])
    y = np.array([11.0, 9.0, 12.0, 10.0])
    f = np.array([10.5, 10.5, 10.0, 10.0])
    assert M.directional_accuracy(last, y, f) == pytest.approx(2 / 4)  # up ok, down wrong, flat wrong, flat ok
    assert M.up_share(last, y) == pytest.approx(0.5)
    assert M.coverage(y, y - 1, y + 1) == 1.0
    assert M.coverage(y, y + 0.5, y + 1) == 0.0
    assert M.pinball(np.array([1.0]), np.array([0.0]), 0.9) == pytest.approx(0.9)
    assert M.pinball(np.array([0.0]), np.array([1.0]), 0.9) == pytest.approx(0.1)
