"""The forecasting run config: [model], [train], [data] and [forecast] sections."""

from __future__ import annotations

from dataclasses import dataclass, field

from rnnkit.config import ForecastModelConfig, TrainConfig
from rnnkit.errors import RnnkitError
from rnnkit.series.clean import CleanPolicy
from rnnkit.series.transforms import SCALERS, TRANSFORMS

LOSSES = ("quantile", "mse", "mae", "huber")
STRATEGIES = ("direct", "recursive")
NORMALIZE = ("none", "window")
RESIDUAL = ("none", "naive", "seasonal")
COMBINE = ("auto", "none", "ets", "arima", "theta", "mean", "best")  # with which statistical forecast (forecast/combine.py)


@dataclass
class DataConfig:
    """Where the data comes from, how it is cleaned and split, and how windows are encoded."""

    csv: str | None = None
    sep: str = ","  # column separator (";" for most European spreadsheet exports)
    decimal: str = "."  # "," for decimal commas
    thousands: str | None = None  # the thousands separator ("," reads 1,078 as 1078); None: US groups detected
    encoding: str = "utf-8"  # of the CSV (latin-1, cp1252 for older spreadsheet exports)
    errors: str = "strict"  # bytes invalid in the encoding: strict (an error naming the offset) | replace | ignore
    date_format: str | None = None  # strftime form of the dates, e.g. %d.%m.%Y; None = read by rnnkit.series.dates
    dayfirst: bool | None = None  # None: day/month order from the data; ambiguous dates are refused
    freq: str | None = None  # pandas offset alias (h, D, B, W-MON, MS, QS, ...); None = inferred
    date_col: str = "Date"
    target: str = "Close"
    id_col: str | None = None  # long format: "unique_id" (detected when the table has unique_id, ds, y)
    features: list[str] = field(default_factory=list)
    val: float = 0.1  # below 1: fraction of each series (at least one horizon); from 1 up: steps
    test: float = 0.2
    val_start: str | None = None  # dates override the fractions
    test_start: str | None = None
    holdout: str | None = None  # a file with each series' next values, scored after training (M4 layout:
    # id, then the values; or long unique_id, ds, y); for runs without a test part (data.test = 0)
    duplicates: str = "keep_last"  # keep_last | error
    missing: str = "ffill"  # ffill | interpolate | drop
    outliers: str = "flag"  # flag | clip | none
    outlier_method: str = "robust_z"  # robust_z | iqr
    outlier_threshold: float = 8.0
    target_transform: str = "auto"  # auto (forecast/design.py: level when seasonal, else logret) | level | diff | pct | logret
    scaler: str = "standard"  # minmax | standard | robust | none (fit on the training part only)
    normalize: str = "window"  # none | window: per window, log(y / its last season's mean) for levels,
    # changes / their RMS over the window otherwise
    calendar: bool = True  # day-of-week / month / hour, or seasonal phase, as inputs
    season: int | None = None  # seasonal period; None = the calendar's (hourly 24, daily 7, weekly 52,
    # monthly 12, quarterly 4, ...), detected from the autocorrelation for positions


@dataclass
class ForecastConfig:
    lookback: int | None = None  # None = from the data (forecast/design.py): whole seasons, or 60
    patch: int | None = None  # steps the recurrent cell reads at once (None: the season when it is >= 24, else 1)
    horizon: int = 1
    strategy: str = "direct"  # direct (H outputs) | recursive (1 output, fed back)
    residual: str = "auto"  # auto (seasonal when m > 1) | none | naive | seasonal: the network corrects this baseline
    loss: str = "quantile"  # quantile (pinball over the quantiles) | mse | mae | huber
    quantiles: list[float] = field(default_factory=lambda: [0.1, 0.5, 0.9])
    batch_size: int = 64
    windows_per_epoch: int | None = None  # sample this many training windows per epoch (global models)
    # statistical references in every report (rnnkit[stats]): any of ets, arima, theta; [] for none
    stat_models: list[str] = field(default_factory=lambda: ["ets", "arima", "theta"])
    # the network combined with a statistical forecast, its share chosen on validation
    # (forecast/combine.py): auto (AutoTheta when statsforecast is installed) | none | ets | arima | theta
    # | mean (the average of the three) | best (theta, ets and arima each tried on validation, the best kept)
    combine: str = "auto"
    # the combined forecast's interval: shift (the network's, moved with the median) | blend (each
    # quantile the same weighted average of the network's and the statistical model's own)
    combine_intervals: str = "blend"  # chosen on the seasonal validation parts (bench/results/forecast_seasonal.md)
    # a panel: each series' network share from its own validation windows (the panel's for new series)
    combine_per_series: bool = False
    # train a fresh network on training + validation for the epochs early stopping chose (the shares
    # stay the ones chosen on validation); the selection run is kept in the run folder's select/
    refit: bool = False


