"""Statistical references from statsforecast (the `rnnkit[stats]` extra): AutoETS, AutoARIMA and
AutoTheta with the baselines' interface, `fit(data, ends)` and `forecast(series, origins, horizon)`
-> levels (N, H, 1), so every report scores them on exactly the network's points.

Refit cost: each series is fitted once, on the data before `ends` (the first scored origin); at
every origin o the fitted model is applied to the history y[:o] with statsforecast's `forward()`
(parameters kept, states filtered through the new history), so a rolling test costs one fit plus
one filter pass per origin, like the network.

Seasons (documented, not tuned): the models get the data's season m when m <= 24. Above 24 (half-
hourly 48, weekly 52, 5-minute 169...) statsforecast's ETS has no seasonal state (it refuses
m > 24) and a seasonal AutoARIMA takes minutes per fit, so the series is first divided by
classical multiplicative seasonal indices (additive when it is not positive) estimated on the
fitting part, the model is fitted non-seasonally, and forecasts are re-seasonalised: the
"seasonal decomposition + model" recipe (statsforecast's MSTL idea with one season). Fits read at
most the last `max_fit` points (at least 10 seasons), which bounds the cost on long series.
"""

from __future__ import annotations

import warnings

import numpy as np

from rnnkit.errors import RnnkitError
from rnnkit.series.frame import Series, SeriesSet

KINDS = {"ets": "AutoETS", "arima": "AutoARIMA", "theta": "AutoTheta"}
NAMES = {"ets": "auto_ets", "arima": "auto_arima", "theta": "auto_theta"}
MEAN, MEAN_NAME = "mean", "stat_mean"  # the equal-weight mean of the three (forecast combination's classic)
MAX_NATIVE_SEASON = 24


def available() -> bool:
    try:
        import statsforecast  # noqa: F401
    except ImportError:
        return False
    return True


def missing_note() -> str:
    return ("statistical references (AutoETS, AutoARIMA, AutoTheta) not shown: statsforecast is not installed; "
            "pip install 'rnnkit[stats]'")


class StatModel:
    """One statsforecast model per series, fitted once and rolled forward over the origins."""

    def __init__(self, kind: str, season: int, max_fit: int = 2000):
        if kind not in KINDS:
            raise RnnkitError(f"unknown statistical model {kind!r}; choose from {', '.join(KINDS)}")
        self.kind, self.season, self.max_fit = kind, max(1, int(season)), max_fit
        self.name = NAMES[kind]
        self.native = self.season if self.season <= MAX_NATIVE_SEASON else 1
        self.fitted: dict[str, tuple] = {}  # series id -> (model or None, seasonal indices (m,) or None, additive)
        self.failed: list[str] = []

    def _new(self):
        try:
            import statsforecast.models as sm
        except ImportError:
            raise RnnkitError(missing_note()) from None
        cls = getattr(sm, KINDS[self.kind])
        if self.kind == "arima":
            return cls(season_length=self.native, approximation=True)
        return cls(season_length=self.native)

    def fit(self, data: SeriesSet, ends: list[int]) -> "StatModel":
        for s, end in zip(data.series, ends):
            self.fit_series(s, end)
        return self

    def fit_series(self, s: Series, end: int) -> None:
        """Fit series `s` on its rows before `end`."""
        keep = max(self.max_fit, 10 * self.season)
        y = s.y[max(0, end - keep):end].astype(np.float64)
        idx, additive = None, False
        if self.season > self.native and len(y) >= 2 * self.season:
            additive = not (y > 0).all()
            idx = _indices(y, self.season, additive, phase=max(0, end - keep))
            y = _adjust(y, idx, max(0, end - keep), additive)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                model = self._new().fit(y)
        except Exception:  # noqa: BLE001 - a model that cannot be fitted falls back to persistence
            model = None
            self.failed.append(s.id)
        self.fitted[s.id] = (model, idx, additive)

    def forecast(self, series: Series, at: np.ndarray, horizon: int,
                 quantiles: list[float] | None = None) -> np.ndarray:
        """(N, horizon, 1) mean forecasts from origins `at`; with `quantiles` (levels such as 0.1,
        0.5, 0.9) -> (N, horizon, Q): 0.5 the mean, the others the model's own central intervals
        (0.1 and 0.9: its 80% interval)."""
        if series.id not in self.fitted:
            raise RnnkitError(f"{self.name} was not fitted on series {series.id}")
        model, idx, additive = self.fitted[series.id]
        qs = list(quantiles) if quantiles else [0.5]
        keys = ["mean" if abs(q - 0.5) <= 1e-9 else f"{'lo' if q < 0.5 else 'hi'}-{round(100 * abs(1 - 2 * q))}"
                for q in qs]  # statsforecast's names: 0.1 -> lo-80, 0.9 -> hi-80
        widths = sorted({int(k[3:]) for k in keys if k != "mean"})
        out = np.zeros((len(at), horizon, len(qs)))
        for i, o in enumerate(np.asarray(at, dtype=np.int64)):
            lo = max(0, int(o) - max(self.max_fit, 10 * self.season))  # the same history length as the fit
            y = series.y[lo:o].astype(np.float64)
            if idx is not None:
                y = _adjust(y, idx, lo, additive)
            cols = None
            if model is not None:
                try:
                    with warnings.catch_warnings(), np.errstate(all="ignore"):
                        warnings.simplefilter("ignore")
                        res = model.forward(y, h=horizon, level=widths or None)
                    cols = np.stack([np.asarray(res[k], dtype=np.float64) for k in keys], axis=-1)
                except Exception:  # noqa: BLE001
                    cols = None
            if cols is None or not np.isfinite(cols).all():
                cols = np.repeat(np.repeat(y[-1], horizon)[:, None], len(qs), axis=1)  # persistence, no width
            if idx is not None:
                pos = (o + np.arange(horizon)) % self.season
                cols = cols + idx[pos][:, None] if additive else cols * idx[pos][:, None]
            out[i] = cols
        return out


