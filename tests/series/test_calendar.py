"""Frequencies from pandas, the regular grid (missing stamps inserted and filled), future dates on
the offset's calendar, the calendar's seasons, and business-hours sessions."""

import numpy as np
import pandas as pd
import pytest

from rnnkit.errors import RnnkitError
from rnnkit.series.calendar import Session, future_index, infer_freq, ordinals, seasons
from rnnkit.series.clean import CleanPolicy
from rnnkit.series.io import from_dataframe


def table(index, drop=(), values=None):
    y = values if values is not None else 10 + np.sin(np.arange(len(index))) + np.arange(len(index)) * 0.01
    df = pd.DataFrame({"Date": [str(t) for t in index], "Close": [repr(float(v)) for v in y]})
    return df.drop(index=list(drop)).reset_index(drop=True)


FREQS = [("min", "min"), ("30min", "30min"), ("h", "h"), ("D", "D"), ("B", "B"), ("W-MON", "W-MON"),
         ("W-SUN", "W-SUN"), ("MS", "MS"), ("ME", "ME"), ("QS-JAN", "QS"), ("QS-APR", "QS"), ("QE-DEC", "QE"),
         ("QE-MAR", "QE"), ("YS-JAN", "YS"), ("YS-JUL", "YS"), ("YE-DEC", "YE"), ("2h", "2h"), ("3D", "3D")]


@pytest.mark.parametrize("alias,family", FREQS)
def test_frequency_inferred_and_regularised(alias, family):
    index = pd.date_range("2019-12-30", periods=60, freq=alias)
    data, report = from_dataframe(table(index), "Date", "Close", [])
    assert data.freq.startswith(family) and report.inserted == 0
    # rows missing: pandas alone finds no frequency; the grid still does, and the stamps come back
    gappy = table(index, drop=(5, 6, 30))
    data, report = from_dataframe(gappy, "Date", "Close", [], policy=CleanPolicy(missing="ffill"))
    s = data.series[0]
    assert data.freq.startswith(family)
    if alias == "B":  # business days: a missing weekday is a holiday, counted, not inserted
        assert len(s) == 57 and report.gaps == 3 and report.closed == 3
    else:
        assert len(s) == 60 and report.inserted == 3 and list(s.index) == list(index)
        assert s.y[5] == s.y[6] == s.y[4]  # filled by the missing-value policy (ffill)


def test_interpolate_fills_inserted_stamps():
    index = pd.date_range("2021-01-01", periods=20, freq="D")
    data, report = from_dataframe(table(index, drop=(10,), values=np.arange(20.0) + 1), "Date", "Close", [],
                                  policy=CleanPolicy(missing="interpolate"))
    assert report.inserted == 1 and data.series[0].y[10] == 11.0
    assert "1 inserted and filled" in " ".join(report.summary_lines())


def test_a_weekly_pattern_with_missing_days_is_daily_with_season_7():
    index = pd.date_range("2021-01-01", periods=120, freq="D")
    data, _ = from_dataframe(table(index, drop=range(3, 120, 9)), "Date", "Close", [])
    assert data.freq == "D" and data.seasons == (7,) and len(data.series[0]) == 120


@pytest.mark.parametrize("freq,expected", [
    ("h", (24, 168)), ("30min", (48, 336)), ("D", (7,)), ("W-MON", (52,)), ("MS", (12,)), ("ME", (12,)),
    ("QS-JAN", (4,)), ("QE-DEC", (4,)), ("YS-JAN", ()), ("B", ()), (None, ()),
    ("5min@07:00-21:00@Mon,Tue,Wed,Thu,Fri", (169, 845)),
])
def test_seasons_from_the_calendar(freq, expected):
    assert seasons(freq) == expected


@pytest.mark.parametrize("last,freq,expected", [
    ("2021-01-01", "MS", ["2021-02-01", "2021-03-01", "2021-04-01"]),  # month starts stay month starts
    ("2021-01-31", "ME", ["2021-02-28", "2021-03-31", "2021-04-30"]),
    ("2021-10-01", "QS-JAN", ["2022-01-01", "2022-04-01", "2022-07-01"]),
    ("2021-01-04", "W-MON", ["2021-01-11", "2021-01-18", "2021-01-25"]),
    ("2021-01-08", "B", ["2021-01-11", "2021-01-12", "2021-01-13"]),  # a Friday: weekends skipped
    ("2021-01-01 22:00", "h", ["2021-01-01 23:00", "2021-01-02 00:00", "2021-01-02 01:00"]),
    ("2021-01-08 20:55", "5min@07:00-21:00@Mon,Tue,Wed,Thu,Fri",
     ["2021-01-08 21:00", "2021-01-11 07:00", "2021-01-11 07:05"]),  # Friday evening -> Monday morning
])
def test_future_dates_follow_the_offset(last, freq, expected):
    assert list(future_index(pd.Timestamp(last), freq, 3, 0)) == [pd.Timestamp(t) for t in expected]
    assert list(future_index(None, None, 2, 9)) == [10, 11]


def business_hours(days=10, drop_day=None):
    open_days = pd.bdate_range("2021-03-01", periods=days)
    if drop_day is not None:
        open_days = open_days.delete(drop_day)  # a holiday
    return Session("5min", pd.Timedelta("07:00:00"), pd.Timedelta("21:00:00"), (0, 1, 2, 3, 4)).grid(open_days)


