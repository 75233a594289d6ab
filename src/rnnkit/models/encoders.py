"""The one factory for the recurrent encoders every task network reads its input with.

    kind       module          out                                  state
    lstm/gru/rnn  RecurrentCore   (B, T, H) step outputs               (L, B, H) [x2 for the LSTM]
    bilstm     BiLSTMEncoder   (B, T, 2H) step outputs              ((2L, B, H), (2L, B, H))
    attention  AttentionLSTM   Attended(context (B, D), weights (B, T))  as its LSTM

Every encoder is called `encoder(x, state=None, lengths=None)` with x: (B, T, F) and has
`out_dim`; with `lengths` the batch is packed (recurrent.run_rnn, the one place that packs) and
attention is masked, so padding never changes a result. The step-output encoders also offer
`summary(state) -> (B, out_dim)`: the final state(s), the usual many-to-one summary.
"""

from __future__ import annotations

from torch import nn

from rnnkit.models.attention import AttentionLSTM
from rnnkit.models.bidirectional import BiLSTMEncoder
from rnnkit.models.recurrent import CELLS, RecurrentCore

ENCODER_KINDS = (*CELLS, "bilstm", "attention")


def recurrent_encoder(kind: str, input_size: int, hidden: int, layers: int = 1, dropout: float = 0.0,
                      bidirectional_attention: bool = False) -> nn.Module:
    """The encoder of `kind` (see the table above). `bidirectional_attention` makes the attention
    kind pool a bidirectional LSTM (for inputs whose whole extent is known, as in classification)."""
    if kind == "attention":
        return AttentionLSTM(input_size, hidden, layers, dropout, bidirectional=bidirectional_attention)
    if kind == "bilstm":
        return BiLSTMEncoder(input_size, hidden, layers, dropout)
    if kind in CELLS:
        return RecurrentCore(kind, input_size, hidden, layers, dropout)
    raise ValueError(f"unknown encoder {kind!r}; choose one of {', '.join(ENCODER_KINDS)}")
