"""Bad input to `rnnkit classify ...` found by a tester: each gets one line and exit 2 (nothing
written), or a one-line warning where the run can go on."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from rnnkit.cli import main
from tests.classify.conftest import write_ucr

TINY = ["--hidden", "8", "--max-epochs", "2", "--threads", "1", "--batch-size", "8"]


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["classify", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def _one_error(code: int, err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("rnnkit: error: "), err
    return lines[0]


@pytest.mark.parametrize("flag, value, message", [
    ("--ensemble", 0, "--ensemble must be >= 1"), ("--ensemble", -1, "--ensemble must be >= 1"),
    ("--patch", -1, "--patch must be >= 0 (0 = auto)"), ("--kernels", -5, "--kernels must be >= 0 (0 = off)"),
])
def test_out_of_range_counts_are_one_line_and_write_nothing(tmp_path, capsys, flag, value, message):
    data = write_ucr(tmp_path / "a_TRAIN.tsv")
    run = tmp_path / "run"
    code, _, err = _run(capsys, "train", "--data", data, "--out", run, flag, value, *TINY)
    assert message in _one_error(code, err)
    assert not run.exists()


@pytest.fixture(scope="module")
def attention_runs(tmp_path_factory):
    """A numeric and a text attention run (tiny), shared by the explain tests."""
    from tests.classify.conftest import write_texts

    root = tmp_path_factory.mktemp("explain")
    runs = {}
    for kind, data in (("series", write_ucr(root / "a_TRAIN.tsv")), ("text", write_texts(root / "t.tsv", sep="\t"))):
        runs[kind] = root / kind
        assert main(["classify", "train", "--data", str(data), "--out", str(runs[kind]), "--model", "attention",
                     "--test-fraction", "0.25", "--kernels", "0", *TINY]) == 0
    (root / "s.txt").write_text("\n".join(str(v) for v in range(20)) + "\n")
    return runs, root / "s.txt"


@pytest.mark.parametrize("kind, name, expected", [("series", "x.html", ".png"), ("series", "x", ".png"),
                                                  ("text", "my.png", ".html")])
def test_explain_checks_the_out_suffix_before_any_work(tmp_path, capsys, attention_runs, kind, name, expected):
    runs, series = attention_runs
    given = ["--series", series] if kind == "series" else ["--text", "free prize"]
    code, _, err = _run(capsys, "explain", "--run", runs[kind], *given, "--out", tmp_path / name)
    assert expected in _one_error(code, err)
    assert not (tmp_path / name).exists()


def test_explain_writes_the_image_format_its_suffix_names(tmp_path, capsys, attention_runs):
    runs, series = attention_runs
    for name, magic in (("x.svg", b"<?xml"), ("x.pdf", b"%PDF"), ("x.png", b"\x89PNG")):
        code, _, err = _run(capsys, "explain", "--run", runs["series"], "--series", series, "--out", tmp_path / name)
        assert code == 0, err
        assert (tmp_path / name).read_bytes().startswith(magic)


@pytest.fixture(scope="module")
def ucr_run(tmp_path_factory):
    """A tiny run on equal-length series (20 steps, labels -1 and 1)."""
    root = tmp_path_factory.mktemp("ucr")
    run = root / "run"
    assert main(["classify", "train", "--data", str(write_ucr(root / "a_TRAIN.tsv")), "--out", str(run),
                 "--test-fraction", "0.25", "--kernels", "8", *TINY]) == 0
    return run


def _probabilities(out: str) -> list[list[str]]:
    return [[r["p_-1"], r["p_1"]] for r in csv.DictReader(out.splitlines())]


def test_predict_reads_ucr_rows_of_the_training_length_as_unlabelled(tmp_path, capsys, ucr_run):
    labelled = write_ucr(tmp_path / "b_TEST.tsv", n=6, seed=3)
    bare = tmp_path / "bare.tsv"  # `cut -f2-` of a UCR file
    bare.write_text("".join(line.split("\t", 1)[1] + "\n" for line in labelled.read_text().splitlines()))
    _same_predictions_unlabelled(capsys, ucr_run, labelled, bare)


def test_predict_reads_headerless_csv_rows_of_the_training_length_as_unlabelled(tmp_path, capsys):
    lines = write_ucr(tmp_path / "a.tsv").read_text().replace("\t", ",").splitlines()
    (tmp_path / "train.csv").write_text("\n".join(lines) + "\n")
    run = tmp_path / "run"
    code, _, err = _run(capsys, "train", "--data", tmp_path / "train.csv", "--no-header", "--label-col", "0",
                        "--out", run, "--test-fraction", "0.25", "--kernels", "8", *TINY)
    assert code == 0, err
    (tmp_path / "labelled.csv").write_text("\n".join(lines[:6]) + "\n")
    (tmp_path / "bare.csv").write_text("".join(line.split(",", 1)[1] + "\n" for line in lines[:6]))
    _same_predictions_unlabelled(capsys, run, tmp_path / "labelled.csv", tmp_path / "bare.csv")


def _same_predictions_unlabelled(capsys, run, labelled, bare) -> None:
    code, out, err = _run(capsys, "predict", "--run", run, "--data", labelled)
    assert code == 0 and "accuracy" in err, err
    expected = _probabilities(out)
    code, out, err = _run(capsys, "predict", "--run", run, "--data", bare)
    assert code == 0, err
    assert "accuracy" not in err and "20 values" in err and "unlabelled" in err
    assert "label" not in out.splitlines()[0] and _probabilities(out) == expected  # every step read as the series


def test_predict_reads_the_labels_of_series_one_step_shorter_when_each_is_a_training_class(
        tmp_path, capsys, ucr_run):
    short = write_ucr(tmp_path / "short_TEST.tsv", n=6, length=19, seed=3)  # label + 19 values: 20 fields
    code, out, err = _run(capsys, "predict", "--run", ucr_run, "--data", short)
    assert code == 0, err
    assert "every first value is a training class: read as the label" in err and "accuracy" in err
    rows = list(csv.DictReader(out.splitlines()))
    assert [r["label"] for r in rows] == ["-1", "1"] * 3


def test_predict_of_unlabelled_series_of_another_length_warns_and_reads_them_whole(tmp_path, capsys, ucr_run):
    bare = tmp_path / "long.tsv"
    bare.write_text("".join("\t".join(f"{v:.4f}" for v in row) + "\n"
                            for row in np.random.default_rng(0).normal(size=(5, 30))))
    code, out, err = _run(capsys, "predict", "--run", ucr_run, "--data", bare)
    assert code == 0, err
    assert "read as unlabelled" in err and "accuracy" not in err and "label" not in out.splitlines()[0]
    assert "series length 30 " in err and "differs from the training length 20" in err


def test_predict_warns_of_unseen_labels_and_another_length_and_goes_on(tmp_path, capsys, ucr_run):
    other = write_ucr(tmp_path / "c_TEST.tsv", n=6, length=24, labels=("1", "2"))
    code, out, err = _run(capsys, "predict", "--run", ucr_run, "--data", other)
    assert code == 0 and "Traceback" not in err, err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2, err
    assert "3 rows" in warnings[0] and "labels never seen in training ('2')" in warnings[0]
    assert "series length 24 " in warnings[1] and "training length 20 (the model reads them as they are)" in warnings[1]
    assert len(list(csv.DictReader(out.splitlines()))) == 6 and "accuracy" in err


def test_train_with_a_test_file_of_another_length_warns_and_the_report_says_the_baselines_resample(tmp_path, capsys):
    train, test = write_ucr(tmp_path / "a_TRAIN.tsv"), write_ucr(tmp_path / "a_TEST.tsv", n=8, length=30, seed=1)
    run = tmp_path / "run"
    code, _, err = _run(capsys, "train", "--data", train, "--test", test, "--out", run, "--kernels", "8", *TINY)
    assert code == 0, err
    assert "series length 30 " in err and "differs from the training length 20" in err
    md = (run / "report.md").read_text()
    assert "training 20 steps, test 30; the 1-NN baselines resample every series to 20 steps" in md
    same = write_ucr(tmp_path / "b_TEST.tsv", n=8, seed=1)
    code, _, err = _run(capsys, "train", "--data", train, "--test", same, "--out", tmp_path / "same", "--kernels", "8",
                        *TINY)
    assert code == 0 and "differs" not in err
    assert "resample" not in (tmp_path / "same" / "report.md").read_text()


def test_a_folder_as_data_says_it_is_a_folder(tmp_path, capsys, ucr_run):
    code, _, err = _run(capsys, "train", "--data", tmp_path, "--out", tmp_path / "run", *TINY)
    assert "is a folder, not a data file" in _one_error(code, err)
    code, _, err = _run(capsys, "predict", "--run", ucr_run, "--data", tmp_path)
    assert "is a folder, not a data file" in _one_error(code, err)


def test_explain_on_a_series_with_nan_names_the_step(tmp_path, capsys, attention_runs):
    runs, _ = attention_runs
    (tmp_path / "s.txt").write_text("0.1\n0.2\nnan\n0.4\n")
    code, _, err = _run(capsys, "explain", "--run", runs["series"], "--series", tmp_path / "s.txt")
    line = _one_error(code, err)
    assert "step 3 is not a finite number (nan)" in line and "expects 1" not in line


def test_a_run_without_best_pt_says_it_uses_last_pt(tmp_path, capsys, ucr_run):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(ucr_run, run)
    (run / "best.pt").unlink()
    code, out, err = _run(capsys, "predict", "--run", run, "--data", write_ucr(tmp_path / "b.tsv", n=4))
    assert code == 0, err
    assert f"warning: {run} has no best.pt" in err and "using last.pt" in err
    assert len(list(csv.DictReader(out.splitlines()))) == 4


def test_report_md_says_when_dtw_was_skipped_as_too_costly(tmp_path, capsys, ucr_pair, monkeypatch):
    import json

    from rnnkit.classify import baselines

    monkeypatch.setattr(baselines, "DTW_MAX_CELLS", 0)
    train, test = ucr_pair
    run = tmp_path / "run"
    code, _, err = _run(capsys, "train", "--data", train, "--test", test, "--out", run, "--kernels", "8", *TINY)
    assert code == 0, err
    rows = json.loads((run / "report.json").read_text())["baselines"]
    assert rows[-1]["name"].startswith("1-NN DTW") and rows[-1]["skipped"].startswith("too costly")
    assert "| 1-NN DTW (band 10%) | skipped: too costly (" in (run / "report.md").read_text()


def test_explain_warns_of_a_series_of_another_length(tmp_path, capsys, attention_runs):
    runs, _ = attention_runs
    series = tmp_path / "s25.txt"
    series.write_text("\n".join(str(v) for v in range(25)) + "\n")
    code, _, err = _run(capsys, "explain", "--run", runs["series"], "--series", series, "--out", tmp_path / "e.png")
    assert code == 0, err
    assert "warning: series length 25 of" in err and "differs from the training length 20" in err


def test_a_class_of_one_example_each_says_why_no_validation_part_can_be_carved(tmp_path, capsys):
    data = tmp_path / "one.csv"
    data.write_text("label,v0,v1\n" + "".join(f"c{i},{i}.5,{i}.25\n" for i in range(6)))
    code, _, err = _run(capsys, "train", "--data", data, "--test", data, "--out", tmp_path / "run", *TINY)
    assert "classes of 2 or more examples, and the largest class has 1" in _one_error(code, err)
    assert not (tmp_path / "run").exists()
