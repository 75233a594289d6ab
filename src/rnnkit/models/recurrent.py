"""The unidirectional recurrent core shared by every task: Elman RNN, GRU or LSTM."""

from __future__ import annotations

import torch
from torch import nn

from rnnkit.models.state import State

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class RecurrentCore(nn.Module):
    """Multi-layer RNN/GRU/LSTM, batch first, dropout between layers.

    x: (B, T, F) -> out: (B, T, H), state: (L, B, H) or ((L, B, H), (L, B, H)) for the LSTM.
    Because the state goes in and out, running a sequence in chunks equals running it whole.
    """

    def __init__(self, cell: str, input_size: int, hidden: int, layers: int = 1, dropout: float = 0.0):
        super().__init__()
        if cell not in _CELLS:
            raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(_CELLS)}")
        self.cell = cell
        self.hidden = hidden
        self.layers = layers
        kwargs = {"nonlinearity": "tanh"} if cell == "rnn" else {}
        self.rnn = _CELLS[cell](
            input_size, hidden, num_layers=layers, batch_first=True,
            dropout=dropout if layers > 1 else 0.0, **kwargs,
        )

    def forward(self, x: torch.Tensor, state: State = None) -> tuple[torch.Tensor, State]:
        out, state = self.rnn(x, state)
        return out, state
