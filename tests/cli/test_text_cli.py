"""`rnnkit text ...` end to end: smoke tests and every bad input (exit 2, one line, no traceback)."""

import json
import subprocess
import sys

import pytest
import torch

from rnnkit.cli import main
from rnnkit.train import save_checkpoint
from tests.helpers import CORPUS, write_corpus

TINY = ["--hidden", "16", "--layers", "1", "--seq-len", "16", "--batch-size", "4", "--max-steps", "6",
        "--eval-every", "3", "--threads", "1", "--precision", "fp32"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("textrun")
    corpus = write_corpus(tmp)
    assert main(["text", "train", "--corpus", str(corpus), "--out", str(tmp / "run"), *TINY]) == 0
    return tmp / "run"


def _fails(capsys, argv, match):
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.startswith("rnnkit: error: ") and match in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def test_train_generate_score(run, capsys, tmp_path):
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 6
    capsys.readouterr()
    assert main(["text", "generate", "--run", str(run), "--prompt", "First", "--length", "40", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("First") and len(out) == len("First") + 40 + 1
    main(["text", "generate", "--run", str(run), "--prompt", "First", "--length", "40", "--seed", "3"])
    assert capsys.readouterr().out == out  # seeded
    scored = write_corpus(tmp_path, CORPUS[:300], "s.txt")
    assert main(["text", "score", "--run", str(run), "--file", str(scored), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["chars"] == 299
    assert scores["bits_per_char"] == pytest.approx(scores["nats_per_char"] / 0.6931471805599453)
    assert scores["perplexity"] > 1


def test_console_script_exit_code_and_help():
    done = subprocess.run([sys.executable, "-m", "rnnkit", "text", "train", "--corpus", "/nonexistent/x.txt",
                           "--out", "/tmp/never"], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == "rnnkit: error: corpus not found: /nonexistent/x.txt (not a file, nor a dataset name: tinyshakespeare, aapl)"
    assert subprocess.run([sys.executable, "-m", "rnnkit", "--help"], capture_output=True).returncode == 0


def test_bad_corpora(capsys, tmp_path):
    out = str(tmp_path / "out")
    empty = write_corpus(tmp_path, "", "empty.txt")
    _fails(capsys, ["text", "train", "--corpus", str(empty), "--out", out, *TINY], "is empty")
    short = write_corpus(tmp_path, "abc" * 4, "short.txt")
    _fails(capsys, ["text", "train", "--corpus", str(short), "--out", out, *TINY], "too short to train on")
    binary = tmp_path / "b.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    _fails(capsys, ["text", "train", "--corpus", str(binary), "--out", out, *TINY], "binary")
    latin = tmp_path / "latin.txt"
    latin.write_bytes(CORPUS.encode() + "café".encode("latin-1"))
    _fails(capsys, ["text", "train", "--corpus", str(latin), "--out", out, *TINY], f"byte offset {len(CORPUS) + 3}")
    assert not (tmp_path / "out").exists()


def test_a_small_corpus_trains_with_the_batch_it_holds(capsys, tmp_path):
    """600 characters cannot hold 4 streams of 16 (+1): the batch shrinks, the log says so, and the
    saved config records the sizes trained with (so --resume reads the same batches)."""
    small = write_corpus(tmp_path, CORPUS[:240], "small.txt")
    assert main(["text", "train", "--corpus", str(small), "--out", str(tmp_path / "run"), *TINY,
                 "--batch-size", "64"]) == 0
    err = capsys.readouterr().err
    assert "shorter than --batch-size x --seq-len = 64 x 16: training" in err
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert 1 <= config["data"]["batch_size"] < 64


def test_bad_sampling_flags(run, capsys):
    base = ["text", "generate", "--run", str(run), "--length", "5"]
    _fails(capsys, [*base, "--temperature", "0"], "--temperature must be a finite number > 0")
    _fails(capsys, [*base, "--temperature", "inf"], "--temperature must be a finite number > 0, got inf")
    _fails(capsys, [*base, "--temperature", "nan"], "--temperature must be a finite number > 0, got nan")
    _fails(capsys, [*base, "--seed", str(2**63)], "--seed must be in [0, 2**63 - 1]")
    _fails(capsys, [*base, "--seed", "-1"], "--seed must be in [0, 2**63 - 1]")
    _fails(capsys, [*base, "--batch", "0"], "--batch must be >= 1")
    _fails(capsys, [*base, "--batch", "3", "--seed", str(2**63 - 2)], "--seed must be in [0, 2**63 - 1]")
    _fails(capsys, [*base, "--top-p", "0"], "--top-p must be in (0, 1]")
    _fails(capsys, [*base, "--top-p", "1.1"], "--top-p")
    _fails(capsys, [*base, "--top-k", "0"], "--top-k must be >= 1")
    _fails(capsys, [*base, "--prompt", "Zebra#"], "never saw: 'Z', 'b', '#'")


def test_generate_batch_equals_single_seeded_samples(run, capsys):
    base = ["text", "generate", "--run", str(run), "--prompt", "Fir", "--length", "30"]
    assert main([*base, "--batch", "3", "--seed", "5"]) == 0
    samples = capsys.readouterr().out[:-1].split("\n---\n")
    assert len(samples) == 3 and all(s.startswith("Fir") and len(s) == 33 for s in samples)
    for i, sample in enumerate(samples):
        assert main([*base, "--seed", str(5 + i)]) == 0
        assert capsys.readouterr().out == sample + "\n"
    assert len(set(samples)) == 3
    assert main([*base, "--seed", "5", "--precision", "int8"]) == 0
    assert capsys.readouterr().out.startswith("Fir")


def test_generate_run_that_is_a_text_file(capsys, tmp_path):
    text = write_corpus(tmp_path, CORPUS[:100], "notes.txt")
    _fails(capsys, ["text", "generate", "--run", str(text)], "is not a checkpoint")
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "best.pt").write_text("not a checkpoint\n")
    _fails(capsys, ["text", "generate", "--run", str(folder)], "best.pt is not a checkpoint")
    _fails(capsys, ["text", "score", "--run", str(folder), "--file", str(text)], "best.pt is not a checkpoint")


def test_bad_run_folders(run, capsys, tmp_path):
    _fails(capsys, ["text", "generate", "--run", str(tmp_path)], "has no checkpoint")
    broken = tmp_path / "broken"
    broken.mkdir()
    blob = (run / "best.pt").read_bytes()
    (broken / "best.pt").write_bytes(blob[: len(blob) // 3])
    _fails(capsys, ["text", "generate", "--run", str(broken)], "truncated or corrupted")
    other = tmp_path / "other"
    save_checkpoint(other / "best.pt", {"kind": "forecast", "model": {"w": torch.ones(1)}})
    _fails(capsys, ["text", "score", "--run", str(other), "--file", str(other / "best.pt")], "holds a 'forecast' model")


def test_config_and_resume_errors(run, capsys, tmp_path):
    corpus = write_corpus(tmp_path)
    cfg = tmp_path / "c.toml"
    cfg.write_text("[model]\nhidden = 16\nwidth = 3\n")
    _fails(capsys, ["text", "train", "--corpus", str(corpus), "--out", str(tmp_path / "x"), "--config", str(cfg)],
           "unknown config key(s) model.width")
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.suffix == ".pt"}
    _fails(capsys, ["text", "train", "--corpus", str(corpus), "--out", str(run), *TINY], "already holds a run")
    args = ["text", "train", "--corpus", str(corpus), "--out", str(run), *TINY, "--resume"]
    args[args.index("--hidden") + 1] = "32"
    _fails(capsys, args, "changed architecture (hidden: 16 -> 32)")
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.suffix == ".pt"} == before  # nothing overwritten


def test_resume_extends_a_finished_run(run, capsys, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    corpus = write_corpus(tmp_path)
    args = ["text", "train", "--corpus", str(corpus), "--out", str(copy), *TINY, "--resume"]
    args[args.index("--max-steps") + 1] = "9"
    assert main(args) == 0
    assert json.loads((copy / "summary.json").read_text())["steps"] == 9
