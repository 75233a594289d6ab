"""Per-class figures against a hand-computed example."""

from __future__ import annotations

import numpy as np
import pytest

from rnnkit.classify.metrics import classification_report, confusion_matrix


def test_hand_computed_three_classes():
    # true:  a a a a b b c c c c      pred: a a b c b a c c c a
    y_true = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2, 2])
    y_pred = np.array([0, 0, 1, 2, 1, 0, 2, 2, 2, 0])
    r = classification_report(y_true, y_pred, ["a", "b", "c"])
    assert r["confusion_matrix"] == [[2, 1, 1], [1, 1, 0], [1, 0, 3]]
    assert r["accuracy"] == pytest.approx(6 / 10)
    a, b, c = (r["per_class"][k] for k in "abc")
    # a: tp 2, predicted 4, actual 4 -> P 0.5, R 0.5, F1 0.5
    assert (a["precision"], a["recall"], a["f1"], a["support"]) == pytest.approx((0.5, 0.5, 0.5, 4))
    # b: tp 1, predicted 2, actual 2 -> 0.5 / 0.5 / 0.5
    assert (b["precision"], b["recall"], b["f1"]) == pytest.approx((0.5, 0.5, 0.5))
    # c: tp 3, predicted 4, actual 4 -> 0.75 / 0.75 / 0.75
    assert (c["precision"], c["recall"], c["f1"]) == pytest.approx((0.75, 0.75, 0.75))
    assert r["macro_f1"] == pytest.approx((0.5 + 0.5 + 0.75) / 3)


def test_never_predicted_class_has_zero_precision_and_counts_in_macro_f1():
    # class 1 exists in y_true (e.g. a test class never seen in training) but is never predicted
    r = classification_report(np.array([0, 0, 1]), np.array([0, 0, 0]), ["a", "z"])
    assert r["per_class"]["z"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert r["per_class"]["a"]["precision"] == pytest.approx(2 / 3)
    assert r["per_class"]["a"]["f1"] == pytest.approx(0.8)
    assert r["macro_f1"] == pytest.approx(0.4)


def test_absent_class_is_left_out_of_macro_f1():
    r = classification_report(np.array([0, 1]), np.array([0, 1]), ["a", "b", "c"])
    assert r["macro_f1"] == 1.0 and r["per_class"]["c"]["support"] == 0


def test_confusion_matrix_rows_are_true_classes():
    assert confusion_matrix(np.array([1, 1]), np.array([0, 1]), 2).tolist() == [[0, 0], [1, 1]]
