"""Cleaning: every change is counted; bad cells are errors naming row and column."""

import numpy as np
import pandas as pd
import pytest

from rnnkit.errors import RnnkitError
from rnnkit.series.clean import CleanPolicy
from rnnkit.series.io import from_dataframe


def frame(values, dates=None):
    dates = dates or [d.strftime("%Y-%m-%d") for d in pd.bdate_range("2021-01-04", periods=len(values))]
    return pd.DataFrame({"Date": dates, "Close": [None if v is None else str(v) for v in values]})


def test_unsorted_dates_are_sorted_and_counted():
    df = frame([1.0, 2.0, 3.0, 4.0]).iloc[[2, 0, 3, 1]]
    data, report = from_dataframe(df, "Date", "Close", [])
    assert report.unsorted == 1
    np.testing.assert_array_equal(data.series[0].y, [1, 2, 3, 4])


def test_duplicates_keep_last_or_error():
    df = frame([1.0, 2.0, 3.0, 9.0], dates=["2021-01-04", "2021-01-05", "2021-01-06", "2021-01-06"])
    data, report = from_dataframe(df, "Date", "Close", [])
    assert report.duplicates == 1
    np.testing.assert_array_equal(data.series[0].y, [1, 2, 9])
    with pytest.raises(RnnkitError, match="duplicate dates"):
        from_dataframe(df, "Date", "Close", [], policy=CleanPolicy(duplicates="error"))


@pytest.mark.parametrize("policy,expected,dropped", [
    ("ffill", [1, 2, 2, 4, 5], 0),
    ("interpolate", [1, 2, 3, 4, 5], 0),
    ("drop", [1, 2, 4, 5], 1),
])
def test_missing_value_policies(policy, expected, dropped):
    df = frame([None, 1.0, 2.0, None, 4.0, 5.0])
    data, report = from_dataframe(df, "Date", "Close", [], policy=CleanPolicy(missing=policy))
    assert report.missing["Close"] == 1 and report.leading == 1  # the leading gap is left out before the policy
    assert report.rows_dropped == dropped
    np.testing.assert_allclose(data.series[0].y, expected)


def test_leading_rows_without_a_target_are_left_out_before_the_split():
    df = frame([None] * 150 + [float(100 + i % 7 + i / 10) for i in range(250)],
               dates=[d.strftime("%Y-%m-%d") for d in pd.date_range("2020-01-01", periods=400)])
    data, report = from_dataframe(df, "Date", "Close", [], policy=CleanPolicy(val=0.1, test=0.2))
    assert report.leading == 150 and report.missing["Close"] == 0 and report.rows_dropped == 0
    assert len(data.series[0]) == 250 and data.series[0].split == (175, 200)  # test: 50 = 20% of 250
    assert "rows before the first target value: 150 left out" in "\n".join(report.summary_lines())
    short = frame([None] * 340 + [float(i % 5 + 1) for i in range(60)],
                  dates=[d.strftime("%Y-%m-%d") for d in pd.date_range("2020-01-01", periods=400)])
    data, _ = from_dataframe(short, "Date", "Close", [], policy=CleanPolicy(val=0.1, test=0.2, min_part=1))
    assert data.series[0].split == (42, 48)


def test_outliers_flagged_or_clipped():
    rng = np.random.default_rng(0)
    y = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 200)))
    y[150] *= 3.0  # a one-day spike
    df = frame(list(y))
    data, report = from_dataframe(df, "Date", "Close", [], policy=CleanPolicy(outliers="flag"))
    assert report.outliers == 2  # up into the spike and back down
    assert data.series[0].y[150] == pytest.approx(y[150])
    data, report = from_dataframe(df, "Date", "Close", [], policy=CleanPolicy(outliers="clip"))
    assert data.series[0].y[150] < 1.2 * y[149]


