"""`tune()`: an Optuna study whose trials are ordinary training runs under `<out>/trials/NNNN`.

The study lives in persistent storage (SQLite in `<out>/study.db` unless `--storage` says
otherwise), so an interrupted search continues where it stopped when the same command runs again,
and several processes can work on one study at once. `--trials N` is the study's total of finished
(complete or pruned) trials, not a count per invocation.
"""

from __future__ import annotations

import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from rnnkit.config import from_dict, to_dict
from rnnkit.console import progress
from rnnkit.errors import RnnkitError
from rnnkit.files import check_out_folder, run_files
from rnnkit.tune.space import Param, apply, load_space
from rnnkit.tune.tasks import Inputs, TuneTask, get_task

Log = Callable[[str], None]
PRUNERS = ("median", "hyperband", "none")


@dataclass
class SearchSettings:
    trials: int = 20
    timeout_min: float | None = None  # for this invocation
    storage: str | None = None  # default sqlite:///<out>/study.db
    study_name: str | None = None  # default rnnkit-<task>
    seed: int = 0
    pruner: str = "median"
    budget: dict[str, Any] = field(default_factory=dict)  # max_steps / max_epochs / max_minutes per trial


@dataclass
class SearchResult:
    study: Any  # optuna.Study
    out: Path
    finished: int  # complete + pruned trials in the study
    interrupted: bool
    outputs: list[Path]


class _TrialFailed(Exception):
    """A trial whose config cannot train (e.g. a window longer than the data): it is recorded as
    failed and the search goes on."""


def import_optuna():
    try:
        import optuna
    except ImportError:
        raise RnnkitError("hyper-parameter search needs Optuna: pip install 'rnnkit[tune]'") from None
    import warnings

    optuna.logging.set_verbosity(optuna.logging.ERROR)  # rnnkit reports trials itself, in one line each
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)  # heartbeats
    return optuna


def tune(task_name: str, base: Any, out: str | Path, settings: SearchSettings, inputs: Inputs = Inputs(),
         space_file: str | Path | None = None, log: Log | None = None,
         fixed: dict[str, Any] | None = None) -> SearchResult:
    """Search `task_name`'s space around the run config `base`; write the outputs into `out`.

    `fixed` maps the dotted config keys that the user set on the command line to their values:
    a flag wins over the space, so those keys are taken out of the search (and the log says so)."""
    optuna = import_optuna()
    log = log or progress
    task = get_task(task_name)
    _check_settings(settings)
    out = _check_search_folder(out)
    params = load_space(task_name, task.config_cls, space_file)
    params = _without_fixed(params, fixed or {}, log)
    task.check(base, inputs)  # the data too: bad input stops here, before the folder or the study exists
    existed = set(out.iterdir()) if out.exists() else None
    out.mkdir(parents=True, exist_ok=True)
    study = None
    try:
        study = open_study(optuna, task, base, out, settings)
        return _search(optuna, study, task, base, inputs, out, params, settings, log)
    except Exception:
        if _nothing_to_keep(optuna, study):  # a search that never got going leaves nothing behind
            _remove_new(out, existed)
        raise


def _search(optuna, study, task: TuneTask, base: Any, inputs: Inputs, out: Path, params: list[Param],
            settings: SearchSettings, log: Log) -> SearchResult:
    finished = _finished(optuna, study)
    monitor = task.monitor(base)
    log(f"study {study.study_name!r} in {settings.storage or _default_storage(out)}: {finished} of "
        f"{settings.trials} trials finished; minimising {monitor}")
    log("searching " + "; ".join(p.describe() for p in params))
    objective = _objective(optuna, task, base, inputs, out, params, settings.budget, monitor, log)
    interrupted = False
    if finished < settings.trials:
        done = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
        try:
            # the callback ends this worker once the study (all workers together) has enough trials
            study.optimize(objective, n_trials=settings.trials - finished,
                           timeout=None if settings.timeout_min is None else settings.timeout_min * 60,
                           catch=(_TrialFailed,), gc_after_trial=False,
                           callbacks=[optuna.study.MaxTrialsCallback(settings.trials, states=done)])
        except KeyboardInterrupt:
            interrupted = True
            log("search interrupted: finished trials are kept in the study; run the same command to continue")
    from rnnkit.tune.report import write_outputs

    outputs = write_outputs(study, task, base, params, out, settings, log)
    return SearchResult(study, out, _finished(optuna, study), interrupted, outputs)