def test_business_hours_are_a_session_nights_weekends_and_holidays_closed():
    index = business_hours(drop_day=3)
    assert infer_freq(index) == "5min@07:00-21:00@Mon,Tue,Wed,Thu,Fri"
    data, report = from_dataframe(table(index, drop=(20, 21)), "Date", "Close", [])
    assert len(data.series[0]) == 9 * 169 and report.inserted == 2  # inside an open day: inserted
    assert report.closed == 1 and data.seasons == (169, 845)  # the holiday stays closed
    # the seasonal phase is the interval of the day in every series
    assert (ordinals(index, data.freq) % 169 == np.tile(np.arange(169), 9)).all()


def test_a_session_day_in_progress_ends_at_its_last_stamp_and_the_forecast_continues_it():
    index = business_hours()[:-60]  # the last day stops at 16:00, not 21:00
    data, report = from_dataframe(table(index), "Date", "Close", [])
    assert report.inserted == 0 and data.series[0].index[-1] == pd.Timestamp("2021-03-12 16:00")
    assert future_index(data.series[0].index[-1], data.freq, 1, 0)[0] == pd.Timestamp("2021-03-12 16:05")


def test_a_day_missing_from_round_the_clock_data_is_inserted_not_closed():
    index = pd.date_range("2021-03-01", periods=24 * 20, freq="h")
    data, report = from_dataframe(table(index, drop=range(24 * 5, 24 * 8)), "Date", "Close", [])
    assert data.freq == "h" and report.inserted == 72 and report.closed == 0 and len(data.series[0]) == 480


def test_calendar_positions_agree_across_a_panel():
    a = pd.date_range("2020-01-01", periods=30, freq="MS")
    b = pd.date_range("2021-01-01", periods=18, freq="MS")
    assert (ordinals(a, "MS") % 12 == a.month - 1).all() and (ordinals(b, "MS") % 12 == b.month - 1).all()


def test_a_frequency_that_cannot_be_inferred_names_the_flag():
    rng = np.random.default_rng(0)
    stamps = pd.Timestamp("2021-01-01") + pd.to_timedelta(np.sort(rng.choice(10**6, 40, replace=False)), unit="min")
    with pytest.raises(RnnkitError, match="cannot be inferred.*--freq"):
        from_dataframe(table(stamps), "Date", "Close", [])


def test_a_given_frequency_is_checked_against_the_dates():
    index = pd.date_range("2021-01-15", periods=12, freq=pd.DateOffset(months=1))  # the 15th of each month
    with pytest.raises(RnnkitError, match="2021-01-15.*not on the frequency 'MS'.*--freq"):
        from_dataframe(table(index), "Date", "Close", [], policy=CleanPolicy(freq="MS"))
    data, _ = from_dataframe(table(pd.date_range("2021-01-01", periods=3, freq="MS")), "Date", "Close", [],
                             policy=CleanPolicy(freq="MS"))  # too few rows to infer: --freq says it
    assert data.freq == "MS"


def test_a_frequency_for_positions_is_an_error():
    df = pd.DataFrame({"Date": ["1", "2", "3"], "Close": ["1.0", "2.0", "3.0"]})
    with pytest.raises(RnnkitError, match="--freq h needs dates"):
        from_dataframe(df, "Date", "Close", [], policy=CleanPolicy(freq="h"))


def _jittered(seconds: np.ndarray) -> pd.DataFrame:
    t = pd.date_range("2024-05-01", periods=len(seconds), freq="min") + pd.to_timedelta(seconds, unit="s")
    return pd.DataFrame({"date": t.strftime("%Y-%m-%d %H:%M:%S"), "y": np.arange(len(seconds), dtype=float) + 1})


def test_logger_times_a_few_seconds_off_a_named_grid_are_rounded_to_it_and_counted():
    seconds = np.random.default_rng(0).integers(-4, 5, 120)
    with pytest.raises(RnnkitError, match="cannot be inferred.*within 25% of a min grid: --freq min rounds them"):
        from_dataframe(_jittered(seconds), "date", "y", [])
    data, report = from_dataframe(_jittered(seconds), "date", "y", [], policy=CleanPolicy(freq="min"))
    s = data.series[0]
    assert s.index.equals(pd.date_range("2024-05-01", periods=120, freq="min"))
    assert report.rounded == int(np.count_nonzero(seconds)) and report.largest_rounding == "4 s"
    assert "times rounded to the min grid (largest move 4 s)" in report.summary_lines()[1]
    np.testing.assert_array_equal(s.y, np.arange(120) + 1.0)  # values stay with their (rounded) times


def test_times_further_off_the_grid_than_jitter_are_still_refused():
    seconds = np.zeros(60, dtype=int)
    seconds[10] = 25  # 25 s off a 1-minute grid: not a reading of 10:10
    with pytest.raises(RnnkitError, match="is not on the frequency 'min'"):
        from_dataframe(_jittered(seconds), "date", "y", [], policy=CleanPolicy(freq="min"))
    _, report = from_dataframe(_jittered(np.zeros(60, dtype=int)), "date", "y", [], policy=CleanPolicy(freq="min"))
    assert report.rounded == 0  # dates on the grid are left alone
