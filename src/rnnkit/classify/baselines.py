"""Reference classifiers shown beside every model score, with the same `fit(inputs, y)` /
`predict(inputs)` interface: the majority class, 1-NN Euclidean and 1-NN DTW (numeric series),
and TF-IDF word + character n-grams with logistic regression (texts, scikit-learn).

Numeric baselines see the series as loaded (UCR files are already z-normalised per series, the
archive's own 1-NN figures are computed that way). Series of different lengths are resampled
linearly to the longest training length, so Euclidean distance is defined.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from rnnkit.errors import RnnkitError

DTW_BAND = 0.1  # Sakoe-Chiba half-width, as a share of the series length
DTW_MAX_CELLS = 3e8  # test x train x length x band cells; above it DTW is skipped as too slow


class MajorityClass:
    """Predicts the most frequent training class (the smallest class index on a tie)."""

    name = "majority class"

    def fit(self, inputs: list, y: np.ndarray) -> "MajorityClass":
        self.label = int(np.bincount(np.asarray(y)).argmax())
        return self

    def predict(self, inputs: list) -> np.ndarray:
        return np.full(len(inputs), self.label, dtype=np.int64)


def resample(series: list[np.ndarray], length: int) -> np.ndarray:
    """(T_i, F) series -> (N, length, F) by linear interpolation (unchanged when T_i == length)."""
    out = np.empty((len(series), length, series[0].shape[1]), dtype=np.float64)
    grid = np.linspace(0.0, 1.0, length)
    for i, s in enumerate(series):
        if len(s) == length:
            out[i] = s
            continue
        old = np.linspace(0.0, 1.0, len(s)) if len(s) > 1 else np.zeros(1)
        for f in range(s.shape[1]):
            out[i, :, f] = np.interp(grid, old, s[:, f]) if len(s) > 1 else s[0, f]
    return out


def euclidean_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, T, F), (M, T, F) -> (N, M) squared Euclidean distances."""
    a2, b2 = a.reshape(len(a), -1), b.reshape(len(b), -1)
    d = (a2 ** 2).sum(1)[:, None] + (b2 ** 2).sum(1)[None, :] - 2.0 * a2 @ b2.T
    return np.maximum(d, 0.0)


def dtw_distances(a: np.ndarray, b: np.ndarray, band: int) -> np.ndarray:
    """(N, T, F), (M, T, F) -> (N, M) DTW distances (sum of squared step differences along the
    best warping path) inside a Sakoe-Chiba band of half-width `band` steps; every pair at once."""
    n, m, t = len(a), len(b), a.shape[1]
    pa = np.repeat(a, m, axis=0)  # (N*M, T, F): pair p = (p // M, p % M)
    pb = np.tile(b, (n, 1, 1))
    prev = np.full((n * m, t + 1), np.inf)
    prev[:, 0] = 0.0
    for i in range(1, t + 1):
        lo, hi = max(1, i - band), min(t, i + band)
        cost = ((pa[:, i - 1, None, :] - pb[:, lo - 1: hi, :]) ** 2).sum(-1)  # (P, hi - lo + 1)
        base = cost + np.minimum(prev[:, lo - 1: hi], prev[:, lo: hi + 1])  # diagonal or vertical step
        cur = np.full_like(prev, np.inf)
        for j in range(lo, hi + 1):  # a horizontal step depends on the cell just filled
            cur[:, j] = np.minimum(base[:, j - lo], cur[:, j - 1] + cost[:, j - lo])
        prev = cur
    return prev[:, t].reshape(n, m)


