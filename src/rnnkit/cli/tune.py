"""`rnnkit tune text|forecast|classify`: argument parsing only (the search is in rnnkit.tune).

Each task's data, model and training flags are the very flags of its `train` command (copied from
the parser that task's CLI module builds), so a search is set up exactly like a training run; the
budget flags (--max-steps / --max-epochs / --max-minutes) become the budget of each trial."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from typing import Any


NOT_COPIED = {"help", "out", "resume", "nproc"}  # tune has its own --out; resuming is automatic


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tune", help="hyper-parameter search (Optuna) for text, forecast or classify models",
                       description="Search hyper-parameters with Optuna. Every trial is a run folder under "
                       "OUT/trials/NNNN; the study is stored in OUT/study.db, so running the same command again "
                       "continues an interrupted search. Writes OUT/best.toml (ready for `train --config`), "
                       "trials.csv, history.png and importance.png.")
    p.error = _one_line_error(p)  # an unknown task: one line, exit 2
    tasks = p.add_subparsers(dest="tune_task", metavar="TASK", required=True)
    for name in _tunable():
        t = tasks.add_parser(name, help=f"search the hyper-parameters of `rnnkit {name} train`",
                             description=f"Search hyper-parameters of `rnnkit {name} train`. It takes the same "
                             "data, model and training flags (they set the base config every trial starts from); "
                             "--max-steps / --max-epochs / --max-minutes are the budget of each trial.")
        _copy_flags(_train_parser(name), t)
        _search_flags(t)
        t.set_defaults(handler=_tune, tune_task=name)


def _tunable() -> list[str]:
    """The registered tasks (rnnkit/tasks.py) that have a `train` command (rnnkit/cli/<task>.py)."""
    from rnnkit.tasks import names

    return [name for name in names() if importlib.util.find_spec(f"rnnkit.cli.{name}") is not None]


def _search_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("search")
    g.add_argument("--out", required=True, metavar="DIR", help="search folder (study.db, trials/, best.toml, ...)")
    g.add_argument("--trials", type=int, default=20, metavar="N",
                   help="finished trials the study should have in total (default 20)")
    g.add_argument("--timeout", type=float, metavar="MINUTES", help="stop starting trials after this long")
    g.add_argument("--storage", metavar="URL",
                   help="Optuna storage (default sqlite:///OUT/study.db); share one to search with several processes")
    g.add_argument("--study-name", metavar="NAME", help="study within the storage (default rnnkit-TASK)")
    g.add_argument("--pruner", choices=["median", "hyperband", "none"], default="median",
                   help="stop unpromising trials early (default median)")
    g.add_argument("--space", metavar="FILE", help="TOML that narrows, fixes or extends the search space")


def _tune(args: argparse.Namespace) -> int:
    from rnnkit.tasks import get
    from rnnkit.tune import Inputs, SearchSettings, tune
    from rnnkit.tune.tasks import get_task

    task = get_task(args.tune_task)
    overrides = _overrides(args)
    budget = {k: overrides["train"].pop(k) for k in ("max_steps", "max_epochs", "max_minutes")}
    base = get(args.tune_task).resolve(args.config, overrides, getattr(args, "data", None))
    settings = SearchSettings(trials=args.trials, timeout_min=args.timeout, storage=args.storage,
                              study_name=args.study_name, seed=args.seed or 0, pruner=args.pruner,
                              budget={k: v for k, v in budget.items() if v is not None})
    inputs = Inputs(data=getattr(args, "data", None), test=getattr(args, "test", None))
    result = tune(args.tune_task, base, args.out, settings, inputs, args.space, fixed=_given(overrides))
    best = args.out.rstrip("/") + "/best.toml"
    if result.study.best_trials:
        print(f"best {task.monitor(base)} {result.study.best_value:.4f} (trial {result.study.best_trial.number}); "
              f"train it with: rnnkit {args.tune_task} train --config {best} --out RUN")
    print(f"{result.finished} of {args.trials} trials finished; search folder: {args.out}")
    return 130 if result.interrupted else 0


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The same config overrides the task's `train` command builds from these flags."""
    return importlib.import_module(f"rnnkit.cli.{args.tune_task}").overrides(args)


def _given(overrides: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The dotted config keys that flags set (None = not given), e.g. {"data.batch_size": 8}."""
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        if isinstance(value, dict):
            out.update(_given(value, f"{prefix}{key}."))
        elif value is not None:
            out[f"{prefix}{key}"] = value
    return out


def _train_parser(task: str) -> argparse.ArgumentParser:
    """The `rnnkit <task> train` parser, built by that task's own CLI module."""
    module = importlib.import_module(f"rnnkit.cli.{task}")
    root = argparse.ArgumentParser(prog="rnnkit")
    module.register(root.add_subparsers())
    task_parser = root._subparsers._group_actions[0].choices[task]
    commands = next(a for a in task_parser._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices["train"]


def _copy_flags(source: argparse.ArgumentParser, target: argparse.ArgumentParser) -> None:
    """Share `source`'s flags (not a copy of their definitions: the same argparse actions), group by group."""
    for group in source._action_groups:
        actions = [a for a in group._group_actions if a.dest not in NOT_COPIED]
        if not actions:
            continue
        if group is source._optionals:
            dest = target._optionals
        elif group is source._positionals:
            dest = target._positionals
        else:
            dest = target.add_argument_group(group.title, group.description)
        for action in actions:
            dest._add_action(action)


def _one_line_error(parser: argparse.ArgumentParser):
    def error(message: str):
        print(f"rnnkit tune: error: {message}", file=sys.stderr)
        sys.exit(2)
    return error
