"""The model-zoo contract: shapes, state in/out, and "stateful in chunks == whole sequence"."""

import pytest
import torch

from rnnkit.models import AttentionLSTM, BiLSTMEncoder, CharLM, RecurrentCore, detach_state

B, T, F, H = 3, 12, 5, 8


def _close(a, b):
    if isinstance(a, tuple):
        return all(_close(x, y) for x, y in zip(a, b))
    return torch.allclose(a, b, atol=1e-5, rtol=1e-4)


UNIDIRECTIONAL = {
    "rnn": lambda: RecurrentCore("rnn", F, H, layers=2),
    "gru": lambda: RecurrentCore("gru", F, H, layers=2),
    "lstm": lambda: RecurrentCore("lstm", F, H, layers=2, dropout=0.3),
}


@pytest.mark.parametrize("name", UNIDIRECTIONAL)
def test_core_shapes_and_chunked_equals_whole(name):
    torch.manual_seed(0)
    model = UNIDIRECTIONAL[name]().eval()
    x = torch.randn(B, T, F)
    whole, state_whole = model(x)
    assert whole.shape == (B, T, H)
    h = state_whole[0] if name == "lstm" else state_whole
    assert h.shape == (2, B, H)
    outs, state = [], None
    for a in range(0, T, 5):  # uneven chunks: 5, 5, 2
        out, state = model(x[:, a : a + 5], state)
        state = detach_state(state)
        outs.append(out)
    assert _close(torch.cat(outs, dim=1), whole)
    assert _close(state, state_whole)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("layer_norm,tie", [(False, False), (True, True)])
def test_charlm_chunked_equals_whole(cell, layer_norm, tie):
    torch.manual_seed(0)
    model = CharLM(11, cell, hidden=H, layers=2, layer_norm=layer_norm, tie_weights=tie).eval()
    idx = torch.randint(0, 11, (B, T))
    whole, _ = model(idx)
    assert whole.shape == (B, T, 11)
    first, state = model(idx[:, :7])
    second, _ = model(idx[:, 7:], state)
    assert _close(torch.cat([first, second], dim=1), whole)
    if tie:
        assert model.head.weight is model.embed.weight


def test_state_is_not_kept_on_the_module():
    model = RecurrentCore("lstm", F, H).eval()
    x = torch.randn(1, 4, F)
    a, _ = model(x)
    model(torch.randn(1, 4, F))
    b, _ = model(x)
    assert torch.equal(a, b)


def test_bilstm_shapes_and_padding_invariance():
    torch.manual_seed(0)
    enc = BiLSTMEncoder(F, H, layers=2).eval()
    x = torch.randn(2, 6, F)
    lengths = torch.tensor([6, 4])
    out, state = enc(x, lengths=lengths)
    assert out.shape == (2, 6, 2 * H)
    assert torch.all(out[1, 4:] == 0)
    padded = torch.cat([x, torch.randn(2, 3, F)], dim=1)  # extra garbage padding
    out2, state2 = enc(padded, lengths=lengths)
    assert _close(BiLSTMEncoder.summary(state), BiLSTMEncoder.summary(state2))
    alone, _ = enc(x[1:, :4])
    assert _close(out[1, :4], alone[0])


@pytest.mark.parametrize("bidirectional", [False, True])
def test_attention_weights_sum_to_one_on_real_steps(bidirectional):
    torch.manual_seed(0)
    model = AttentionLSTM(F, H, layers=1, bidirectional=bidirectional).eval()
    x = torch.randn(3, 7, F)
    lengths = torch.tensor([7, 3, 5])
    (context, weights), _ = model(x, lengths=lengths)
    assert context.shape == (3, H * (2 if bidirectional else 1))
    assert weights.shape == (3, 7)
    assert torch.allclose(weights.sum(dim=1), torch.ones(3), atol=1e-6)
    assert torch.all(weights[1, 3:] == 0) and torch.all(weights[2, 5:] == 0)
    assert torch.all(weights[1, :3] > 0)
    # padding never changes the result
    (context2, weights2), _ = model(torch.cat([x, torch.randn(3, 4, F)], dim=1), lengths=lengths)
    assert _close(context, context2)
    assert _close(weights, weights2[:, :7])
