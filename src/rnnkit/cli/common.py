"""Flags shared by every task's `train` command, and turning them into config overrides."""

from __future__ import annotations

import argparse
import functools
import sys
from typing import Any, Callable


def add_train_flags(p: argparse.ArgumentParser) -> None:
    """The shared trainer flags. Defaults are None so that only flags actually given override the
    TOML file and the dataclass defaults."""
    g = p.add_argument_group("training")
    g.add_argument("--config", metavar="FILE", help="TOML file with [model], [train], [data] tables")
    g.add_argument("--lr", type=float, help="peak learning rate (AdamW)")
    g.add_argument("--max-steps", type=int, help="stop after this many optimiser steps")
    g.add_argument("--max-epochs", type=int, help="stop after this many passes over the training data")
    g.add_argument("--max-minutes", type=float, help="wall-clock budget; the cosine schedule ends with it")
    g.add_argument("--patience", type=int, help="early stopping: evaluations without improvement")
    g.add_argument("--eval-every", type=int, help="steps between evaluations and checkpoints")
    g.add_argument("--seed", type=int, help="random seed (weights, dropout, data order)")
    g.add_argument("--device", choices=["auto", "cpu", "cuda"], help="where to train (default auto)")
    g.add_argument("--threads", type=int, help="CPU threads for PyTorch (default 1: stays fast on a busy machine)")
    g.add_argument("--precision", choices=["auto", "fp32", "bf16"],
                   help="bf16 autocast, plain fp32, or auto (bf16 where the CPU/GPU supports it natively; the text default)")
    g.add_argument("--resume", action="store_true", help="continue the run in --out from its last.pt")
    g.add_argument("--nproc", type=int, metavar="N",
                   help="train with N processes (DistributedDataParallel): relaunches this command under torchrun")


def train_overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "lr": args.lr,
        "max_steps": args.max_steps,
        "max_epochs": args.max_epochs,
        "max_minutes": args.max_minutes,
        "patience": args.patience,
        "eval_every": args.eval_every,
        "seed": args.seed,
        "device": args.device,
        "threads": args.threads,
        "precision": args.precision,
    }


def train_entry(handler: Callable[[argparse.Namespace], int] | None = None, *,
                before_launch: Callable[[argparse.Namespace, int], None] | None = None):
    """Wraps a task's `train` handler: `--nproc N` relaunches the command under torchrun; run by
    torchrun (WORLD_SIZE > 1), the handler runs as one rank of the process group.
    `before_launch(args, N)` checks the settings once, before N processes start."""
    if handler is None:
        return lambda h: train_entry(h, before_launch=before_launch)

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        from rnnkit.train import distributed

        if args.nproc is not None and (args.nproc != 1 or distributed.launched_by_torchrun()):
            if before_launch is not None and not distributed.launched_by_torchrun():
                before_launch(args, args.nproc)
            return distributed.launch_torchrun(args.nproc, sys.argv[1:])
        with distributed.process_group():
            return handler(args)

    return run
