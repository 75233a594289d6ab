"""The `rnnkit` command line: argument parsing only. Each task registers its own sub-commands
(`cli/text.py`, `cli/forecast.py`, ...) and calls into the library packages; heavy imports happen
inside the handlers so that `rnnkit --help` stays fast."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from rnnkit import __version__
from rnnkit.errors import RnnkitError

# Modules under rnnkit.cli that define `register(subparsers)`: one per registered task
# (rnnkit/tasks.py), then the commands that serve every task. A missing one is skipped, so a task
# without commands of its own is still served, exported and tuned.
COMMANDS_FOR_ALL_TASKS = ("tune", "export", "serve")


class Parser(argparse.ArgumentParser):
    """A flag argparse cannot read is one line, as every other error is, naming the help to read
    (argparse prints its whole usage block first). Subcommands get this class too."""

    def error(self, message: str):
        self.exit(2, f"rnnkit: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="rnnkit",
        description="Recurrent neural networks (RNN, GRU, LSTM, BiLSTM, attention) for text generation, "
        "forecasting and sequence classification.",
    )
    parser.add_argument("--version", action="version", version=f"rnnkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    from rnnkit.tasks import names

    for name in (*names(), *COMMANDS_FOR_ALL_TASKS):
        try:
            module = importlib.import_module(f"rnnkit.cli.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"rnnkit.cli.{name}":
                continue
            raise
        module.register(sub)
    _show_defaults(parser, "")
    return parser


def _show_defaults(parser: argparse.ArgumentParser, command: str) -> None:
    """Every (sub)command's --help shows each flag's default (see cli/common.py)."""
    from rnnkit.cli.common import formatter_for

    parser.formatter_class = formatter_for(command)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                _show_defaults(child, f"{command} {name}".strip())


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except RnnkitError as e:
        print(f"rnnkit: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rnnkit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `rnnkit text generate ... | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:  # the environment, not a bug: a full disk, a read-only or missing path
        from rnnkit.files import describe_os_error

        print(f"rnnkit: error: {describe_os_error(e, action='')}", file=sys.stderr)
        return 2
