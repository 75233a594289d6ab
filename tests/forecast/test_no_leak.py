"""No statistic, scaler or weight is fit on a target from a later part."""

import numpy as np
import torch

from rnnkit.forecast.estimator import Forecaster, make_splits
from rnnkit.series.io import from_dataframe
from rnnkit.series.transforms import step_changes
from synth import stock_frame


def load(df, features=()):
    data, _ = from_dataframe(df, "Date", "Close", list(features))
    return data


def test_scaler_statistics_are_those_of_the_training_part(tiny_cfg):
    data = load(stock_frame(300), ["Open"])
    tiny_cfg.data.features = ["Open"]
    est = Forecaster(tiny_cfg)
    splits = make_splits(data, tiny_cfg)
    assert (splits[0].train_end, splits[0].val_end) == (210, 240)
    est.prepare(data, splits)
    z = step_changes(data.series[0].y[:210], "logret")[1:]
    assert est.pipeline.target_scaler.shift[0] == np.mean(z)
    assert est.pipeline.target_scaler.scale[0] == np.std(z)
    f = step_changes(data.series[0].X[:210, 0], "logret")[1:]
    assert est.pipeline.feature_scaler.shift[0] == np.mean(f)


def test_training_windows_only_see_training_targets(tiny_cfg):
    tiny_cfg.forecast.horizon = 3
    data = load(stock_frame(300))
    est = Forecaster(tiny_cfg)
    splits = make_splits(data, tiny_cfg)
    _, train_g, val_g = est.prepare(data, splits)
    assert (train_g + 3 <= splits[0].train_end).all()
    assert train_g.max() + 3 == splits[0].train_end  # the last training target is the last training step
    assert (val_g >= splits[0].train_end).all() and (val_g + 3 <= splits[0].val_end).all()


def test_later_values_change_no_scaler_and_no_weight(tiny_cfg, tmp_path):
    df = stock_frame(300)
    other = df.copy()
    rng = np.random.default_rng(9)
    other.loc[210:, "Close"] = other.loc[210:, "Close"] * np.exp(rng.normal(0, 0.2, 90))  # new val/test targets
    weights, scalers = [], []
    for k, frame in enumerate((df, other)):
        est = Forecaster(tiny_cfg)
        est.fit_run(load(frame), tmp_path / f"run{k}", log=lambda _m: None)
        weights.append([p.detach().clone() for p in est.model.parameters()])
        scalers.append(est.pipeline.target_scaler.state_dict())
    assert scalers[0] == scalers[1]
    assert all(torch.equal(a, b) for a, b in zip(*weights))
