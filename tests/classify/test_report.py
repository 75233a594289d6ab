"""Which examples the attention view shows."""

from __future__ import annotations

from rnnkit.classify.report import _examples


def test_attention_view_takes_examples_from_every_class():
    labels = ["ham"] * 10 + ["spam", "ham", "spam"]
    assert _examples(labels, 6) == [0, 1, 2, 3, 10, 12]
    assert _examples(["a", "b"], 6) == [0, 1]
    assert _examples([None] * 9, 4) == [0, 1, 2, 3]


def test_the_epoch_rule_says_whether_the_budget_was_the_default_or_given():
    from rnnkit.classify.config import ClassifyRunConfig
    from rnnkit.classify.estimator import epoch_rule

    cfg = ClassifyRunConfig()
    assert "a default chosen by cross-validation" in epoch_rule(cfg, 10, lambda _: None)[1]
    cfg.train.max_epochs = 3
    said = epoch_rule(cfg, 10, lambda _: None)[1]
    assert "fixed budget of 3 epochs (the budget given" in said and "default chosen" not in said
