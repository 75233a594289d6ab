"""The heads over fixed features fit as logistic regression (classify/linear_heads.py): the solver
agrees with scikit-learn, C follows the data, the bag's sparse matrix is what the bag head reads,
and `data.linear_heads` = fit freezes the fitted heads while fit_train trains on from them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from rnnkit.classify.linear_heads import C_GRID, choose_c, fit_linear_heads, fit_logistic
from rnnkit.models.classifier import SequenceClassifier


def _problem(n: int = 200, d: int = 20, classes: int = 3, noise: float = 1.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    y = (x @ rng.normal(size=(d, classes)) + noise * rng.gumbel(size=(n, classes))).argmax(1)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


@pytest.mark.parametrize("c", [0.1, 1.0, 10.0])
def test_the_solver_reaches_scikit_learns_optimum(c):
    linear_model = pytest.importorskip("sklearn.linear_model")
    x, y = _problem()
    ref = linear_model.LogisticRegression(C=c, max_iter=10000, tol=1e-10).fit(x.numpy().astype(np.float64), y.numpy())
    w, b = fit_logistic(x, y, 3, c)
    ours = torch.softmax(x @ w + b, 1).numpy()
    np.testing.assert_allclose(ours, ref.predict_proba(x.numpy().astype(np.float64)), atol=2e-3)


def test_sparse_and_dense_inputs_give_the_same_fit():
    x, y = _problem(n=60, d=8)
    x = x * (x > 0.5)  # mostly zeros, as a bag of grams is
    dense, _ = fit_logistic(x, y, 3, 1.0, intercept=False)
    sparse, _ = fit_logistic(x.to_sparse(), y, 3, 1.0, intercept=False)
    torch.testing.assert_close(dense, sparse, rtol=1e-4, atol=1e-5)


def test_c_follows_the_data():
    """Labels unrelated to the features: the most regularised C predicts best on held rows;
    labels one feature decides without noise: a weakly regularised one."""
    x, _ = _problem(seed=1)
    noise = torch.tensor(np.random.default_rng(2).integers(0, 3, len(x)))
    assert choose_c(x, noise, 3) == C_GRID[0]
    separable = (x[:, 0] > 0).long()
    assert choose_c(x, separable, 2) >= 10.0
    assert choose_c(x[:3], torch.tensor([0, 1, 1]), 2) == 1.0  # a class of one row: no folds to cut


def test_the_bag_matrix_is_what_the_bag_head_reads():
    torch.manual_seed(0)
    for weighting in ("mean", "tfidf"):
        model = SequenceClassifier("gru", 3, vocab_size=30, hidden=4, ngrams=50, bag_weighting=weighting)
        ids = torch.randint(2, 30, (7, 9))
        ids[2, 4:] = 0
        model.fit_features(ids, None)
        nn.init.normal_(model.bag.weight)
        torch.testing.assert_close(torch.sparse.mm(model.bag_matrix(ids, chunk=3), model.bag.weight),
                                   model.bag_logits(ids), rtol=1e-5, atol=1e-6)


def test_features_computed_in_chunks_are_the_features_of_the_whole_part():
    torch.manual_seed(0)
    model = SequenceClassifier("gru", 2, input_size=1, hidden=4, kernels=20, series_len=30)
    x, lengths = torch.randn(10, 30, 1), torch.tensor([30, 12, 30, 25, 9, 30, 30, 17, 30, 30])
    model.fit_features(x, lengths)
    whole = model.features(*model.raw_series(x, lengths))
    torch.testing.assert_close(model.feature_matrix(x, lengths, chunk=3), whole, rtol=1e-5, atol=1e-5)
    mean, std = model.features.mean.clone(), model.features.std.clone()
    model.features.fit_scale(*model.raw_series(x, lengths), chunk=4)
    torch.testing.assert_close(model.features.mean, mean)
    torch.testing.assert_close(model.features.std, std)


def test_fitting_sets_both_heads_to_the_logistic_regression_of_their_features():
    torch.manual_seed(0)
    numeric = SequenceClassifier("gru", 2, input_size=1, hidden=4, kernels=20, series_len=30, linear_heads="fit")
    x = torch.randn(40, 30, 1)
    y = (x[:, :15].mean((1, 2)) > x[:, 15:].mean((1, 2))).long()
    numeric.fit_features(x, None)
    chosen = fit_linear_heads(numeric, x, None, y, 2)
    feats = numeric.features(x)
    w, b = fit_logistic(feats, y, 2, chosen["features"])
    torch.testing.assert_close(numeric.feature_head.weight, w.T)
    torch.testing.assert_close(numeric.feature_head.bias, b)
    text = SequenceClassifier("gru", 2, vocab_size=30, hidden=4, ngrams=50, bag_weighting="tfidf", linear_heads="fit")
    ids = torch.randint(2, 30, (40, 9))
    y = (ids == 5).any(1).long()
    text.fit_features(ids, None)
    fit_linear_heads(text, ids, None, y, 2)
    assert (text.bag_logits(ids).argmax(1) == y).float().mean() > 0.9  # the bag alone learnt "has token 5"


@pytest.mark.parametrize("mode", ["fit", "fit_train"])
def test_fit_freezes_the_fitted_bag_and_fit_train_trains_on_from_it(tmp_path, mode):
    from rnnkit.classify.config import ClassifyRunConfig
    from rnnkit.classify.estimator import train
    from rnnkit.classify.inference import load_run
    from tests.classify.conftest import write_texts

    cfg = ClassifyRunConfig()
    cfg.model.cell, cfg.model.hidden = "gru", 8
    cfg.train.max_epochs, cfg.train.threads, cfg.train.patience = 2, 1, None
    cfg.data.batch_size, cfg.data.ngrams, cfg.data.refit = 8, 32, False
    cfg.data.ngram_weighting, cfg.data.linear_heads = "tfidf", mode
    data = write_texts(tmp_path / "t.tsv", sep="\t")
    train(cfg, data, None, tmp_path / "run", log=lambda _: None)
    model, enc, run_cfg = load_run(tmp_path / "run")
    assert run_cfg.data.linear_heads == mode and model.bag.weight.abs().max() > 0  # fitted: not the zero start
    from rnnkit.classify.estimator import _fitted, prepare  # the fit again, on the same training part
    prep = prepare(run_cfg, data, None, lambda _: None)
    fitted = _fitted(run_cfg, prep, prep.train, log=lambda _: None)
    same = torch.allclose(model.bag.weight, fitted.bag.weight)
    assert same == (mode == "fit")
    assert all(not p.requires_grad for p in fitted.bag.parameters()) == (mode == "fit")


def test_an_unknown_linear_heads_value_is_refused():
    with pytest.raises(ValueError, match="linear_heads"):
        SequenceClassifier("gru", 2, input_size=1, linear_heads="closed-form")
