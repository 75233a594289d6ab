"""The encoder factory: every kind packs or masks padding away, and the task networks built on it
keep the parameter names their checkpoints were saved with."""

import pytest
import torch

from rnnkit.models import CharLM, SequenceClassifier, WindowForecaster
from rnnkit.models.encoders import ENCODER_KINDS, recurrent_encoder

B, T, F, H = 3, 10, 4, 6


def _outputs(encoder, x, lengths=None):
    out, state = encoder(x, lengths=lengths)
    if hasattr(out, "context"):  # attention: pooled already
        return out.context
    return encoder.summary(state)


@pytest.mark.parametrize("kind", ENCODER_KINDS)
def test_padding_never_changes_a_sequence_result(kind):
    torch.manual_seed(0)
    enc = recurrent_encoder(kind, F, H, layers=2, bidirectional_attention=True).eval()
    x = torch.randn(B, T, F)
    lengths = torch.tensor([T, 6, 2])
    padded = x.clone()
    padded[1, 6:] = 99.0  # garbage past the lengths must not matter
    padded[2, 2:] = -99.0
    batch = _outputs(enc, padded, lengths)
    assert batch.shape == (B, enc.out_dim)
    for i in range(B):
        alone = _outputs(enc, x[i:i + 1, : int(lengths[i])])
        assert torch.allclose(batch[i], alone[0], atol=1e-5), (kind, i)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown encoder 'transformer'"):
        recurrent_encoder("transformer", F, H)
    with pytest.raises(ValueError, match="unknown cell 'bilstm'"):
        CharLM(10, cell="bilstm")  # a language model reads one way


# Parameter names as saved by the task networks before the factory existed: checkpoints load by them.
SAVED_NAMES = {
    "classify lstm": (lambda: SequenceClassifier("lstm", 3, input_size=4, hidden=8, summary="both", kernels=4,
                                                 series_len=20),
                      ["encoder.rnn.weight_ih_l0", "encoder.rnn.weight_hh_l0", "encoder.rnn.bias_ih_l0",
                       "encoder.rnn.bias_hh_l0", "head.weight", "head.bias", "pooled_head.weight", "pooled_head.bias",
                       "features.weight", "features.bias", "features.dilation", "features.mean", "features.std",
                       "feature_head.weight", "feature_head.bias"]),
    "classify attention": (lambda: SequenceClassifier("attention", 3, input_size=4, hidden=8, kernels=4, series_len=20),
                           ["encoder.encoder.rnn.weight_ih_l0", "encoder.encoder.rnn.weight_hh_l0",
                            "encoder.encoder.rnn.bias_ih_l0", "encoder.encoder.rnn.bias_hh_l0",
                            "encoder.encoder.rnn.weight_ih_l0_reverse", "encoder.encoder.rnn.weight_hh_l0_reverse",
                            "encoder.encoder.rnn.bias_ih_l0_reverse", "encoder.encoder.rnn.bias_hh_l0_reverse",
                            "encoder.attention.proj.weight", "encoder.attention.proj.bias",
                            "encoder.attention.score.weight", "head.weight", "head.bias", "features.weight",
                            "features.bias", "features.dilation", "features.mean", "features.std",
                            "feature_head.weight", "feature_head.bias"]),
    "forecast attention": (lambda: WindowForecaster(4, 3, 2, cell="attention", hidden=8, layers=2, layer_norm=True),
                           [f"encoder.encoder.rnn.{w}_l{i}" for i in (0, 1)
                            for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
                           + ["encoder.attention.proj.weight", "encoder.attention.proj.bias",
                              "encoder.attention.score.weight", "norm.weight", "norm.bias", "head.weight", "head.bias"]),
    "forecast bilstm": (lambda: WindowForecaster(4, 3, cell="bilstm", hidden=8, layers=1),
                        [f"encoder.rnn.{w}_l0{r}" for r in ("", "_reverse")
                         for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")] + ["head.weight", "head.bias"]),
    "text gru": (lambda: CharLM(10, cell="gru", hidden=8, layers=1),
                 ["embed.weight", "core.rnn.weight_ih_l0", "core.rnn.weight_hh_l0", "core.rnn.bias_ih_l0",
                  "core.rnn.bias_hh_l0", "head.weight", "head.bias"]),
}


@pytest.mark.parametrize("name", SAVED_NAMES)
def test_task_networks_keep_their_saved_parameter_names(name):
    build, names = SAVED_NAMES[name]
    assert list(build().state_dict()) == names
