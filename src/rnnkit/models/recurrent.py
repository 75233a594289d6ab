"""The unidirectional recurrent core shared by every task: Elman RNN, GRU or LSTM."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnkit.models.state import State

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
CELLS = tuple(_CELLS)  # the unidirectional cells


class RecurrentCore(nn.Module):
    """Multi-layer RNN/GRU/LSTM, batch first, dropout between layers.

    x: (B, T, F), lengths: (B,) or None -> out: (B, T, H) (zeros past each length),
    state: (L, B, H) or ((L, B, H), (L, B, H)) for the LSTM, taken at each sequence's last real step.
    Because the state goes in and out, running a sequence in chunks equals running it whole.
    """

    out_dim: int

    def __init__(self, cell: str, input_size: int, hidden: int, layers: int = 1, dropout: float = 0.0):
        super().__init__()
        if cell not in _CELLS:
            raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(_CELLS)}")
        self.cell = cell
        self.hidden = hidden
        self.layers = layers
        self.out_dim = hidden
        kwargs = {"nonlinearity": "tanh"} if cell == "rnn" else {}
        self.rnn = _CELLS[cell](
            input_size, hidden, num_layers=layers, batch_first=True,
            dropout=dropout if layers > 1 else 0.0, **kwargs,
        )

    def forward(
        self, x: torch.Tensor, state: State = None, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, State]:
        return run_rnn(self.rnn, x, state, lengths)

    @staticmethod
    def summary(state: State) -> torch.Tensor:
        """(B, H): the top layer's final hidden state."""
        h = state[0] if isinstance(state, tuple) else state  # (L, B, H)
        return h[-1]


def run_rnn(rnn: nn.RNNBase, x: torch.Tensor, state: State, lengths: torch.Tensor | None) -> tuple[torch.Tensor, State]:
    """The one place that packs: with `lengths`, the batch is packed so that padding never reaches
    a real step and the returned state is each sequence's state at its last real step; the output
    is padded back to x's length (zeros past each length). x: (B, T, F) -> (B, T, D), state."""
    if lengths is None:
        return rnn(x, state)
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    out, state = rnn(packed, state)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out, state
