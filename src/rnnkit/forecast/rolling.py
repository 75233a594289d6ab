"""Forecasts beyond the trained horizon H of a direct model: the model is rolled forward on simulated
paths, so the intervals widen as uncertainty compounds.

    block 1 (steps 1..H):     the model's own quantiles
    each path p:              z_p ~ N(0, 1) per block; the block's values are the two-piece normal
                              through the model's median and outer quantiles at z_p (one draw per
                              block: a shock persists over the block, as it does in level data)
    block k+1:                the model, fed each path's history (true history + simulated blocks),
                              forecasts the next H steps; a new draw per path
    steps > H:                quantiles (and the median point) across the paths

Exogenous features are held at their last value; calendar inputs follow the future dates. A point
model (no quantiles) rolls its point forecast forward and has no interval. The estimator refuses
horizons beyond `reach`: the larger of lookback + H (until then every window still holds true
history) and ROLL_BLOCKS blocks (a model with a short window rolls on simulated values alone, as
any recursive forecaster does, and the paths' spread says how little that is worth).
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from rnnkit.series.frame import Series, future_index

N_PATHS = 200
ROLL_BLOCKS = 10  # blocks of the trained horizon a forecast may be rolled to, whatever the window


def reach(lookback: int, horizon: int) -> int:
    """The longest horizon a direct model of this window and trained horizon is rolled forward to."""
    return max(lookback + horizon, ROLL_BLOCKS * horizon)


def roll_forward(est, series: Series, at: np.ndarray, horizon: int, n_paths: int = N_PATHS,
                 seed: int = 0) -> np.ndarray:
    """(N, horizon, Q) levels from origins `at` for horizon > the trained H."""
    H = est.cfg.forecast.horizon
    first = est._network(series, at, H)  # (N, H, Q), the network's own (forecast() combines after)
    N, Q = len(at), first.shape[-1]
    levels = est.quantiles or [0.5]
    paths_n = n_paths if Q >= 3 else 1
    p = est.pipeline
    keep = p.lookback + max(p.season, 1) + est.first + 2  # the history a window, its level and its base read
    floor = 1e-6 if p.by_level or p.transform in ("pct", "logret") else -np.inf
    rng = np.random.default_rng(seed)
    out = np.zeros((N, horizon, Q))
    out[:, :H] = first
    for i, o in enumerate(np.asarray(at, dtype=np.int64)):
        lo = max(0, int(o) - keep)
        hist = Series(series.id, series.y[lo:o], series.X[lo:o], None if series.index is None else series.index[lo:o],
                      series.t0 + lo)
        sim = np.zeros((paths_n, 0))
        block = first[i]
        while True:
            draws = _draw(block if block.ndim == 3 else np.broadcast_to(block, (paths_n, *block.shape)), levels, rng)
            sim = np.concatenate([sim, np.maximum(draws, floor)], axis=1)
            if sim.shape[1] >= horizon:
                break
            ext = [_extend(hist, sim[k], p.freq) for k in range(paths_n)]
            a = p.arrays(ext)
            block = np.sort(est._direct(a, a.ends), axis=-1)  # (P, H, Q): each path's next block
        sim = sim[:, :horizon]
        if Q >= 3:
            out[i, H:] = np.quantile(sim[:, H:], levels, axis=0).T
        else:
            out[i, H:, 0] = sim[0, H:]
    return out


def _draw(block: np.ndarray, levels: list[float], rng: np.random.Generator) -> np.ndarray:
    """block: (P, H, Q) quantiles per path -> (P, H) one simulated block per path."""
    mid = block[..., levels.index(0.5)] if 0.5 in levels else block.mean(axis=-1)
    if block.shape[-1] < 3:
        return mid
    z_lo, z_hi = NormalDist().inv_cdf(levels[0]), NormalDist().inv_cdf(levels[-1])
    s_lo = np.maximum(mid - block[..., 0], 0) / -z_lo
    s_hi = np.maximum(block[..., -1] - mid, 0) / z_hi
    z = rng.standard_normal((block.shape[0], 1))
    return mid + z * np.where(z > 0, s_hi, s_lo)


def _extend(hist: Series, values: np.ndarray, freq: str | None) -> Series:
    """The history followed by simulated values (features held at their last row, dates continued)."""
    k = len(values)
    X = np.concatenate([hist.X, np.repeat(hist.X[-1:], k, axis=0)]) if hist.X.shape[1] else np.zeros((len(hist) + k, 0))
    index = None
    if hist.index is not None:
        index = hist.index.append(pd.DatetimeIndex(future_index(hist.index[-1], freq, k, 0)))
    return Series(hist.id, np.concatenate([hist.y, values]), X, index, hist.t0)
