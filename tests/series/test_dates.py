"""Dates in every supported form are read right, or refused with one line naming the value and the flags."""

import pandas as pd
import pytest

from rnnkit.errors import RnnkitError
from rnnkit.series.clean import CleanPolicy
from rnnkit.series.dates import parse_dates
from rnnkit.series.io import from_dataframe, read_csv


def read(*values, **kw):
    return list(parse_dates(pd.Series(list(values)), 2, "data.csv", "Date", **kw))


T = pd.Timestamp


@pytest.mark.parametrize("values,expected", [
    (("2021-03-04", "2021-03-05"), [T("2021-03-04"), T("2021-03-05")]),  # ISO
    (("2021-03-04 13:30", "2021-03-04T14:00:00"), [T("2021-03-04 13:30"), T("2021-03-04 14:00")]),
    (("13/01/2021", "01/02/2021"), [T("2021-01-13"), T("2021-02-01")]),  # day-first, proven by 13
    (("01/13/2021", "02/01/2021"), [T("2021-01-13"), T("2021-02-01")]),  # US month-first, proven by 13
    (("01.02.2021", "03.02.2021"), [T("2021-02-01"), T("2021-02-03")]),  # German dotted: day-first
    (("2021-W05", "2021 W6"), [T("2021-02-01"), T("2021-02-08")]),  # ISO weeks: their Mondays
    (("2021Q1", "2021 Q2"), [T("2021-01-01"), T("2021-04-01")]),  # quarters: their first days
    (("01/01/2021", "02/02/2021"), [T("2021-01-01"), T("2021-02-02")]),  # the same read either way
])
def test_supported_forms(values, expected):
    assert read(*values) == expected


def test_unambiguous_dates_are_read_right_whatever_their_order_in_the_file():
    # the proving value comes last: the earlier, ambiguous-looking ones still read day-first
    assert read("04/03/2021", "05/03/2021", "25/03/2021") == [T("2021-03-04"), T("2021-03-05"), T("2021-03-25")]


def test_ambiguous_dates_are_refused_naming_the_first_value_and_both_flags():
    with pytest.raises(RnnkitError) as e:
        read("2021-01-01", "04/03/2021", "05/03/2021")
    msg = str(e.value)
    assert "'04/03/2021'" in msg and "--dayfirst" in msg and "--date-format" in msg and "\n" not in msg


def test_flags_decide_ambiguous_dates_and_a_contradiction_is_an_error():
    assert read("04/03/2021", "05/03/2021", dayfirst=True) == [T("2021-03-04"), T("2021-03-05")]
    assert read("04/03/2021", "05/03/2021", dayfirst=False) == [T("2021-04-03"), T("2021-05-03")]
    assert read("04/03/2021", date_format="%m/%d/%Y") == [T("2021-04-03")]
    with pytest.raises(RnnkitError, match="day-first, but --no-dayfirst was given: '13/03/2021'"):
        read("04/03/2021", "13/03/2021", dayfirst=False)
    with pytest.raises(RnnkitError, match="mixes day-first"):
        read("13/01/2021", "01/13/2021")


def test_a_date_format_that_does_not_match_names_the_row():
    with pytest.raises(RnnkitError,
                       match=r"does not match --date-format '%d\.%m\.%Y': '2021-01-05' at row 2 \(line 3\)"):
        read("04.01.2021", "2021-01-05", date_format="%d.%m.%Y")


def test_time_zones_one_offset_keeps_wall_clock_mixed_offsets_go_to_utc():
    assert read("2021-06-01T10:00+02:00", "2021-06-01T11:00+02:00") == [T("2021-06-01 10:00"), T("2021-06-01 11:00")]
    # a daylight-saving change: local clocks jump, UTC stays regular (one hour apart)
    got = read("2021-03-28T01:00+01:00", "2021-03-28T03:00+02:00")
    assert got == [T("2021-03-28 00:00"), T("2021-03-28 01:00")]


