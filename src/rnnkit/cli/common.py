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


def add_model_flags(g: argparse._ActionsContainer, cells: tuple[str, ...], cell_flag: str, cell_help: str,
                    hidden_help: str = "hidden units per layer",
                    dropout_help: str = "dropout between layers and before the head, in [0, 1)") -> None:
    """The network flags of every task's `train` (the cell flag, --hidden, --layers, --dropout),
    declared once. `cells` is the task's model config's CELLS; the defaults are its run config's
    (None here, so only given flags override; --help shows the run config's)."""
    g.add_argument(cell_flag, dest="cell", choices=cells, help=cell_help)
    g.add_argument("--hidden", type=int, help=hidden_help)
    g.add_argument("--layers", type=int, help="recurrent layers")
    g.add_argument("--dropout", type=float, help=dropout_help)


def model_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The [model] overrides of the flags `add_model_flags` declares."""
    return {"cell": args.cell, "hidden": args.hidden, "layers": args.layers, "dropout": args.dropout}


def add_threads_flag(p: argparse.ArgumentParser) -> None:
    """--threads for the inference commands (predict, backtest, explain): one thread unless asked,
    as in training; PyTorch would otherwise take every core for one small batch."""
    p.add_argument("--threads", type=int, default=1, help="CPU threads for PyTorch")


def use_threads(args: argparse.Namespace) -> None:
    from rnnkit.train.runtime import apply_threads

    apply_threads(args.threads)


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
        from rnnkit.files import check_new_run_folder
        from rnnkit.train import distributed

        if not args.resume and not distributed.launched_by_torchrun():  # ranks: the launcher checked
            check_new_run_folder(args.out)
        if args.nproc is not None and (args.nproc != 1 or distributed.launched_by_torchrun()):
            if before_launch is not None and not distributed.launched_by_torchrun():
                before_launch(args, args.nproc)
            return distributed.launch_torchrun(args.nproc, sys.argv[1:])
        with distributed.process_group():
            return handler(args)

    return run


# -- help texts: every flag says its default -----------------------------------------------------
# A flag's default lives in one place, the task's run config dataclass; --help reads it from there
# (importing the config only when help is printed, so `rnnkit --help` stays fast).

SECTION_ORDER = ("train", "model", "forecast", "data")  # train first: --max-steps is train.max_steps


def command_task(command: str) -> str | None:
    """The task whose run config holds the defaults of `command`'s flags: `<task> train` and
    `tune <task>` for every registered task (rnnkit/tasks.py); None for other commands."""
    from rnnkit.tasks import names

    words = command.split()
    task = words[0] if words[1:] == ["train"] else words[1] if len(words) == 2 and words[0] == "tune" else None
    return task if task in names() else None


def config_defaults(task: str) -> list[tuple[str, dict[str, Any]]]:
    """(label, plain-data run config) pairs: the task's defaults, and its variants' (classify: texts)."""
    from rnnkit.tasks import get

    return get(task).help_defaults()


def default_text(action: argparse.Action, configs: list[tuple[str, dict[str, Any]]]) -> str | None:
    """"(default: ...)" for `action`, from the run config when the flag sets a config key, else
    from argparse's own default; None for flags that have none to show (--help, required flags)."""
    if action.default is argparse.SUPPRESS or isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
        return None
    if not action.option_strings:  # a positional: a command name or a required argument, no default
        return None
    if action.nargs == 0:  # a switch (--resume, --no-refit, ...): what its help says happens only when given
        return "(default: off)"
    key = action.dest
    values = []
    for label, data in configs:
        section = next((s for s in SECTION_ORDER if isinstance(data.get(s), dict) and key in data[s]), None)
        if section is not None:
            values.append((label, _show(data[section][key])))
    if not values:
        return None if action.required else f"(default: {_show(action.default)})"
    first = values[0][1]
    rest = [f"{label}: {v}" for label, v in values[1:] if v != first]
    return "(default: " + "; ".join([first, *rest]) + ")"


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (list, tuple)):
        return ",".join(_show(v) for v in value) or "none"
    if value == "":
        return '""'
    return str(value)


def formatter_for(command: str) -> type[argparse.HelpFormatter]:
    """A help formatter that appends each flag's default to its help (unless the text says it)."""
    task = command_task(command)

    class Formatter(argparse.HelpFormatter):
        _configs: list | None = None

        def _get_help_string(self, action: argparse.Action) -> str:
            text = action.help or ""
            if "default" in text.lower():
                return text
            if Formatter._configs is None:
                Formatter._configs = config_defaults(task) if task else []
            shown = default_text(action, Formatter._configs)
            if shown is None:
                return text
            return f"{text} {shown.replace('%', '%%')}".strip()

    return Formatter
