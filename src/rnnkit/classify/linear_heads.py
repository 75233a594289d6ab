"""The classifier's linear heads over fixed features (the random-convolution features of a series,
the tf-idf bag of a text's n-grams), fit as what they are: L2-regularised multinomial logistic
regression, solved to convergence on the whole training part (L-BFGS), so that they can start from,
or stay at, the convex optimum instead of being learnt by stochastic gradients beside the network
(`data.linear_heads`: fit | fit_train; models/classifier.py).

The objective is scikit-learn's: C * sum of the log-losses + ||W||^2 / 2 (the intercept is not
penalised), written per row as mean log-loss + ||W||^2 / (2 C N). C is chosen from `C_GRID` by
stratified k-fold cross-validation on the rows given (held-out log-loss, the figure that matters
when the head's probabilities are averaged with the network's).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from rnnkit.classify.cv import stratified_folds
from rnnkit.models.classifier import SequenceClassifier

C_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)
MAX_ITER = 200


@torch.no_grad()
def fit_linear_heads(model: SequenceClassifier, x: torch.Tensor, lengths: torch.Tensor | None, y: torch.Tensor,
                     n_classes: int) -> dict[str, float]:
    """Set the model's fixed-feature heads to the logistic regression of `y` on their features over
    the training part (x, lengths), each with its own C; -> {head: C chosen}. Call after
    `fit_features` (the features' scaler and the bag's idf are part of the features)."""
    chosen = {}
    if model.features is not None:
        feats = model.feature_matrix(x, lengths)
        c = chosen["features"] = choose_c(feats, y, n_classes)
        w, b = fit_logistic(feats, y, n_classes, c)
        model.feature_head.weight.copy_(w.T)
        model.feature_head.bias.copy_(b)
    if model.bag is not None:  # no intercept: the bag is a table of rows, one per gram
        bag = model.bag_matrix(x)
        c = chosen["bag"] = choose_c(bag, y, n_classes, intercept=False)
        w, _ = fit_logistic(bag, y, n_classes, c, intercept=False)
        model.bag.weight.copy_(w)
    return chosen


def fit_logistic(x: torch.Tensor, y: torch.Tensor, n_classes: int, c: float, intercept: bool = True
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """x (N, D) dense or sparse COO, y (N,) class ids -> (W (D, C), b (C,)); b is 0 without `intercept`."""
    w = torch.zeros(x.shape[1], n_classes, requires_grad=True)
    b = torch.zeros(n_classes, requires_grad=intercept)
    opt = torch.optim.LBFGS([w, b] if intercept else [w], lr=1.0, max_iter=MAX_ITER, history_size=20,
                            tolerance_grad=1e-6, tolerance_change=1e-9, line_search_fn="strong_wolfe")
    penalty = 1.0 / (2.0 * c * len(y))

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(_logits(x, w, b), y) + penalty * (w * w).sum()
        loss.backward()
        return loss

    with torch.enable_grad():  # callers may hold no_grad (the model's weights are set under it)
        opt.step(closure)
    return w.detach(), b.detach()


def choose_c(x: torch.Tensor, y: torch.Tensor, n_classes: int, intercept: bool = True, folds: int = 3,
             seed: int = 0) -> float:
    """The C of `C_GRID` with the lowest held-out log-loss over stratified folds of the rows given;
    with a class of a single row there are no folds to cut, and C = 1 (scikit-learn's default)."""
    counts = torch.bincount(y, minlength=n_classes)
    k = min(folds, int(counts[counts > 0].min()))
    if k < 2:
        return 1.0
    splits = stratified_folds(y.numpy(), k, seed)
    losses = []
    for c in C_GRID:
        held_loss = 0.0
        for fit_rows, held_rows in splits:
            w, b = fit_logistic(_rows(x, fit_rows), y[fit_rows], n_classes, c, intercept)
            with torch.no_grad():
                held_loss += F.cross_entropy(_logits(_rows(x, held_rows), w, b), y[held_rows], reduction="sum").item()
        losses.append(held_loss)
    return C_GRID[int(np.argmin(losses))]  # the first (most regularised) on a tie


def _logits(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (torch.sparse.mm(x, w) if x.is_sparse else x @ w) + b


def _rows(x: torch.Tensor, rows: np.ndarray) -> torch.Tensor:
    index = torch.as_tensor(rows, dtype=torch.long)
    return x.index_select(0, index)