class NearestNeighbour:
    """1-NN with Euclidean distance, or with DTW in a Sakoe-Chiba band (`band` as a share of the length)."""

    def __init__(self, metric: str = "euclidean", band: float = DTW_BAND):
        if metric not in ("euclidean", "dtw"):
            raise RnnkitError(f"unknown 1-NN metric {metric!r}; use euclidean or dtw")
        self.metric, self.band = metric, band
        self.name = "1-NN Euclidean" if metric == "euclidean" else f"1-NN DTW (band {band:.0%})"

    def fit(self, inputs: list[np.ndarray], y: np.ndarray) -> "NearestNeighbour":
        self.length = max(len(s) for s in inputs)
        self.x, self.y = resample(inputs, self.length), np.asarray(y)
        return self

    def cells(self, n_test: int) -> float:
        """DP cells a DTW prediction of `n_test` series fills (the cost the size limit bounds)."""
        return float(n_test) * len(self.x) * self.length * (2 * self.window() + 1)

    def window(self) -> int:
        return max(1, math.ceil(self.band * self.length))

    def predict(self, inputs: list[np.ndarray]) -> np.ndarray:
        x = resample(inputs, self.length)
        out = np.empty(len(x), dtype=np.int64)
        chunk = max(1, int(2e6 // max(len(self.x) * self.length, 1)))  # bounds the pair arrays' memory
        for start in range(0, len(x), chunk):
            part = x[start: start + chunk]
            d = euclidean_distances(part, self.x) if self.metric == "euclidean" \
                else dtw_distances(part, self.x, self.window())
            out[start: start + chunk] = self.y[d.argmin(axis=1)]
        return out


class TfidfLogistic:
    """TF-IDF of word 1-2-grams and character 2-5-grams (within word boundaries), then logistic
    regression whose C is chosen by 3-fold cross-validation on the training texts."""

    name = "TF-IDF word+char n-grams + logistic regression"

    def __init__(self, seed: int = 0):
        self.seed = seed

    def fit(self, texts: list[str], y: np.ndarray) -> "TfidfLogistic":
        try:
            from sklearn.feature_extraction.text import TfidfVectorizer
            from sklearn.linear_model import LogisticRegression
            from sklearn.model_selection import GridSearchCV, StratifiedKFold
            from sklearn.pipeline import make_pipeline, make_union
        except ImportError:
            raise RnnkitError("the text baseline needs scikit-learn: pip install 'rnnkit[classify]'") from None
        features = make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        )
        folds = max(2, min(3, int(np.bincount(np.asarray(y)).min())))
        pipe = make_pipeline(features, LogisticRegression(max_iter=2000))
        cv = StratifiedKFold(folds, shuffle=True, random_state=self.seed)  # vocabularies refit in every fold
        self.pipe = GridSearchCV(pipe, {"logisticregression__C": [1.0, 10.0, 100.0]}, cv=cv, scoring="accuracy")
        with warnings.catch_warnings():  # a class with one text makes sklearn warn about its folds
            warnings.simplefilter("ignore", UserWarning)
            self.pipe.fit(list(texts), np.asarray(y))
        return self

    def predict(self, texts: list[str]) -> np.ndarray:
        return self.pipe.predict(list(texts)).astype(np.int64)


def baselines_for(is_text: bool, n_train: int, n_test: int, length: int) -> list:
    """The baselines for one problem; 1-NN DTW only when its cost stays under DTW_MAX_CELLS."""
    if is_text:
        return [MajorityClass(), TfidfLogistic()]
    models: list = [MajorityClass(), NearestNeighbour("euclidean")]
    if dtw_cells(n_train, n_test, length) <= DTW_MAX_CELLS:
        models.append(NearestNeighbour("dtw"))
    return models


def dtw_cells(n_train: int, n_test: int, length: int) -> float:
    """DP cells 1-NN DTW fills for `n_test` series against `n_train` of `length` steps."""
    return float(n_test) * n_train * length * (2 * max(1, math.ceil(DTW_BAND * length)) + 1)


def score_baselines(train_inputs: list, train_y: np.ndarray, test_inputs: list, test_y: np.ndarray,
                    is_text: bool) -> list[dict]:
    """[{name, accuracy, correct, n, hits}] of every affordable baseline, fit on the training rows
    given; `hits` (N,) bool marks the test rows it got right (for the verdict's paired test; the
    report drops it). Test rows of a class never seen in training (y = -1) count as errors, as
    for the model."""
    length = max(len(s) for s in train_inputs) if not is_text else 0
    rows = []
    models = baselines_for(is_text, len(train_inputs), len(test_inputs), length)
    for model in models:
        pred = model.fit(train_inputs, train_y).predict(test_inputs)
        hits = pred == np.asarray(test_y)
        rows.append({"name": model.name, "accuracy": int(hits.sum()) / max(len(test_y), 1),
                     "correct": int(hits.sum()), "n": len(test_y), "hits": hits})
    if not is_text and not any(getattr(m, "metric", None) == "dtw" for m in models):
        cells = dtw_cells(len(train_inputs), len(test_inputs), length)
        rows.append({"name": NearestNeighbour("dtw").name,
                     "skipped": f"too costly ({cells:.2g} DP cells > DTW_MAX_CELLS = {DTW_MAX_CELLS:.2g})"})
    return rows


SIGNIFICANCE = 0.05
SMALL_TEST = 30  # fewer test rows: a tie is said to mean little


def mcnemar_p(model_only: int, baseline_only: int) -> float:
    """Two-sided exact McNemar test: the rows only one of two classifiers got right split like a
    fair coin when they are equally accurate; the probability of a split at least this uneven."""
    n, k = model_only + baseline_only, min(model_only, baseline_only)
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(k + 1))
    return min(1.0, 2 * tail / 2 ** n)


def verdict(model_hits: np.ndarray, baselines: list[dict]) -> str:
    """Plain words: does the model beat the best baseline? A difference in correct test predictions
    that McNemar's exact test (paired, on the same rows) cannot tell from chance is a tie."""
    model_hits = np.asarray(model_hits, dtype=bool)
    said = _verdict(model_hits, baselines)
    if said.startswith("ties") and len(model_hits) < SMALL_TEST:
        need = next(k for k in range(1, 64) if mcnemar_p(k, 0) < SIGNIFICANCE)
        said += (f"; with only {len(model_hits)} test rows that says little: models cannot be told apart unless "
                 f"one gets at least {need} rows right that the other gets wrong and none the other way")
    return said


def _verdict(model_hits: np.ndarray, baselines: list[dict]) -> str:
    best = max(baselines, key=lambda b: b["correct"])
    ref = f"{best['name']}, {best['accuracy']:.4f}"
    only_model = int((model_hits & ~best["hits"]).sum())
    only_base = int((~model_hits & best["hits"]).sum())
    if only_model == only_base:
        return f"ties the best baseline ({ref})"
    p = mcnemar_p(only_model, only_base)
    if p >= SIGNIFICANCE:
        return (f"ties the best baseline ({ref}): {int(model_hits.sum())} against {best['correct']} correct, "
                f"a difference within noise (McNemar's exact test, {only_model} vs {only_base} rows only one "
                f"got right, p = {p:.3g} >= {SIGNIFICANCE})")
    word = "beats" if only_model > only_base else "does not beat"
    return (f"{word} the best baseline ({ref}): McNemar's exact test, {only_model} vs {only_base} rows only one "
            f"got right, p = {p:.3g} < {SIGNIFICANCE}")
