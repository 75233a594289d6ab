"""Bidirectional LSTM encoder, for inputs whose whole extent is known (a past window, a sequence
to classify). Variable-length batches are packed (recurrent.run_rnn) so padding never reaches a real step."""

from __future__ import annotations

import torch
from torch import nn

from rnnkit.models.recurrent import run_rnn
from rnnkit.models.state import State


class BiLSTMEncoder(nn.Module):
    """x: (B, T, F), lengths: (B,) or None -> out: (B, T, 2H) (zeros past each length),
    state: ((2L, B, H), (2L, B, H)).

    `summary(out, state)` gives one (B, 2H) vector per sequence: the forward direction's last real
    step joined with the backward direction's first step.
    """

    def __init__(self, input_size: int, hidden: int, layers: int = 1, dropout: float = 0.0):
        super().__init__()
        self.hidden = hidden
        self.layers = layers
        self.out_dim = 2 * hidden
        self.rnn = nn.LSTM(
            input_size, hidden, num_layers=layers, batch_first=True, bidirectional=True,
            dropout=dropout if layers > 1 else 0.0,
        )

    def forward(
        self, x: torch.Tensor, state: State = None, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, State]:
        return run_rnn(self.rnn, x, state, lengths)

    @staticmethod
    def summary(state: State) -> torch.Tensor:
        """(B, 2H): the top layer's final forward and backward hidden states."""
        h = state[0]
        return torch.cat([h[-2], h[-1]], dim=-1)