class MeanModel:
    """The equal-weight mean of AutoETS, AutoARIMA and AutoTheta, with StatModel's interface: the
    M competitions' lesson that a plain average of statistical forecasts is harder to beat than
    any one of them."""

    kind, name = MEAN, MEAN_NAME

    def __init__(self, season: int, max_fit: int = 2000):
        self.parts = [StatModel(k, season, max_fit) for k in KINDS]
        self.fitted: dict[str, bool] = {}

    @property
    def failed(self) -> list[str]:
        return sorted({sid for p in self.parts for sid in p.failed})

    def fit(self, data: SeriesSet, ends: list[int]) -> "MeanModel":
        for s, end in zip(data.series, ends):
            self.fit_series(s, end)
        return self

    def fit_series(self, s: Series, end: int) -> None:
        for p in self.parts:
            p.fit_series(s, end)
        self.fitted[s.id] = True

    def forecast(self, series: Series, at: np.ndarray, horizon: int,
                 quantiles: list[float] | None = None) -> np.ndarray:
        return np.mean([p.forecast(series, at, horizon, quantiles) for p in self.parts], axis=0)


def stat_model(kind: str, season: int, max_fit: int = 2000) -> StatModel | MeanModel:
    """One of KINDS, or MEAN (their average)."""
    return MeanModel(season, max_fit) if kind == MEAN else StatModel(kind, season, max_fit)


def _indices(y: np.ndarray, m: int, additive: bool, phase: int) -> np.ndarray:
    """(m,) seasonal indices by absolute position (t mod m) from a centred 2 x m moving average."""
    kernel = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    trend = np.convolve(y, kernel, mode="valid")
    off = (len(kernel) - 1) // 2
    part = y[off:off + len(trend)]
    ratio = part - trend if additive else part / trend
    pos = (np.arange(len(ratio)) + off + phase) % m
    idx = np.array([ratio[pos == k].mean() if (pos == k).any() else (0.0 if additive else 1.0) for k in range(m)])
    return idx - idx.mean() if additive else idx * m / idx.sum()


def _adjust(y: np.ndarray, idx: np.ndarray, first: int, additive: bool) -> np.ndarray:
    pos = (first + np.arange(len(y))) % len(idx)
    return y - idx[pos] if additive else y / idx[pos]


def stat_models(season: int, kinds: list[str] | tuple[str, ...] = ("ets", "arima", "theta"),
                max_fit: int = 2000) -> list[StatModel]:
    """The statistical references, or [] when statsforecast is not installed (the report says so)."""
    if not kinds or not available():
        return []
    return [StatModel(k, season, max_fit) for k in kinds]
