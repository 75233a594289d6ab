"""Rank functions for tests/distributed (spawned processes import them from here)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch


def join(rank: int, world: int, tmp_path: Path, timeout: float, name: str) -> None:
    """Join a fresh file:// process group, this rank's stderr going to <name>-rank<r>.err (the test
    shows it when a rank dies: pytest would only say "terminated with signal ...")."""
    from rnnkit.train import distributed

    err = open(tmp_path / f"{name}-rank{rank}.err", "w")
    os.dup2(err.fileno(), 2)
    torch.set_num_threads(1)
    distributed.setup(f"file://{tmp_path / (name + '-rendezvous')}", rank, world, timeout=timeout)


def text_worker(rank: int, world: int, tmp: str, timeout: float) -> None:
    """Trains the runs test_ddp.py compares, as rank `rank` of `world`, and writes what each rank saw."""
    from rnnkit.text.task import train_text
    from rnnkit.train import distributed
    from tests.helpers import tiny_text_config

    tmp_path = Path(tmp)
    join(rank, world, tmp_path, timeout, "train")
    seen: dict[str, object] = {"evals": [], "ends": {}}

    def run(name, cfg, **kw):
        try:
            result = train_text(cfg, tmp_path / name, **kw)
            seen["ends"][name] = result.stopped
        except distributed.NotMainRank:
            seen["ends"][name] = "not_main"

    try:
        corpus = tmp_path / "corpus.txt"
        # DDP equivalence: no dropout, so nothing random differs between the two layouts
        run("ddp", equivalence_config(corpus), on_eval=_record(seen, "ddp"))
        # distributed exact resume: dropout on (per-rank RNG must come back), cut by rank 0 only
        cfg = tiny_text_config(corpus, max_steps=8, eval_every=4)
        cfg.model.dropout = 0.3
        run("full", cfg)
        run("cut", cfg, on_step=lambda step, loss: rank == 0 and step == 5)
        run("cut", cfg, resume=True)
    finally:
        (tmp_path / f"rank{rank}.json").write_text(json.dumps(seen))
    distributed.barrier()  # both ranks leave together: no rank sees its peer's sockets close mid-run
    distributed.teardown()


def dying_worker(rank: int, world: int, tmp: str, timeout: float) -> None:
    """A spawn of its own for the dead-peer case, so the runs above never depend on how a process
    group torn by a dead peer winds down."""
    join(rank, world, Path(tmp), timeout, "dying")
    die_mid_run(rank, Path(tmp))


def equivalence_config(corpus: Path):
    """Dropout off: then nothing random differs between one process and two ranks."""
    from tests.helpers import tiny_text_config

    cfg = tiny_text_config(corpus, max_steps=6, eval_every=3)
    cfg.model.dropout = 0.0
    return cfg


def _record(seen, name):
    def hook(step, metrics):
        seen["evals"].append([name, step, metrics])
        return False
    return hook


def die_mid_run(rank: int, tmp_path: Path) -> None:
    """Rank 1 vanishes at step 3 (exit status 0, so the spawner keeps waiting for rank 0); rank 0
    must end with a one-line error, not wait forever. The process group is gone after."""
    from rnnkit.errors import RnnkitError
    from rnnkit.text.task import train_text
    from rnnkit.train import distributed
    from tests.helpers import tiny_text_config

    def die(step, loss):
        if rank == 1 and step == 3:
            os._exit(0)
        return False

    os.environ["WORLD_SIZE"] = "2"  # process_group() treats this as a torchrun job
    try:
        with distributed.process_group():
            train_text(tiny_text_config(tmp_path / "corpus.txt", max_steps=50, eval_every=100),
                       tmp_path / "dying", on_step=die)
        outcome = "finished"
    except RnnkitError as e:
        outcome = f"RnnkitError: {e}"
    except BaseException as e:  # noqa: BLE001 - the test reports what escaped instead
        outcome = f"{type(e).__name__}: {e}"
    (tmp_path / f"dying{rank}.txt").write_text(outcome)
    sys.stdout.flush()