def test_zoned_datetime_columns_one_offset_or_a_named_zone():
    fixed = pd.Series(pd.date_range("2021-06-01 10:00", periods=2, freq="h", tz="+02:00"))
    assert list(parse_dates(fixed, 2, "x", "ds")) == [T("2021-06-01 10:00"), T("2021-06-01 11:00")]
    berlin = pd.Series(pd.date_range("2021-03-28 00:00", periods=3, freq="h", tz="Europe/Berlin"))
    # 00:00 CET, 01:00 CET, then the clocks jump to 03:00 CEST: in UTC three regular hours
    utc = [T("2021-03-27 23:00"), T("2021-03-28 00:00"), T("2021-03-28 01:00")]
    assert list(parse_dates(berlin, 2, "x", "ds")) == utc


def test_integers_are_positions_not_dates():
    assert list(parse_dates(pd.Series(["3", "4", "5"]), 2, "x", "ds")) == [3, 4, 5]
    assert list(parse_dates(pd.Series(["20210131", "20210132"]), 2, "x", "ds")) == [20210131, 20210132]


def test_yyyymmdd_integers_are_dates_as_text_or_as_integers():
    expected = [T("2020-12-31"), T("2021-01-01")]
    assert read("20201231", "20210101") == expected
    assert list(parse_dates(pd.Series([20201231, 20210101]), 2, "x", "ds")) == expected


def test_yyyymm_integers_are_month_starts_and_other_integers_stay_positions():
    expected = [T("1949-12-01"), T("1950-01-01")]
    assert read("194912", "195001") == expected
    assert list(parse_dates(pd.Series([194912, 195001]), 2, "x", "ds")) == expected
    assert list(parse_dates(pd.Series(["194912", "194913"]), 2, "x", "ds")) == [194912, 194913]  # no month 13
    df = pd.DataFrame({"ds": [str(100 * y + m) for y in range(1949, 1961) for m in range(1, 13)],
                       "y": [str(100 + i % 12 + i / 10) for i in range(144)]})
    data, report = from_dataframe(df, "ds", "y", [])
    assert data.freq == "MS" and report.inserted == 0 and data.season == 12
    assert str(data.future(data.series[0], data.freq, 1)[0].date()) == "1961-01-01"


def test_integer_positions_that_would_invent_more_steps_than_they_hold_are_refused():
    df = pd.DataFrame({"ds": ["100", "150", "151", "300"], "y": ["1", "2", "3", "4"]})
    with pytest.raises(RnnkitError, match=r"positions would get 197 missing steps for 4 rows, more invented than read"):
        from_dataframe(df, "ds", "y", [])
    df = pd.DataFrame({"ds": ["194901", "194902"], "y": ["1", "2"]})
    data, _ = from_dataframe(df, "ds", "y", [], policy=CleanPolicy(date_format="%Y%m"))
    assert list(data.series[0].index) == [T("1949-01-01"), T("1949-02-01")]


def test_local_dates_across_a_daylight_saving_change_keep_their_dates():
    assert read("2020-03-28T00:00:00+01:00", "2020-03-29T00:00:00+01:00", "2020-03-30T00:00:00+02:00") == [
        T("2020-03-28"), T("2020-03-29"), T("2020-03-30")]
    berlin = pd.Series(pd.date_range("2020-03-28", periods=3, freq="D", tz="Europe/Berlin"))
    assert list(parse_dates(berlin, 2, "x", "ds")) == [T("2020-03-28"), T("2020-03-29"), T("2020-03-30")]


def test_a_month_name_date_is_not_read_as_an_offset():
    df = pd.DataFrame({"Date": [f"{d:02d}-Jul-2020" for d in range(1, 21)], "Close": [str(v) for v in range(20)]})
    data, report = from_dataframe(df, "Date", "Close", [])
    assert report.zones == "" and data.freq == "D"


def test_a_german_spreadsheet_export(tmp_path):
    path = tmp_path / "umsatz.csv"
    rows = ["Datum;Umsatz;Menge"] + [f"{d:02d}.02.2021;1.{d:03d},5;{d},25" for d in range(1, 13)]
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(RnnkitError, match=r"separator ',' leaves one column .*--sep ';'"):
        read_csv(str(path))
    data, report = from_dataframe(read_csv(str(path), sep=";"), "Datum", "Umsatz", ["Menge"],
                                  policy=CleanPolicy(decimal=","))
    s = data.series[0]
    assert s.y[0] == 1001.5 and s.y[11] == 1012.5 and s.X[0, 0] == 1.25
    assert s.index[0] == T("2021-02-01") and data.freq == "D"
    with pytest.raises(RnnkitError, match=r"non-numeric value '1\.001,5'.*--decimal ','"):
        from_dataframe(read_csv(str(path), sep=";"), "Datum", "Umsatz", [])


