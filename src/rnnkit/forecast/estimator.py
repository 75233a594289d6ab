"""The user-facing estimator: `Forecaster(cfg).fit(df)` -> `.predict(h)`, `.cross_validation(df, h,
n_windows)`, `.evaluate(...)` (the long-format DataFrame API, forecast/frames.py); `.fit_run(data,
run_dir)` (what the CLI runs), `.forecast(series, origins, horizon)`, `Forecaster.load(run_dir)`. It owns the split, the fitted pipeline and the network;
the trainer owns optimisation. Baselines (forecast/baselines.py) share `forecast()`."""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import torch

from rnnkit.config import from_dict, to_dict
from rnnkit.errors import RnnkitError
from rnnkit.forecast import combine, shares
from rnnkit.forecast.config import ForecastRunConfig, check, quantile_levels
from rnnkit.forecast.fallback import choose as choose_fallback
from rnnkit.forecast.fallback import forecast as fallback_forecast
from rnnkit.forecast.fallback import summary as fallback_summary
from rnnkit.forecast.design import resolve as resolve_design
from rnnkit.forecast.pipeline import Arrays, Pipeline
from rnnkit.forecast.task import WindowTask
from rnnkit.models.forecaster import ForecasterEnsemble, WindowForecaster
from rnnkit.series.clean import when
from rnnkit.series.frame import Series, SeriesSet, future_index
from rnnkit.series.split import split_bounds
from rnnkit.series.windows import calendar_features, detect_season, origins


@dataclass
class Split:
    """Per series: train = [0, train_end), validation = [train_end, val_end), test = [val_end, n)."""

    train_end: int
    val_end: int
    n: int


def make_splits(data: SeriesSet, cfg: ForecastRunConfig) -> list[Split]:
    """The split each series was cleaned with (rnnkit.series.clean), else one made now. In a panel a
    series too short to split is all training (it is then forecast by a baseline, not scored)."""
    d = cfg.data
    out = []
    for s in data.series:
        try:
            tr, va = s.split or split_bounds(len(s), d.val, d.test, s.index, d.val_start, d.test_start,
                                             cfg.forecast.horizon)
        except RnnkitError:
            if len(data) == 1:
                raise
            tr, va = len(s), len(s)
        out.append(Split(tr, va, len(s)))
    return out


