"""Target transforms with exact inversion, and scalers whose state is plain data.

A forecast at origin o (history y[:o]) for step h is modelled as a change relative to the last
known value y[o-1]: level y, difference y - y[o-1], percent change y / y[o-1] - 1, or log return
log(y / y[o-1]). Every step inverts on its own (no cumulative sums), so quantiles stay quantiles
and `invert(changes(y)) == y` exactly up to float rounding.
"""

from __future__ import annotations

import numpy as np

from rnnkit.errors import RnnkitError

TRANSFORMS = ("level", "diff", "pct", "logret")
SCALERS = ("minmax", "standard", "robust", "none")


def check_transform(y: np.ndarray, kind: str, label: str = "target") -> None:
    if kind not in TRANSFORMS:
        raise RnnkitError(f"unknown target transform {kind!r}; choose one of {', '.join(TRANSFORMS)}")
    if kind in ("pct", "logret") and not (y > 0).all():
        raise RnnkitError(f"target transform {kind!r} needs a {label} above zero everywhere; use level or diff")


def step_changes(y: np.ndarray, kind: str) -> np.ndarray:
    """The one-step series the network reads: z[t] = change from y[t-1] to y[t] (z[0] = 0)."""
    if kind == "level":
        return y.astype(np.float64).copy()
    z = np.zeros(len(y), dtype=np.float64)
    z[1:] = changes(y[:-1], y[1:, None], kind)[:, 0]
    return z


def changes(last: np.ndarray, future: np.ndarray, kind: str) -> np.ndarray:
    """last: (N,), future: (N, H, ...) levels -> the same shape in transform space."""
    ref = last.reshape(last.shape + (1,) * (future.ndim - 1))
    if kind == "level":
        return future.astype(np.float64)
    if kind == "diff":
        return future - ref
    if kind == "pct":
        return future / ref - 1.0
    if kind == "logret":
        return np.log(future / ref)
    raise RnnkitError(f"unknown target transform {kind!r}")


def invert(last: np.ndarray, z: np.ndarray, kind: str) -> np.ndarray:
    """last: (N,), z: (N, H, ...) -> levels of the same shape (exact inverse of `changes`)."""
    ref = last.reshape(last.shape + (1,) * (z.ndim - 1))
    if kind == "level":
        return z.astype(np.float64)
    if kind == "diff":
        return ref + z
    if kind == "pct":
        return ref * (1.0 + z)
    if kind == "logret":
        return ref * np.exp(z)
    raise RnnkitError(f"unknown target transform {kind!r}")


class Scaler:
    """Column-wise scaler fit on training rows only. minmax maps to [-1, 1] (the tutorial's choice),
    standard to zero mean / unit variance, robust to zero median / unit inter-quartile range."""

    def __init__(self, kind: str, shift: list[float] | None = None, scale: list[float] | None = None):
        if kind not in SCALERS:
            raise RnnkitError(f"unknown scaler {kind!r}; choose one of {', '.join(SCALERS)}")
        self.kind = kind
        self.shift = np.asarray(shift if shift is not None else [], dtype=np.float64)
        self.scale = np.asarray(scale if scale is not None else [], dtype=np.float64)

    def fit(self, values: np.ndarray) -> "Scaler":
        """values: (N, C) or (N,)."""
        v = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
        if self.kind == "minmax":
            lo, hi = v.min(0), v.max(0)
            self.shift, self.scale = (hi + lo) / 2, (hi - lo) / 2
        elif self.kind == "standard":
            self.shift, self.scale = v.mean(0), v.std(0)
        elif self.kind == "robust":
            q1, med, q3 = np.percentile(v, [25, 50, 75], axis=0)
            self.shift, self.scale = med, q3 - q1
        else:
            self.shift, self.scale = np.zeros(v.shape[1]), np.ones(v.shape[1])
        self.scale = np.where(self.scale > 1e-12, self.scale, 1.0)  # a constant column stays put
        return self

    def transform(self, values: np.ndarray) -> np.ndarray:
        return (values - self.shift) / self.scale

    def inverse(self, values: np.ndarray) -> np.ndarray:
        return values * self.scale + self.shift

    def state_dict(self) -> dict:
        return {"kind": self.kind, "shift": self.shift.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_state(cls, state: dict) -> "Scaler":
        return cls(state["kind"], state["shift"], state["scale"])
