"""The network combined with a statistical forecast (the `rnnkit[stats]` extra), as far as
validation supports it:

    median = w * network's median + (1 - w) * statistical model's forecast,   w in WEIGHTS

Every quantile moves by the median's change, so the network's interval widths stay. w is chosen on
the validation windows (origins every max(1, h // 2) steps) by the geometric mean over series of
each series' RMSE relative to the network alone, so every series weighs the same whatever its
scale; ties keep the larger network share, and w = 1 is the network unchanged. With `per_series`
(`forecast.combine_per_series`) each series of a panel gets the w of its own validation windows,
and the panel's w stays for series the run never saw.

The statistical model is fitted once per series, on its training part (for a series the run never
saw: on the history before the first origin asked), and rolled forward to later origins with
statsforecast's `forward()` (forecast/stats.py). A loaded run refits it on first use from the same
rows, so nothing but its name and w is stored. Series that fell back to a baseline are not combined.
"""

from __future__ import annotations

import numpy as np

from rnnkit.errors import RnnkitError
from rnnkit.forecast.stats import KINDS, MEAN, MEAN_NAME, NAMES, available, stat_model
from rnnkit.series.frame import Series
from rnnkit.series.windows import origins

WEIGHTS = (1.0, 0.5, 0.0)  # the network's share, tried in this order; the first of equal scores wins
AUTO = "theta"  # what "auto" combines with: chosen on validation (bench/results/forecast_seasonal.md, step 1)
BEST = "best"  # each of PARTNERS tried on the validation windows, the lowest error kept
PARTNERS = ("theta", "ets", "arima")  # in this order: the first of equal scores wins (the cheapest first)


def kind(setting: str) -> str | None:
    """The statistical model a `forecast.combine` setting asks for, or None (none, or no statsforecast);
    `best` is answered by `kinds`."""
    chosen = AUTO if setting == "auto" else setting
    return chosen if (chosen in KINDS or chosen == MEAN or chosen == BEST) and available() else None


def kinds(setting: str) -> tuple[str, ...]:
    """The statistical models a `forecast.combine` setting tries on validation (empty: none)."""
    chosen = kind(setting)
    return () if chosen is None else PARTNERS if chosen == BEST else (chosen,)


INTERVALS = ("shift", "blend")  # how the interval follows: the network's, moved | both models' quantiles averaged


