"""Forecast accuracy. Inputs are plain arrays of the same shape (levels, not transformed values).

MASE divides by the in-sample mean absolute seasonal difference of the training part (M4's rule);
OWA averages sMAPE and MASE relative to Naive2's. sMAPE and MAPE are percentages.
"""

from __future__ import annotations

import numpy as np


def mae(y: np.ndarray, yhat: np.ndarray) -> float:
    return float(np.mean(np.abs(y - yhat)))


def rmse(y: np.ndarray, yhat: np.ndarray) -> float:
    return float(np.sqrt(np.mean((y - yhat) ** 2)))


def mape(y: np.ndarray, yhat: np.ndarray) -> float:
    nz = y != 0
    return float(100 * np.mean(np.abs((y[nz] - yhat[nz]) / y[nz]))) if nz.any() else float("nan")


def smape(y: np.ndarray, yhat: np.ndarray) -> float:
    denom = np.abs(y) + np.abs(yhat)
    terms = np.where(denom > 0, 200 * np.abs(y - yhat) / np.where(denom > 0, denom, 1), 0.0)
    return float(np.mean(terms))


def mase_scale(train: np.ndarray, season: int) -> float:
    """Mean |y_t - y_{t-m}| over the training part (m = 1 for non-seasonal data)."""
    m = max(1, season)
    if len(train) <= m:
        return float("nan")
    return float(np.mean(np.abs(train[m:] - train[:-m])))


def mase(y: np.ndarray, yhat: np.ndarray, scale: float) -> float:
    return mae(y, yhat) / scale if scale > 0 else float("nan")


def owa(smape_model: float, mase_model: float, smape_naive2: float, mase_naive2: float) -> float:
    return 0.5 * (smape_model / smape_naive2 + mase_model / mase_naive2)


def directional_accuracy(last: np.ndarray, y: np.ndarray, yhat: np.ndarray) -> float:
    """Share of forecasts whose move from the last known value has the sign of the actual move.
    A forecast of no move counts as wrong unless the actual move is zero too."""
    return float(np.mean(np.sign(yhat - last) == np.sign(y - last)))


def up_share(last: np.ndarray, y: np.ndarray) -> float:
    """The share of up moves: the directional accuracy of always saying 'up'."""
    return float(np.mean(y > last))


def coverage(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    return float(np.mean((y >= lo) & (y <= hi)))


def pinball(y: np.ndarray, qhat: np.ndarray, q: float) -> float:
    err = y - qhat
    return float(np.mean(np.maximum(q * err, (q - 1) * err)))