def test_business_day_gaps_counted_weekends_not():
    dates = ["2021-01-04", "2021-01-05", "2021-01-06", "2021-01-07", "2021-01-08",  # Mon..Fri
             "2021-01-11", "2021-01-13"]  # Mon, then Wed: one missing business day
    data, report = from_dataframe(frame([1, 2, 3, 4, 5, 6, 7], dates), "Date", "Close", [])
    assert report.gaps == 1 and report.largest_gap == 1
    assert report.largest_gap_at == "2021-01-12"  # the first day missing, not the day after it
    assert data.freq == "B"


def _local_hours(zone: str, start: str, end: str, offsets: bool = False) -> pd.DataFrame:
    times = pd.date_range(start, end, freq="h", tz=zone)
    text = times.strftime("%Y-%m-%d %H:%M%z") if offsets else times.tz_localize(None).strftime("%Y-%m-%d %H:%M")
    return pd.DataFrame({"Date": text, "Close": [str(10.0 + (i % 24)) for i in range(len(times))]})


def test_daylight_saving_changes_in_local_clock_times_are_named():
    df = _local_hours("Europe/Berlin", "2026-03-20", "2026-11-01")  # 29 March: 02:00 missing; 25 Oct: 02:00 twice
    data, report = from_dataframe(df, "Date", "Close", [])
    assert report.clock_changes == ["2026-03-29 an hour missing", "2026-10-25 an hour repeated"]
    assert report.inserted == 1 and report.duplicates == 1
    assert report.largest_gap_at == "2026-03-29 02:00:00"
    assert any(line.startswith("daylight-saving changes, it seems: 2026-03-29") for line in report.summary_lines())
    us = _local_hours("America/New_York", "2026-03-01", "2026-03-20")  # 8 March, 02:00 missing
    assert from_dataframe(us, "Date", "Close", [])[1].clock_changes == ["2026-03-08 an hour missing"]


def test_no_clock_change_is_claimed_for_offsets_daily_data_or_a_weekday_gap():
    with_offsets = _local_hours("Europe/Berlin", "2026-03-20", "2026-04-05", offsets=True)
    assert from_dataframe(with_offsets, "Date", "Close", [])[1].clock_changes == []
    hours = _local_hours("UTC", "2026-03-02", "2026-03-20").drop(index=[30])  # a Tuesday's missing hour
    assert from_dataframe(hours, "Date", "Close", [])[1].clock_changes == []
    days = pd.DataFrame({"Date": [d.strftime("%Y-%m-%d") for d in pd.date_range("2026-03-01", periods=40)],
                         "Close": [str(float(i % 7)) for i in range(40)]}).drop(index=[7])  # a Sunday missing
    assert from_dataframe(days, "Date", "Close", [])[1].clock_changes == []


def test_non_numeric_cell_names_row_and_column():
    df = frame([1.0, 2.0, "abc", 4.0])
    with pytest.raises(RnnkitError, match=r"column 'Close' .*'abc' at row 3 \(line 4\)"):
        from_dataframe(df, "Date", "Close", [])


def test_bad_dates_all_nan_and_constant_targets_are_errors():
    with pytest.raises(RnnkitError, match="does not parse as a date"):
        from_dataframe(frame([1.0, 2.0], dates=["2021-01-04", "not a date"]), "Date", "Close", [])
    with pytest.raises(RnnkitError, match="all missing"):
        from_dataframe(frame([None, None, None]), "Date", "Close", [])
    with pytest.raises(RnnkitError, match="constant"):
        from_dataframe(frame([5.0, 5.0, 5.0, 5.0]), "Date", "Close", [])


def test_long_format_is_detected_and_split_by_series():
    df = pd.DataFrame({"unique_id": ["a", "a", "a", "b", "b", "b"], "ds": [3, 1, 2, 1, 2, 3],
                       "y": [3.0, 1.0, 2.0, 7.0, 8.0, 9.0]})
    data, report = from_dataframe(df.astype(str), "Date", "Close", [])
    assert [s.id for s in data.series] == ["a", "b"]
    np.testing.assert_array_equal(data.series[0].y, [1, 2, 3])
    assert data.series[0].index is None and data.series[0].t0 == 1
    assert report.unsorted == 1
    # naming the id column (the CLI's --id-col) keeps ds and y, under any id name
    named, _ = from_dataframe(df.astype(str), "Date", "Close", [], id_col="unique_id")
    assert [s.id for s in named.series] == ["a", "b"]
    other, _ = from_dataframe(df.rename(columns={"unique_id": "store"}).astype(str), "Date", "Close", [],
                              id_col="store")
    np.testing.assert_array_equal(other.series[1].y, [7, 8, 9])