@dataclass
class ForecastRunConfig:
    # width 128: chosen on validation across M4 Hourly and the seasonal files (bench/results/forecast_seasonal.md)
    model: ForecastModelConfig = field(default_factory=lambda: ForecastModelConfig(cell="lstm", hidden=128, layers=2))
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        lr=1e-3, weight_decay=0.0, schedule="plateau", warmup_steps=0, max_epochs=20, eval_every=0,
        patience=5, log_every=10))
    data: DataConfig = field(default_factory=DataConfig)
    forecast: ForecastConfig = field(default_factory=ForecastConfig)


def clean_policy(data: DataConfig, horizon: int = 0) -> CleanPolicy:
    """Cleaning that knows the split, so no statistic or fill reads a later part; parts given as
    fractions hold at least one `horizon`."""
    return CleanPolicy(data.duplicates, data.missing, data.outliers, data.outlier_method, data.outlier_threshold,
                       data.val, data.test, data.val_start, data.test_start,
                       data.date_format, data.dayfirst, data.decimal, data.freq, horizon, thousands=data.thousands)


def check(cfg: ForecastRunConfig) -> None:
    """Reject bad settings before anything is read or written."""
    f, d = cfg.forecast, cfg.data
    choices = [("model.cell", cfg.model.cell, cfg.model.CELLS), ("data.target_transform", d.target_transform, ("auto",) + TRANSFORMS),
               ("data.scaler", d.scaler, SCALERS), ("data.normalize", d.normalize, NORMALIZE),
               ("forecast.loss", f.loss, LOSSES), ("forecast.strategy", f.strategy, STRATEGIES),
               ("forecast.residual", f.residual, ("auto",) + RESIDUAL),
               ("forecast.combine", f.combine, COMBINE),
               ("forecast.combine_intervals", f.combine_intervals, ("shift", "blend"))]
    for name, value, allowed in choices:
        if value not in allowed:
            raise RnnkitError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    if f.horizon <= 0:
        raise RnnkitError(f"--horizon must be >= 1, got {f.horizon}")
    if f.lookback is not None and f.lookback <= 0:
        raise RnnkitError(f"--lookback must be >= 1, got {f.lookback}")
    if f.patch is not None and f.lookback is not None and (f.patch < 1 or f.lookback % f.patch):
        raise RnnkitError(f"forecast.patch must be >= 1 and divide --lookback ({f.lookback}), got {f.patch}")
    if f.batch_size <= 0:
        raise RnnkitError(f"forecast.batch_size must be >= 1, got {f.batch_size}")
    if any(not 0 < q < 1 for q in f.quantiles):
        raise RnnkitError(f"--quantiles must lie strictly between 0 and 1, got {f.quantiles}")
    unknown = [k for k in f.stat_models if k not in ("ets", "arima", "theta")]
    if unknown:
        raise RnnkitError(f"--stat-models takes ets, arima, theta (comma-separated) or none; got "
                          f"{', '.join(map(repr, unknown))}")
    for name in ("val", "test"):
        value = getattr(d, name)
        if value < 0 or (value >= 1 and value != int(value)):
            raise RnnkitError(f"--{name} takes a share below 1 or a whole number of steps, got {value:g}")
    if d.season is not None and d.season < 1:
        raise RnnkitError(f"--season must be >= 1, got {d.season}")


def quantile_levels(f: ForecastConfig) -> list[float]:
    """The quantiles the head emits: the configured ones plus the median (the point forecast);
    an empty list for point losses."""
    if f.loss != "quantile":
        return []
    return sorted(set(round(q, 6) for q in f.quantiles) | {0.5})