class Forecaster:
    def __init__(self, cfg: ForecastRunConfig):
        check(cfg)
        self.cfg = cfg
        self.quantiles = quantile_levels(cfg.forecast)
        self.pipeline: Pipeline | None = None
        self.model: WindowForecaster | ForecasterEnsemble | None = None
        self.meta: dict = {}
        self.fallback: dict[str, str] = {}  # series too short for the network -> its baseline
        self.fallback_note = ""  # one line for the log and the report
        self.design: list[str] = []  # the settings forecast/design.py chose from the data
        self._data: SeriesSet | None = None  # what fit() saw (the DataFrame API forecasts past it)
        self.shrink = 1.0  # share of a residual network's correction applied (chosen on validation)
        self.combination: combine.Combination | None = None  # with a statistical forecast (forecast/combine.py)
        self.refit_epochs: int | None = None  # forecast.refit: the epochs the final network trained on train + validation

    @property
    def name(self) -> str:
        return f"{self.cfg.model.cell}"

    def made_by(self, series_id: str) -> str:
        """The name of what forecasts the series (a panel's short series: see fallback)."""
        return self.combination.made_by(series_id, self.name) if self.combination else self.name

    def uses_network(self, series_id: str) -> bool:
        """Whether the network's forecast counts for the series (not a fallback, not share 0)."""
        return series_id not in self.fallback and (self.combination is None
                                                   or self.combination.weight_of(series_id) > 0.0)

    @property
    def point_index(self) -> int:
        return self.quantiles.index(0.5) if self.quantiles else 0

    @property
    def first(self) -> int:
        """The first usable input step (a change series has no value at step 0)."""
        return 0 if self.cfg.data.target_transform == "level" else 1

    def train_horizon(self) -> int:
        return 1 if self.cfg.forecast.strategy == "recursive" else self.cfg.forecast.horizon

    def build_model(self, n_inputs: int) -> "WindowForecaster | ForecasterEnsemble":
        """The network: one window forecaster, or `model.ensemble` of them averaged."""
        m = self.cfg.model
        members = [WindowForecaster(n_inputs, self.train_horizon(), max(1, len(self.quantiles)), m.cell,
                                    m.hidden, m.layers, m.dropout, m.layer_norm,
                                    zero_head=self.cfg.forecast.residual not in ("none", "auto"))
                   for _ in range(m.ensemble)]
        return members[0] if m.ensemble == 1 else ForecasterEnsemble(members)

    # -- training ------------------------------------------------------------------------------
    def prepare(self, data: SeriesSet, splits: list[Split]) -> tuple[Arrays, np.ndarray, np.ndarray]:
        """Fit the season and the pipeline on the training parts; the training and validation origins."""
        d, f = self.cfg.data, self.cfg.forecast
        season = d.season or data.season or detect_season(
            [_seasonal_view(s.y[:sp.train_end]) for s, sp in zip(data.series, splits)])
        longest = max(sp.train_end for sp in splits)
        if d.season and d.season > 1 and longest - f.horizon < d.season:  # the calendar's or ACF's: see design.py
            fits = longest - f.horizon
            raise RnnkitError(f"--season {d.season} is longer than the training data can show: the longest "
                              f"training part has {longest} rows, and a season must fit in it before a "
                              f"--horizon {f.horizon} forecast" + (f" (at most --season {fits})" if fits > 1 else "")
                              + (f"; the calendar's seasons are {'/'.join(map(str, data.seasons))}" if data.seasons else ""))
        self.design = resolve_design(self.cfg, season, [sp.train_end for sp in splits],
                                     all((s.y > 0).all() for s in data.series))
        self.pipeline = Pipeline(d.target_transform, d.scaler, d.normalize, d.calendar, season, f.lookback,
                                 self.train_horizon(), f.residual, data.freq, len(data.features), f.patch,
                                 data.series[0].index is not None)
        self.pipeline.fit(data, [sp.train_end for sp in splits])
        arrays = self.pipeline.arrays(data.series)
        h, lb = self.train_horizon(), f.lookback
        train_g, val_g = [], []
        self.fallback = {}
        panel = len(data) > 1  # in a panel one short series falls back to a baseline, it stops nothing
        for s, sp, start in zip(data.series, splits, arrays.starts):
            tr = origins(0, sp.train_end, lb, h, first=self.first)
            va = origins(sp.train_end, sp.val_end, lb, h, first=self.first)
            parts = f"({sp.train_end}/{sp.val_end - sp.train_end}/{sp.n - sp.val_end} rows for train/validation/test)"
            label = f"series {s.id}" if panel else "the series"
            if len(tr) == 0:
                if panel:
                    self.fallback[s.id] = choose_fallback(s, sp.train_end, sp.val_end, season, f.horizon)
                    continue
                fits = sp.train_end - h - self.first
                raise RnnkitError(f"{label} has {len(s)} rows: too few for --lookback {lb} + --horizon {h} "
                                  f"in the training part {parts}; the largest --lookback that fits is {fits}"
                                  if fits > 0 else f"{label} has {len(s)} rows: too few for --horizon {h} "
                                  f"in the training part {parts}; the largest --horizon that fits is "
                                  f"{self._largest_horizon(s, lb)}")
            if len(va) == 0 and not panel:
                fits = sp.val_end - sp.train_end
                raise RnnkitError(f"{label}: the validation part is shorter than --horizon {h} {parts}; "
                                  f"the largest --horizon that fits is {fits}; or give --val more steps")
            if sp.val_end < sp.n and sp.n - sp.val_end < f.horizon and not panel:
                raise RnnkitError(f"{label}: the test part is shorter than --horizon {f.horizon} {parts}; "
                                  f"the largest --horizon that fits is {sp.n - sp.val_end}; or give --test more steps")
            train_g.append(tr + start)
            val_g.append(va + start)
        if not train_g:
            fits = max(sp.train_end for sp in splits) - h - self.first
            raise RnnkitError(f"every series is too short for --lookback {lb} + --horizon {h} in its training part; "
                              f"the largest --lookback that fits the longest is {max(fits, 0)}")
        fits_all = min(sp.train_end for sp in splits) - h - self.first
        self.fallback_note = fallback_summary(self.fallback, len(data), lb, f.horizon, fits_all)
        if not any(len(v) for v in val_g):
            raise RnnkitError(f"no series has a validation part of --horizon {h} steps after --lookback {lb}; "
                              "give --val more steps, or a shorter --lookback or --horizon")
        return arrays, np.concatenate(train_g), np.concatenate(val_g)

    def _largest_horizon(self, s: Series, lookback: int) -> int:
        """The largest horizon whose split (its parts grow with the horizon, split_bounds) leaves
        series `s` a training window of `lookback` + horizon steps; 0 when none does."""
        d = self.cfg.data
        for h in range(self.cfg.forecast.horizon - 1, 0, -1):
            try:
                train_end, _ = split_bounds(len(s), d.val, d.test, s.index, d.val_start, d.test_start, h)
            except RnnkitError:
                continue
            if train_end - h - self.first >= lookback:
                return h
        return 0

    def fit(self, data: "SeriesSet | pd.DataFrame", run_dir: str | Path | None = None,
            log: Callable[[str], None] | None = None) -> "Forecaster":
        """The DataFrame API (forecast/frames.py): a long-format DataFrame (`unique_id, ds, y`, other
        columns are covariates) or a SeriesSet; the run folder is optional (a temporary one is used).
        A DataFrame trains on all its rows (the last `data.val` part for early stopping): score with
        `cross_validation` / `evaluate`. Returns the estimator."""
        import tempfile

        if isinstance(data, pd.DataFrame):
            from rnnkit.forecast.frames import to_series

            data = to_series(data, self.cfg)
            self.cfg.data.test = 0
        elif not isinstance(data, SeriesSet):
            raise RnnkitError(f"fit() takes a long-format DataFrame (unique_id, ds, y) or a SeriesSet, got "
                              f"{type(data).__name__} (rnnkit.series.io.from_arrays builds one from arrays)")
        self._data = data
        quiet = log or (lambda _m: None)
        if run_dir is None:
            with tempfile.TemporaryDirectory() as tmp:
                self.result, self.splits = self.fit_run(data, tmp, log=quiet)
        else:
            self.result, self.splits = self.fit_run(data, run_dir, log=quiet)
        return self

    def fit_run(self, data: SeriesSet, run_dir: str | Path, resume: bool = False,
                log: Callable[[str], None] | None = None, extra_meta: dict | None = None,
                on_eval: Callable[[int, dict], bool] | None = None, splits: list[Split] | None = None):
        """Train on `data` (split by the config, or by the given per-series `splits`), checkpoints
        in `run_dir`; returns (trainer result, splits). With `forecast.refit` the network trained
        with early stopping (in run_dir/select) chooses the epochs and the shares, and a fresh one is
        then trained on training + validation for those epochs (run_dir); the result returned is
        the selection run's, whose validation figures are held out."""
        from rnnkit.train.distributed import NotMainRank

        splits = splits or make_splits(data, self.cfg)
        arrays, train_g, val_g = self.prepare(data, splits)
        self.meta = self._meta(data, splits, extra_meta)
        if self.fallback_note and log:
            log(self.fallback_note)
        refit = self.cfg.forecast.refit
        select_dir = Path(run_dir) / "select" if refit else Path(run_dir)
        not_main = None
        try:
            result = self._train(data, arrays, train_g, val_g, self.cfg.train, select_dir, resume, log, on_eval)
        except NotMainRank as e:  # another DDP rank: take part in the refit too, then stop
            if not refit:
                raise
            not_main, result = e, None
        if not_main is None:
            self._load_best(select_dir)
            if self.pipeline.residual != "none":
                self.meta["shrink"] = self.shrink = shares.choose_shrink(self, arrays, val_g)
            shares.choose_combination(self, data, splits)
        if refit:
            selection = result.summary if result is not None else json.loads((select_dir / "summary.json").read_text())
            self._refit(data, arrays, splits, train_g, val_g, selection, Path(run_dir), resume, log)
            if not_main is not None:
                raise not_main
        best = Path(run_dir) / "best.pt"
        if best.exists():  # the checkpoint carries the choices
            from rnnkit.train.checkpoint import load_checkpoint, save_checkpoint

            ckpt = load_checkpoint(best, kind="forecast")
            ckpt["extra"]["meta"].update(shrink=self.meta.get("shrink", 1.0), combine=self.meta.get("combine"))
            save_checkpoint(best, ckpt)
        return result, splits

    def _train(self, data: SeriesSet, arrays: Arrays, train_g: np.ndarray, val_g: np.ndarray, train_cfg,
               run_dir: Path, resume: bool, log, on_eval=None):
        """A fresh network (seeded) trained on the windows at `train_g`; returns the trainer's result."""
        from rnnkit.train.fingerprint import data_fingerprint
        from rnnkit.train.trainer import fit as train_fit

        torch.manual_seed(self.cfg.train.seed)  # weight init, before the trainer's own seeding
        self.model = self.build_model(self.pipeline.n_inputs)
        f = self.cfg.forecast
        task = WindowTask(self.pipeline, arrays, train_g, val_g, f.loss, self.quantiles, f.batch_size,
                          self.cfg.train.seed, f.windows_per_epoch)
        train_cfg = copy.deepcopy(train_cfg)
        if train_cfg.eval_every == 0:  # 0 = once per epoch
            train_cfg.eval_every = task.batches_per_epoch()
        config = to_dict(self.cfg)  # the run's own settings (a refit's budget is derived from them)
        result = train_fit(self.model, task, train_cfg, run_dir, kind="forecast", config=config,
                           architecture=config["model"], extra=self.extra(), data_fingerprint=data_fingerprint(data),
                           resume=resume, log=log, on_eval=on_eval)
        return result

    def _load_best(self, run_dir: Path) -> None:
        best = run_dir / "best.pt"
        if best.exists():
            from rnnkit.train.checkpoint import load_checkpoint

            self.model.load_state_dict(load_checkpoint(best, kind="forecast")["model"])
        self.model.to("cpu").eval()

    def _refit(self, data: SeriesSet, arrays: Arrays, splits: list[Split], train_g: np.ndarray, val_g: np.ndarray,
               selection: dict, run_dir: Path, resume: bool, log) -> None:
        """A fresh network on every window that ends by the validation part's end, for the epochs
        early stopping chose (the selection run's best); its last weights become run_dir/best.pt.
        The validation losses it logs are not held out (it trains on those windows)."""
        from rnnkit.series.windows import origins
        from rnnkit.train.refit import keep_last, refit_epochs

        f = self.cfg.forecast
        full_g = np.concatenate([origins(0, sp.val_end, f.lookback, self.train_horizon(), first=self.first) + start
                                 for s, sp, start in zip(data.series, splits, arrays.starts) if s.id not in self.fallback])
        per_epoch = WindowTask(self.pipeline, arrays, train_g, val_g, f.loss, self.quantiles, f.batch_size, 0,
                               f.windows_per_epoch).batches_per_epoch()  # the selection run's
        epochs = refit_epochs(True, selection, per_epoch)  # the selection model is always its best.pt
        t = dataclasses.replace(self.cfg.train, max_epochs=epochs, max_steps=None, max_minutes=None, patience=None,
                                eval_every=0)  # once per epoch
        resume = resume and (run_dir / "last.pt").exists()  # the selection run, finished, chose the same epochs
        if log and not resume:
            log(f"refit: early stopping chose {epochs} epoch(s); training a fresh network on training + validation "
                f"({len(full_g)} windows) for {epochs} epoch(s)")
        self.refit_epochs = epochs
        self._train(data, arrays, full_g, val_g, t, run_dir, resume, log)
        self.model.load_state_dict(keep_last(run_dir, "forecast")["model"])
        self.model.to("cpu").eval()

    def _meta(self, data: SeriesSet, splits: list[Split], extra_meta: dict | None) -> dict:
        return {
            "target": data.target, "features": list(data.features), "freq": data.freq,
            "quantiles": self.quantiles, "season": self.pipeline.season, "seasons": list(data.seasons),
            "fallback": dict(self.fallback),
            "series": [s.id for s in data.series],
            "splits": [[sp.train_end, sp.val_end, sp.n] for sp in splits],
            "data_end": [stamp(s, len(s) - 1) for s in data.series],
            **(extra_meta or {}),
        }

    def extra(self) -> dict:
        return {"pipeline": self.pipeline.state_dict(), "meta": self.meta}

    @classmethod
    def load(cls, path: str | Path) -> "Forecaster":
        from rnnkit.train.checkpoint import load_checkpoint

        ckpt = load_checkpoint(path, kind="forecast")
        est = cls(from_dict(ForecastRunConfig, ckpt["config"]))
        est.pipeline = Pipeline.from_state(ckpt["extra"]["pipeline"])
        est.meta = ckpt["extra"]["meta"]
        est.fallback = dict(est.meta.get("fallback", {}))
        est.shrink = float(est.meta.get("shrink", 1.0))
        est.combination = combine.from_meta(est.meta, est.pipeline.season)
        est.model = est.build_model(est.pipeline.n_inputs)
        from rnnkit.train.int8 import load_weights  # int8 runs (rnnkit quantize) too

        est.model = load_weights(est.model, ckpt)
        est.model.eval()
        return est

    # -- forecasting ---------------------------------------------------------------------------
    def forecast(self, series: Series, at: np.ndarray, horizon: int | None = None) -> np.ndarray:
        """Forecasts from origins `at` (history series[:o]) -> levels (N, horizon, Q), quantiles sorted.
        Beyond the trained horizon a direct model is rolled forward on simulated paths
        (forecast/rolling.py); `rolled(horizon)` says when that happens."""
        horizon = self._horizon(horizon)
        if series.id in self.fallback:  # too short for the network when it was trained
            return self.pipeline.floor(fallback_forecast(self.fallback[series.id], self.pipeline.season, series, at,
                                                         horizon, self.quantiles))
        at = np.asarray(at, dtype=np.int64)
        return self._combined(series, at, self._network(series, at, horizon))

    def _combined(self, series: Series, at: np.ndarray, levels: np.ndarray) -> np.ndarray:
        """The network's levels combined with the statistical forecast (if any), floored at zero
        for data that never went below it."""
        if self.combination is not None:
            levels = self.combination.apply(series, at, levels, self.point_index, self.quantiles)
        return self.pipeline.floor(levels)

    def _network(self, series: Series, at: np.ndarray, horizon: int) -> np.ndarray:
        """The network's own levels (N, horizon, Q), before any combination."""
        if self.rolled(horizon):
            from rnnkit.forecast.rolling import ROLL_BLOCKS, reach, roll_forward

            limit = reach(self.cfg.forecast.lookback, self.cfg.forecast.horizon)
            if horizon > limit:
                raise RnnkitError(f"--horizon {horizon} is too far for this model: rolled forward it reaches at most "
                                  f"{limit} steps (the larger of --lookback {self.cfg.forecast.lookback} + the trained "
                                  f"horizon {self.cfg.forecast.horizon} and {ROLL_BLOCKS} trained horizons); retrain "
                                  f"with --horizon {horizon}")
            self._check_history(series, at)
            return roll_forward(self, series, at, horizon, seed=self.cfg.train.seed)
        self._check_history(series, at)
        a = self.pipeline.arrays([series])
        outs = []
        with torch.no_grad():
            for i in range(0, len(at), 2048):
                g = at[i:i + 2048]
                if self.cfg.forecast.strategy == "recursive":
                    outs.append(self._recursive(series, a, g, horizon))
                else:
                    outs.append(self._direct(a, g)[:, :horizon])
        q = max(1, len(self.quantiles))
        return np.sort(np.concatenate(outs), axis=-1) if outs else np.zeros((0, horizon, q))

    def forecast_ends(self, series: list[Series], horizon: int | None = None) -> list[np.ndarray]:
        """forecast(s, [len(s)], horizon)[0] for every series, (horizon, Q) each. The direct model
        forecasts all networked series in one batch (one forward per 2,048 series, not one per
        series); rolled, recursive and fallback forecasts go one series at a time."""
        horizon = self._horizon(horizon)
        batched = {i for i, s in enumerate(series) if s.id not in self.fallback}
        if self.rolled(horizon) or self.cfg.forecast.strategy != "direct" or len(batched) < 2:
            return [self.forecast(s, np.array([len(s)]), horizon)[0] for s in series]
        out: list[np.ndarray | None] = [None] * len(series)
        for i, s in enumerate(series):
            if i not in batched:
                out[i] = self.forecast(s, np.array([len(s)]), horizon)[0]
            else:
                self._check_history(s, np.array([len(s)]))
        order = sorted(batched)
        for c in range(0, len(order), 2048):
            chunk = order[c:c + 2048]
            a = self.pipeline.arrays([series[i] for i in chunk])
            levels = np.sort(self._direct(a, a.ends)[:, :horizon], axis=-1)
            for i, f in zip(chunk, levels):
                out[i] = self._combined(series[i], np.array([len(series[i])]), f[None])[0]
        return out

    def _horizon(self, horizon: int | None) -> int:
        """The trained horizon when none is given; 0 or less is an error, not "the default"."""
        if horizon is None:
            return self.cfg.forecast.horizon
        if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)):
            raise RnnkitError(f"the horizon must be a whole number of steps, got {horizon!r}")
        if horizon <= 0:
            raise RnnkitError(f"--horizon must be >= 1, got {horizon}")
        return horizon

    def rolled(self, horizon: int) -> bool:
        """True when `horizon` is beyond what the direct model was trained for (it is rolled forward)."""
        return self.cfg.forecast.strategy == "direct" and horizon > self.cfg.forecast.horizon

    def _check_history(self, series: Series, at: np.ndarray) -> None:
        if len(at) and at.min() < self.cfg.forecast.lookback + self.first:
            raise RnnkitError(f"series {series.id}: a forecast needs at least {self.cfg.forecast.lookback + self.first} "
                              "rows of history (--lookback)")
        if len(at) and at.max() > len(series):
            raise RnnkitError(f"series {series.id}: origin {int(at.max())} is past its end ({len(series)} rows); "
                              f"an origin is a row count of history, at most {len(series)}")

    def _direct(self, a: Arrays, g: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(self.pipeline.inputs(a, g), dtype=np.float32))
        with torch.no_grad():
            out = self.model(x)[0].numpy().astype(np.float64)  # (N, H, Q)
        if self.shrink != 1.0:  # the median's correction scaled, the interval's spread around it kept
            out = out + (self.shrink - 1.0) * out[..., self.point_index:self.point_index + 1]
        out = out + self.pipeline.base(a, g, out.shape[1])[:, :, None]
        return self.pipeline.decode(a, g, out)

    def _recursive(self, series: Series, a: Arrays, g: np.ndarray, horizon: int) -> np.ndarray:
        """One step at a time, the median fed back; exogenous features are held at their last
        value, calendar inputs follow the future dates. Intervals are one-step intervals around
        the fed-back path, so they are too narrow beyond the first step."""
        p = self.pipeline
        P = max(p.lookback, p.season) + 1
        W, N, C = P + horizon, len(g), a.Z.shape[1]
        Yb, Zb = np.zeros((N, W)), np.zeros((N, W, C), dtype=np.float32)
        hist = g[:, None] + np.arange(-P, 0)[None, :]
        ok = hist >= 0
        Yb[:, :P] = np.where(ok, a.Y[np.clip(hist, 0, None)], a.Y[0])
        Zb[:, :P] = a.Z[np.clip(hist, 0, None)]
        cal = self._future_calendar(series, horizon)  # (len + H, Cc)
        flat = Arrays(Yb.reshape(-1), Zb.reshape(N * W, C), np.arange(N) * W, np.arange(1, N + 1) * W)
        out = np.zeros((N, horizon, max(1, len(self.quantiles))))
        for k in range(horizon):
            gk = np.arange(N) * W + P + k
            levels = np.sort(self._direct(flat, gk)[:, 0], axis=-1)  # (N, Q)
            out[:, k] = levels
            med = levels[:, self.point_index]
            Yb[:, P + k] = med
            row = Zb[:, P + k - 1].copy()
            z = p.target_scaler.transform(_change(Yb[:, P + k - 1], med, p.transform)[:, None])[:, 0]
            row[:, 0] = z
            if cal.shape[1]:
                row[:, C - cal.shape[1]:] = cal[g + k]
            Zb[:, P + k] = row
        return out

    def _future_calendar(self, series: Series, horizon: int) -> np.ndarray:
        p = self.pipeline
        if not p.calendar:
            return np.zeros((len(series) + horizon, 0))
        index = None
        if series.index is not None:
            index = series.index.append(pd.DatetimeIndex(future_index(series.index[-1], p.freq, horizon, len(series) - 1)))
        return calendar_features(index, series.t0 + np.arange(len(series) + horizon), p.freq, p.season)

    # -- the DataFrame API (forecast/frames.py) ----------------------------------------------------
    @property
    def data(self) -> SeriesSet | None:
        """The series `fit()` trained on (None for a loaded run)."""
        return self._data

    def _frame_data(self, df) -> SeriesSet:
        from rnnkit.forecast.frames import to_series

        if df is None:
            if getattr(self, "_data", None) is None:
                raise RnnkitError("no data to forecast from: pass df (the series' history), or fit() first")
            return self._data
        data = df if isinstance(df, SeriesSet) else to_series(df, self.cfg)
        check_calendar(data, self.pipeline.freq, "the DataFrame")
        return data

    def predict(self, h: int | None = None, df: "pd.DataFrame | SeriesSet | None" = None) -> pd.DataFrame:
        """h steps past the end of each series (of `df`, else of the fitted data): `unique_id, ds,
        <model>, <model>-lo-80, <model>-hi-80`. Beyond the trained horizon the model is rolled forward
        (`.attrs["rolled"]` is True)."""
        from rnnkit.forecast.frames import predict_frame

        return predict_frame(self, self._frame_data(df), self._horizon(h))

    def cross_validation(self, df: "pd.DataFrame | SeriesSet | None", h: int, n_windows: int = 1) -> pd.DataFrame:
        """Forecasts from the last n_windows cutoffs (h apart) of each series, beside the references."""
        from rnnkit.forecast.frames import cross_validation

        return cross_validation(self, self._frame_data(df), h, n_windows)

    def evaluate(self, df: "pd.DataFrame | SeriesSet | None", h: int, n_windows: int = 1) -> pd.DataFrame:
        """Metrics of the model and every reference on the last n_windows * h steps of each series."""
        from rnnkit.forecast.frames import evaluate_frame

        return evaluate_frame(self, self._frame_data(df), h, n_windows)

    def attention(self, series: Series, at: np.ndarray) -> np.ndarray:
        """(N, T) attention weights over each window (attention encoder only; else (N, 0))."""
        a = self.pipeline.arrays([series])
        x = torch.from_numpy(np.ascontiguousarray(self.pipeline.inputs(a, np.asarray(at)), dtype=np.float32))
        with torch.no_grad():
            w = self.model.attention_weights(x)
        return w.numpy() if w is not None else np.zeros((len(at), 0))


def _change(last: np.ndarray, new: np.ndarray, kind: str) -> np.ndarray:
    from rnnkit.series.transforms import changes

    return changes(last, new[:, None], kind)[:, 0]


def _seasonal_view(y: np.ndarray) -> np.ndarray:
    """Log levels when positive, so multiplicative seasonality shows in the differences too."""
    return np.log(y) if (y > 0).all() else y


def stamp(s: Series, i: int) -> str | int:
    return when(s.index[i]) if s.index is not None else int(s.t0 + i)


def check_calendar(data: SeriesSet, trained: str | None, source: str, run: str | Path | None = None) -> None:
    """`data` must be on the calendar (`trained`: the frequency, None for positions) the model was
    trained on, when its dates tell one."""
    inferred = data.freq or not any(s.index is not None for s in data.series)  # not: dates too few to tell
    if inferred and data.freq != trained:
        said = {f: f"frequency {f}" if f else "integer positions" for f in (data.freq, trained)}
        where = f"the model in {run}" if run else "the model"
        raise RnnkitError(f"{source} holds {said[data.freq]}, but {where} was trained on {said[trained]}; "
                          "give data on the training's calendar, or train a model on this one")