@pytest.mark.parametrize("weekly,flagged", [(True, False), (False, True)])
def test_a_calendar_season_the_data_does_not_show_is_flagged(weekly, flagged):
    rng = np.random.default_rng(1)
    t = np.arange(400)
    y = 100 + np.cumsum(rng.normal(0, 1, len(t))) + (10 * np.sin(2 * np.pi * t / 7) if weekly else 0)
    dates = [d.strftime("%Y-%m-%d") for d in pd.date_range("2021-01-01", periods=len(t), freq="D")]
    _, report = from_dataframe(frame(list(y), dates), "Date", "Close", [])
    assert report.seasons[0] == 7
    assert report.season_shown is not flagged
    assert ("do not repeat at this lag" in " ".join(report.summary_lines())) is flagged


def test_integer_positions_with_gaps_are_regularised_and_other_steps_refused():
    df = pd.DataFrame({"t": ["0", "1", "2", "5", "6"], "y": ["1", "2", "3", "6", "7"]})
    data, report = from_dataframe(df, "t", "y", [])
    assert report.inserted == 2 and report.gaps == 2
    assert data.series[0].t0 == 0 and len(data.series[0]) == 7  # positions 0..6: the next is 7
    np.testing.assert_allclose(data.series[0].y, [1, 2, 3, 3, 3, 6, 7])
    tens = pd.DataFrame({"t": ["1000", "1010", "1020"], "y": ["1", "2", "3"]})
    with pytest.raises(RnnkitError, match="goes in steps of 10"):
        from_dataframe(tens, "t", "y", [])


def test_a_ds_y_table_is_one_series_that_keeps_its_column_names():
    df = pd.DataFrame({"ds": [f"2021-01-{d:02d}" for d in range(1, 11)], "y": [str(v) for v in range(10)]})
    data, _ = from_dataframe(df, "Date", "Close", [])
    assert len(data) == 1 and data.target == "y" and data.date_col == "ds"


def test_us_thousands_separators_are_read_when_a_value_proves_them():
    df = frame(["10,012.6", "9,990.1", "1,001"])
    np.testing.assert_allclose(from_dataframe(df, "Date", "Close", [])[0].series[0].y, [10012.6, 9990.1, 1001])
    with pytest.raises(RnnkitError, match="ambiguous: 1001 with a thousands separator or 1.001 with a decimal comma"):
        from_dataframe(frame(["1,001", "1,002", "1,003"]), "Date", "Close", [])


def test_a_currency_format_is_read_as_the_numbers_it_shows():
    df = frame(["$1,111.20", "-$5.00", None, "$ 3", "$12,345.60"])
    np.testing.assert_allclose(from_dataframe(df, "Date", "Close", [])[0].series[0].y, [1111.2, -5, -5, 3, 12345.6])
    euro = frame(["1.234,50 €", "12,00 €", "7,25 €"])
    policy = CleanPolicy(decimal=",")
    np.testing.assert_allclose(from_dataframe(euro, "Date", "Close", [], policy=policy)[0].series[0].y,
                               [1234.5, 12.0, 7.25])
    with pytest.raises(RnnkitError, match=r"non-numeric value '\$1'"):  # a symbol on some cells only: refused
        from_dataframe(frame(["$1", "2", "3"]), "Date", "Close", [])


