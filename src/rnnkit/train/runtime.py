"""The process around a training run: device, precision, threads, RNG state, signals.

Kept apart from the loop in trainer.py; everything here is plain PyTorch/OS plumbing."""

from __future__ import annotations

import contextlib
import random
import signal
from typing import Any, Callable

import numpy as np
import torch

from rnnkit.errors import RnnkitError


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RnnkitError("--device cuda was asked for, but PyTorch sees no CUDA device; use --device cpu")
    if name not in ("cpu", "cuda") and not name.startswith("cuda:"):
        raise RnnkitError(f"unknown device {name!r}; use auto, cpu or cuda")
    return torch.device(name)


def resolve_precision(name: str, device: torch.device) -> str:
    """`auto` is bf16 autocast where the hardware runs bf16 natively (AVX512-BF16/AMX CPUs, bf16
    CUDA GPUs), else fp32: there bf16 trains faster with the same loss curve (BENCHMARKS.md, "bf16
    autocast keeps the loss curve", has the figures)."""
    if name != "auto":
        return name
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    try:
        native = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        native = False
    return "bf16" if native else "fp32"


def apply_threads(threads: int | None) -> None:
    if threads is not None:
        if threads < 1:
            raise RnnkitError(f"--threads must be >= 1, got {threads}")
        torch.set_num_threads(threads)

def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def get_rng_state() -> dict[str, Any]:
    np_state = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *np_state[2:]],
        "python": random.getstate(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    name, keys, *rest = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), *rest))
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])

def autocast_for(precision: str, device: torch.device) -> Callable[[], contextlib.AbstractContextManager]:
    if precision == "bf16":
        return lambda: torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext

class SignalStopper:
    """Turns SIGINT / SIGTERM into a flag checked at the next step boundary, so last.pt is
    always written from a consistent state. A second Ctrl-C aborts at once."""

    def __init__(self):
        self.signal_name = ""
        self._old: dict[int, Any] = {}

    def _handle(self, signum, _frame):
        if self.signal_name:
            raise KeyboardInterrupt
        self.signal_name = signal.Signals(signum).name

    def __enter__(self):
        try:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        except ValueError:  # not the main thread: leave signals alone
            self._old.clear()
        return self

    def __exit__(self, *exc):
        for sig, handler in self._old.items():
            signal.signal(sig, handler)
        return False
