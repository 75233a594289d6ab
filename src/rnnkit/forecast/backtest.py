"""Walk-forward backtests over the test part, always from the true history:

    one-step:   origins o = t0, t0+1, ..., each forecasting y[o]
    multi-step: origins o = t0, t0+H, t0+2H, ..., each forecasting y[o .. o+H-1]
    refit:      every k origins the network is fine-tuned on the rows that have become history
                since training (scaler kept), before forecasting the next k origins
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from rnnkit.config import TrainConfig
from rnnkit.forecast.estimator import Forecaster, Split
from rnnkit.forecast.evaluate import Evaluation
from rnnkit.forecast.run import evaluate_test
from rnnkit.series.frame import Series, SeriesSet


def backtest_origins(test_start: int, n: int, horizon: int, min_origin: int) -> np.ndarray:
    """The multi-step origins: every `horizon` steps from the test start, each with a full horizon."""
    from rnnkit.series.windows import origins

    return origins(test_start, n, min_origin, horizon, every=horizon)


class Refitting:
    """The estimator, fine-tuned every `every` origins on the history available at that origin."""

    def __init__(self, est: Forecaster, every: int, data_from: dict[str, int], train_cfg: TrainConfig):
        self.est, self.every, self.train_cfg = est, every, train_cfg
        self.name = est.name
        self.quantiles = est.quantiles
        self.data_from = data_from  # per series: targets from here on were not trained on
        self.refits = 0

    def forecast(self, series: Series, at: np.ndarray, horizon: int) -> np.ndarray:
        from rnnkit.forecast.update import finetune

        start = self.data_from[series.id]
        outs, model = [], self.est
        for i in range(0, len(at), self.every):
            chunk = at[i:i + self.every]
            if i > 0 and chunk[0] - start >= model.train_horizon():
                with tempfile.TemporaryDirectory() as tmp:
                    part = SeriesSet([series.head(int(chunk[0]))], "", [], self.est.pipeline.freq)
                    model = finetune(self.est, part, [start], [int(chunk[0])], self.train_cfg, Path(tmp))
                    self.refits += 1
            outs.append(model.forecast(series, chunk, horizon))
        return np.concatenate(outs)


def backtest(est: Forecaster, data: SeriesSet, splits: list[Split], refit_every: int | None = None,
             refit_cfg: TrainConfig | None = None) -> dict[str, Evaluation]:
    """{"one_step": ..., "multi_step": ...} evaluations of the model beside every baseline."""
    model = est
    if refit_every:
        model = Refitting(est, refit_every, {s.id: sp.val_end for s, sp in zip(data.series, splits)}, refit_cfg)
    out = {"one_step": evaluate_test(model, data, splits, horizon=1, every=1, est=est)}
    if est.cfg.forecast.horizon > 1:
        h = est.cfg.forecast.horizon
        out["multi_step"] = evaluate_test(model, data, splits, horizon=h, every=h, est=est)
    return out
