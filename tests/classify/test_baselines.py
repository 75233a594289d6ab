"""The baselines against examples worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from rnnkit.classify.baselines import (MajorityClass, NearestNeighbour, TfidfLogistic, baselines_for,
                                       dtw_distances, euclidean_distances, mcnemar_p, resample, score_baselines,
                                       verdict)


def _s(*values) -> np.ndarray:
    return np.array(values, dtype=np.float32)[:, None]


def test_majority_class_and_its_tie_rule():
    assert MajorityClass().fit([0] * 5, np.array([2, 1, 2, 0, 1])).predict([0, 0]).tolist() == [1, 1]
    assert MajorityClass().fit([0] * 3, np.array([0, 2, 2])).predict([0]).tolist() == [2]


def test_euclidean_distances_by_hand():
    a = np.array([[[0.0], [0.0]], [[1.0], [2.0]]])
    b = np.array([[[3.0], [4.0]]])
    assert euclidean_distances(a, b).ravel().tolist() == pytest.approx([25.0, 8.0])  # 9+16, 4+4


def test_dtw_by_hand():
    # [0, 1, 2] against [0, 0, 1, 2]: warping repeats the first 0, distance 0; Euclidean cannot
    a, b = resample([_s(0, 1, 2)], 4), np.array([[[0.0], [0.0], [1.0], [2.0]]])
    assert dtw_distances(np.array([[[0.0], [1.0], [2.0], [2.0]]]), b, band=4)[0, 0] == pytest.approx(0.0)
    # [1, 2, 3] vs [2, 3, 4]: the best path is (1-2)^2 + (2-2)^2 + (3-3)^2 + (3-4)^2 = 2
    x, y = np.array([[[1.0], [2.0], [3.0]]]), np.array([[[2.0], [3.0], [4.0]]])
    assert dtw_distances(x, y, band=2)[0, 0] == pytest.approx(2.0)
    # band 0 allows only the diagonal: the Euclidean (squared) distance, 1 + 1 + 1
    assert dtw_distances(x, y, band=0)[0, 0] == pytest.approx(3.0)
    assert a.shape == (1, 4, 1)


def test_one_nn_picks_the_nearest_training_series():
    train = [_s(0, 0, 0, 0), _s(5, 5, 5, 5), _s(0, 0, 5, 5)]
    y = np.array([0, 1, 2])
    test = [_s(0.1, 0, 0, 0.2), _s(4, 5, 6, 5), _s(0, 5, 5, 5)]
    assert NearestNeighbour("euclidean").fit(train, y).predict(test).tolist() == [0, 1, 1]
    # DTW (band 25% = 1 step) aligns [0, 5, 5, 5] with [0, 0, 5, 5] at cost 0 (Euclidean: 25 vs 25 for class 1)
    assert NearestNeighbour("dtw", band=0.25).fit(train, y).predict(test).tolist() == [0, 1, 2]


def test_resample_stretches_a_shorter_series_linearly():
    out = resample([_s(0, 2), _s(1, 1, 1)], 3)
    assert out[0, :, 0].tolist() == pytest.approx([0.0, 1.0, 2.0]) and out[1, :, 0].tolist() == [1, 1, 1]


def test_dtw_is_skipped_when_too_large():
    assert len(baselines_for(False, 30, 100, 50)) == 3
    assert [type(b).__name__ for b in baselines_for(False, 5000, 5000, 1000)] == ["MajorityClass", "NearestNeighbour"]


def test_tfidf_logistic_on_a_separable_toy_set():
    texts = [f"free prize win {i}" for i in range(6)] + [f"see you at lunch {i}" for i in range(6)]
    y = np.array([1] * 6 + [0] * 6)
    model = TfidfLogistic().fit(texts, y)
    assert model.predict(["win a free prize", "lunch at noon?"]).tolist() == [1, 0]


def test_score_and_verdict_count_correct_predictions():
    rows = score_baselines([_s(0, 0), _s(5, 5)], np.array([0, 1]), [_s(0, 1), _s(5, 4), _s(1, 0)],
                           np.array([0, 1, 1]), is_text=False)
    by = {r["name"]: r for r in rows}
    assert by["majority class"]["correct"] == 1 and by["1-NN Euclidean"]["correct"] == 2
    assert by["1-NN Euclidean"]["hits"].tolist() == [True, True, False]
    one_more = np.array([True, True, True])  # 3 against 2 correct: 1 vs 0 rows, noise
    assert verdict(one_more, rows).startswith("ties the best baseline (1-NN Euclidean")
    assert verdict(np.array([True, False, True]), rows).startswith("ties")  # 2 against 2 correct


def test_mcnemar_exact_p_values_by_hand():
    assert mcnemar_p(0, 6) == 2 / 64  # both tails of a fair coin's 6 flips all one way
    assert mcnemar_p(1, 5) == 2 * (1 + 6) / 64
    assert mcnemar_p(3, 3) == 1.0 and mcnemar_p(0, 0) == 1.0
    assert mcnemar_p(5, 1) == mcnemar_p(1, 5)


def test_the_verdict_needs_a_difference_beyond_noise():
    n = 100
    base = {"name": "1-NN Euclidean", "correct": 80, "accuracy": 0.8, "n": n,
            "hits": np.r_[np.ones(80, bool), np.zeros(20, bool)]}
    far = np.r_[np.ones(80, bool), np.ones(12, bool), np.zeros(8, bool)]  # 12 rows more, none fewer
    assert verdict(far, [base]).startswith("beats the best baseline") and "p = 0.000488" in verdict(far, [base])
    assert verdict(~far | base["hits"], [base]).startswith("beats")
    worse = np.r_[np.ones(70, bool), np.zeros(30, bool)]  # 10 rows fewer, none more
    assert verdict(worse, [base]).startswith("does not beat")
    close = base["hits"].copy()
    close[80:82] = True  # 2 more right: 82 against 80 is noise
    said = verdict(close, [base])
    assert said.startswith("ties the best baseline") and "82 against 80 correct" in said and "2 vs 0" in said


def test_a_tie_on_a_tiny_test_part_says_it_cannot_tell_models_apart():
    base = {"name": "1-NN Euclidean", "correct": 8, "accuracy": 1.0, "n": 8, "hits": np.ones(8, bool)}
    said = verdict(np.r_[np.ones(4, bool), np.zeros(4, bool)], [base])
    assert said.startswith("ties the best baseline") and "only 8 test rows" in said and "at least 6 rows" in said
    base = {**base, "n": 100, "correct": 80, "hits": np.r_[np.ones(80, bool), np.zeros(20, bool)]}
    assert "test rows that says little" not in verdict(base["hits"], [base])
