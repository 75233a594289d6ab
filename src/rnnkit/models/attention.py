"""Attention pooling over time steps (Bahdanau-style additive scoring) and the attention-pooled LSTM."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from rnnkit.models.bidirectional import BiLSTMEncoder
from rnnkit.models.recurrent import RecurrentCore
from rnnkit.models.state import State


class Attended(NamedTuple):
    context: torch.Tensor  # (B, D): the weighted sum of the step outputs
    weights: torch.Tensor  # (B, T): softmax over real steps, exactly 0 on padding


def length_mask(lengths: torch.Tensor | None, batch: int, steps: int, device: torch.device) -> torch.Tensor:
    """(B, T) bool, True on real steps."""
    if lengths is None:
        return torch.ones(batch, steps, dtype=torch.bool, device=device)
    return torch.arange(steps, device=device)[None, :] < lengths.to(device)[:, None]


class AdditiveAttention(nn.Module):
    """score_t = v . tanh(W h_t + b); weights = softmax over real steps; context = sum_t w_t h_t.

    h: (B, T, D), mask: (B, T) bool -> Attended((B, D), (B, T)).
    """

    def __init__(self, dim: int, attn_dim: int | None = None):
        super().__init__()
        attn_dim = attn_dim or dim
        self.proj = nn.Linear(dim, attn_dim)
        self.score = nn.Linear(attn_dim, 1, bias=False)

    def forward(self, h: torch.Tensor, mask: torch.Tensor | None = None) -> Attended:
        scores = self.score(torch.tanh(self.proj(h))).squeeze(-1)  # (B, T)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        if mask is not None:
            weights = weights.masked_fill(~mask, 0.0)  # exact zeros, also for all-padding rows
        context = torch.bmm(weights.unsqueeze(1), h).squeeze(1)
        return Attended(context, weights)


class AttentionLSTM(nn.Module):
    """An LSTM (optionally bidirectional) whose step outputs are pooled by additive attention.

    x: (B, T, F), lengths: (B,) or None -> out: Attended(context (B, D), weights (B, T)), state.
    D = hidden, or 2 * hidden when bidirectional.
    """

    def __init__(
        self, input_size: int, hidden: int, layers: int = 1, dropout: float = 0.0,
        bidirectional: bool = False,
    ):
        super().__init__()
        self.bidirectional = bidirectional
        if bidirectional:
            self.encoder: nn.Module = BiLSTMEncoder(input_size, hidden, layers, dropout)
        else:
            self.encoder = RecurrentCore("lstm", input_size, hidden, layers, dropout)
        self.out_dim = self.encoder.out_dim
        self.attention = AdditiveAttention(self.out_dim)

    def forward(
        self, x: torch.Tensor, state: State = None, lengths: torch.Tensor | None = None
    ) -> tuple[Attended, State]:
        h, state = self.encoder(x, state, lengths)  # (B, T, D), packed when lengths are given
        mask = length_mask(lengths, x.shape[0], x.shape[1], x.device)
        return self.attention(h, mask), state
