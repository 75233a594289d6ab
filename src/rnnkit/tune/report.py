"""What a search leaves in `--out`: best.toml, trials.csv, history.png, importance.png."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any, Callable

from rnnkit.config import to_dict, to_toml
from rnnkit.files import write_text
from rnnkit.tune.space import Param, apply

Log = Callable[[str], None]


def write_outputs(study, task, base: Any, params: list[Param], out: Path, settings, log: Log) -> list[Path]:
    import optuna

    written = [write_trials_csv(study, out / "trials.csv")]
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not complete:
        log("no trial has completed yet: best.toml and the plots are written once one has")
        return written
    best = study.best_trial
    written.append(write_best_toml(best, task, base, settings, out / "best.toml"))
    written.append(plot_history(study, out / "history.png", task.monitor(base)))
    importance = plot_importance(study, out / "importance.png")
    if importance is None:
        log("importance.png skipped: parameter importances need at least 2 complete trials that differ")
    else:
        written.append(importance)
    log(f"best: trial {best.number}, {task.monitor(base)} {best.value:.4f} ({best.user_attrs.get('run_dir')})")
    log(f"wrote {', '.join(str(p) for p in written)}")
    return written


def write_trials_csv(study, path: Path) -> Path:
    frame = study.trials_dataframe(attrs=("number", "value", "state", "params", "user_attrs", "duration"))
    frame.columns = [c.replace("params_", "").replace("user_attrs_", "") for c in frame.columns]
    if "duration" in frame:
        frame["duration"] = frame["duration"].dt.total_seconds().round(1)
        frame = frame.rename(columns={"duration": "duration_s"})
    write_text(path, frame.to_csv(index=False))
    return path


def write_best_toml(best, task, base: Any, settings, path: Path) -> Path:
    """The base config with the best trial's values: ready for `rnnkit <task> train --config`.
    The per-trial budget stays out of it, so training gets the base config's full budget."""
    data = apply(to_dict(base), best.params)
    budget = ", ".join(f"{k} = {v}" for k, v in settings.budget.items() if v is not None)
    header = (f"# rnnkit tune {task.name}: trial {best.number}, {task.monitor(base)} = {best.value:.6g}\n"
              f"# found with a per-trial budget of {budget}; the budget below is the base config's\n")
    write_text(path, header + to_toml(data))
    return path


def plot_history(study, path: Path, monitor: str) -> Path:
    """Each trial's value (pruned trials: their last reported value), and the best so far."""
    import optuna
    from matplotlib.ticker import MaxNLocator

    from rnnkit.plots import new_figure, save_figure

    fig, ax = new_figure(8, 4)
    done, pruned, best_x, best_y = [], [], [], []
    best = math.inf
    for t in sorted(study.trials, key=lambda t: t.number):
        if t.state == optuna.trial.TrialState.COMPLETE:
            done.append((t.number, t.value))
            if t.value < best:
                best = t.value
            best_x.append(t.number)
            best_y.append(best)
        elif t.state == optuna.trial.TrialState.PRUNED and t.intermediate_values:
            pruned.append((t.number, t.intermediate_values[max(t.intermediate_values)]))
    if done:
        ax.scatter(*zip(*done), color="tab:blue", label="complete", zorder=3)
        ax.step(best_x, best_y, where="post", color="tab:red", label="best so far")
    if pruned:
        ax.scatter(*zip(*pruned), color="tab:gray", marker="x", label="pruned (last value)", zorder=3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("trial")
    ax.set_ylabel(f"validation {monitor}")
    ax.set_title(f"{study.study_name}: optimisation history")
    ax.legend()
    return save_figure(fig, path)


def plot_importance(study, path: Path) -> Path | None:
    """Parameter importances (fANOVA with scikit-learn installed, else PED-ANOVA); None when
    fewer than 2 complete trials or no parameter varied."""
    import optuna

    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if len(complete) < 2:
        return None
    try:
        import sklearn  # noqa: F401

        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
    except ImportError:
        evaluator = optuna.importance.PedAnovaImportanceEvaluator()
    try:
        with warnings.catch_warnings():  # few trials: PED-ANOVA warns that its quantiles coincide
            warnings.simplefilter("ignore")
            importances = optuna.importance.get_param_importances(study, evaluator=evaluator)
    except (RuntimeError, ValueError, ZeroDivisionError):
        return None
    if not importances:
        return None
    from rnnkit.plots import new_figure, save_figure

    names = list(importances)[::-1]
    fig, ax = new_figure(8, 0.6 + 0.45 * len(names))
    ax.barh(names, [importances[n] for n in names], color="tab:blue")
    ax.set_xlabel(f"importance ({type(evaluator).__name__.replace('ImportanceEvaluator', '')})")
    ax.set_title(f"{study.study_name}: parameter importances over {len(complete)} complete trials")
    return save_figure(fig, path)