def test_a_panel_leaves_out_constant_and_empty_series_and_says_so():
    rows = [("a", d, str(v)) for d, v in zip(range(10), np.arange(10.0))]
    rows += [("zero", d, "0") for d in range(10)] + [("empty", d, "") for d in range(10)] + [("one", 0, "5")]
    df = pd.DataFrame(rows, columns=["unique_id", "ds", "y"]).astype(str)
    data, report = from_dataframe(df, "ds", "y", [])
    assert [s.id for s in data.series] == ["a"]
    assert set(report.skipped) == {"zero", "empty", "one"} and "single value" in report.skipped["one"]
    assert "series left out, nothing to forecast: 3" in " ".join(report.summary_lines())
    with pytest.raises(RnnkitError, match="constant"):  # a panel with nothing to forecast at all
        from_dataframe(df[df.unique_id.isin(["zero", "empty"])], "ds", "y", [], id_col="unique_id")


def test_a_missing_column_error_stays_one_short_line_on_a_wide_file():
    df = pd.DataFrame([[str(i) for i in range(500)]], columns=[f"V{i}" for i in range(500)])
    with pytest.raises(RnnkitError) as e:
        from_dataframe(df, "Date", "Close", [])
    assert "V11, ... (500 in all)" in str(e.value) and "--date-col and --target" in str(e.value)
    assert len(str(e.value)) < 300


def test_a_panel_series_on_another_calendar_is_refused_not_filled():
    daily = pd.DataFrame({"unique_id": "A", "ds": pd.date_range("2020-01-01", periods=400, freq="D")})
    monthly = pd.DataFrame({"unique_id": "B", "ds": pd.date_range("2020-01-01", periods=12, freq="MS")})
    df = pd.concat([daily, monthly]).assign(y=lambda f: np.arange(len(f), dtype=float) % 7 + 1)
    with pytest.raises(RnnkitError, match=r"\(series B\): on the frequency D it would get 324 missing"):
        from_dataframe(df.astype(str), "ds", "y", [])


def test_rows_after_the_last_target_value_are_not_history():
    df = frame([1.0, 2.0, 3.0, 4.0, None, None])  # two future rows, e.g. with covariates only
    data, report = from_dataframe(df, "Date", "Close", [])
    assert report.trailing == 2 and list(data.series[0].y) == [1, 2, 3, 4]
    assert "rows after the last target value: 2 left out" in " ".join(report.summary_lines())


def _hourly_split(days=5):
    times = pd.date_range("2021-01-04", periods=24 * days, freq="h")
    return pd.DataFrame({"Date": times.strftime("%Y-%m-%d"), "Time": times.strftime("%H:%M"),
                         "Close": [str(10.0 + i % 24 + i / 100) for i in range(len(times))]})


def _panel(id_name="series", n=60):
    parts = [pd.DataFrame({id_name: f"store {k}", "ds": pd.date_range("2021-01-01", periods=n).strftime("%Y-%m-%d"),
                           "y": [str(10.0 * k + i % 7 + i / 10) for i in range(n)]}) for k in range(1, 4)]
    return pd.concat(parts, ignore_index=True)


def test_a_time_of_day_in_its_own_column_is_named_not_collapsed_to_days():
    with pytest.raises(RnnkitError, match=r"of 120 rows repeat a date .*time of day seems to be in column 'Time'"):
        from_dataframe(_hourly_split().drop(columns=[]), "Date", "Close", [])


@pytest.mark.parametrize("id_name,date_col,target", [("series", "ds", "y"), ("Store", "Day", "Sales")])
def test_a_panel_without_its_id_column_is_refused_naming_the_column(id_name, date_col, target):
    df = _panel(id_name).rename(columns={"ds": date_col, "y": target})
    with pytest.raises(RnnkitError, match=rf"120 of 180 rows repeat a date.*looks like a panel: pass --id-col {id_name} "
                                          r"\(3 series\)"):
        from_dataframe(df, date_col, target, [])
    data, report = from_dataframe(df, date_col, target, [], id_col=id_name)
    assert len(data) == 3 and report.duplicates == 0


