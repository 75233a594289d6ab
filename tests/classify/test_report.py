"""Which examples the attention view shows."""

from __future__ import annotations

from rnnkit.classify.report import _examples


def test_attention_view_takes_examples_from_every_class():
    labels = ["ham"] * 10 + ["spam", "ham", "spam"]
    assert _examples(labels, 6) == [0, 1, 2, 3, 10, 12]
    assert _examples(["a", "b"], 6) == [0, 1]
    assert _examples([None] * 9, 4) == [0, 1, 2, 3]
