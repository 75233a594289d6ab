"""Many-to-one sequence classifier: (embedding | numeric input) -> recurrent encoder -> linear head.

Encoders (`kind`):
  bilstm     bidirectional LSTM; the final summary is the last real forward step joined with the first backward step
  attention  bidirectional LSTM whose step outputs are pooled by additive attention (weights per step)
  lstm, gru, rnn  unidirectional; the final summary is the top layer's state at each sequence's last real step

How the recurrent kinds (all but attention) turn the sequence into a prediction (`summary`):
  final   one head on the final state(s), which know the order of the whole sequence
  pooled  one head on the mean and the maximum of the step outputs over real steps
  both    a head on each; training puts a loss on each head (so the encoder must serve both), and the
          prediction averages their probabilities. Measured with the classification defaults
          (bench/results/classify.md): ECG200 final 0.880, pooled 0.905, both 0.920; ItalyPowerDemand
          0.963-0.967 for all three. Under early stopping, pooled alone lost ItalyPowerDemand (0.93).
Variable-length batches are packed (or masked, for attention and pooling), so padding never changes a prediction.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnkit.models.attention import AttentionLSTM, length_mask
from rnnkit.models.bidirectional import BiLSTMEncoder
from rnnkit.models.recurrent import RecurrentCore
from rnnkit.models.state import State

CLASSIFIER_KINDS = ("bilstm", "attention", "lstm", "gru", "rnn")
SUMMARIES = ("final", "pooled", "both")


class Classified(NamedTuple):
    logits: torch.Tensor  # (B, C); with two heads, the log of their mean probabilities
    weights: torch.Tensor | None  # (B, T) attention weights (attention kind only), 0 on padding
    heads: tuple[torch.Tensor, ...] = ()  # (B, C) logits of each head, when there are two (training loss)


class SequenceClassifier(nn.Module):
    """x: (B, T) int64 token ids when `vocab_size` is set, else (B, T, F) float; lengths: (B,) or None.
    -> (Classified(logits (B, C), weights (B, T) | None), final recurrent state)."""

    def __init__(
        self, kind: str, n_classes: int, input_size: int = 0, vocab_size: int | None = None,
        hidden: int = 64, layers: int = 1, dropout: float = 0.0, embed_dim: int | None = None,
        layer_norm: bool = False, summary: str = "final",
    ):
        super().__init__()
        if kind not in CLASSIFIER_KINDS:
            raise ValueError(f"unknown classifier kind {kind!r}; choose one of {', '.join(CLASSIFIER_KINDS)}")
        if summary not in SUMMARIES:
            raise ValueError(f"unknown summary {summary!r}; choose one of {', '.join(SUMMARIES)}")
        self.kind = kind
        self.summary = "final" if kind == "attention" else summary  # attention pools by its own weights
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
        # `head` reads the final (or attention) summary, `pooled_head` the [mean; max] of the step outputs
        self.head = nn.Linear(out_dim, n_classes) if self.summary != "pooled" else None
        self.pooled_head = nn.Linear(2 * out_dim, n_classes) if self.summary != "final" else None

    def forward(
        self, x: torch.Tensor, state: State = None, lengths: torch.Tensor | None = None
    ) -> tuple[Classified, State]:
        if self.embed is not None:
            x = self.drop(self.embed(x))  # (B, T, E)
        weights = None
        if self.kind == "attention":
            attended, state = self.encoder(x, state, lengths)
            summary, weights = attended.context, attended.weights  # (B, 2H), (B, T)
            return Classified(self.head(self.drop(self.norm(summary))), weights), state
        if self.kind == "bilstm":
            out, state = self.encoder(x, state, lengths)  # (B, T, 2H)
            summary = BiLSTMEncoder.summary(state)  # (B, 2H)
        else:
            total = x.shape[1]
            if lengths is not None:  # packed: the final state is each sequence's last real step
                x = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, state = self.encoder.rnn(x, state)
            if lengths is not None:
                out, _ = pad_packed_sequence(out, batch_first=True, total_length=total)
            h = state[0] if isinstance(state, tuple) else state  # (L, B, H)
            summary = h[-1]  # (B, H)
        heads = []
        if self.head is not None:
            heads.append(self.head(self.drop(self.norm(summary))))
        if self.pooled_head is not None:
            heads.append(self.pooled_head(self.drop(mean_max(self.norm(out), lengths))))
        if len(heads) == 1:
            return Classified(heads[0], weights), state
        # the prediction averages the heads' probabilities; as logits: log of that mean
        logits = torch.logsumexp(torch.stack([torch.log_softmax(z.float(), -1) for z in heads]), 0) - math.log(len(heads))
        return Classified(logits, weights, tuple(heads)), state


def mean_max(out: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """(B, T, D) step outputs -> (B, 2D): [mean; max] over each sequence's real steps."""
    if lengths is None:  # every step is real
        return torch.cat([out.mean(1), out.amax(1)], dim=-1)
    mask = length_mask(lengths, out.shape[0], out.shape[1], out.device).unsqueeze(-1)  # (B, T, 1)
    count = mask.sum(1).clamp(min=1)
    mean = out.masked_fill(~mask, 0.0).sum(1) / count
    peak = out.masked_fill(~mask, float("-inf")).amax(1)
    return torch.cat([mean, peak], dim=-1)
