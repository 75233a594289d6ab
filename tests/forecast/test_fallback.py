"""Series too short for the network (forecast/fallback.py): the baseline each one gets."""

from __future__ import annotations

import numpy as np

from rnnkit.forecast import fallback
from rnnkit.series.frame import Series


def _series(y: np.ndarray) -> Series:
    return Series("s", y.astype(np.float64), np.zeros((len(y), 0), dtype=np.float32), None)


def test_validation_picks_the_baseline_with_the_smallest_error():
    t = np.arange(60)
    seasonal = _series(10 + np.sin(2 * np.pi * t / 12))
    assert fallback.choose(seasonal, 36, 48, 12, 12) == "seasonal_naive(12)"
    walk = _series(np.r_[np.zeros(36), np.ones(24)] + 0.001 * t)  # one level shift, then flat
    assert fallback.choose(walk, 40, 52, 12, 6) == "naive"


def test_without_a_validation_window_the_season_before_the_first_scored_origin_decides():
    s = _series(10 + np.sin(2 * np.pi * np.arange(30) / 12))
    # 6 training rows hold no season and no validation window fits, but the 18 rows before the
    # test part do: seasonal naive can forecast the test part, so it is the choice
    assert fallback.choose(s, 6, 18, 12, 12) == "seasonal_naive(12)"
    assert fallback.choose(s, 4, 10, 12, 6) == "naive"  # not even a season before the test part
    assert fallback.choose(s, 6, 18, 1, 12) == "naive"  # no season at all


def test_a_baseline_forecast_gets_an_interval_from_the_series_own_changes_that_widens_with_the_step():
    walk = _series(100 + np.cumsum(np.random.default_rng(0).normal(0, 1, 40)))
    levels = fallback.forecast("naive", 1, walk, np.array([40]), 5, [0.1, 0.5, 0.9])[0]  # (5, 3)
    np.testing.assert_allclose(levels[:, 1], walk.y[-1])  # the point is still the baseline's
    width = levels[:, 2] - levels[:, 0]
    assert (width > 0).all() and width[-1] > width[0]
    assert (fallback.forecast("naive", 1, _series(np.array([1.0, 2.0])), np.array([2]), 3,
                              [0.1, 0.5, 0.9])[0] == 2.0).all()  # two values: nothing to estimate a spread from
