"""Forecasting network: a recurrent encoder of the past window and a direct multi-step head."""

from __future__ import annotations

import torch
from torch import nn

from rnnkit.models.encoders import ENCODER_KINDS, recurrent_encoder
from rnnkit.models.state import State

ENCODERS = ENCODER_KINDS


class WindowForecaster(nn.Module):
    """x: (B, T, F) past window -> (B, H, Q): H steps ahead, Q quantiles (Q = 1: a point), state.

    The encoder is a unidirectional core (last step's output), a bidirectional LSTM (both final
    states; the window is fully known, so reading it backwards leaks nothing), or an attention-pooled
    LSTM. The head is direct: one linear layer emits all H x Q values at once; `zero_head` starts it
    at zero (for a network that predicts a correction to a baseline).
    """

    def __init__(self, input_size: int, horizon: int, n_quantiles: int = 1, cell: str = "lstm",
                 hidden: int = 64, layers: int = 2, dropout: float = 0.0, layer_norm: bool = False,
                 zero_head: bool = False):
        super().__init__()
        if cell not in ENCODERS:
            raise ValueError(f"unknown encoder {cell!r}; choose one of {', '.join(ENCODERS)}")
        self.cell = cell
        self.horizon = horizon
        self.n_quantiles = n_quantiles
        self.encoder = recurrent_encoder(cell, input_size, hidden, layers, dropout)
        # the attention context is joined with the last step's hidden state
        dim = self.encoder.out_dim + (hidden if cell == "attention" else 0)
        self.norm = nn.LayerNorm(dim) if layer_norm else nn.Identity()
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(dim, horizon * n_quantiles)
        if zero_head:  # a residual model starts as its baseline (the correction is 0) and moves from there
            nn.init.zeros_(self.head.weight)
            nn.init.zeros_(self.head.bias)

    def encode(self, x: torch.Tensor, state: State = None) -> tuple[torch.Tensor, State, torch.Tensor | None]:
        """(summary (B, D), state, attention weights (B, T) or None)."""
        if self.cell == "bilstm":
            _, state = self.encoder(x, state)
            return self.encoder.summary(state), state, None
        if self.cell == "attention":
            attended, state = self.encoder(x, state)
            last = state[0][-1]  # (B, H): the top layer's final hidden state
            return torch.cat([attended.context, last], dim=-1), state, attended.weights
        out, state = self.encoder(x, state)
        return out[:, -1], state, None

    def forward(self, x: torch.Tensor, state: State = None) -> tuple[torch.Tensor, State]:
        summary, state, _ = self.encode(x, state)
        y = self.head(self.drop(self.norm(summary)))  # (B, H * Q)
        return y.view(x.shape[0], self.horizon, self.n_quantiles), state

    def attention_weights(self, x: torch.Tensor) -> torch.Tensor | None:
        """(B, T) attention over the window for the attention encoder, else None."""
        return self.encode(x)[2]


class ForecasterEnsemble(nn.Module):
    """M window forecasters side by side (each initialised apart) whose quantiles are averaged.

    In training mode the forward returns every member's output, (B, H, Q, M), so each member is
    trained on its own loss (forecast/task.py) and they stay independent networks; in eval mode it
    returns their average, (B, H, Q), the shape a single forecaster returns. One module, so the
    checkpoint, the int8 copy and the ONNX graph (a whole-window function) hold all the members."""

    def __init__(self, members: list[WindowForecaster]):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.cell, self.horizon, self.n_quantiles = members[0].cell, members[0].horizon, members[0].n_quantiles

    def forward(self, x: torch.Tensor, state: State = None) -> tuple[torch.Tensor, State]:
        if state is not None:
            raise ValueError("an ensemble reads whole windows; it carries no recurrent state")
        outs = torch.stack([m(x)[0] for m in self.members], dim=-1)  # (B, H, Q, M)
        return (outs if self.training else outs.mean(dim=-1)), None

    def attention_weights(self, x: torch.Tensor) -> torch.Tensor | None:
        """The members' attention weights averaged (attention encoders), else None."""
        weights = [m.attention_weights(x) for m in self.members]
        return None if weights[0] is None else torch.stack(weights).mean(dim=0)