def _check_search_folder(out: str | Path) -> Path:
    """`out` must be writable and no training run's folder: trials, study.db and best.toml mixed
    into a run would clobber its files and confuse both. A previous search's folder is fine (the
    search continues)."""
    out = check_out_folder(out)
    held = run_files(out)
    if held:
        raise RnnkitError(f"--out {out} holds a training run ({', '.join(held)}); give the search a folder "
                          "of its own (a new one, or an earlier search's)")
    return out


def _nothing_to_keep(optuna, study) -> bool:
    """True when the study (None: not opened) has no trial that finished or still runs (maybe in
    another worker): then the folder holds nothing of value."""
    if study is None:
        return True
    try:
        trials = study.get_trials(deepcopy=False)
    except Exception:  # noqa: BLE001 - storage gone: nothing we can tell is worth keeping
        return True
    return all(t.state == optuna.trial.TrialState.FAIL for t in trials)


def _remove_new(out: Path, existed: set[Path] | None) -> None:
    """Remove the folder `out` (None: this search created it), else what it holds beyond `existed`."""
    if existed is None:
        shutil.rmtree(out, ignore_errors=True)
        return
    for path in set(out.iterdir()) - existed:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _without_fixed(params: list[Param], fixed: dict[str, Any], log: Log) -> list[Param]:
    kept = [p for p in params if p.path not in fixed]
    for p in params:
        if p.path in fixed:
            log(f"not searching {p.path}: it is set to {fixed[p.path]!r} by a flag (drop the flag to search it)")
    if not kept:
        raise RnnkitError("nothing left to search: every parameter of the space is set by a flag; drop some "
                          "flags or add parameters with --space FILE")
    return kept


def open_study(optuna, task: TuneTask, base: Any, out: Path, settings: SearchSettings):
    url = settings.storage or _default_storage(out)
    name = settings.study_name or f"rnnkit-{task.name}"
    kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    for attempt in range(3):
        try:
            # heartbeats let a live worker mark the trials of a killed one as failed
            storage = optuna.storages.RDBStorage(url, engine_kwargs=kwargs, heartbeat_interval=60, grace_period=180)
            study = optuna.create_study(storage=storage, study_name=name, direction="minimize", load_if_exists=True,
                                        pruner=_pruner(optuna, settings, base))
            break
        except Exception as e:  # noqa: BLE001 - any failure to open storage is the user's URL or server
            if attempt < 2 and _is_race(e):  # workers started together both create the tables or study
                time.sleep(1.0 + attempt)
                continue
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise RnnkitError(f"cannot open --storage {url}: {first[:200]}") from None
    kind = study.user_attrs.get("task")
    if kind is None:
        study.set_user_attr("task", task.name)
    elif kind != task.name:
        raise RnnkitError(f"study {name!r} in {url} searches {kind} models, not {task.name}; "
                          f"use another --study-name or --out")
    # A fresh seed per resumption (seed + trials so far): a resumed search does not replay the
    # random start-up trials it already ran. Parallel workers should each get their own --seed.
    study.sampler = optuna.samplers.TPESampler(seed=settings.seed + len(study.trials), n_startup_trials=5)
    return study