@pytest.mark.parametrize("cell", ["inf", "-inf", "1e300"])
def test_non_finite_or_huge_values_are_refused_with_row_and_column(cell):
    df = pd.DataFrame({"Date": [str(d.date()) for d in pd.date_range("2021-01-01", periods=5)],
                       "Close": ["1", "2", cell, "4", "5"]})
    with pytest.raises(RnnkitError,
                       match=rf"column 'Close' has a non-finite or out-of-range value '{cell}' at row 3 \(line 4\)"):
        from_dataframe(df, "Date", "Close", [])


def test_spreadsheet_rows_of_separators_only_at_the_end_are_ignored(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"Datum;Wert\r\n01.02.2021;1,5\r\n02.02.2021;2,5\r\n03.02.2021;3,5\r\n;\r\n;\r\n")
    data, report = from_dataframe(read_csv(str(path), sep=";"), "Datum", "Wert", [],
                                  policy=CleanPolicy(decimal=","))
    assert report.rows_in == 3 and list(data.series[0].y) == [1.5, 2.5, 3.5]


def test_padded_column_names_are_found_and_a_folder_is_not_a_csv(tmp_path):
    path = tmp_path / "padded.csv"
    path.write_text("Date , Close \n2021-01-04,1\n2021-01-05,2\n2021-01-06,3\n")
    assert list(read_csv(str(path)).columns) == ["Date", "Close"]
    with pytest.raises(RnnkitError, match="is a folder; give a CSV file"):
        read_csv(str(tmp_path))


@pytest.mark.parametrize("form", ["%Y-%q", "%Y-%m-%d %Q"])
def test_a_date_format_with_an_unknown_directive_is_one_line_naming_it(form):
    with pytest.raises(RnnkitError, match=rf"--date-format '{form}' is not a strftime form \(.*bad directive"):
        read("2021-01-01", "2021-01-02", date_format=form)


def test_unix_seconds_are_read_with_date_format_s_and_hinted_without_it():
    assert read("1577836800", "1577923200", date_format="%s") == [T("2020-01-01"), T("2020-01-02")]
    assert list(parse_dates(pd.Series([1577836800, 1577840400]), 2, "x", "ds", "%s")) == [
        T("2020-01-01 00:00"), T("2020-01-01 01:00")]
    with pytest.raises(RnnkitError, match=r"not unix seconds \(--date-format %s\): '2020-01-01' at row 1"):
        read("2020-01-01", date_format="%s")
    df = pd.DataFrame({"ds": [str(1577836800 + 86400 * i) for i in range(10)], "y": [str(i % 3 + 1) for i in range(10)]})
    with pytest.raises(RnnkitError, match="goes in steps of 86400 .*unix seconds\\? give --date-format %s"):
        from_dataframe(df, "ds", "y", [])
    data, _ = from_dataframe(df, "ds", "y", [], policy=CleanPolicy(date_format="%s"))
    assert data.freq == "D" and data.series[0].index[0] == T("2020-01-01")


def test_two_digit_year_first_dates_are_called_ambiguous_not_of_unknown_frequency():
    days = pd.date_range("2020-01-01", periods=60)
    df = pd.DataFrame({"ds": days.strftime("%y-%m-%d"), "y": [str(i % 7 + 1) for i in range(60)]})
    with pytest.raises(RnnkitError, match=r"has ambiguous dates: with two-digit parts such as '20-01-01' the year may "
                                          r"come first or last.*--date-format \(%y-%m-%d year first"):
        from_dataframe(df, "ds", "y", [])
    data, _ = from_dataframe(df, "ds", "y", [], policy=CleanPolicy(date_format="%y-%m-%d"))
    assert data.freq == "D" and data.series[0].index[0] == T("2020-01-01")
