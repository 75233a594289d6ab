"""`rnnkit text score` reads a file as `text train` reads a corpus: --encoding and --errors."""

import json

import pytest

from rnnkit.cli import main
from tests.helpers import CORPUS, write_corpus

TINY = ["--hidden", "16", "--layers", "1", "--seq-len", "16", "--batch-size", "4", "--max-steps", "2",
        "--eval-every", "2", "--threads", "1", "--precision", "fp32"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scorerun")
    assert main(["text", "train", "--corpus", str(write_corpus(tmp)), "--out", str(tmp / "run"), *TINY]) == 0
    return tmp / "run"


def test_score_of_invalid_utf8_names_a_flag_score_has_and_that_flag_reads_it(run, tmp_path, capsys):
    path = tmp_path / "s.txt"
    path.write_bytes(CORPUS[:200].encode() + b"\xe9" + CORPUS[200:300].encode())
    capsys.readouterr()
    assert main(["text", "score", "--run", str(run), "--file", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("rnnkit: error: ") and len(err.splitlines()) == 1 and "--errors" in err
    assert main(["text", "score", "--run", str(run), "--file", str(path), "--errors", "ignore", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["chars"] == 299
