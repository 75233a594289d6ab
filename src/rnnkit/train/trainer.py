"""The one training loop: `fit(model, task, cfg, run_dir, ...)`.

It owns AdamW, gradient clipping, the LR schedule, evaluation every `eval_every` steps, early
stopping, `best.pt` / `last.pt`, the metrics log, `summary.json`, Ctrl-C / SIGTERM handling, NaN
detection and exact resume. Exact resume means: model, optimizer, schedule, RNG states, the data
position (epoch, batch index) and the carried recurrent state are all in `last.pt`, so an
interrupted run that is resumed ends with the same weights as an uninterrupted one (on CPU).
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from rnnkit.config import TrainConfig, check_train
from rnnkit.errors import RnnkitError, TrainingDiverged, TrainingInterrupted
from rnnkit.files import check_out_folder, write_text
from rnnkit.models.state import detach_state, state_to
from rnnkit.train import distributed
from rnnkit.train.checkpoint import load_checkpoint, save_checkpoint
from rnnkit.train.runtime import (
    SignalStopper,
    apply_threads,
    autocast_for,
    get_rng_state,
    resolve_device,
    resolve_precision,
    seed_everything,
    set_rng_state,
)
from rnnkit.train.schedule import Schedule
from rnnkit.train.task import Task

Log = Callable[[str], None]


@dataclass
class FitResult:
    run_dir: Path
    stopped: str  # max_steps | max_epochs | max_minutes | early_stopping | hook (fit() raises on NaN or a signal)
    summary: dict[str, Any]


@dataclass
class _Progress:
    """Everything about the loop's position that exact resume needs (besides RNG and weights)."""

    step: int = 0
    epoch: int = 0
    index: int = 0  # batch index within the epoch
    items: int = 0  # training items (chars, windows, ...) seen
    train_s: float = 0.0  # time inside training steps, for throughput
    elapsed_s: float = 0.0
    best: float = math.inf
    best_step: int = 0
    best_metrics: dict[str, float] = field(default_factory=dict)
    bad_evals: int = 0
    last_eval_step: int = -1


