"""The one training loop: `fit(model, task, cfg, run_dir, ...)`.

It owns AdamW, gradient clipping, the LR schedule, evaluation every `eval_every` steps, early
stopping, `best.pt` / `last.pt`, the metrics log, `summary.json`, Ctrl-C / SIGTERM handling, NaN
detection and exact resume. Exact resume means: model, optimizer, schedule, RNG states, the data
position (epoch, batch index) and the carried recurrent state are all in `last.pt`, so an
interrupted run that is resumed ends with the same weights as an uninterrupted one (on CPU).

Read `fit()` top to bottom: it names the phases, and `_Run` holds what they share.

    _Run(...)             set up: check the budget and the run folder, seed, build the optimizer
    .resume()             --resume: weights, optimizer, schedule, position, carry, RNG from last.pt;
                          a best.pt that is missing or unreadable: its record is forgotten
    .open_folder()        wrap for DDP, write config.json, open metrics.jsonl
    .train()              the epoch loop: budget -> epoch boundary -> .step() -> .evaluate_and_checkpoint()
    .finish(stopped)      final evaluation or interrupted save, summary.json, raise or return

What the trainer knows of the model: its parameters (grouped by the model, see
models/groups.py) and its state_dict. What it knows of the task: the `Task` protocol.
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from rnnkit.config import TrainConfig
from rnnkit.console import progress
from rnnkit.errors import RnnkitError, TrainingDiverged, TrainingInterrupted
from rnnkit.files import check_no_run, check_out_folder, write_text
from rnnkit.models.groups import optimizer_groups
from rnnkit.models.state import detach_state, state_to
from rnnkit.train import distributed
from rnnkit.train.checkpoint import load_checkpoint, save_checkpoint
from rnnkit.train.progress import Progress, budget_exhausted, check_budget, progress_fraction
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
StepHook = Callable[[int, float], bool]
EvalHook = Callable[[int, dict[str, float]], bool]


@dataclass
class FitResult:
    run_dir: Path
    stopped: str  # max_steps | max_epochs | max_minutes | early_stopping | hook (fit() raises on NaN or a signal)
    summary: dict[str, Any]


def fit(
    model: nn.Module,
    task: Task,
    cfg: TrainConfig,
    run_dir: str | Path,
    *,
    kind: str,
    config: dict[str, Any],
    architecture: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    data_fingerprint: str | None = None,
    resume: bool = False,
    on_step: StepHook | None = None,
    on_eval: EvalHook | None = None,
    log: Log | None = None,
) -> FitResult:
    """Train `model` on `task`. `config` is the resolved run config (plain data) and `extra` the
    task's plain-data state (tokenizer, scaler, ...), both stored in every checkpoint.
    `architecture` (plain data, e.g. the model settings) must be the same on `resume`;
    `data_fingerprint` (see train/fingerprint.py) too: a resume refuses other data.

    `on_step(step, loss)` and `on_eval(step, metrics)` may return True to stop the run early
    (tests simulate an interruption this way; a tuner prunes a trial).

    Under torchrun (see train/distributed.py) the model is wrapped in DistributedDataParallel, each
    rank trains on its rows of every batch, rank 0 alone evaluates and writes, and ranks > 0 raise
    `NotMainRank` at the end so that nothing the caller does after training runs twice."""
    run = _Run(model, task, cfg, Path(run_dir), kind=kind, config=config, architecture=architecture,
               extra=extra, data_fingerprint=data_fingerprint, resume=resume, log=log)
    if resume:
        run.resume()
    run.open_folder()
    stopped = run.train(on_step, on_eval)
    return run.finish(stopped)


class _Run:
    """One fit() call: the model, optimizer, schedule, position and carried state its phases share."""

    def __init__(self, model: nn.Module, task: Task, cfg: TrainConfig, run_dir: Path, *, kind: str,
                 config: dict[str, Any], architecture: dict[str, Any] | None, extra: dict[str, Any] | None,
                 data_fingerprint: str | None, resume: bool, log: Log | None):
        self.main = distributed.is_main()
        self.log: Log = (log or progress) if self.main else (lambda _msg: None)
        check_budget(cfg)
        apply_threads(cfg.threads)
        self.task, self.cfg, self.run_dir, self.kind = task, cfg, run_dir, kind
        self.config, self.architecture, self.extra = config, architecture, extra or {}
        self.fingerprint = data_fingerprint
        self.device = distributed.local_device(resolve_device(cfg.device))
        self.last_path = run_dir / "last.pt"
        self._check_folder(resume)
        if not resume:
            seed_everything(cfg.seed + distributed.rank())  # ranks draw different dropout masks
        self.model = model.to(self.device)
        self.optimizer = torch.optim.AdamW(optimizer_groups(model, cfg.weight_decay), lr=cfg.lr)
        self.schedule = Schedule(cfg.schedule, cfg.lr, cfg.warmup_steps, cfg.min_lr_ratio,
                                 cfg.plateau_factor, cfg.plateau_patience)
        self.prog = Progress()
        self.carry: Any = None  # the recurrent state carried between batches of an epoch (TBPTT)
        self.metrics_log = None
        self.n_batches = task.batches_per_epoch()
        self.precision = resolve_precision(cfg.precision, self.device)
        self.autocast = autocast_for(self.precision, self.device)
        self.stopper = SignalStopper()
        self.started = 0.0  # monotonic time the (resumed) run counts from
        self.last_shown = -math.inf  # when an evaluation line was last printed

    # -- setup and resume --------------------------------------------------------------------
    def _check_folder(self, resume: bool) -> None:
        if self.main:
            check_out_folder(self.run_dir)  # a file in the way, a read-only place: say so before any work
        if not resume:
            check_no_run(self.run_dir, ("last.pt",))
        if resume and not self.last_path.exists():
            raise RnnkitError(f"--resume: {self.run_dir} has no last.pt to resume from")

    def resume(self) -> None:
        ckpt = load_checkpoint(self.last_path, kind=self.kind)
        _check_same_data(ckpt.get("data_fingerprint"), self.fingerprint, self.run_dir)
        _check_same_architecture(_saved_architecture(ckpt), self.architecture)
        self.model.load_state_dict(ckpt["model"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.schedule.load_state_dict(ckpt["schedule"])
        self.prog = Progress(**ckpt["progress"])
        own = distributed.own_state(ckpt, self.run_dir)
        self.carry = state_to(own.get("carry"), self.device)
        set_rng_state(own["rng"])
        p = self.prog
        self.log(f"resumed {self.run_dir} at step {p.step} (epoch {p.epoch}, batch {p.index})")
        self._forget_best_without_file()

    def _forget_best_without_file(self) -> None:
        """A recorded best whose best.pt is missing or unreadable is forgotten, so that the next
        evaluation (at the latest the final one, see finish()) writes a new best.pt and summary.json
        describes the file that is there: otherwise a resume that never beats the old best ends
        with no usable best.pt while reporting success."""
        p = self.prog
        if not math.isfinite(p.best):  # nothing recorded yet: no best.pt is expected
            return
        best = self.run_dir / "best.pt"
        if not best.is_file():
            why = "is missing"
        else:
            try:
                load_checkpoint(best, kind=self.kind)
                return
            except RnnkitError as e:
                why = f"is unreadable ({e})"
        self.log(f"warning: {best} {why}; forgetting the recorded best (step {p.best_step}, "
                 f"{self.task.monitor} {p.best:.4f}): the next evaluation writes a new best.pt")
        p.best, p.best_step, p.best_metrics, p.bad_evals = math.inf, 0, {}, 0
        p.last_eval_step = -1  # evaluate at the end even when no step is left to train

    def open_folder(self) -> None:
        self.model = distributed.wrap(self.model, self.device)
        if self.main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            write_text(self.run_dir / "config.json", json.dumps(self.config, indent=2) + "\n")
            repair_jsonl(self.run_dir / "metrics.jsonl")
            self.metrics_log = (self.run_dir / "metrics.jsonl").open("a")

    # -- the epoch loop ----------------------------------------------------------------------
    def train(self, on_step: StepHook | None, on_eval: EvalHook | None) -> str:
        """Step until a budget is spent or something stops the run; returns why it stopped."""
        cfg, prog = self.cfg, self.prog
        bar = _progress_bar(cfg, self.n_batches, prog.step, enabled=self.main)
        self.started = time.monotonic() - prog.elapsed_s
        stopped = ""
        self.model.train()
        with self.stopper:
            while not stopped:
                prog.elapsed_s = time.monotonic() - self.started
                if cfg.max_minutes is not None:  # the LR schedule and the stop follow the slowest rank
                    prog.elapsed_s = distributed.agree_max(prog.elapsed_s)
                stopped = budget_exhausted(cfg, prog, self.n_batches)
                if stopped:
                    break
                if prog.index >= self.n_batches:  # epoch boundary: new shuffle, state reset (TBPTT)
                    prog.epoch, prog.index, self.carry = prog.epoch + 1, 0, None
                    continue
                loss = self.step(bar)
                if loss is None:
                    stopped = "nan_loss"
                    break
                if on_step is not None and on_step(prog.step, loss):
                    stopped = "hook"
                if prog.step % cfg.eval_every == 0:
                    metrics, _ = self.evaluate_and_checkpoint()
                    if cfg.patience is not None and prog.bad_evals >= cfg.patience:
                        stopped = "early_stopping"
                    if on_eval is not None and on_eval(prog.step, metrics):
                        stopped = "hook"
                if self.stopper.signal_name and not stopped:
                    stopped = "interrupted"
                stopped = distributed.agree_stop(stopped)
        if bar is not None:
            bar.close()
        return stopped

    def step(self, bar) -> float | None:
        """One optimizer step on the next batch; its loss, or None (nothing changed) when it is not finite."""
        cfg, prog = self.cfg, self.prog
        t0 = time.perf_counter()
        lr = self.schedule.lr_at(prog.step, progress_fraction(cfg, prog, self.n_batches))
        for group in self.optimizer.param_groups:
            group["lr"] = lr * group.get("lr_scale", 1.0)  # a model may ask for a faster group (models/groups.py)
        rows = distributed.shard(self.task.batch(prog.epoch, prog.index))
        batch = tuple(t.to(self.device, non_blocking=True) for t in rows)
        with self.autocast():
            loss, new_carry, n_items = self.task.train_loss(self.model, batch, self.carry)
        loss_value, n_items = distributed.agree_step(float(loss.detach()), n_items)
        if not math.isfinite(loss_value):
            return None
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip > 0:
            nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
        self.optimizer.step()
        self.carry = detach_state(new_carry)
        prog.step += 1
        prog.index += 1
        prog.items += n_items
        prog.train_s += time.perf_counter() - t0
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{loss_value:.3f}", **{f"{self.task.unit}/s": f"{prog.speed():,.0f}"},
                            refresh=False)
        if prog.step % cfg.log_every == 0:
            self._write({"event": "train", "step": prog.step, "epoch": prog.epoch, "loss": loss_value,
                         "lr": lr, f"{self.task.unit}_per_sec": prog.speed()})
        return loss_value

    # -- evaluation and checkpoints ----------------------------------------------------------
    def evaluate(self) -> dict[str, float]:
        metrics = None
        if self.main:  # identical weights on every rank: evaluate once, share the numbers
            self.model.eval()
            with torch.no_grad(), self.autocast():
                metrics = {k: float(v) for k, v in self.task.evaluate(_unwrap(self.model), self.device).items()}
            self.model.train()
        return distributed.from_main(metrics)

    def evaluate_and_checkpoint(self, always_show: bool = False) -> tuple[dict[str, float], bool]:
        """Evaluate, track the best value (early stopping, the plateau schedule), log, and write
        best.pt when it improved and last.pt always. Returns (metrics, improved)."""
        prog = self.prog
        metrics = self.evaluate()
        prog.last_eval_step = prog.step
        value = metrics[self.task.monitor]
        improved = value < prog.best
        if improved:
            prog.best, prog.best_step, prog.best_metrics, prog.bad_evals = value, prog.step, metrics, 0
        else:
            prog.bad_evals += 1
        self.schedule.observe(value)
        self._write({"event": "eval", "step": prog.step, "epoch": prog.epoch, **metrics})
        ranks = self._rank_states()
        if self.main:
            if improved:
                save_checkpoint(self.run_dir / "best.pt", self._bundle(with_state=False))
            save_checkpoint(self.last_path, self._bundle(with_state=True, ranks=ranks))
        # Every evaluation is in metrics.jsonl; on screen, improvements and one line per 10 s at most,
        # so that tasks evaluating every epoch of a few steps do not flood the terminal.
        if improved or always_show or time.monotonic() - self.last_shown >= 10:
            self.last_shown = time.monotonic()
            shown = "  ".join(f"{k}={v:.4f}" for k, v in metrics.items())
            self.log(f"step {prog.step}  {shown}{'  (best)' if improved else ''}")
        return metrics, improved

    def save_last(self) -> None:
        ranks = self._rank_states()  # collective: every rank takes part
        if self.main:
            save_checkpoint(self.last_path, self._bundle(with_state=True, ranks=ranks))

    def _bundle(self, with_state: bool, ranks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        b = {
            "kind": self.kind,
            "config": self.config,
            "extra": self.extra,
            "model": _unwrap(self.model).state_dict(),
            "progress": self.prog.__dict__.copy(),
        }
        if self.architecture is not None:
            b["architecture"] = self.architecture
        if self.fingerprint is not None:
            b["data_fingerprint"] = self.fingerprint
        if with_state:
            b.update(optimizer=self.optimizer.state_dict(), schedule=self.schedule.state_dict(),
                     carry=state_to(self.carry, "cpu"), rng=get_rng_state())
            if ranks is not None and len(ranks) > 1:  # each rank's own streams' state and RNG
                b.update(world_size=len(ranks), ranks=ranks)
        return b

    def _rank_states(self) -> list[dict[str, Any]] | None:
        """Collective: every rank's carry and RNG, for last.pt (None in a single process)."""
        if not distributed.is_distributed():
            return None
        return distributed.gather({"carry": state_to(self.carry, "cpu"), "rng": get_rng_state()})

    def _write(self, row: dict[str, Any]) -> None:
        if self.metrics_log is not None:
            self.metrics_log.write(json.dumps(row) + "\n")
            self.metrics_log.flush()

    # -- the end -----------------------------------------------------------------------------
    def finish(self, stopped: str) -> FitResult:
        """Close the run: a last evaluation (or, interrupted, a last.pt to resume from), then
        summary.json. A diverged or interrupted model is no result: that raises."""
        prog = self.prog
        prog.elapsed_s = time.monotonic() - self.started
        diverged = ""
        if stopped == "nan_loss":
            kept = (f"last.pt, step {_saved_step(self.last_path)}" if self.last_path.exists()
                    else "none was written yet")
            diverged = (f"the training loss became NaN/Inf at step {prog.step + 1}; the last good checkpoint is kept "
                        f"({kept}); lower --lr, keep gradient clipping on, or check the data for extreme values")
        elif stopped == "interrupted":
            self.save_last()
            self.log(f"interrupted by {self.stopper.signal_name}: saved {self.last_path} at step {prog.step}; "
                     "continue with --resume")
        elif prog.last_eval_step != prog.step and prog.step > 0:
            self.evaluate_and_checkpoint(always_show=True)
        if self.metrics_log is not None:
            self.metrics_log.close()
        summary = self._summary(stopped)
        if self.main:
            write_text(self.run_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
        distributed.barrier()  # the run folder is complete before any rank reads it again
        if not self.main:
            raise distributed.NotMainRank(f"rank {distributed.rank()} finished training")
        if diverged:
            raise TrainingDiverged(diverged)
        if stopped == "interrupted":
            raise TrainingInterrupted(f"training stopped by {self.stopper.signal_name}; {self.last_path} is saved, "
                                      "continue with --resume")
        return FitResult(self.run_dir, stopped, summary)

    def _summary(self, stopped: str) -> dict[str, Any]:
        prog = self.prog
        summary = {
            "kind": self.kind,
            "stopped": stopped,
            "steps": prog.step,
            "epochs": prog.epochs(self.n_batches),
            "elapsed_s": round(prog.elapsed_s, 3),
            f"train_{self.task.unit}_per_sec": round(prog.speed(), 1),
            "best_step": prog.best_step,
            **{f"best_{k}": v for k, v in prog.best_metrics.items()},
            "device": str(self.device),
            "threads": torch.get_num_threads(),
            "precision": self.precision,
        }
        if distributed.world_size() > 1:
            summary["processes"] = distributed.world_size()
        return summary


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


def _saved_architecture(ckpt: dict[str, Any]) -> dict[str, Any] | None:
    # Checkpoints written before fit() took `architecture` kept it only as their config's model table.
    if "architecture" in ckpt:
        return ckpt["architecture"]
    return ckpt.get("config", {}).get("model")


def _check_same_architecture(saved: dict[str, Any] | None, current: dict[str, Any] | None) -> None:
    if current is None:  # the caller declared nothing to hold fixed
        return
    old, new = saved or {}, current
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
