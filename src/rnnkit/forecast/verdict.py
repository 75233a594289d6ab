"""The report's verdict: the model against the best reference, with a difference within noise called
a tie.

The best reference is the baseline or statistical model with the lowest RMSE on the very points the
model is scored on. The test is Diebold and Mariano's (1995) on squared errors, with the small-sample
correction of Harvey, Leybourne and Newbold (1997):

    d_t = e_model,t^2 - e_ref,t^2      errors divided by each series' MASE scale, so a panel's
                                       series weigh alike
    DM  = mean(d) / sqrt(V / T)        V: long-run variance of d, autocovariances up to lag h - 1
                                       (a forecast h steps ahead overlaps the next h - 1), Bartlett
                                       weights, computed within each series
    p   = two-sided, from the normal distribution (T is hundreds of points or more in a report)

p >= 0.05 is a tie; otherwise the sign of mean(d) says whether the model beats the reference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ALPHA = 0.05


@dataclass
class Verdict:
    outcome: str  # "beats" | "tie" | "worse" | "none"
    best: str | None
    rel_rmse: float | None  # model RMSE / best reference RMSE
    p_value: float | None
    dm: float | None
    text: str


def diebold_mariano(model_err: list[np.ndarray], ref_err: list[np.ndarray], horizon: int) -> tuple[float, float]:
    """(DM statistic, two-sided p). Each list holds per-series error arrays (N, H) in origin order;
    a negative statistic means the model's squared errors are smaller."""
    ds = [(a.astype(np.float64) ** 2 - b.astype(np.float64) ** 2).ravel() for a, b in zip(model_err, ref_err)]
    ds = [d[np.isfinite(d)] for d in ds]
    d_all = np.concatenate(ds) if ds else np.zeros(0)
    T = len(d_all)
    if T < 2:
        return float("nan"), float("nan")
    mean = float(d_all.mean())
    lag = max(0, horizon - 1)
    v = 0.0
    for d in ds:  # autocovariances within each series, summed, then divided by T
        x = d - mean
        v += float(np.dot(x, x))
        for k in range(1, min(lag, len(x) - 1) + 1):
            v += 2 * (1 - k / (lag + 1)) * float(np.dot(x[:-k], x[k:]))
    v /= T
    if v <= 0:
        return (0.0, 1.0) if mean == 0 else (math.copysign(math.inf, mean), 0.0)
    dm = mean / math.sqrt(v / T)
    h = lag + 1
    dm *= math.sqrt(max((T + 1 - 2 * h + h * (h - 1) / T) / T, 1e-12))  # Harvey-Leybourne-Newbold
    p = math.erfc(abs(dm) / math.sqrt(2))
    return float(dm), float(p)


def decide(ev, model: str, alpha: float = ALPHA) -> Verdict:
    """The verdict of `model` in an Evaluation (forecast/evaluate.py) against its best reference."""
    scores = ev.scores
    refs = {k: v["rmse"] for k, v in scores.items() if k != model and v.get("rmse") is not None}
    if model not in scores or not refs:
        return Verdict("none", None, None, None, None, "no reference score to compare with")
    best = min(refs, key=refs.get)
    rel = scores[model]["rmse"] / refs[best] if refs[best] > 0 else None
    dm, p = diebold_mariano(ev.errors.get(model, []), ev.errors.get(best, []), ev.horizon)
    test = f"Diebold-Mariano test on squared errors, HAC lag {max(0, ev.horizon - 1)}, p = {p:.3g}"
    rel_text = f"RMSE {ratio(rel)} x {best}'s" if rel is not None else "RMSE -"
    if _same(ev.errors.get(model, []), ev.errors.get(best, [])):
        outcome = "tie"
        text = (f"{model} forecasts exactly as the best reference, {best}, on every point: the run kept none of "
                f"the network's own forecast (validation chose so; see the settings), so it is {best}")
    elif not math.isfinite(p) or p >= alpha:
        outcome = "tie"
        text = f"{model} ties with the best reference, {best}: {rel_text}, a difference within noise ({test} >= {alpha:g})"
    elif dm < 0:
        outcome = "beats"
        text = f"{model} beats the best reference, {best}: {rel_text} ({test} < {alpha:g})"
    else:
        outcome = "worse"
        text = f"{model} does not beat the best reference, {best}: {rel_text}, worse beyond noise ({test} < {alpha:g})"
    naive = scores.get("naive")
    if best != "naive" and naive and scores[model].get("rel_rmse_vs_naive") is not None:
        text += f"; against persistence: RMSE {ratio(scores[model]['rel_rmse_vs_naive'])} x naive's"
    return Verdict(outcome, best, rel, p if math.isfinite(p) else None, dm if math.isfinite(dm) else None, text)


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    """True when two models' errors agree on every point (one repeats the other's forecast)."""
    return bool(a) and len(a) == len(b) and all(x.shape == y.shape and np.allclose(x, y, rtol=1e-9, atol=1e-12)
                                                  for x, y in zip(a, b))


def ratio(x: float) -> str:
    """A ratio of errors for a sentence: 4 decimals near 1, 3 significant digits far from it (a
    reference that is all but exact on a constant stretch makes ratios of 10^6 and more)."""
    return f"{x:.4f}" if 1e-3 <= abs(x) < 1e3 else f"{x:.3g}"
