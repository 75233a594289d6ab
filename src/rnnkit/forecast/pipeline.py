"""The fitted data pipeline: series -> network inputs and targets, and network outputs -> levels.

Fit on training parts only (`fit`), it holds plain data (`state_dict`) that goes into every
checkpoint. Window encoding is vectorised over many series at once: the series are concatenated
and a window is addressed by the global position of its origin (windows never cross series).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnkit.errors import RnnkitError
from rnnkit.series.frame import Series, SeriesSet
from rnnkit.series.transforms import Scaler, changes, check_transform, invert, step_changes
from rnnkit.series.windows import calendar_features


@dataclass
class Arrays:
    """Concatenated series. Y: (N,) levels; Z: (N, C) per-step inputs that do not depend on the
    window (scaled one-step changes, scaled features, calendar); starts: (S,) first position of
    each series; ends: (S,) one past its last."""

    Y: np.ndarray
    Z: np.ndarray
    starts: np.ndarray
    ends: np.ndarray


class Pipeline:
    def __init__(self, transform: str, scaler: str, normalize: str, calendar: bool, season: int,
                 lookback: int, horizon: int, residual: str, freq: str | None, n_features: int,
                 patch: int = 1, dated: bool = False):
        self.transform, self.normalize, self.calendar = transform, normalize, calendar
        self.season, self.lookback, self.horizon, self.residual = season, lookback, horizon, residual
        self.freq, self.n_features, self.patch = freq, n_features, patch
        self.dated = dated  # calendar inputs from dates, else the seasonal phase of the position
        # normalize = window: levels become log(y / the window's recent level); changes are divided
        # by the window's own RMS change, so intervals follow the current volatility
        self.by_level = normalize == "window" and transform == "level"
        self.by_volatility = normalize == "window" and transform != "level"
        self.target_scaler = Scaler("none" if self.by_level else scaler)
        self.feature_scaler = Scaler(scaler)
        self.nonnegative = False  # fit(): no training value below zero, so no forecast goes below zero

    # -- fitting (training parts only) -------------------------------------------------------
    def fit(self, data: SeriesSet, train_ends: list[int]) -> "Pipeline":
        for s in data.series:
            check_transform(s.y, self.transform)
            if self.by_level and not (s.y > 0).all():
                raise RnnkitError(f"series {s.id}: --normalize window on levels needs a target above zero "
                                  "everywhere; use --normalize none or --target-transform diff")
        self.nonnegative = all((s.y[:e] >= 0).all() for s, e in zip(data.series, train_ends))
        first = 0 if self.transform == "level" else 1  # z[0] of a change series is a placeholder
        z = np.concatenate([step_changes(s.y[:e], self.transform)[first:] for s, e in zip(data.series, train_ends)])
        self.target_scaler.fit(z if len(z) else np.zeros(1))
        if self.n_features:
            f = np.concatenate([self._feature_changes(s.X[:e])[first:] for s, e in zip(data.series, train_ends)])
            self.feature_scaler.fit(f)
        return self

    def _feature_changes(self, X: np.ndarray) -> np.ndarray:
        """Features follow the target's transform where their values allow it (levels otherwise)."""
        cols = []
        for j in range(X.shape[1]):
            kind = self.transform
            if kind in ("pct", "logret") and not (X[:, j] > 0).all():
                kind = "diff"
            cols.append(step_changes(X[:, j], kind))
        return np.stack(cols, axis=1) if cols else np.zeros((len(X), 0))

    # -- encoding ----------------------------------------------------------------------------
    @property
    def n_inputs(self) -> int:
        return (1 + self.n_features + self._calendar(None, 1).shape[1]) * self.patch

    def _calendar(self, s: Series | None, n: int) -> np.ndarray:
        if not self.calendar:
            return np.zeros((n, 0))
        if s is None:  # only the width is wanted
            probe = _probe_index(self.freq or "D", n) if self.dated else None
            return calendar_features(probe, np.arange(n), self.freq, self.season)
        return calendar_features(s.index, s.t0 + np.arange(len(s)), self.freq, self.season)

    def arrays(self, series: list[Series]) -> Arrays:
        Ys, Zs = [], []
        for s in series:
            cols = [self.target_scaler.transform(step_changes(s.y, self.transform))[:, None]]
            if self.n_features:
                cols.append(self.feature_scaler.transform(self._feature_changes(s.X)))
            cols.append(self._calendar(s, len(s)))
            Ys.append(s.y.astype(np.float64))
            Zs.append(np.concatenate(cols, axis=1))
        lengths = np.array([len(s) for s in series], dtype=np.int64)
        ends = np.cumsum(lengths)
        return Arrays(np.concatenate(Ys), np.concatenate(Zs).astype(np.float32), ends - lengths, ends)

    def level(self, Y: np.ndarray, g: np.ndarray) -> np.ndarray:
        """(N,) per-window scale for normalize = window: mean of the window's last season."""
        m = max(1, min(self.season, self.lookback))
        return Y[g[:, None] - np.arange(1, m + 1)[None, :]].mean(axis=1)

    def volatility(self, a: Arrays, g: np.ndarray) -> np.ndarray:
        """(N,) per-window scale for normalize = window on changes: RMS of the scaled changes."""
        v = a.Z[g[:, None] + np.arange(-self.lookback, 0)[None, :], 0].astype(np.float64)
        return np.maximum(np.sqrt(np.mean(v ** 2, axis=1)), 0.05)

    def inputs(self, a: Arrays, g: np.ndarray) -> np.ndarray:
        """Origins g (global positions) -> (N, lookback / patch, patch * C) float32 inputs: with a
        patch of p steps (e.g. one day of hourly data) the recurrent cell reads p steps at a time."""
        idx = g[:, None] + np.arange(-self.lookback, 0)[None, :]
        x = a.Z[idx]  # (N, L, C)
        if self.by_level:
            x = x.copy()
            x[:, :, 0] = np.log(a.Y[idx] / self.level(a.Y, g)[:, None])
        elif self.by_volatility:
            x = x.copy()
            x[:, :, 0] /= self.volatility(a, g)[:, None]
        return x.reshape(len(g), self.lookback // self.patch, -1)

    def encode(self, a: Arrays, g: np.ndarray, levels: np.ndarray) -> np.ndarray:
        """Levels (N, H[, Q]) at origins g -> model space."""
        extra = (1,) * (levels.ndim - 1)
        if self.by_level:
            return np.log(levels / self.level(a.Y, g).reshape(-1, *extra))
        sh, sc = self.target_scaler.shift[0], self.target_scaler.scale[0]
        if self.by_volatility:
            sc = sc * self.volatility(a, g).reshape(-1, *extra)
        return (changes(a.Y[g - 1], levels, self.transform) - sh) / sc

    def decode(self, a: Arrays, g: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Model space (N, H[, Q]) -> levels (exact inverse of `encode`)."""
        extra = (1,) * (out.ndim - 1)
        if self.by_level:
            return np.exp(out) * self.level(a.Y, g).reshape(-1, *extra)
        sh, sc = self.target_scaler.shift[0], self.target_scaler.scale[0]
        if self.by_volatility:
            sc = sc * self.volatility(a, g).reshape(-1, *extra)
        return invert(a.Y[g - 1], out * sc + sh, self.transform)

    def floor(self, levels: np.ndarray) -> np.ndarray:
        """Forecast levels of data that never went below zero (counts, sales) kept at or above it."""
        return np.maximum(levels, 0.0) if self.nonnegative else levels

    def base(self, a: Arrays, g: np.ndarray, horizon: int) -> np.ndarray:
        """(N, H) the residual baseline in model space (zeros when residual = none)."""
        if self.residual == "none":
            return np.zeros((len(g), horizon))
        if self.residual == "naive" or self.season <= 1:
            levels = np.repeat(a.Y[g - 1][:, None], horizon, axis=1)
        else:
            m = self.season
            back = m - (np.arange(horizon) % m)  # step h reads the value m, 2m, ... steps earlier
            levels = a.Y[g[:, None] - back[None, :]]
        return self.encode(a, g, levels)

    def targets(self, a: Arrays, g: np.ndarray) -> np.ndarray:
        """(N, H) training targets in model space, minus the residual baseline."""
        future = a.Y[g[:, None] + np.arange(self.horizon)[None, :]]
        return self.encode(a, g, future) - self.base(a, g, self.horizon)

    # -- plain-data state --------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {"transform": self.transform, "normalize": self.normalize, "calendar": self.calendar,
                "season": self.season, "lookback": self.lookback, "horizon": self.horizon,
                "residual": self.residual, "freq": self.freq, "n_features": self.n_features, "patch": self.patch,
                "dated": self.dated, "nonnegative": self.nonnegative,
                "target_scaler": self.target_scaler.state_dict(), "feature_scaler": self.feature_scaler.state_dict()}

    @classmethod
    def from_state(cls, st: dict) -> "Pipeline":
        p = cls(st["transform"], "none", st["normalize"], st["calendar"], st["season"], st["lookback"],
                st["horizon"], st["residual"], st["freq"], st["n_features"], st["patch"], st["dated"])
        p.target_scaler = Scaler.from_state(st["target_scaler"])
        p.feature_scaler = Scaler.from_state(st["feature_scaler"])
        p.nonnegative = bool(st.get("nonnegative", False))  # runs saved before it: unbounded
        return p


def _probe_index(freq: str, n: int):
    from rnnkit.series.calendar import probe_index  # sessions (business hours) too

    return probe_index(freq, n)