def fit(
    model: nn.Module,
    task: Task,
    cfg: TrainConfig,
    run_dir: str | Path,
    *,
    kind: str,
    config: dict[str, Any],
    extra: dict[str, Any] | None = None,
    data_fingerprint: str | None = None,
    resume: bool = False,
    on_step: Callable[[int, float], bool] | None = None,
    on_eval: Callable[[int, dict[str, float]], bool] | None = None,
    log: Log | None = None,
) -> FitResult:
    """Train `model` on `task`. `config` is the resolved run config (plain data) and `extra` the
    task's plain-data state (tokenizer, scaler, ...), both stored in every checkpoint.
    `data_fingerprint` (see train/fingerprint.py) is stored too; `resume` refuses other data.

    `on_step(step, loss)` and `on_eval(step, metrics)` may return True to stop the run early
    (tests simulate an interruption this way; a tuner prunes a trial).

    Under torchrun (see train/distributed.py) the model is wrapped in DistributedDataParallel, each
    rank trains on its rows of every batch, rank 0 alone evaluates and writes, and ranks > 0 raise
    `NotMainRank` at the end so that nothing the caller does after training runs twice."""
    run_dir = Path(run_dir)
    main = distributed.is_main()
    log = (log or _stderr) if main else (lambda _msg: None)
    _check_budget(cfg)
    apply_threads(cfg.threads)
    device = distributed.local_device(resolve_device(cfg.device))
    last_path = run_dir / "last.pt"

    if main:
        check_out_folder(run_dir)  # a file in the way, a read-only place: say so before any work
    if not resume and last_path.exists():
        raise RnnkitError(f"run folder {run_dir} already holds a run; pass --resume to continue it, or choose another --out")
    if resume and not last_path.exists():
        raise RnnkitError(f"--resume: {run_dir} has no last.pt to resume from")

    if not resume:
        seed_everything(cfg.seed + distributed.rank())  # ranks draw different dropout masks
    model.to(device)
    optimizer = _make_optimizer(model, cfg)
    schedule = Schedule(
        cfg.schedule, cfg.lr, cfg.warmup_steps, cfg.min_lr_ratio, cfg.plateau_factor, cfg.plateau_patience
    )
    prog = _Progress()
    carry: Any = None
    if resume:
        ckpt = load_checkpoint(last_path, kind=kind)
        _check_same_data(ckpt.get("data_fingerprint"), data_fingerprint, run_dir)
        _check_same_architecture(ckpt["config"], config)
        _unwrap(model).load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        schedule.load_state_dict(ckpt["schedule"])
        prog = _Progress(**ckpt["progress"])
        own = distributed.own_state(ckpt, run_dir)
        carry = state_to(own.get("carry"), device)
        set_rng_state(own["rng"])
        log(f"resumed {run_dir} at step {prog.step} (epoch {prog.epoch}, batch {prog.index})")

    model = distributed.wrap(model, device)
    if main:
        run_dir.mkdir(parents=True, exist_ok=True)
        write_text(run_dir / "config.json", json.dumps(config, indent=2) + "\n")
        repair_jsonl(run_dir / "metrics.jsonl")
    metrics_log = (run_dir / "metrics.jsonl").open("a") if main else None
    n_batches = task.batches_per_epoch()
    precision = resolve_precision(cfg.precision, device)
    autocast = autocast_for(precision, device)

    def bundle(with_state: bool, ranks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        b = {
            "kind": kind,
            "config": config,
            "extra": extra or {},
            "model": _unwrap(model).state_dict(),
            "progress": prog.__dict__.copy(),
        }
        if data_fingerprint is not None:
            b["data_fingerprint"] = data_fingerprint
        if with_state:
            b.update(optimizer=optimizer.state_dict(), schedule=schedule.state_dict(),
                     carry=state_to(carry, "cpu"), rng=get_rng_state())
            if ranks is not None and len(ranks) > 1:  # each rank's own streams' state and RNG
                b.update(world_size=len(ranks), ranks=ranks)
        return b

    def rank_states() -> list[dict[str, Any]] | None:
        """Collective: every rank's carry and RNG, for last.pt (None in a single process)."""
        if not distributed.is_distributed():
            return None
        return distributed.gather({"carry": state_to(carry, "cpu"), "rng": get_rng_state()})

    def write(row: dict[str, Any]) -> None:
        if metrics_log is not None:
            metrics_log.write(json.dumps(row) + "\n")
            metrics_log.flush()

    def evaluate() -> dict[str, float]:
        metrics = None
        if main:  # identical weights on every rank: evaluate once, share the numbers
            model.eval()
            with torch.no_grad(), autocast():
                metrics = {k: float(v) for k, v in task.evaluate(_unwrap(model), device).items()}
            model.train()
        return distributed.from_main(metrics)

    last_shown = [-math.inf]  # when an evaluation line was last printed

    def evaluate_and_checkpoint(always_show: bool = False) -> tuple[dict[str, float], bool]:
        metrics = evaluate()
        prog.last_eval_step = prog.step
        value = metrics[task.monitor]
        improved = value < prog.best
        if improved:
            prog.best, prog.best_step, prog.best_metrics, prog.bad_evals = value, prog.step, metrics, 0
        else:
            prog.bad_evals += 1
        schedule.observe(value)
        write({"event": "eval", "step": prog.step, "epoch": prog.epoch, **metrics})
        ranks = rank_states()
        if main:
            if improved:
                save_checkpoint(run_dir / "best.pt", bundle(with_state=False))
            save_checkpoint(last_path, bundle(with_state=True, ranks=ranks))
        # Every evaluation is in metrics.jsonl; on screen, improvements and one line per 10 s at most,
        # so that tasks evaluating every epoch of a few steps do not flood the terminal.
        if improved or always_show or time.monotonic() - last_shown[0] >= 10:
            last_shown[0] = time.monotonic()
            shown = "  ".join(f"{k}={v:.4f}" for k, v in metrics.items())
            log(f"step {prog.step}  {shown}{'  (best)' if improved else ''}")
        return metrics, improved

    bar = _progress_bar(cfg, n_batches, prog.step, enabled=main)
    stopper = SignalStopper()
    started = time.monotonic() - prog.elapsed_s
    stopped = ""
    model.train()
    with stopper:
        while not stopped:
            prog.elapsed_s = time.monotonic() - started
            if cfg.max_minutes is not None:  # the LR schedule and the stop follow the slowest rank
                prog.elapsed_s = distributed.agree_max(prog.elapsed_s)
            stopped = _budget_exhausted(cfg, prog, n_batches)
            if stopped:
                break
            if prog.index >= n_batches:  # epoch boundary: new shuffle, state reset (TBPTT)
                prog.epoch, prog.index, carry = prog.epoch + 1, 0, None
                continue
            t0 = time.perf_counter()
            lr = schedule.lr_at(prog.step, _progress_fraction(cfg, prog, n_batches))
            for group in optimizer.param_groups:
                group["lr"] = lr
            rows = distributed.shard(task.batch(prog.epoch, prog.index))
            batch = tuple(t.to(device, non_blocking=True) for t in rows)
            with autocast():
                loss, new_carry, n_items = task.train_loss(model, batch, carry)
            loss_value, n_items = distributed.agree_step(float(loss.detach()), n_items)
            if not math.isfinite(loss_value):
                stopped = "nan_loss"
                break
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip > 0:
                nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            optimizer.step()
            carry = detach_state(new_carry)
            prog.step += 1
            prog.index += 1
            prog.items += n_items
            prog.train_s += time.perf_counter() - t0
            speed = prog.items / max(prog.train_s, 1e-9)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{loss_value:.3f}", **{f"{task.unit}/s": f"{speed:,.0f}"}, refresh=False)
            if prog.step % cfg.log_every == 0:
                write({"event": "train", "step": prog.step, "epoch": prog.epoch, "loss": loss_value,
                       "lr": lr, f"{task.unit}_per_sec": speed})
            if on_step is not None and on_step(prog.step, loss_value):
                stopped = "hook"
            if prog.step % cfg.eval_every == 0:
                metrics, _ = evaluate_and_checkpoint()
                if cfg.patience is not None and prog.bad_evals >= cfg.patience:
                    stopped = "early_stopping"
                if on_eval is not None and on_eval(prog.step, metrics):
                    stopped = "hook"
            if stopper.signal_name and not stopped:
                stopped = "interrupted"
            stopped = distributed.agree_stop(stopped)
    if bar is not None:
        bar.close()

    prog.elapsed_s = time.monotonic() - started
    diverged = ""
    if stopped == "nan_loss":
        diverged = (f"the training loss became NaN/Inf at step {prog.step + 1}; the last good checkpoint is kept "
                    f"({'last.pt, step ' + str(_saved_step(last_path)) if last_path.exists() else 'none was written yet'}); "
                    "lower --lr, keep gradient clipping on, or check the data for extreme values")
    elif stopped == "interrupted":
        ranks = rank_states()
        if main:
            save_checkpoint(last_path, bundle(with_state=True, ranks=ranks))
        log(f"interrupted by {stopper.signal_name}: saved {last_path} at step {prog.step}; continue with --resume")
    elif prog.last_eval_step != prog.step and prog.step > 0:
        evaluate_and_checkpoint(always_show=True)
    if metrics_log is not None:
        metrics_log.close()

    summary = {
        "kind": kind,
        "stopped": stopped,
        "steps": prog.step,
        "epochs": prog.epoch + prog.index / max(n_batches, 1),
        "elapsed_s": round(prog.elapsed_s, 3),
        f"train_{task.unit}_per_sec": round(prog.items / max(prog.train_s, 1e-9), 1),
        "best_step": prog.best_step,
        **{f"best_{k}": v for k, v in prog.best_metrics.items()},
        "device": str(device),
        "threads": torch.get_num_threads(),
        "precision": precision,
    }
    if distributed.world_size() > 1:
        summary["processes"] = distributed.world_size()
    if main:
        write_text(run_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
    distributed.barrier()  # the run folder is complete before any rank reads it again
    if not main:
        raise distributed.NotMainRank(f"rank {distributed.rank()} finished training")
    # Neither a diverged nor an interrupted model is a result: the caller must not score or report it.
    if diverged:
        raise TrainingDiverged(diverged)
    if stopped == "interrupted":
        raise TrainingInterrupted(f"training stopped by {stopper.signal_name}; {last_path} is saved, continue with --resume")
    return FitResult(run_dir, stopped, summary)


def repair_jsonl(path: Path) -> None:
    """Cut a torn last line (a run killed mid-write) off a JSON-lines log, so that the rows a
    resumed run appends start on a line of their own and every line parses."""
    if not path.is_file():
        return
    data = path.read_bytes()
    keep = len(data)
    if data and not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1
    else:
        lines = data.splitlines(keepends=True)
        if lines:
            try:
                json.loads(lines[-1])
            except ValueError:
                keep -= len(lines[-1])
    if keep != len(data):
        with path.open("r+b") as f:
            f.truncate(keep)


def _check_budget(cfg: TrainConfig) -> None:
    check_train(cfg)  # again: a caller may have changed fields after the config was built
    if cfg.max_steps is None and cfg.max_epochs is None and cfg.max_minutes is None:
        raise RnnkitError("no training budget: set --max-steps, --max-epochs or --max-minutes")
    if cfg.eval_every < 1:
        raise RnnkitError(f"eval_every must be >= 1, got {cfg.eval_every}")


def _budget_exhausted(cfg: TrainConfig, prog: _Progress, n_batches: int) -> str:
    if cfg.max_steps is not None and prog.step >= cfg.max_steps:
        return "max_steps"
    if cfg.max_epochs is not None and prog.epoch * n_batches + prog.index >= cfg.max_epochs * n_batches:
        return "max_epochs"
    if cfg.max_minutes is not None and prog.elapsed_s >= cfg.max_minutes * 60:
        return "max_minutes"
    return ""


def _progress_fraction(cfg: TrainConfig, prog: _Progress, n_batches: int) -> float | None:
    fractions = []
    if cfg.max_steps is not None:
        fractions.append(prog.step / cfg.max_steps)
    if cfg.max_epochs is not None:
        fractions.append((prog.epoch * n_batches + prog.index) / (cfg.max_epochs * n_batches))
    if cfg.max_minutes is not None:
        fractions.append(prog.elapsed_s / (cfg.max_minutes * 60))
    return max(fractions) if fractions else None


def _make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    # Decay weight matrices only: biases, norms and embeddings are left alone (standard AdamW practice).
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (decay if p.dim() >= 2 and "embed" not in name else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=cfg.lr)


def _check_same_architecture(saved: dict[str, Any], current: dict[str, Any]) -> None:
    old, new = saved.get("model", {}), current.get("model", {})
    changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    if changed:
        diffs = ", ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in changed)
        raise RnnkitError(f"--resume with a changed architecture ({diffs}); use the original settings or a new --out")


def _check_same_data(saved: str | None, current: str | None, run_dir: Path) -> None:
    # A run written before fingerprints (saved is None) cannot be checked; it resumes as before.
    if saved is not None and current is not None and saved != current:
        raise RnnkitError(f"--resume with other data: {run_dir} was trained on different data (or data prepared "
                          "differently); resume with the original data, or train into a new --out")


def _unwrap(model: nn.Module) -> nn.Module:
    return model.module if hasattr(model, "module") else model


def _saved_step(path: Path) -> int:
    return int(load_checkpoint(path)["progress"]["step"])


def _progress_bar(cfg: TrainConfig, n_batches: int, initial: int, enabled: bool):
    if not enabled or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    total = cfg.max_steps if cfg.max_steps is not None else (cfg.max_epochs * n_batches if cfg.max_epochs else None)
    return tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True, mininterval=0.5, leave=False)


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
