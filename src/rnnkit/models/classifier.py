"""Many-to-one sequence classifier: (embedding | numeric input) -> recurrent encoder -> linear head.

Encoders (`kind`):
  bilstm     bidirectional LSTM; the summary is the last real forward step joined with the first backward step
  attention  bidirectional LSTM whose step outputs are pooled by additive attention (weights per step)
  lstm, gru, rnn  unidirectional; the summary is the top layer's state at each sequence's last real step
Variable-length batches are packed (or masked, for attention), so padding never changes a prediction.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from rnnkit.models.attention import AttentionLSTM
from rnnkit.models.bidirectional import BiLSTMEncoder
from rnnkit.models.recurrent import RecurrentCore
from rnnkit.models.state import State

CLASSIFIER_KINDS = ("bilstm", "attention", "lstm", "gru", "rnn")


class Classified(NamedTuple):
    logits: torch.Tensor  # (B, C)
    weights: torch.Tensor | None  # (B, T) attention weights (attention kind only), 0 on padding


class SequenceClassifier(nn.Module):
    """x: (B, T) int64 token ids when `vocab_size` is set, else (B, T, F) float; lengths: (B,) or None.
    -> (Classified(logits (B, C), weights (B, T) | None), final recurrent state)."""

    def __init__(
        self, kind: str, n_classes: int, input_size: int = 0, vocab_size: int | None = None,
        hidden: int = 64, layers: int = 1, dropout: float = 0.0, embed_dim: int | None = None,
        layer_norm: bool = False,
    ):
        super().__init__()
        if kind not in CLASSIFIER_KINDS:
            raise ValueError(f"unknown classifier kind {kind!r}; choose one of {', '.join(CLASSIFIER_KINDS)}")
        self.kind = kind
        if vocab_size is not None:
            embed_dim = embed_dim or hidden
            self.embed: nn.Module | None = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
            input_size = embed_dim
        else:
            self.embed = None
        if kind == "attention":
            self.encoder: nn.Module = AttentionLSTM(input_size, hidden, layers, dropout, bidirectional=True)
        elif kind == "bilstm":
            self.encoder = BiLSTMEncoder(input_size, hidden, layers, dropout)
        else:
            self.encoder = RecurrentCore(kind, input_size, hidden, layers, dropout)
        out_dim = hidden if kind in ("lstm", "gru", "rnn") else 2 * hidden
        self.norm = nn.LayerNorm(out_dim) if layer_norm else nn.Identity()
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(out_dim, n_classes)

    def forward(
        self, x: torch.Tensor, state: State = None, lengths: torch.Tensor | None = None
    ) -> tuple[Classified, State]:
        if self.embed is not None:
            x = self.drop(self.embed(x))  # (B, T, E)
        weights = None
        if self.kind == "attention":
            attended, state = self.encoder(x, state, lengths)
            summary, weights = attended.context, attended.weights  # (B, 2H), (B, T)
        elif self.kind == "bilstm":
            _, state = self.encoder(x, state, lengths)
            summary = BiLSTMEncoder.summary(state)  # (B, 2H)
        else:
            if lengths is not None:  # packed: the final state is each sequence's last real step
                x = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            _, state = self.encoder.rnn(x, state)
            h = state[0] if isinstance(state, tuple) else state  # (L, B, H)
            summary = h[-1]  # (B, H)
        logits = self.head(self.drop(self.norm(summary)))  # (B, C)
        return Classified(logits, weights), state
