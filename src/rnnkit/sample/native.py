"""Build and load kernel.c (the whole-step kernel) with the system C compiler, once per machine.

The shared library is cached under $RNNKIT_CACHE_DIR (default ~/.cache/rnnkit), named by a hash of
the source, the flags and the compiler, so an edit or another CPU rebuilds it. When no compiler
works, `load()` returns None and sampling falls back to the NumPy stepper (same arithmetic, slower).
Set RNNKIT_NATIVE=0 to force the fallback.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

SOURCE = Path(__file__).with_name("kernel.c")
FLAGS = ["-O3", "-march=native", "-fno-math-errno", "-fPIC", "-shared"]
MAX_LAYERS = 16


class Mat(ctypes.Structure):
    _fields_ = [("w", ctypes.c_void_p), ("scale", ctypes.c_void_p), ("type", ctypes.c_int32),
                ("k", ctypes.c_int32), ("npad", ctypes.c_int32), ("pad_", ctypes.c_int32)]


class Net(ctypes.Structure):
    _fields_ = [
        ("cell", ctypes.c_int32), ("layers", ctypes.c_int32), ("hidden", ctypes.c_int32),
        ("vocab", ctypes.c_int32), ("gpad", ctypes.c_int32), ("vpad", ctypes.c_int32),
        ("layer_norm", ctypes.c_int32), ("pad_", ctypes.c_int32), ("eps", ctypes.c_float), ("pad2_", ctypes.c_float),
        ("table", ctypes.c_void_p), ("ln_w", ctypes.c_void_p), ("ln_b", ctypes.c_void_p),
        ("head_b", ctypes.c_void_p), ("head", Mat), ("w_ih", Mat * MAX_LAYERS), ("w_hh", Mat * MAX_LAYERS),
        ("b", ctypes.c_void_p * MAX_LAYERS), ("b_hh", ctypes.c_void_p * MAX_LAYERS),
    ]


def _cache_dir() -> Path:
    return Path(os.environ.get("RNNKIT_CACHE_DIR") or Path.home() / ".cache" / "rnnkit")


def _compiler() -> str | None:
    return os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")


@lru_cache(maxsize=1)
def load() -> ctypes.CDLL | None:
    """The compiled kernel, or None (no compiler, a failed build, or RNNKIT_NATIVE=0)."""
    if os.environ.get("RNNKIT_NATIVE", "1") == "0":
        return None
    cc = _compiler()
    if cc is None:
        return None
    try:
        source = SOURCE.read_bytes()
    except OSError:  # an install without the package data
        return None
    key = hashlib.sha256(source + " ".join([cc, *FLAGS, platform.machine(), platform.node()]).encode()).hexdigest()
    target = _cache_dir() / f"rnnkit_step_{key[:16]}.so"
    if not target.exists():
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
                built = Path(tmp) / target.name
                subprocess.run([cc, *FLAGS, str(SOURCE), "-o", str(built), "-lm"], check=True,
                               capture_output=True, timeout=120)
                os.replace(built, target)  # atomic: concurrent processes never load a half-written file
        except (OSError, subprocess.SubprocessError):
            return None
    try:
        lib = ctypes.CDLL(str(target))
    except OSError:
        return None
    if lib.rk_abi() != ctypes.sizeof(Net):
        return None
    lib.rk_step.restype = None
    lib.rk_step.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                            ctypes.c_void_p, ctypes.c_void_p]
    p = ctypes.c_void_p
    lib.rk_run.restype = None
    lib.rk_run.argtypes = [p, ctypes.c_int, ctypes.c_int, p, p, p, p, p, p, p, p, p, p]
    lib.rk_probs.restype = None
    lib.rk_probs.argtypes = [p, ctypes.c_int, ctypes.c_float, ctypes.c_int, ctypes.c_float, p]
    return lib
