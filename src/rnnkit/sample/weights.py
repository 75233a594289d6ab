"""A CharLM's weights rearranged for stepping one character at a time, in fp32, bf16 or int8.

- The first layer's input projection is a row lookup: `table = embedding @ W_ih0^T + b` for the
  whole vocabulary (V, G*H), so layer 0 only multiplies the hidden state.
- Matrices are stored transposed, (K, N), N padded with zero columns to a multiple of 16, which is
  what kernel.c reads; LSTM/RNN biases are summed (b_ih + b_hh); the GRU keeps b_hh apart because
  its new-gate hidden term is scaled by r.
- bf16 rounds each weight to nearest-even; int8 stores round(w / s) with one scale s = max|w| / 127
  per output column. The table, biases and layer norm stay fp32 (they are not read per multiply).
  `dequantized()` gives the exact fp32 values the kernel multiplies by, for the NumPy fallback.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from rnnkit.models import CharLM

PRECISIONS = ("fp32", "bf16", "int8")
CELL_CODES = {"rnn": 0, "gru": 1, "lstm": 2}
GATES = {"rnn": 1, "gru": 3, "lstm": 4}
PAD = 16


def _pad_cols(a: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((a.shape[0], n) if a.ndim == 2 else (n,), dtype=np.float32)
    out[..., : a.shape[-1]] = a
    return out


def padded(n: int) -> int:
    return -(-n // PAD) * PAD


@dataclass
class Matrix:
    """(K, Npad) weights in one precision; `values` is what the kernel reads."""

    values: np.ndarray  # (Npad/16, K, 16) panels: float32, uint16 (bf16 bits) or int8
    scale: np.ndarray | None  # (Npad,) float32 for int8
    precision: str

    @property
    def k(self) -> int:
        return self.values.shape[1]

    @property
    def npad(self) -> int:
        return self.values.shape[0] * PAD

    @staticmethod
    def of(w_t: np.ndarray, precision: str) -> Matrix:
        """w_t: (K, Npad) float32."""
        m = Matrix._rounded(w_t, precision)
        k, n = m.values.shape
        m.values = np.ascontiguousarray(m.values.reshape(k, n // PAD, PAD).transpose(1, 0, 2))
        return m

    @staticmethod
    def _rounded(w_t: np.ndarray, precision: str) -> Matrix:
        if precision == "fp32":
            return Matrix(np.ascontiguousarray(w_t, dtype=np.float32), None, precision)
        if precision == "bf16":
            bits = np.ascontiguousarray(w_t, dtype=np.float32).view(np.uint32)
            rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16  # round to nearest, ties to even
            return Matrix(rounded.astype(np.uint16), None, precision)
        if precision == "int8":
            scale = np.abs(w_t).max(axis=0) / 127.0
            scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
            q = np.clip(np.rint(w_t / scale), -127, 127).astype(np.int8)
            return Matrix(np.ascontiguousarray(q), scale, precision)
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")

    def dequantized(self) -> np.ndarray:
        """(K, Npad) float32: the values the kernel multiplies by."""
        v = self.values.transpose(1, 0, 2).reshape(self.k, self.npad)
        if self.precision == "fp32":
            return np.ascontiguousarray(v)
        if self.precision == "bf16":
            return (v.astype(np.uint32) << 16).view(np.float32)
        return v.astype(np.float32) * self.scale

    @property
    def nbytes(self) -> int:
        return self.values.nbytes + (0 if self.scale is None else self.scale.nbytes)


@dataclass
class StepWeights:
    cell: str
    layers: int
    hidden: int
    vocab: int
    gpad: int  # padded gate width G*H
    vpad: int  # padded vocabulary
    table: np.ndarray  # (V, gpad)
    w_ih: list[Matrix | None]  # per layer, (H, gpad); None for layer 0
    w_hh: list[Matrix]  # (H, gpad)
    b: list[np.ndarray | None]  # (gpad,) per layer > 0: b_ih + b_hh (GRU: b_ih)
    b_hh: list[np.ndarray | None]  # GRU only: (gpad,) per layer
    ln: tuple[np.ndarray, np.ndarray, float] | None  # layer norm weight, bias, eps
    head: Matrix  # (H, vpad)
    head_b: np.ndarray  # (vpad,)
    precision: str

    @property
    def matrix_bytes(self) -> int:
        """Bytes of weights read per step (the multiplied matrices)."""
        return self.head.nbytes + sum(m.nbytes for m in self.w_hh) + sum(m.nbytes for m in self.w_ih if m)


def steppable(model: nn.Module) -> bool:
    """A float CharLM over nn.RNN/GRU/LSTM (an int8 `rnnkit quantize` model steps its own forward)."""
    return (isinstance(model, CharLM) and isinstance(model.head, nn.Linear)
            and isinstance(model.core.rnn, nn.RNNBase) and model.core.rnn.num_layers <= 16)


@torch.no_grad()
def step_weights(model: CharLM, precision: str = "fp32") -> StepWeights:
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    rnn, cell = model.core.rnn, model.core.cell
    hidden, layers = rnn.hidden_size, rnn.num_layers
    gpad, vocab = padded(GATES[cell] * hidden), model.head.out_features
    vpad = padded(vocab)
    get = lambda name: getattr(rnn, name).detach().float().numpy()  # noqa: E731
    w_ih, w_hh, b, b_hh = [None], [], [None], []
    for layer in range(layers):
        bi, bh = get(f"bias_ih_l{layer}"), get(f"bias_hh_l{layer}")
        fused = bi if cell == "gru" else bi + bh
        if layer == 0:
            emb = model.embed.weight.detach().float().numpy()
            table = _pad_cols(emb @ get("weight_ih_l0").T + fused, gpad)
        else:
            w_ih.append(Matrix.of(_pad_cols(get(f"weight_ih_l{layer}").T, gpad), precision))
            b.append(_pad_cols(fused, gpad))
        w_hh.append(Matrix.of(_pad_cols(get(f"weight_hh_l{layer}").T, gpad), precision))
        b_hh.append(_pad_cols(bh, gpad) if cell == "gru" else None)
    ln = None
    if isinstance(model.norm, nn.LayerNorm):
        n = model.norm
        ln = (n.weight.detach().float().numpy().copy(), n.bias.detach().float().numpy().copy(), float(n.eps))
    head = Matrix.of(_pad_cols(model.head.weight.detach().float().numpy().T, vpad), precision)
    head_b = _pad_cols(model.head.bias.detach().float().numpy(), vpad)
    return StepWeights(cell, layers, hidden, vocab, gpad, vpad, np.ascontiguousarray(table), w_ih, w_hh, b, b_hh,
                       ln, head, head_b, precision)