def _objective(optuna, task: TuneTask, base: Any, inputs: Inputs, out: Path, params: list[Param],
               budget: dict[str, Any], monitor: str, log: Log):
    base_data = to_dict(base)

    def objective(trial) -> float:
        values = {p.path: p.suggest(trial) for p in params}
        data = apply(base_data, values)
        data["train"].update(budget)
        try:  # a value the space allows but the validator does not (e.g. dropout 1.0) fails this trial
            cfg = from_dict(task.config_cls, data)
        except RnnkitError as e:
            if _finished(optuna, trial.study) == 0:
                raise
            trial.set_user_attr("error", str(e))
            log(f"trial {trial.number}: failed: {e}")
            raise _TrialFailed(str(e)) from None
        run_dir = out / "trials" / f"{trial.number:04d}"
        trial.set_user_attr("run_dir", str(run_dir))
        pruned_at: list[int] = []

        def on_eval(step: int, metrics: dict[str, float]) -> bool:
            trial.report(metrics[monitor], step)
            if trial.should_prune():
                pruned_at.append(step)
                return True
            return False

        tag = f"trial {trial.number}"
        try:
            summary = task.train(cfg, inputs, run_dir, on_eval, lambda m: log(f"[{tag}] {m}"))
        except RnnkitError as e:
            if _finished(optuna, trial.study) == 0 and not _blames_a_sample(str(e), values):
                raise  # the very first trials fail: most likely the data or base config, so stop
            trial.set_user_attr("error", str(e))
            log(f"{tag}: failed: {e}")
            raise _TrialFailed(str(e)) from None
        if summary.get("stopped") == "interrupted":
            raise KeyboardInterrupt
        shown = ", ".join(f"{k}={_fmt(v)}" for k, v in values.items())
        if pruned_at:
            log(f"{tag}: pruned at step {pruned_at[0]} ({shown})")
            raise optuna.TrialPruned()
        value = summary.get(f"best_{monitor}")
        if value is None or not math.isfinite(value):
            trial.set_user_attr("error", f"no finite {monitor} (stopped: {summary.get('stopped')})")
            log(f"{tag}: failed: no finite {monitor} ({shown})")
            raise _TrialFailed(monitor)
        log(f"{tag}: {monitor} {value:.4f} ({shown})")
        return float(value)

    return objective


def _blames_a_sample(message: str, values: dict[str, Any]) -> bool:
    """True when an error names the flag of a value this trial sampled (`--lookback 40` for
    forecast.lookback = 40): that value does not fit the data, so the trial fails and the search
    goes on, where an error about the data itself would stop it."""
    return any(f"--{path.rsplit('.', 1)[-1].replace('_', '-')} {_fmt(v)}" in message for path, v in values.items())


def _is_race(e: Exception) -> bool:
    text = f"{type(e).__name__} {e}"
    return any(s in text for s in ("IntegrityError", "UNIQUE constraint", "DuplicatedStudyError", "locked"))


def _pruner(optuna, settings: SearchSettings, base: Any):
    if settings.pruner == "none":
        return optuna.pruners.NopPruner()
    if settings.pruner == "hyperband":
        # resources are the reported step numbers: the first evaluation is the smallest rung
        first = base.train.eval_every if base.train.eval_every > 0 else 1
        max_steps = settings.budget.get("max_steps") or "auto"
        return optuna.pruners.HyperbandPruner(min_resource=first, max_resource=max_steps, reduction_factor=3)
    # compare with the median of earlier trials at the same step, once 3 trials have finished
    return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0)


def _check_settings(s: SearchSettings) -> None:
    if s.trials < 1:
        raise RnnkitError(f"--trials must be >= 1, got {s.trials}")
    if s.timeout_min is not None and s.timeout_min <= 0:
        raise RnnkitError(f"--timeout must be > 0 minutes, got {s.timeout_min}")
    if s.pruner not in PRUNERS:
        raise RnnkitError(f"--pruner must be one of {', '.join(PRUNERS)}, got {s.pruner!r}")
    if not any(s.budget.get(k) is not None for k in ("max_steps", "max_epochs", "max_minutes")):
        raise RnnkitError("tune needs a per-trial budget: --max-steps, --max-epochs or --max-minutes")
    for key, value in s.budget.items():
        if value is not None and value <= 0:
            raise RnnkitError(f"--{key.replace('_', '-')} must be > 0, got {value}")


def _finished(optuna, study) -> int:
    done = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return len(study.get_trials(deepcopy=False, states=done))


def _default_storage(out: Path) -> str:
    return f"sqlite:///{(out / 'study.db').resolve()}"


def _fmt(v: Any) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)
