"""Each file format on tiny fixtures, and each kind of bad input the issue lists."""

from __future__ import annotations

import numpy as np
import pytest

from rnnkit.classify.config import DataConfig
from rnnkit.classify.loaders import load
from rnnkit.errors import RnnkitError
from tests.classify.conftest import write_texts, write_ts, write_ucr


def test_ucr_tsv(tmp_path):
    data = load(write_ucr(tmp_path / "a.tsv", n=6, length=10), DataConfig())
    assert not data.is_text and len(data.inputs) == 6
    assert data.inputs[0].shape == (10, 1) and data.inputs[0].dtype == np.float32
    assert data.labels == ["-1", "1"] * 3


def test_ucr_trailing_nan_marks_a_shorter_series(tmp_path):
    path = tmp_path / "v.tsv"
    path.write_text("1\t0.5\t0.25\t1.0\n2.0\t1\t2\tNaN\n")
    data = load(path, DataConfig(format="ucr"))
    assert [len(x) for x in data.inputs] == [3, 2]
    assert data.labels == ["1", "2"]  # "2.0" and "2" are one class


@pytest.mark.parametrize("body, message", [
    ("1\t0.1\t0.2\t0.3\n2\t0.1\t0.2\n", "ragged row"),
    ("1\t0.1\tabc\t0.3\n", "not a number"),
    ("1\t0.1\tNaN\t0.3\n", "missing values"),
])
def test_ucr_bad_rows(tmp_path, body, message):
    path = tmp_path / "bad.tsv"
    path.write_text(body)
    with pytest.raises(RnnkitError, match=message):
        load(path, DataConfig(format="ucr"))


def test_ts_multivariate_variable_length(tmp_path):
    data = load(write_ts(tmp_path / "t.ts", n=6), DataConfig())
    assert data.labels == list("abcabc")
    assert all(x.shape[1] == 2 for x in data.inputs)
    assert len({len(x) for x in data.inputs}) > 1
    assert abs(float(data.inputs[2].mean()) - 2.0) < 0.3  # class c has level 2


@pytest.mark.parametrize("header, message", [
    (["@problemName X", "@classLabel true a b", "@bogus 1", "@data"], "unknown tag"),
    (["@problemName X", "@classLabel true a b"], "expected an @tag line before @data"),
    (["@problemName X", "@data"], "no @classLabel"),
    (["@dimensions two", "@classLabel true a b", "@data"], "@dimensions"),
    (["@classLabel maybe a b", "@data"], "must start with true or false"),
    (["1,2,3:a", "@data"], "expected an @tag"),
])
def test_ts_malformed_header(tmp_path, header, message):
    path = tmp_path / "bad.ts"
    path.write_text("\n".join(header + ["1,2,3:a"]) + "\n")
    with pytest.raises(RnnkitError, match=message):
        load(path, DataConfig(format="ts"))


def test_ts_without_data_line(tmp_path):
    path = tmp_path / "bad.ts"
    path.write_text("@problemName X\n@classLabel true a b\n")
    with pytest.raises(RnnkitError, match="no @data line"):
        load(path, DataConfig(format="ts"))


@pytest.mark.parametrize("line, message", [
    ("1,2,3:1,2:a", "equal length"),
    ("1,2,3:a", "1 dimensions"),
    ("1,2,3:1,2,3:z", "not in @classLabel"),
    ("1,x,3:1,2,3:a", "not a number"),
    ("1,?,3:1,2,3:a", "missing values"),
])
def test_ts_bad_cases(tmp_path, line, message):
    path = tmp_path / "bad.ts"
    path.write_text("@dimensions 2\n@classLabel true a b\n@data\n" + line + "\n")
    with pytest.raises(RnnkitError, match=message):
        load(path, DataConfig(format="ts"))


