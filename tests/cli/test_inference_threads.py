"""The inference commands honour --threads: one thread unless asked, and a bad value is a
one-line error before any run is read."""

import pytest
import torch

from rnnkit.cli import main

COMMANDS = [
    ["forecast", "predict", "--run", "RUN", "--csv", "x.csv"],
    ["forecast", "backtest", "--run", "RUN"],
    ["classify", "predict", "--run", "RUN", "--data", "x.csv"],
    ["classify", "explain", "--run", "RUN", "--text", "hello"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_threads_zero_is_a_one_line_error(argv, tmp_path, capsys):
    assert main([a.replace("RUN", str(tmp_path / "missing")) for a in argv] + ["--threads", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--threads must be >= 1" in err[0]


@pytest.mark.parametrize("threads", [None, 3])
@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_threads_are_set_before_the_run_is_read(argv, threads, tmp_path, capsys):
    before = torch.get_num_threads()
    flags = [] if threads is None else ["--threads", str(threads)]
    try:
        torch.set_num_threads(2)
        code = main([a.replace("RUN", str(tmp_path / "missing")) for a in argv] + flags)
        assert torch.get_num_threads() == (threads or 1)  # the default is 1; applied first either way
    finally:
        torch.set_num_threads(before)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("rnnkit: error:") and "missing" in err[0], err
