"""Bad input to `rnnkit classify ...` found by a tester: each gets one line and exit 2 (nothing
written), or a one-line warning where the run can go on."""

from __future__ import annotations

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