def test_a_few_repeated_dates_and_a_file_appended_to_itself_keep_the_last_rows():
    df = frame([float(i) for i in range(1, 41)])
    few = pd.concat([df, df.iloc[[3]].assign(Close="9.5")], ignore_index=True)  # 1 of 41 rows repeats
    data, report = from_dataframe(few, "Date", "Close", [])
    assert report.duplicates == 1 and data.series[0].y[3] == 9.5
    data, report = from_dataframe(pd.concat([df, df], ignore_index=True), "Date", "Close", [])
    assert report.duplicates == 40 and len(data.series[0]) == 40
    other = pd.concat([df, df.assign(Close=[str(v + 0.5) for v in range(40)])], ignore_index=True)
    with pytest.raises(RnnkitError, match="40 of 80 rows repeat a date.* with other values; if the file holds"):
        from_dataframe(other, "Date", "Close", [])


def test_integers_with_a_thousands_comma_are_ambiguous_until_thousands_is_given():
    df = frame(["1,000", "1,078", "1,098", "1,044", "987"])
    with pytest.raises(RnnkitError, match=r"'1,000' at row 1 .*ambiguous: 1000 with a thousands separator or 1.000 "
                                          r"with a decimal comma; give --thousands ',' or --decimal ','"):
        from_dataframe(df, "Date", "Close", [])
    data, _ = from_dataframe(df, "Date", "Close", [], policy=CleanPolicy(thousands=","))
    np.testing.assert_allclose(data.series[0].y, [1000, 1078, 1098, 1044, 987])
    data, _ = from_dataframe(frame(["1.234,5", "2.000", "3,25"]), "Date", "Close", [],
                             policy=CleanPolicy(decimal=",", thousands="."))
    np.testing.assert_allclose(data.series[0].y, [1234.5, 2000, 3.25])
    data, _ = from_dataframe(frame(["1 234", "12 345.5", "7"]), "Date", "Close", [], policy=CleanPolicy(thousands=" "))
    np.testing.assert_allclose(data.series[0].y, [1234, 12345.5, 7])


def test_a_value_the_thousands_separator_does_not_group_is_an_error_not_a_number():
    with pytest.raises(RnnkitError, match=r"'1,5' at row 2 \(line 3\), which does not group thousands with "
                                          r"--thousands ','"):
        from_dataframe(frame(["1,000", "1,5", "3"]), "Date", "Close", [], policy=CleanPolicy(thousands=","))
    with pytest.raises(RnnkitError, match="--thousands must be one of"):
        from_dataframe(frame(["1", "2", "3"]), "Date", "Close", [], policy=CleanPolicy(thousands=";"))
    with pytest.raises(RnnkitError, match=r"differ from --decimal \(','\)"):
        from_dataframe(frame(["1", "2", "3"]), "Date", "Close", [], policy=CleanPolicy(decimal=",", thousands=","))


def test_business_days_missing_for_weeks_are_missing_data_not_holidays():
    days = pd.bdate_range("2021-01-04", periods=120)
    kept = days.delete(list(range(30, 34)) + list(range(60, 100)))  # a 4-day closure (9/11: 4), then 40 days
    df = frame([float(10 + i % 5 + i / 10) for i in range(len(kept))], [d.strftime("%Y-%m-%d") for d in kept])
    data, report = from_dataframe(df, "Date", "Close", [])
    assert data.freq == "B" and report.closed == 4 and report.inserted == 40 and report.gaps == 44
    assert len(data.series[0]) == 116 and data.series[0].index[56] == days[60]  # after the 4 closed days
    assert report.long_gaps == [f"{days[60].date()} (40 business days)"]
    assert "missing data, not holidays: from 2021-03-29 (40 business days)" in "\n".join(report.summary_lines())


@pytest.mark.parametrize("token", ["N/A", "NA", "#N/A", "null", "nan", "NULL", "None", " n/a "])
def test_a_dataframe_s_missing_tokens_are_missing_values_as_in_a_csv(token):
    df = frame([1.0, 2.0, 3.0, 4.0, 5.0])
    df.loc[2, "Close"] = token
    data, report = from_dataframe(df, "Date", "Close", [])
    assert report.missing["Close"] == 1
    np.testing.assert_allclose(data.series[0].y, [1, 2, 2, 4, 5])
