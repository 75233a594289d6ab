"""The real files in ../shared/data read as documented in their SOURCE.md (skipped without them)."""

import numpy as np

from rnnkit.series.clean import CleanPolicy
from rnnkit.series.io import from_dataframe, read_csv


def test_stock_files_read_clean_with_the_9_11_gap(shared_data):
    for ticker in ("AAPL", "IBM", "SPY", "XOM"):
        data, report = from_dataframe(read_csv(str(shared_data / "stocks" / f"{ticker}.csv")), "Date", "Close",
                                      ["Volume"], policy=CleanPolicy(val=0.1, test=0.2))
        s = data.series[0]
        assert len(s) == 5244 and data.freq == "B"
        assert report.duplicates == 0 and report.unsorted == 0 and sum(report.missing.values()) == 0
        assert report.largest_gap == 4 and report.largest_gap_at == "2001-09-11"  # NYSE closed 9/11-9/14
        assert str(s.index[0].date()) == "1997-01-02" and (s.y > 0).all()


def test_aapl_crash_is_flagged_not_removed(shared_data):
    data, report = from_dataframe(read_csv(str(shared_data / "stocks" / "AAPL.csv")), "Date", "Adj Close", [])
    assert report.outliers == 9 and "2000-09-29" in report.outlier_examples  # flagged, counted
    i = int(np.flatnonzero(data.series[0].index == "2000-09-29")[0])
    assert np.log(data.series[0].y[i] / data.series[0].y[i - 1]) < -0.7  # kept as the real -52% day


def _documented(shared_data):
    rows = [r.split("|") for r in (shared_data / "seasonal" / "SOURCE.md").read_text().splitlines()
            if r.startswith("| ") and ".csv" in r]
    return [(r[1].strip(), r[2].strip().split()[0], int(r[3]), int(r[6])) for r in rows]


def test_seasonal_files_load_with_their_documented_frequency_and_season(shared_data):
    from rnnkit.series.calendar import seasons

    files = _documented(shared_data)
    assert len(files) == 19
    for name, freq, m, n_series in files:
        data, report = from_dataframe(read_csv(str(shared_data / "seasonal" / name)), "ds", "y", [],
                                      policy=CleanPolicy(val=0.1, test=0.2))
        assert len(data) == n_series, name
        assert data.freq.split("@")[0] == freq.replace("QS", "QS-JAN"), (name, data.freq)
        assert data.season == m and seasons(data.freq) == data.seasons, (name, data.seasons)
        assert report.inserted == 0 and report.unsorted == 0, name


def test_bank_calls_are_a_weekday_session_with_holidays_closed(shared_data):
    data, report = from_dataframe(read_csv(str(shared_data / "seasonal" / "bank_calls.csv")), "ds", "y", [])
    assert data.freq == "5min@07:00-21:00@Mon,Tue,Wed,Thu,Fri" and data.seasons == (169, 845)
    assert len(data.series[0]) == 27716 and report.closed == 6  # e.g. Memorial Day, 4 July, Labor Day


def test_the_season_check_shows_which_calendar_seasons_the_data_has(shared_data):
    def check(name):
        return from_dataframe(read_csv(str(shared_data / "seasonal" / name)), "ds", "y", [],
                              policy=CleanPolicy(val=0.1, test=0.2))[1]

    assert check("airpassengers.csv").season_acf > 0.5 and check("taylor.csv").season_acf > 0.5
    assert check("airpassengers.csv").season_shown and check("us_gasoline.csv").season_shown
    sunspots = check("sunspots.csv")  # an 11-year cycle, no calendar season
    assert abs(sunspots.season_acf) < 0.1 and sunspots.season_shown is False