class Combination:
    def __init__(self, kind_: str, season: int, weight: float = 1.0, train_ends: dict[str, int] | None = None,
                 intervals: str = "shift", weights: dict[str, float] | None = None):
        self.kind, self.weight, self.intervals = kind_, float(weight), intervals
        self.weights = {k: float(v) for k, v in (weights or {}).items()}  # series id -> its own w (per_series)
        self.name = NAMES.get(kind_, MEAN_NAME)
        self.score = 0.0  # choose(): the chosen w's mean log RMSE ratio to the network alone (0 at w = 1)
        self.stat = stat_model(kind_, season)
        self.train_ends = dict(train_ends or {})

    def state(self) -> dict:
        own = {"weights": dict(self.weights)} if self.weights else {}
        return {"kind": self.kind, "weight": self.weight, "intervals": self.intervals, **own}

    def weight_of(self, series_id: str) -> float:
        return self.weights.get(series_id, self.weight)

    def made_by(self, series_id: str, network: str) -> str:
        """What forecasts the series: the network, the statistical model (share 0), or both."""
        w = self.weight_of(series_id)
        return network if w >= 1.0 else self.name if w <= 0.0 else f"{network}+{self.name}"

    def uses_stat(self) -> bool:
        return needs_stat(self.state())

    def describe(self) -> str:
        if self.weights:
            counts = {w: sum(v == w for v in self.weights.values()) for w in WEIGHTS}
            told = ", ".join(f"{w:g} for {n}" for w, n in counts.items() if n)
            return (f"combined with {self.name}, network share per series (chosen on each series' validation "
                    f"windows): {told}; {self.weight:g} for other series")
        if self.weight == 0.0:
            return f"replaced by {self.name}: validation preferred it to the network (network share 0)"
        blend = f"; quantiles averaged with {self.name}'s own" if self.intervals == "blend" and self.weight < 1 else ""
        return f"combined with {self.name}, network share {self.weight:g} (chosen on validation){blend}"

    def statistical(self, series: Series, at: np.ndarray, horizon: int,
                    quantiles: list[float] | None = None) -> np.ndarray:
        """(N, horizon) statistical forecasts from origins `at`; with `quantiles`, (N, horizon, Q)."""
        if series.id not in self.stat.fitted:
            end = min(int(np.min(at)), self.train_ends.get(series.id, len(series)))
            self.stat.fit_series(series, end)
        out = self.stat.forecast(series, at, horizon, quantiles)
        return out if quantiles else out[..., 0]

    def apply(self, series: Series, at: np.ndarray, levels: np.ndarray, point: int,
              quantiles: list[float] | None = None) -> np.ndarray:
        """levels (N, H, Q) of the network -> the combined levels. `shift`: every quantile moves by
        the median's change; `blend` (given the Q quantile levels): each quantile is the same
        weighted average of the network's and the statistical model's own quantile."""
        w = self.weight_of(series.id)
        if w >= 1.0 or len(at) == 0:
            return levels
        if self.intervals == "blend" and quantiles and len(quantiles) == levels.shape[-1] >= 3:
            stat_q = self.statistical(series, at, levels.shape[1], list(quantiles))
            return np.sort(w * levels + (1.0 - w) * stat_q, axis=-1)
        stat = self.statistical(series, at, levels.shape[1])
        return levels + ((1.0 - w) * (stat - levels[..., point]))[..., None]

    def choose(self, cases: list[tuple[Series, np.ndarray, np.ndarray]], horizon: int, point: int,
               per_series: bool = False) -> float:
        """cases: (series, validation origins, the network's levels there (N, H, Q)) -> the chosen w
        (of the whole set); with `per_series`, each series' own w too (`weights`)."""
        logs = {w: [] for w in WEIGHTS}
        for series, at, levels in cases:
            truth = series.y[at[:, None] + np.arange(horizon)[None, :]]
            stat = self.statistical(series, at, horizon)
            net = levels[..., point]
            base = _rmse(net, truth)
            for w in WEIGHTS:
                logs[w].append(np.log(max(_rmse(w * net + (1 - w) * stat, truth), 1e-12) / max(base, 1e-12)))
        means = {w: float(np.mean(v)) if v else 0.0 for w, v in logs.items()}
        self.weight = _best(means)
        self.score = means[self.weight]
        self.weights = {}
        if per_series and len(cases) > 1:
            self.weights = {s.id: _best({w: logs[w][i] for w in WEIGHTS}) for i, (s, _, _) in enumerate(cases)}
        return self.weight


def from_meta(meta: dict, season: int) -> Combination | None:
    """The combination a trained run chose (its meta), ready to forecast; None when it has none. A
    run that needs its statistical model (network share below 1) refuses to load without
    statsforecast rather than forecast differently from how it was trained and scored."""
    c = meta.get("combine")
    if not c:
        return None
    if kind(c["kind"]) is None:
        if needs_stat(c):
            name = NAMES.get(c["kind"], MEAN_NAME)
            raise RnnkitError(f"this model combines its network with a statistical forecast ({name}); "
                              "pip install 'rnnkit[stats]' to run it")
        return None
    return Combination(c["kind"], season, c["weight"], train_ends(meta), c.get("intervals", "shift"),
                       c.get("weights"))


def needs_stat(state: dict) -> bool:
    """Whether a combination (its `state()`) reads the statistical model: a network share below 1,
    the panel's or any series' own."""
    return min([state["weight"], *state.get("weights", {}).values()]) < 1.0


def train_ends(meta: dict, splits: list | None = None) -> dict[str, int]:
    """Series id -> the end of its training part (from `splits`, else from a run's meta): the rows
    each series' statistical model is fitted on."""
    ends = [sp.train_end for sp in splits] if splits else [sp[0] for sp in meta.get("splits", [])]
    return dict(zip(meta.get("series", []), ends))


def validation_origins(start: int, end: int, lookback: int, horizon: int, first: int) -> np.ndarray:
    return origins(start, end, lookback, horizon, every=max(1, horizon // 2), first=first)


def _best(scores: dict[float, float]) -> float:
    """The w of the lowest mean log RMSE ratio (0 is the network alone); the first of equal ones."""
    best, best_score = 1.0, 0.0
    for w in WEIGHTS:
        if scores[w] < best_score - 1e-9:
            best, best_score = w, scores[w]
    return best


def _rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a - b) ** 2)))
