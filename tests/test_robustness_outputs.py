"""Issue 11: output paths, probed over every command that writes. A file where a folder is
wanted, a folder where a file is wanted, a read-only place and a full disk each end in one line
on stderr and exit status 2, and leave no 0-byte, partial or temporary file behind."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from rnnkit.cli import main
from tests.robust_inputs import one_line_error, train_argv, write_stock
from tests.classify.conftest import write_ucr


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One tiny trained run per task, shared by the probes (none of them changes a run)."""
    root = tmp_path_factory.mktemp("runs")
    out = {}
    for task in ("text", "forecast", "classify"):
        out[task] = root / task
        assert main(train_argv(task, root / "in", out[task])) == 0
    out["csv"] = write_stock(root / "new.csv", n=220)
    out["ucr"] = write_ucr(root / "predict.tsv", n=6, seed=5)
    out["inputs"] = root / "inputs"
    return out


def _commands(runs: dict, out: Path) -> dict[str, list[str]]:
    """Every command with a run/search folder to write, writing to `out` (inputs in runs["inputs"])."""
    tmp = runs["inputs"]
    return {
        "text train": train_argv("text", tmp / "in", out),
        "forecast train": train_argv("forecast", tmp / "in", out),
        "classify train": train_argv("classify", tmp / "in", out),
        "tune text": ["tune", "text", *train_argv("text", tmp / "in", out)[2:], "--trials", "1"],
        "forecast backtest": ["forecast", "backtest", "--run", str(runs["forecast"]), "--out", str(out)],
        "quantize": ["quantize", "--run", str(runs["text"]), "--out", str(out)],
    }


def _file_commands(runs: dict, out: Path) -> dict[str, list[str]]:
    return {
        "forecast predict": ["forecast", "predict", "--run", str(runs["forecast"]), "--csv", str(runs["csv"]),
                             "--out", str(out)],
        "classify predict": ["classify", "predict", "--run", str(runs["classify"]), "--data", str(runs["ucr"]),
                             "--out", str(out)],
        "classify explain": ["classify", "explain", "--run", str(runs["classify"]), "--series",
                             str(_series(runs["inputs"])), "--out", str(out)],
    }


def _series(tmp: Path) -> Path:
    path = tmp / "one_series.txt"
    if not path.exists():
        path.write_text("\n".join(str(v / 10) for v in range(20)) + "\n")
    return path


FOLDER_COMMANDS = ["text train", "forecast train", "classify train", "tune text", "forecast backtest", "quantize"]
FILE_COMMANDS = ["forecast predict", "classify predict", "classify explain"]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", FOLDER_COMMANDS)
def test_an_out_folder_that_is_a_file(name, runs, tmp_path, capsys):
    out = tmp_path / "taken"
    out.write_text("keep me\n")
    code = main(_commands(runs, out)[name])
    one_line_error(code, capsys.readouterr().err, str(out))
    assert out.read_text() == "keep me\n"


@pytest.mark.parametrize("name", FILE_COMMANDS)
def test_an_out_file_that_is_a_folder(name, runs, tmp_path, capsys):
    out = tmp_path / "folder"
    out.mkdir()
    code = main(_file_commands(runs, out)[name])
    one_line_error(code, capsys.readouterr().err, "is a folder")
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("name", FOLDER_COMMANDS + FILE_COMMANDS)
def test_a_read_only_place(name, runs, tmp_path, capsys, monkeypatch):
    """chmod cannot stop root (these tests often run as root), so the refusal of the OS is simulated
    for the read-only folder; as another user the folder really is read-only."""
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    real_access = os.access
    monkeypatch.setattr("rnnkit.files.os.access",
                        lambda p, mode: False if Path(p) == ro else real_access(p, mode))
    out = ro / ("out.csv" if name in FILE_COMMANDS else "run")
    argv = {**_commands(runs, out), **_file_commands(runs, out)}[name]
    try:
        code = main(argv)
    finally:
        ro.chmod(0o755)
    one_line_error(code, capsys.readouterr().err, "read-only")
    assert list(ro.iterdir()) == []


@pytest.mark.parametrize("name", ["text train", "forecast train", "classify train", "forecast predict",
                                  "classify predict", "quantize"])
def test_a_full_disk_leaves_no_partial_file(name, runs, tmp_path, capsys, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("rnnkit.files.os.fsync", full)  # every atomic write fails as on a full disk
    out = tmp_path / ("out.csv" if name in FILE_COMMANDS else "run")
    argv = {**_commands(runs, out), **_file_commands(runs, out)}[name]
    before = {task: _snapshot(runs[task]) for task in ("text", "forecast", "classify")}
    code = main(argv)
    one_line_error(code, capsys.readouterr().err, "no space left on device")
    left = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert not any(p.name.endswith(".tmp") or p.stat().st_size == 0 for p in left), left
    assert not out.is_file()
    assert {task: _snapshot(runs[task]) for task in ("text", "forecast", "classify")} == before


def test_predict_into_dev_full(runs, capsys):
    """A real full device: the write fails, nothing else happens (and /dev/full stays a device)."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    code = main(_file_commands(runs, Path("/dev/full"))["forecast predict"])
    one_line_error(code, capsys.readouterr().err, "no space left on device")
    assert Path("/dev/full").is_char_device()


def test_an_os_error_anywhere_is_one_line(tmp_path, capsys, monkeypatch):
    """The last line of defence in the CLI: any OSError (not only in rnnkit/files.py) is one line."""
    import rnnkit.cli.text as text_cli

    def broken(args):
        raise OSError(errno.EIO, "Input/output error", str(tmp_path / "x"))

    monkeypatch.setattr(text_cli, "_score", broken)
    code = main(["text", "score", "--run", "r", "--file", "f"])
    one_line_error(code, capsys.readouterr().err, "input/output error")
