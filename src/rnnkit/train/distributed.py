"""Process groups for multi-process training (DistributedDataParallel under torchrun).

Without torch.distributed initialised, everything here describes one process of rank 0 and every
helper is the identity, so single-process training runs exactly as before.

The equivalence the trainer relies on (tests/distributed/test_ddp.py checks it):

    single process, batch of B rows:   loss = mean over B rows          grad = d loss / d w
    W ranks, rank r gets rows          loss_r = mean over its B/W rows  DDP all-reduces and
      [r*B/W, (r+1)*B/W) of the same                                    averages: (1/W) sum_r grad_r
      global batch                                                      = d (mean over B rows) / d w

so with B divisible by W, one DDP step equals one single-process step on the concatenated batch
(up to float summation order), and AdamW, clipping and the schedule then act on identical
gradients on every rank. For text the rows are TBPTT streams: rank r owns its contiguous streams
and carries their recurrent state. Dropout masks differ (each rank draws its own), which is the
only source of difference when dropout > 0.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import os
import re
import signal
import subprocess
import sys
from typing import Any, Iterator

import torch
import torch.distributed as dist

from rnnkit.errors import RnnkitError

DEFAULT_TIMEOUT_S = 300  # a collective that waits this long means a peer died or hangs


class NotMainRank(Exception):
    """Raised by `fit()` on ranks > 0 once training has ended: what callers do after training
    (test scores, reports, plots) is rank 0's job, and entry points (`process_group()`) end such a
    rank quietly."""


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def is_main() -> bool:
    """Only rank 0 writes checkpoints, logs and the progress bar."""
    return rank() == 0


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def timeout_s() -> float:
    value = os.environ.get("RNNKIT_DIST_TIMEOUT", str(DEFAULT_TIMEOUT_S))
    try:
        seconds = float(value)
    except ValueError:
        raise RnnkitError(f"RNNKIT_DIST_TIMEOUT must be a number of seconds, got {value!r}") from None
    if seconds <= 0:
        raise RnnkitError(f"RNNKIT_DIST_TIMEOUT must be > 0, got {value!r}")
    return seconds


def setup(init_method: str = "env://", rank_: int | None = None, world_size_: int | None = None,
          timeout: float | None = None) -> None:
    """Join the process group: gloo for CPU tensors, nccl for CUDA tensors when a GPU is present.

    torchrun provides RANK, WORLD_SIZE, MASTER_ADDR/PORT (init_method env://); tests pass a file://
    init_method, a rank and a world size. Each CUDA rank uses the GPU numbered LOCAL_RANK."""
    if is_distributed():
        return
    backend = "gloo"
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        backend = "cpu:gloo,cuda:nccl"  # small CPU-side collectives stay on gloo
    kwargs: dict[str, Any] = {}
    if rank_ is not None:
        kwargs.update(rank=rank_, world_size=world_size_)
    seconds = timeout if timeout is not None else timeout_s()
    try:
        dist.init_process_group(backend, init_method=init_method,
                                timeout=datetime.timedelta(seconds=seconds), **kwargs)
    except (RuntimeError, ValueError) as e:
        raise RnnkitError(f"could not join the process group ({_first_line(e)}); check the torchrun "
                          f"rendezvous options (--rdzv-endpoint, --nnodes, --node-rank)") from None


def teardown() -> None:
    if is_distributed():
        dist.destroy_process_group()


@contextlib.contextmanager
def process_group() -> Iterator[None]:
    """Run a training command as one rank when launched by torchrun (WORLD_SIZE > 1), else as a
    plain process. Ranks > 0 print nothing on stdout; a dead or silent peer becomes a one-line
    error instead of a traceback or an endless wait."""
    if not launched_by_torchrun():
        yield
        return
    setup()
    saved = sys.stdout
    if not is_main():
        sys.stdout = open(os.devnull, "w")
    try:
        yield
    except NotMainRank:
        pass
    except (dist.DistError, RuntimeError) as e:
        if not _is_peer_failure(e):
            raise
        cause = _first_line(e).split(". ")[0][:160]  # gloo appends generic advice after the cause
        raise RnnkitError(f"rank {rank()}: another training process failed or stopped answering "
                          f"({cause}); the job is stopped, continue it with --resume") from None
    finally:
        if sys.stdout is not saved:
            sys.stdout.close()
            sys.stdout = saved
        teardown()


def _is_peer_failure(e: BaseException) -> bool:
    if isinstance(e, dist.DistError):
        return True
    text = str(e).lower()
    return any(s in text for s in ("gloo", "nccl", "connection", "timed out", "timeout", "peer"))


def _first_line(e: BaseException) -> str:
    text = re.sub(r"^\[[^\]]*\]\s*", "", str(e).strip())  # gloo prefixes its source location
    return text.splitlines()[0] if text else type(e).__name__


# -- what the trainer needs --------------------------------------------------------------------

def local_device(device: torch.device) -> torch.device:
    """Each rank on its own GPU (torchrun's LOCAL_RANK); CPU stays CPU."""
    if is_distributed() and device.type == "cuda" and device.index is None:
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return device


def wrap(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """DistributedDataParallel around `model` (which broadcasts rank 0's weights), or `model`."""
    if not is_distributed():
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)


def shard(batch: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    """This rank's rows of a global batch (every tensor has the batch on dim 0).

    Rank r takes the contiguous rows [r*k, (r+1)*k), k = ceil(B / W); when B is not divisible by W
    the last ranks wrap around to the first rows (as DistributedSampler pads), so every rank has k
    rows and the gradient average weighs each rank equally."""
    w = world_size()
    if w == 1:
        return batch
    n = batch[0].shape[0]
    k = math.ceil(n / w)
    start = rank() * k
    if start + k <= n:
        return tuple(t[start:start + k] for t in batch)
    rows = torch.arange(start, start + k) % n
    return tuple(t[rows] for t in batch)


def agree_step(loss: float, items: int) -> tuple[float, int]:
    """(mean loss over ranks, items over ranks): every rank sees the same loss, so a NaN on one
    rank stops them all at the same step."""
    if not is_distributed():
        return loss, items
    t = torch.tensor([loss, float(items)], dtype=torch.float64)
    dist.all_reduce(t)
    return float(t[0]) / world_size(), int(t[1])


STOP_REASONS = ("", "hook", "early_stopping", "interrupted")


def agree_stop(reason: str) -> str:
    """The strongest stop reason any rank has, on every rank (so all ranks leave the loop together)."""
    if not is_distributed():
        return reason
    t = torch.tensor([STOP_REASONS.index(reason)], dtype=torch.int64)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return STOP_REASONS[int(t[0])]


def agree_max(value: float) -> float:
    """The largest value over ranks (elapsed time: a wall-clock budget must end every rank at once)."""
    if not is_distributed():
        return value
    t = torch.tensor([value], dtype=torch.float64)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return float(t[0])


def barrier() -> None:
    if is_distributed():
        dist.barrier()


def own_state(ckpt: dict[str, Any], where: Any) -> dict[str, Any]:
    """This rank's carry and RNG state from a last.pt bundle (a single-process bundle holds them at
    the top level); a distributed run resumes with as many processes as it was trained with."""
    saved, now = int(ckpt.get("world_size", 1)), world_size()
    if saved != now:
        raise RnnkitError(f"{where} was trained with {saved} process(es); resume it with --nproc {saved} "
                          f"(this job has {now})")
    return ckpt["ranks"][rank()] if saved > 1 else ckpt


def from_main(obj: Any) -> Any:
    """Rank 0's `obj` on every rank (validation metrics: evaluated once, identical everywhere)."""
    if not is_distributed():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def gather(obj: Any) -> list[Any]:
    """Every rank's `obj`, in rank order, on every rank (per-rank carry and RNG for last.pt)."""
    if not is_distributed():
        return [obj]
    out: list[Any] = [None] * world_size()
    dist.all_gather_object(out, obj)
    return out


# -- `--nproc N`: relaunch the command under torchrun -----------------------------------------

def launch_torchrun(nproc: int, argv: list[str]) -> int:
    """Run `rnnkit <argv without --nproc>` as `python -m torch.distributed.run --standalone
    --nproc-per-node N -m rnnkit ...` and return its exit status (2 when a rank stopped on a
    user error, whose one-line message it printed)."""
    if nproc < 1:
        raise RnnkitError(f"--nproc must be >= 1, got {nproc}")
    if launched_by_torchrun():
        raise RnnkitError("--nproc launches torchrun itself; under torchrun leave --nproc out")
    cmd = torchrun_command(nproc, argv)
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    interrupted: list[int] = []
    # Ctrl-C reaches the ranks too (same process group), which save last.pt; here it is only noted
    old = signal.signal(signal.SIGINT, lambda signum, frame: interrupted.append(signum))
    try:
        proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True, bufsize=1)
        report = LauncherFilter(sys.stderr)
        for line in proc.stderr:
            report.feed(line)
        code = proc.wait()
    finally:
        signal.signal(signal.SIGINT, old)
    if code == 0:
        return 0
    if interrupted:
        return 130
    if report.exit_code in (2, 130):
        return report.exit_code
    raise RnnkitError(f"a training process failed (exit status {report.exit_code or code}); its messages are above")


def torchrun_command(nproc: int, argv: list[str]) -> list[str]:
    # --standalone: a private rendezvous on a free local port, so several jobs on one machine coexist.
    # "--" stops torchrun's own parser from reading rnnkit's flags: it takes abbreviations, so
    # e.g. classify's --monitor would be an ambiguous prefix of its --monitor-interval.
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
            "-m", "--", "rnnkit", *_without_nproc(argv)]


def _without_nproc(argv: list[str]) -> list[str]:
    out, skip, found = [], False, False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--nproc":
            skip = found = True
        elif arg.startswith("--nproc="):
            found = True
        else:
            out.append(arg)
    if not found:
        raise RnnkitError("--nproc relaunches the rnnkit command line; call rnnkit from a shell, or use torchrun")
    return out


class LauncherFilter:
    """Passes the ranks' stderr through, minus torchrun's own noise: its log lines, the launcher's
    traceback and failure report (whose root-cause exit status it keeps), and the same one-line
    error repeated by every rank."""

    def __init__(self, out):
        self.out = out
        self.exit_code: int | None = None
        self._held: list[str] = []
        self._report_rules = 0  # "=====" lines seen inside torchrun's failure report
        self._in_report = False
        self._root = False
        self._errors: set[str] = set()

    def feed(self, line: str) -> None:
        if self._in_report:
            self._read_report(line)
        elif self._held:
            self._held.append(line)
            if len(self._held) >= 4:  # the 4th line says whose traceback this is
                if "torch/distributed/run.py" in self._held[3]:
                    self._held, self._in_report = [], True
                else:
                    self._flush()
        elif line.startswith("Traceback (most recent call last):"):
            self._held = [line]
        elif re.match(r"^[WEI]\d{4} .*torch/distributed/", line):
            pass
        elif line.startswith("rnnkit: error:"):
            if line not in self._errors:
                self._errors.add(line)
                self.out.write(line)
        else:
            self.out.write(line)

    def _read_report(self, line: str) -> None:
        if line.startswith("====="):
            self._report_rules += 1
            self._in_report = self._report_rules < 2
        elif line.startswith("Root Cause"):
            self._root = True
        elif self._root and line.strip().startswith("exitcode") and self.exit_code is None:
            m = re.search(r":\s*(-?\d+)", line)
            self.exit_code = int(m.group(1)) if m else None

    def _flush(self) -> None:
        for held in self._held:
            self.out.write(held)
        self._held = []
