"""Issue 10's bugs, end to end: invalid UTF-8, predict on unlabelled files, explain never
overwriting, report.md with baselines, and --ensemble members that load and average."""

from __future__ import annotations

import csv
import json

import numpy as np
import torch

from rnnkit.classify.inference import load_run
from rnnkit.cli import main
from rnnkit.models.classifier import EnsembleClassifier
from tests.classify.conftest import write_texts, write_ucr

TINY = ["--hidden", "8", "--max-epochs", "2", "--threads", "1", "--batch-size", "8"]


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["classify", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_invalid_utf8_is_one_line_naming_the_offset_and_encoding_flags_read_it(tmp_path, capsys):
    path = write_texts(tmp_path / "t.tsv", sep="\t")
    raw = path.read_bytes()
    offset = raw.index(b"lunch")
    path.write_bytes(raw.replace(b"lunch", b"\xe9lunch"))  # a latin-1 e-acute inside a UTF-8 file, 4 times
    code, _, err = _run(capsys, "train", "--data", path, "--out", tmp_path / "run", *TINY)
    lines = [line for line in err.splitlines() if line.startswith("rnnkit: error:")]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err
    assert f"byte offset {offset}" in lines[0] and "0xe9" in lines[0] and "--encoding" in lines[0]
    assert not (tmp_path / "run" / "last.pt").exists()
    code, _, err = _run(capsys, "train", "--data", path, "--out", tmp_path / "latin", "--encoding", "latin-1",
                        "--test-fraction", "0.25", *TINY)
    assert code == 0, err
    vocab = load_run(tmp_path / "latin")[1].vocab
    assert "\u00e9lunch" in vocab and "\ufffd" not in vocab  # the byte read as latin-1's e-acute
    code, _, err = _run(capsys, "train", "--data", path, "--out", tmp_path / "repl", "--errors", "replace",
                        "--test-fraction", "0.25", *TINY)
    assert code == 0, err
    vocab = load_run(tmp_path / "repl")[1].vocab
    assert "\ufffd" in vocab and "lunch" in vocab and "\u00e9lunch" not in vocab  # U+FFFD, a token of its own


def _sms_like(path, labelled: bool | None):
    """Headerless `label<TAB>text` lines (as the SMS collection); labelled None = empty label cells."""
    rows = [("spam", "WIN a FREE prize now"), ("ham", "see you at lunch"), ("spam", "cash prize, call now"),
            ("ham", "ok talk later")] * 6
    if labelled is False:
        lines = [t for _, t in rows]
    else:
        lines = [f"{y if labelled else ''}\t{t}" for y, t in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_predict_without_labels_after_training_with_label_col(tmp_path, capsys):
    train = _sms_like(tmp_path / "train.tsv", True)
    run = tmp_path / "run"
    code, _, err = _run(capsys, "train", "--data", train, "--format", "tsv", "--no-header", "--label-col", "0",
                        "--text-col", "1", "--out", run, "--test-fraction", "0.25", *TINY)
    assert code == 0, err
    bare = _sms_like(tmp_path / "bare.tsv", False)
    code, out, err = _run(capsys, "predict", "--run", run, "--data", bare)
    assert code == 0, err
    rows = list(csv.DictReader(out.splitlines()))
    assert len(rows) == 24 and "label" not in rows[0] and "accuracy" not in err
    empty = _sms_like(tmp_path / "empty.tsv", None)
    code, out, err = _run(capsys, "predict", "--run", run, "--data", empty)
    assert code == 0, err
    assert "accuracy 0.0000" not in err and "label column" in err and "empty" in err
    assert "label" not in next(csv.DictReader(out.splitlines()))


def test_predict_unlabelled_csv_when_the_label_column_is_named(tmp_path, capsys, ucr_pair):
    rows = ["label,v1,v2,v3,v4"] + [f"{'ab'[i % 2]},{i % 2},{i},{-i},{i % 3}" for i in range(16)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    run = tmp_path / "run"
    code, _, err = _run(capsys, "train", "--data", tmp_path / "t.csv", "--label-col", "label", "--out", run,
                        "--test-fraction", "0.25", *TINY)
    assert code == 0, err
    (tmp_path / "u.csv").write_text("v1,v2,v3,v4\n1,2,3,4\n0,1,1,0\n")
    code, out, err = _run(capsys, "predict", "--run", run, "--data", tmp_path / "u.csv")
    assert code == 0, err
    assert len(list(csv.DictReader(out.splitlines()))) == 2


def test_explain_does_not_overwrite_its_previous_plot(tmp_path, capsys):
    data = write_texts(tmp_path / "t.tsv", sep="\t")
    run = tmp_path / "run"
    assert _run(capsys, "train", "--data", data, "--out", run, "--model", "attention", "--test-fraction", "0.25",
                *TINY)[0] == 0
    plots = []
    for _ in range(3):
        code, out, err = _run(capsys, "explain", "--run", run, "--text", "free prize", "--json")
        assert code == 0, err
        plots.append(json.loads(out)["plot"])
    assert [p.rsplit("/", 1)[1] for p in plots] == ["explain.html", "explain-2.html", "explain-3.html"]
    given = tmp_path / "mine.html"
    given.write_text("old")
    assert _run(capsys, "explain", "--run", run, "--text", "free prize", "--out", given)[0] == 0
    assert given.read_text() != "old"  # --out is an explicit request: it is written


def test_report_md_puts_the_model_beside_the_baselines(tmp_path, capsys, ucr_pair):
    train, test = ucr_pair
    run = tmp_path / "run"
    assert _run(capsys, "train", "--data", train, "--test", test, "--out", run, *TINY)[0] == 0
    report = json.loads((run / "report.json").read_text())
    names = [b["name"] for b in report["baselines"]]
    assert names[:2] == ["majority class", "1-NN Euclidean"] and names[2].startswith("1-NN DTW")
    assert all(b["n"] == 12 for b in report["baselines"])
    md = (run / "report.md").read_text()
    assert "1-NN Euclidean" in md and "majority class" in md and "**Verdict:** the model" in md
    assert report["verdict"].split(" the best")[0] in ("beats", "ties", "does not beat")
    assert "fixed budget of 2 epochs" in report["epoch_rule"]


def test_text_report_has_the_tfidf_baseline(tmp_path, capsys):
    data = write_texts(tmp_path / "t.tsv", sep="\t")
    run = tmp_path / "run"
    assert _run(capsys, "train", "--data", data, "--out", run, "--test-fraction", "0.25", *TINY)[0] == 0
    report = json.loads((run / "report.json").read_text())
    assert [b["name"] for b in report["baselines"]] == ["majority class",
                                                        "TF-IDF word+char n-grams + logistic regression"]
    assert report["baselines"][1]["accuracy"] == 1.0  # the toy spam words separate the classes


def test_ensemble_members_load_and_average(tmp_path, capsys, ucr_pair):
    train, test = ucr_pair
    run = tmp_path / "run"
    code, _, err = _run(capsys, "train", "--data", train, "--test", test, "--out", run, "--ensemble", "3",
                        "--kernels", "16", *TINY)
    assert code == 0, err
    listing = json.loads((run / "ensemble.json").read_text())
    assert listing["members"] == [".", "members/1", "members/2"] and listing["seeds"] == [0, 1, 2]
    model, encoder, _ = load_run(run)
    assert isinstance(model, EnsembleClassifier) and len(model.members) == 3
    singles = [load_run(run / m / "best.pt")[0] for m in listing["members"]]  # each a normal run folder
    assert not torch.equal(singles[0].pooled_head.weight, singles[1].pooled_head.weight)  # different seeds
    x, lengths, _ = encoder.encode([np.asarray(v, dtype=np.float32) for v in np.random.default_rng(0).normal(
        size=(5, 20, 1))])
    with torch.no_grad():
        mean = torch.stack([torch.softmax(m(x, lengths=lengths)[0].logits, -1) for m in singles]).mean(0)
        got = torch.softmax(model(x, lengths=lengths)[0].logits, -1)
    torch.testing.assert_close(got, mean, rtol=1e-5, atol=1e-6)
    report = json.loads((run / "report.json").read_text())
    assert report["ensemble"] == 3 and "x3 (ensemble)" in (run / "report.md").read_text()
    code, out, err = _run(capsys, "predict", "--run", run, "--data", test)
    assert code == 0, err
    probs = np.array([[float(r["p_-1"]), float(r["p_1"])] for r in csv.DictReader(out.splitlines())])
    test_x, test_len, _ = encoder.encode([np.loadtxt(str(test), delimiter="\t")[i, 1:, None].astype(np.float32)
                                          for i in range(12)])
    with torch.no_grad():
        expect = torch.softmax(model(test_x, lengths=test_len)[0].logits, -1).numpy()
    np.testing.assert_allclose(probs, expect, atol=2e-6)
    from rnnkit.errors import RnnkitError
    from rnnkit.export.onnx import load_for_export

    try:
        load_for_export(run)
        raise AssertionError("export of an ensemble folder must say it takes one model")
    except RnnkitError as e:
        assert "holds an ensemble" in str(e) and "members/1/best.pt" in str(e)
    member, meta, *_ = load_for_export(run / "best.pt")  # one member, random-feature head included (#10)
    assert member.features is not None and meta["kind"] == "classify"


def test_report_names_rare_training_classes_and_unseen_test_labels(tmp_path, capsys):
    train, test = write_ucr(tmp_path / "a_TRAIN.tsv"), write_ucr(tmp_path / "a_TEST.tsv", n=12, seed=1)
    with open(train, "a") as f:
        f.write("\t".join(["7", *["0.5"] * 20]) + "\n")  # one example of a third class
    with open(test, "a") as f:
        f.write("\t".join(["9", *["0.5"] * 20]) + "\n")  # a label training never saw
    run = tmp_path / "run"
    code, _, err = _run(capsys, "train", "--data", train, "--test", test, "--out", run, *TINY)
    assert code == 0, err
    report = json.loads((run / "report.json").read_text())
    assert report["rare_classes"] == {"7": 1}
    md = (run / "report.md").read_text()
    assert "fewer than 5 training examples: 7 (1)" in md and "never seen in training (always wrong): 9 (1 rows)" in md
