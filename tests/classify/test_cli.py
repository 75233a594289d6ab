"""`rnnkit classify train|predict|explain` end to end on tiny files, and the bad-input contract:
one line on stderr, exit code 2, no traceback."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from rnnkit.cli import main
from tests.classify.conftest import write_ts, write_ucr

TINY = ["--hidden", "8", "--max-epochs", "3", "--threads", "1", "--batch-size", "8"]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["classify", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_line_error(code: int, err: str, fragment: str) -> None:
    lines = [l for l in err.splitlines() if l.startswith("rnnkit: error:")]
    assert code == 2, err
    assert len(lines) == 1 and fragment in lines[0], err
    assert "Traceback" not in err


@pytest.mark.parametrize("kind", ["bilstm", "attention", "lstm", "gru", "rnn"])
def test_train_predict_on_series_for_every_kind(tmp_path, capsys, ucr_pair, kind):
    train, test = ucr_pair
    run = tmp_path / "run"
    code, _, err = _run(capsys, "train", "--data", train, "--test", test, "--model", kind, "--out", run, *TINY)
    assert code == 0, err
    report = json.loads((run / "report.json").read_text())
    assert report["model"] == kind and report["sizes"]["test"] == 12
    t = report["test"]
    assert set(t) >= {"accuracy", "macro_f1", "per_class", "confusion_matrix"}
    assert set(t["per_class"]) == {"-1", "1"} and sum(map(sum, t["confusion_matrix"])) == 12
    assert "accuracy" in report["validation"]
    assert (run / "confusion.png").stat().st_size > 1000
    assert (run / "attention.png").exists() == (kind == "attention")
    code, out, err = _run(capsys, "predict", "--run", run, "--data", test)
    assert code == 0, err
    rows = list(csv.DictReader(out.splitlines()))
    assert len(rows) == 12 and set(rows[0]) == {"row", "predicted", "p_-1", "p_1", "label"}
    assert abs(float(rows[0]["p_-1"]) + float(rows[0]["p_1"]) - 1) < 1e-4
    assert "accuracy" in err


def test_text_train_predict_explain(tmp_path, capsys, text_file):
    run = tmp_path / "run"
    code, _, err = _run(capsys, "train", "--data", text_file, "--out", run, "--model", "attention",
                        "--test-fraction", "0.25", *TINY)
    assert code == 0, err
    html = (run / "attention.html").read_text()
    assert "<span" in html and "rgba(" in html
    out_csv = tmp_path / "pred.csv"
    code, _, err = _run(capsys, "predict", "--run", run, "--data", text_file, "--out", out_csv)
    assert code == 0 and len(out_csv.read_text().splitlines()) == 33
    code, out, err = _run(capsys, "explain", "--run", run, "--text", "WIN a free prize, call now", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert [w["token"] for w in result["weights"]] == ["win", "a", "free", "prize", ",", "call", "now"]
    assert sum(w["weight"] for w in result["weights"]) == pytest.approx(1.0, abs=1e-5)
    assert (run / "explain.html").exists()
    code, out, _ = _run(capsys, "explain", "--run", run, "--text", "hello there")
    assert code == 0 and out.startswith("predicted ") and "'hello'" in out


def test_explain_a_series_file(tmp_path, capsys):
    train = write_ts(tmp_path / "t.ts", n=24)
    run = tmp_path / "run"
    code, _, err = _run(capsys, "train", "--data", train, "--out", run, "--test-fraction", "0.25",
                        "--model", "attention", *TINY)
    assert code == 0, err
    series = tmp_path / "one.csv"
    series.write_text("0.1,0.2\n1.0,1.1\n2.0,1.9\n2.1,2.0\n")
    out_png = tmp_path / "e.png"
    code, out, err = _run(capsys, "explain", "--run", run, "--series", series, "--out", out_png, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert len(result["weights"]) == 4 and result["predicted"] in {"a", "b", "c"}
    assert out_png.stat().st_size > 1000


def test_long_texts_are_truncated_with_a_warning(tmp_path, capsys, text_file):
    code, _, err = _run(capsys, "train", "--data", text_file, "--out", tmp_path / "run", "--max-len", "4",
                        "--test-fraction", "0.25", *TINY)
    assert code == 0 and "were truncated to their first 4 tokens" in err


def test_test_class_never_seen_in_training_is_reported(tmp_path, capsys, ucr_pair):
    train, _ = ucr_pair
    test = write_ucr(tmp_path / "odd_TEST.tsv", n=9, labels=("-1", "1", "7"))
    run = tmp_path / "run"
    code, _, err = _run(capsys, "train", "--data", train, "--test", test, "--out", run, *TINY)
    assert code == 0, err
    assert "never seen in training: '7' (3 rows)" in err
    report = json.loads((run / "report.json").read_text())
    assert report["unseen_test_classes"] == {"7": 3}
    assert report["test"]["per_class"]["7"]["recall"] == 0.0 and len(report["test"]["confusion_matrix"]) == 3
    assert report["test"]["accuracy"] <= 6 / 9


def test_explain_needs_an_attention_model(tmp_path, capsys, ucr_pair):
    run = tmp_path / "run"
    assert _run(capsys, "train", "--data", ucr_pair[0], "--out", run, "--model", "gru", *TINY)[0] == 0
    series = tmp_path / "s.txt"
    series.write_text("1 2 3 4\n")
    code, _, err = _run(capsys, "explain", "--run", run, "--series", series)
    _assert_one_line_error(code, err, "has no attention weights")


def _bad_inputs(tmp_path):
    """(name, file body, extra flags, expected fragment of the one-line error)."""
    return [
        ("single.csv", "label,v1,v2\na,1,2\na,2,3\na,3,4\n", [], "single class"),
        ("nolabel.csv", "kind,v1,v2\na,1,2\nb,2,3\n", [], "no label column"),
        ("ragged.tsv", "1\t0.1\t0.2\t0.3\n2\t0.1\t0.2\n", [], "ragged row"),
        ("bad.ts", "@problemName X\n@univariate maybe\n@oops\n@data\n1,2:a\n", [], "malformed .ts header"),
        ("nonnum.tsv", "1\t0.1\t0.2\n2\t0.1\tzz\n", [], "is not a number"),
        ("inf.tsv", "1\t0.1\t0.2\n2\t0.1\tinf\n", [], "infinite value 'inf'"),
        ("huge.tsv", "1\t0.1\t0.2\n2\t0.1\t1e39\n", [], "'1e39' is beyond the float32 range"),
        ("empty.csv", "text,label\nhello,a\n  ,b\nbye,b\n", [], "empty text"),
        ("mix.tsv", "1\t0.1\t0.2\n2\t0.3\t0.4\n1\t0.1\t0.3\n2\t0.2\t0.4\n", ["--mixup", "-1"], "mixup must be >= 0"),
        ("ctx.tsv", "1\t0.1\t0.2\n2\t0.3\t0.4\n1\t0.1\t0.3\n2\t0.2\t0.4\n", ["--context", "-1"],
         "context must be >= 0"),
    ]


@pytest.mark.parametrize("case", range(10))
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, case):
    name, body, flags, fragment = _bad_inputs(tmp_path)[case]
    path = tmp_path / name
    path.write_text(body)
    code, _, err = _run(capsys, "train", "--data", path, "--out", tmp_path / "run", *flags, *TINY)
    _assert_one_line_error(code, err, fragment)


def test_bad_run_folder_and_missing_budget(tmp_path, capsys, ucr_pair, monkeypatch):
    code, _, err = _run(capsys, "predict", "--run", tmp_path / "nothing", "--data", ucr_pair[1])
    _assert_one_line_error(code, err, "no such run folder")
    # no flag or TOML key can clear the default budget (150 epochs), so a config without one is made here
    from rnnkit.classify import estimator

    real = estimator.resolve_run

    def no_budget(*args, **kwargs):
        cfg = real(*args, **kwargs)
        cfg.train.max_epochs = cfg.train.max_steps = cfg.train.max_minutes = None
        return cfg

    monkeypatch.setattr(estimator, "resolve_run", no_budget)
    code, _, err = _run(capsys, "train", "--data", ucr_pair[0], "--out", tmp_path / "run", "--hidden", "8",
                        "--threads", "1")
    _assert_one_line_error(code, err, "no training budget: set --max-steps, --max-epochs or --max-minutes")
    assert err.splitlines()[-1].startswith("rnnkit: error: no training budget") and not (tmp_path / "run").exists()


def test_real_process_exit_code_and_no_traceback(tmp_path):
    path = tmp_path / "ragged.tsv"
    path.write_text("1\t0.1\t0.2\t0.3\n2\t0.1\t0.2\n")
    proc = subprocess.run([sys.executable, "-m", "rnnkit", "classify", "train", "--data", str(path),
                           "--out", str(tmp_path / "run"), "--max-epochs", "1"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "ragged row" in proc.stderr and "Traceback" not in proc.stderr


def test_resume_continues_the_run(tmp_path, capsys, ucr_pair):
    train, test = ucr_pair
    run = tmp_path / "run"
    flags = ["--data", train, "--test", test, "--out", run, "--hidden", "8", "--threads", "1", "--batch-size", "8"]
    assert _run(capsys, "train", *flags, "--max-epochs", "1")[0] == 0
    code, _, err = _run(capsys, "train", *flags, "--max-epochs", "1")
    _assert_one_line_error(code, err, "already holds a run")
    code, _, err = _run(capsys, "train", *flags, "--max-epochs", "2", "--resume")
    assert code == 0 and "resumed" in err
    assert json.loads((run / "report.json").read_text())["training"]["epochs"] == 2.0