def test_csv_wide_numeric_with_variable_length(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("label,v1,v2,v3\nup,1,2,3\ndown,3,2,\n")
    data = load(path, DataConfig())
    assert data.labels == ["up", "down"]
    assert [x[:, 0].tolist() for x in data.inputs] == [[1, 2, 3], [3, 2]]


def test_a_european_spreadsheet_export_reads_with_sep_and_decimal(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text('label;v1;v2;v3\nup;1,5;"1.002,25";3\ndown;-0,5;2;\n')
    data = load(path, DataConfig(sep=";", decimal=","))
    assert data.labels == ["up", "down"]
    assert [x[:, 0].tolist() for x in data.inputs] == [[1.5, 1002.25, 3.0], [-0.5, 2.0]]
    long = tmp_path / "long.csv"
    long.write_text("sequence_id;t;f1;label\ns1;1;0,5;a\ns1;0;1,5;a\n")
    assert load(long, DataConfig(sep=";", decimal=",")).inputs[0][:, 0].tolist() == [1.5, 0.5]


@pytest.mark.parametrize("cfg,message", [
    (DataConfig(), "give --sep ';'"),  # read with commas, the fields hold semicolons
    (DataConfig(sep=";"), "give --decimal ','"),
    (DataConfig(sep=";;"), "--sep must be one character"),
    (DataConfig(sep=";", decimal="x"), "--decimal must be '.' or ','"),
])
def test_a_misread_spreadsheet_export_says_which_flag_reads_it(tmp_path, cfg, message):
    path = tmp_path / "eu.csv"
    path.write_text("label;v1;v2\nup;1,5;2,5\ndown;0,5;1,25\n")
    with pytest.raises(RnnkitError, match=message):
        load(path, cfg)


def test_csv_long_format_is_grouped_and_ordered_by_time(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("sequence_id,t,f1,f2,label\ns1,1,10,11,a\ns2,0,5,6,b\ns1,0,0,1,a\ns1,2,20,21,a\n")
    data = load(path, DataConfig())
    assert data.labels == ["a", "b"]
    assert data.inputs[0].tolist() == [[0, 1], [10, 11], [20, 21]]
    assert data.inputs[1].shape == (1, 2)


def test_long_format_two_labels_for_one_sequence(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("sequence_id,t,f1,label\ns1,0,1,a\ns1,1,2,b\n")
    with pytest.raises(RnnkitError, match="two labels"):
        load(path, DataConfig())


def test_text_csv_with_quotes(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('text,label\n"hello, world",greeting\nbye,farewell\n')
    data = load(path, DataConfig())
    assert data.is_text and data.inputs == ["hello, world", "bye"]


def test_tsv_text_without_header_keeps_quote_characters(tmp_path):
    # the SMS collection's pitfall: a '"' must not start a quoted field in TSV
    path = tmp_path / "sms"
    path.write_text('ham\tHe said "hi\nspam\tWin "big" now\tnow\nham\tok"\n')
    data = load(path, DataConfig(format="tsv", header=False, label_col="0", text_col="1"))
    assert data.inputs == ['He said "hi', 'Win "big" now\tnow', 'ok"']
    assert data.labels == ["ham", "spam", "ham"]


def test_text_auto_detects_header_columns(tmp_path):
    data = load(write_texts(tmp_path / "t.tsv", repeat=1, sep="\t"), DataConfig())
    assert data.is_text and len(data.inputs) == 8 and set(data.labels) == {"spam", "ham"}


def test_empty_text_is_an_error(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("text,label\nhello,a\n   ,b\n")
    with pytest.raises(RnnkitError, match=r"t.csv:3: empty text"):
        load(path, DataConfig())


def test_missing_label_column(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("text,kind\nhello,a\n")
    with pytest.raises(RnnkitError, match="no label column"):
        load(path, DataConfig())
    with pytest.raises(RnnkitError, match="no label column 'cls'"):
        load(path, DataConfig(label_col="cls"))
    assert load(path, DataConfig(), need_labels=False).labels is None


def test_non_numeric_value_in_wide_csv(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("label,v1,v2\na,1,oops\n")
    with pytest.raises(RnnkitError, match=r"w.csv:2, column 2: 'oops' is not a number"):
        load(path, DataConfig())


def test_missing_file(tmp_path):
    with pytest.raises(RnnkitError, match="not found"):
        load(tmp_path / "nope.tsv", DataConfig())


def test_shared_files_load(shared_data):
    gp = load(shared_data / "ucr" / "GunPoint_TRAIN.tsv", DataConfig())
    assert len(gp.inputs) == 50 and gp.inputs[0].shape == (150, 1)
    ecg = load(shared_data / "ucr" / "ECG200_TEST.tsv", DataConfig())
    assert sorted(set(ecg.labels)) == ["-1", "1"]
    jv = load(shared_data / "ucr" / "JapaneseVowels_TRAIN.ts", DataConfig())
    assert len(jv.inputs) == 270 and {x.shape[1] for x in jv.inputs} == {12}
    assert (min(len(x) for x in jv.inputs), max(len(x) for x in jv.inputs)) == (7, 26)
    sms = load(shared_data / "textcls" / "SMSSpamCollection",
               DataConfig(format="tsv", header=False, label_col="0", text_col="1"))
    assert len(sms.inputs) == 5574 and sms.labels.count("spam") == 747


def test_bare_texts_for_prediction(tmp_path):
    path = tmp_path / "bare.txt"
    path.write_text("hello there\nwin cash now\n")
    cfg = DataConfig(format="tsv", header=False, label_col="0", text_col="0")
    data = load(path, cfg, need_labels=False)
    assert data.inputs == ["hello there", "win cash now"] and data.labels is None
    with pytest.raises(RnnkitError, match="same column"):
        load(path, cfg)


def test_labels_stay_as_written_except_float_spellings_of_integers(tmp_path):
    written = ["01", "1", "001", "12345678901234567890", "1_000", "1.0000000e+00", "-1.0", "2.5", "1e999999"]
    path = tmp_path / "labels.tsv"
    path.write_text("".join(f"{label}\t0.5\t0.25\n" for label in written))
    data = load(path, DataConfig(format="ucr"))
    assert data.labels == ["01", "1", "001", "12345678901234567890", "1_000", "1", "-1", "2.5", "1e999999"]
    (tmp_path / "t.csv").write_text("label,text\n01,a b\n1,c d\n1.0,e f\n")
    assert load(tmp_path / "t.csv", DataConfig(text_col="text")).labels == ["01", "1", "1"]


def test_a_first_line_of_numbers_is_data_not_a_header(tmp_path):
    path = tmp_path / "nohdr.csv"
    path.write_text("1,0.5,0.25,1.0\n2,1,2,3\n1,0.1,0.2,0.3\n")
    said = []
    for need_labels in (True, False):  # train and predict alike
        data = load(path, DataConfig(), need_labels=need_labels, log=said.append)
        assert data.labels == ["1", "2", "1"] and data.label_column == 0  # the UCR layout: label in column 0
        assert [x[:, 0].tolist() for x in data.inputs][0] == [0.5, 0.25, 1.0]
    assert len(said) == 2 and "first line holds only numbers: read as data" in said[0]
    data = load(path, DataConfig(label_col="3"), log=said.append)  # a label column given by place
    assert data.labels == ["1", "3", "0.3"] and len(data.inputs) == 3


def test_the_header_pandas_writes_for_unnamed_columns_stays_a_header(tmp_path):
    path = tmp_path / "pandas.csv"
    path.write_text("0,1,2,label\n0.5,0.25,1.0,a\n1,2,3,b\n")
    said = []
    data = load(path, DataConfig(), log=said.append)
    assert data.labels == ["a", "b"] and not said


def test_a_row_id_column_is_named_in_a_warning_and_drop_cols_leaves_it_out(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("id,label,v0,v1\n5000,a,0.5,1\n5001,b,1.5,3\n5002,a,0.1,2\n")
    said = []
    data = load(path, DataConfig(), log=said.append)
    assert data.inputs[0][:, 0].tolist() == [5000, 0.5, 1]  # still read, but said
    assert len(said) == 1 and "column 'id' counts 5000, 5001" in said[0] and "--drop-cols id" in said[0]
    said.clear()
    data = load(path, DataConfig(drop_cols=["id"]), log=said.append)
    assert data.inputs[0][:, 0].tolist() == [0.5, 1] and data.labels == ["a", "b", "a"] and not said
    with pytest.raises(RnnkitError, match="no column 'idx' to drop"):
        load(path, DataConfig(drop_cols=["idx"]))
    assert len(load(path, DataConfig(drop_cols=["idx"]), need_labels=False).inputs) == 3  # predict: no such column


def test_drop_cols_by_place_keeps_the_other_columns_places(tmp_path):
    path = tmp_path / "nohdr.csv"
    path.write_text("7,0.5,1,a\n8,1.5,2,b\n")
    data = load(path, DataConfig(header=False, drop_cols=["0"], label_col="3"))
    assert data.labels == ["a", "b"] and data.inputs[1][:, 0].tolist() == [1.5, 2]


def test_a_second_column_named_like_a_label_is_named_in_a_warning(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("target,label,v0,v1\n0,a,0.5,1\n1,b,1.5,2\n")
    said = []
    load(path, DataConfig(), log=said.append)
    assert len(said) == 1 and "column 'target' is named like a label" in said[0] and "--drop-cols target" in said[0]


@pytest.mark.parametrize("body, cfg", [
    ("label,v0,v1,v2\na,1,2,3\nb,1,NaN,NaN\n", DataConfig()),
    ("a,1,2,3\nb,1,nan,\n", DataConfig(header=False, label_col="0")),
])
def test_trailing_nan_in_a_table_marks_a_shorter_series(tmp_path, body, cfg):
    path = tmp_path / "pad.csv"
    path.write_text(body)
    data = load(path, cfg)
    assert [len(x) for x in data.inputs] == [3, 1] and data.labels == ["a", "b"]


@pytest.mark.parametrize("row", ["b,,", "b,NaN,NaN"])
def test_a_table_row_without_values_is_refused(tmp_path, row):
    path = tmp_path / "empty.csv"
    path.write_text(f"label,v0,v1\na,1,2\n{row}\n")
    with pytest.raises(RnnkitError, match="empty.csv:3: a row without values"):
        load(path, DataConfig())


def test_nan_inside_a_table_row_is_still_refused(tmp_path):
    path = tmp_path / "gap.csv"
    path.write_text("label,v0,v1,v2\na,1,NaN,3\nb,1,2,3\n")
    with pytest.raises(RnnkitError, match="gap.csv:2: missing values inside the series"):
        load(path, DataConfig())


def test_a_short_row_with_the_label_last_names_its_field_count(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("v0,v1,v2,label\n1,2,3,a\n1,2,b\n")
    with pytest.raises(RnnkitError, match="ragged.csv:3: 3 fields where the header has 4, so no label in field 4"):
        load(path, DataConfig())


@pytest.mark.parametrize("name, body, cfg, message", [
    ("names.csv", "message,category\nHa ha ha good joke,ham\nwin a prize now,spam\n", DataConfig(label_col="category"),
     "looks like text: pass --text-col message"),
    ("t.jsonl", '{"text": "hi there", "label": "ham"}\n', DataConfig(), "JSON lines are not read; convert the file to CSV"),
    ("q.tsv", 'text\tlabel\nplain\tham\n"line one\nline two"\tspam\n', DataConfig(text_col="text"),
     "a .tsv is read without quoting"),
])
def test_text_files_read_the_wrong_way_say_how_to_read_them(tmp_path, name, body, cfg, message):
    path = tmp_path / name
    path.write_text(body)
    with pytest.raises(RnnkitError, match=message):
        load(path, cfg)
