"""Character language model: embedding -> recurrent core -> (layer norm) -> linear head."""

from __future__ import annotations

import torch
from torch import nn

from rnnkit.models.encoders import recurrent_encoder
from rnnkit.models.recurrent import CELLS
from rnnkit.models.state import State


class CharLM(nn.Module):
    """idx: (B, T) int64 -> logits: (B, T, V), state.

    `tie_weights` shares the embedding matrix with the output layer (needs embed_dim == hidden).
    """

    def __init__(
        self, vocab_size: int, cell: str = "lstm", hidden: int = 256, layers: int = 2,
        dropout: float = 0.0, embed_dim: int | None = None, tie_weights: bool = False,
        layer_norm: bool = False,
    ):
        super().__init__()
        embed_dim = embed_dim or hidden
        if tie_weights and embed_dim != hidden:
            raise ValueError(f"tie_weights needs embed_dim == hidden, got {embed_dim} and {hidden}")
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, embed_dim)
        if cell not in CELLS:  # a language model reads left to right, one step at a time
            raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(CELLS)}")
        self.core = recurrent_encoder(cell, embed_dim, hidden, layers, dropout)
        self.norm = nn.LayerNorm(hidden) if layer_norm else nn.Identity()
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab_size)
        if tie_weights:
            self.head.weight = self.embed.weight

    def forward(self, idx: torch.Tensor, state: State = None) -> tuple[torch.Tensor, State]:
        x = self.embed(idx)  # (B, T, E)
        h, state = self.core(x, state)  # (B, T, H)
        logits = self.head(self.drop(self.norm(h)))  # (B, T, V)
        return logits, state
