"""The classifier network: padding never changes a prediction; attention weights are a
distribution over real steps and exactly 0 on padding."""

from __future__ import annotations

import pytest
import torch

from rnnkit.models import CLASSIFIER_KINDS, SequenceClassifier


def _numeric(kind: str) -> SequenceClassifier:
    torch.manual_seed(0)
    return SequenceClassifier(kind, 3, input_size=2, hidden=8, layers=2, dropout=0.1).eval()


def _tokens(kind: str) -> SequenceClassifier:
    torch.manual_seed(0)
    return SequenceClassifier(kind, 2, vocab_size=20, hidden=8, embed_dim=6).eval()


@pytest.mark.parametrize("kind", CLASSIFIER_KINDS)
def test_extra_padding_does_not_change_numeric_predictions(kind):
    model = _numeric(kind)
    x = torch.randn(4, 9, 2)
    lengths = torch.tensor([9, 3, 6, 1])
    out, _ = model(x, lengths=lengths)
    # more padding, and garbage (not zeros) in the padded steps
    padded = torch.cat([x, torch.randn(4, 7, 2) * 100], dim=1)
    for i, n in enumerate(lengths):
        padded[i, n:] = torch.randn(16 - n, 2) * 100
    out2, _ = model(padded, lengths=lengths)
    assert out.logits.shape == (4, 3)
    torch.testing.assert_close(out.logits, out2.logits, rtol=1e-5, atol=1e-5)
    # and a sequence alone, unpadded, gives the same logits as inside the padded batch
    alone, _ = model(x[1:2, :3])
    torch.testing.assert_close(alone.logits[0], out.logits[1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", CLASSIFIER_KINDS)
def test_extra_padding_does_not_change_token_predictions(kind):
    model = _tokens(kind)
    ids = torch.randint(2, 20, (3, 5))
    lengths = torch.tensor([5, 2, 4])
    ids[1, 2:] = 0
    ids[2, 4:] = 0
    out, _ = model(ids, lengths=lengths)
    out2, _ = model(torch.cat([ids, torch.zeros(3, 6, dtype=torch.int64)], 1), lengths=lengths)
    torch.testing.assert_close(out.logits, out2.logits, rtol=1e-5, atol=1e-5)


def test_attention_weights_sum_to_one_over_real_steps_and_are_zero_on_padding():
    model = _numeric("attention")
    lengths = torch.tensor([7, 2, 5])
    out, _ = model(torch.randn(3, 7, 2), lengths=lengths)
    w = out.weights
    assert w.shape == (3, 7)
    torch.testing.assert_close(w.sum(dim=1), torch.ones(3))
    for i, n in enumerate(lengths):
        assert torch.all(w[i, n:] == 0.0)
        assert torch.all(w[i, :n] > 0.0)


def test_only_attention_returns_weights():
    assert _numeric("bilstm")(torch.randn(2, 4, 2))[0].weights is None
    assert _numeric("attention")(torch.randn(2, 4, 2))[0].weights.shape == (2, 4)


def test_gradients_reach_every_parameter():
    for kind in CLASSIFIER_KINDS:
        model = _tokens(kind).train()
        out, _ = model(torch.randint(1, 20, (2, 5)), lengths=torch.tensor([5, 3]))
        out.logits.sum().backward()
        missing = [n for n, p in model.named_parameters() if p.grad is None]
        assert not missing, (kind, missing)
