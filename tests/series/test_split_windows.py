"""Chronological splits, windows assigned by their targets, calendar and season detection."""

import numpy as np
import pandas as pd
import pytest

from rnnkit.errors import RnnkitError
from rnnkit.series.frame import future_index
from rnnkit.series.split import split_bounds
from rnnkit.series.windows import calendar_features, detect_season, gather, origins


def test_split_fractions_counts_and_dates():
    assert split_bounds(100, 0.1, 0.2) == (70, 80)
    assert split_bounds(100, 10, 48) == (42, 52)
    index = pd.bdate_range("2021-01-04", periods=100)
    assert split_bounds(100, 0.1, 0.2, index, val_start="2021-03-01", test_start="2021-04-01") == (40, 63)
    with pytest.raises(RnnkitError, match="no training data"):
        split_bounds(10, 0.5, 0.6)
    with pytest.raises(RnnkitError, match="of 10 steps the test part takes 6 and the validation part 6 "
                                          r"\(each at least the horizon, 6\)"):
        split_bounds(10, 0.1, 0.2, at_least=6)


def test_windows_belong_to_the_part_of_their_targets():
    lookback, horizon = 5, 3
    train = origins(0, 70, lookback, horizon)
    test = origins(80, 100, lookback, horizon)
    assert train[0] == lookback and (train + horizon <= 70).all()  # no target from a later part
    assert test[0] == 80 and test[-1] == 97  # inputs reach back into validation: true history
    assert len(origins(0, 7, lookback, horizon)) == 0
    assert (origins(80, 100, lookback, horizon, every=3) == np.arange(80, 98, 3)).all()


def test_gather():
    v = np.arange(10.0)[:, None]
    np.testing.assert_array_equal(gather(v, np.array([0, 4]), 3)[:, :, 0], [[0, 1, 2], [4, 5, 6]])


def test_season_detection():
    rng = np.random.default_rng(0)
    t = np.arange(24 * 30)
    seasonal = 10 + np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.05, len(t))
    assert detect_season([seasonal]) == 24
    walk = np.cumsum(rng.normal(0, 1, 2000))
    assert detect_season([walk]) == 1


def test_calendar_features():
    idx = pd.bdate_range("2021-01-04", periods=10)
    f = calendar_features(idx, np.arange(10), "B", 1)
    assert f.shape == (10, 4)  # day of week and month, as sin/cos
    np.testing.assert_allclose(f[0, :2], [0.0, 1.0])  # Monday
    phase = calendar_features(None, np.arange(48), None, 24)
    np.testing.assert_allclose(phase[0], phase[24])


def test_future_business_days_skip_weekends():
    when = future_index(pd.Timestamp("2021-01-08"), "B", 3, 0)  # a Friday
    assert [d.strftime("%a %d") for d in when] == ["Mon 11", "Tue 12", "Wed 13"]
    assert list(future_index(None, None, 2, 9)) == [10, 11]


def test_season_detection_sees_long_seasons_on_a_panel_with_short_series():
    rng = np.random.default_rng(1)
    long = [10 + np.sin(2 * np.pi * np.arange(n) / 52) + rng.normal(0, 0.01, n) for n in (1500, 1200)]
    short = [rng.normal(0, 1, 60) for _ in range(3)]  # too short to show lag 52 at all
    assert detect_season(long + short) == 52


def test_season_detection_prefers_the_season_to_its_multiples():
    rng = np.random.default_rng(2)
    t = np.arange(52 * 20)
    y = np.sin(2 * np.pi * t / 52) + 0.5 * np.sin(6 * np.pi * t / 52) + rng.normal(0, 0.05, len(t))
    assert detect_season([y]) == 52


def test_parts_given_as_fractions_hold_at_least_one_horizon():
    assert split_bounds(40, 0.1, 0.2, at_least=12) == (16, 28)  # 4 and 8 steps would score no forecast
    assert split_bounds(400, 0.1, 0.2, at_least=12) == (280, 320)  # long series: the fractions
    assert split_bounds(40, 5, 6, at_least=12) == (29, 34)  # step counts are what they say
    assert split_bounds(40, 0.1, 0.0, at_least=12) == (28, 40)  # no test part stays none


def test_a_fractional_step_count_and_a_split_date_after_the_data_are_refused():
    index = pd.date_range("2021-01-01", periods=50, freq="D")
    with pytest.raises(RnnkitError, match="must be whole, got 1.5"):
        split_bounds(50, 1.5, 0.2)
    with pytest.raises(RnnkitError, match="after the last date, 2021-02-19"):
        split_bounds(50, 0.1, 0.2, index, test_start="2030-01-01")


@pytest.mark.parametrize("kw,message", [
    ({"test_start": "2030-01-01"}, "--test-start 2030-01-01 is after the last date, 2021-02-19"),
    ({"test_start": "soon"}, "--test-start: 'soon' is not a date"),
    ({"test_start": "2020-06-01"}, "--test-start 2020-06-01 is on or before the first date, 2021-01-01"),
    ({"test_start": "2021-01-04"}, "--test-start 2021-01-04 leaves 3 steps before it (2021-01-01 to 2021-01-03), and "
                                   "the validation part takes 5 of them (--val 0.1)"),
    ({"val_start": "2021-02-10", "test_start": "2021-02-01"}, "--val-start 2021-02-10 is after --test-start 2021-02-01"),
    ({"val_start": "2020-12-01", "test_start": "2021-02-01"}, "--val-start 2020-12-01 is on or before the first date"),
])
def test_split_dates_that_leave_no_training_data_are_explained_in_dates_and_flags(kw, message):
    index = pd.date_range("2021-01-01", periods=50, freq="D")
    with pytest.raises(RnnkitError) as e:
        split_bounds(50, 0.1, 0.2, index, **kw)
    assert message in str(e.value) and "data." not in str(e.value) and "ends at" not in str(e.value)
