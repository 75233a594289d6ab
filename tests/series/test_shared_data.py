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
        assert report.largest_gap == 4 and report.largest_gap_at == "2001-09-17"  # NYSE closed 9/11-9/14
        assert str(s.index[0].date()) == "1997-01-02" and (s.y > 0).all()


def test_aapl_crash_is_flagged_not_removed(shared_data):
    data, report = from_dataframe(read_csv(str(shared_data / "stocks" / "AAPL.csv")), "Date", "Adj Close", [])
    assert report.outliers == 9 and "2000-09-29" in report.outlier_examples  # flagged, counted
    i = int(np.flatnonzero(data.series[0].index == "2000-09-29")[0])
    assert np.log(data.series[0].y[i] / data.series[0].y[i - 1]) < -0.7  # kept as the real -52% day
