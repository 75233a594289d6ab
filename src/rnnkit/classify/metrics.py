"""Classification figures from integer labels: accuracy, per-class precision/recall/F1, macro-F1,
confusion matrix. A class with no predictions has precision 0 (and F1 0), as scikit-learn's
`zero_division=0` does."""

from __future__ import annotations

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """(C, C) counts; row = true class, column = predicted class."""
    m = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(m, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return m


def classification_report(y_true: np.ndarray, y_pred: np.ndarray, names: list[str]) -> dict:
    """Plain-data report. `names[i]` is class i; every class in `names` gets a row, including
    classes that occur only in y_true (e.g. test labels never seen in training: recall 0)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    m = confusion_matrix(y_true, y_pred, len(names))
    tp = np.diag(m).astype(float)
    predicted, actual = m.sum(axis=0), m.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    present = (actual + predicted) > 0  # classes that occur at all take part in the macro average
    per_class = {
        name: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
               "support": int(actual[i])}
        for i, name in enumerate(names)
    }
    return {
        "n": int(len(y_true)),
        "accuracy": float((y_true == y_pred).mean()) if len(y_true) else float("nan"),
        "macro_f1": float(f1[present].mean()) if present.any() else float("nan"),
        "per_class": per_class,
        "labels": list(names),
        "confusion_matrix": m.tolist(),
    }
