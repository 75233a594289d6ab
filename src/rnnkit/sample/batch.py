"""Steppers: advance B independent streams of a CharLM by one character each.

    stepper.step(tokens (B,) int64, state) -> logits (B, V) float32; `state` is updated in place.
    stepper.run(tokens, state, rows, u (T, B)) -> (T, B) sampled tokens: T steps, each feeding the
        previous sample back; row b samples with its own settings and uniforms u[:, b].

`state` is a `RowState`: h (L, B, H) and, for the LSTM, c (L, B, H), one row per stream, so streams
can join (`RowState.concat`) and leave (`RowState.take`) between steps. Three implementations share
that interface:

- `NativeStepper`: one call into kernel.c per step (see native.py); the fast path.
- `NumpyStepper`: the same arithmetic with NumPy, when no C compiler is available.
- `ModuleStepper`: the model's own forward, for models the others cannot unpack (int8 modules).
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from rnnkit.sample import native
from rnnkit.sample.weights import CELL_CODES, GATES, Matrix, StepWeights, step_weights, steppable


@dataclass
class RowState:
    h: np.ndarray  # (L, B, H) float32, C-contiguous
    c: np.ndarray | None  # (L, B, H) for the LSTM

    @staticmethod
    def zeros(layers: int, rows: int, hidden: int, lstm: bool) -> RowState:
        h = np.zeros((layers, rows, hidden), np.float32)
        return RowState(h, np.zeros_like(h) if lstm else None)

    @property
    def rows(self) -> int:
        return self.h.shape[1]

    def take(self, rows: np.ndarray | list[int]) -> RowState:
        rows = np.asarray(rows, dtype=np.int64)
        return RowState(np.ascontiguousarray(self.h[:, rows]), None if self.c is None else np.ascontiguousarray(self.c[:, rows]))

    @staticmethod
    def concat(parts: list[RowState]) -> RowState:
        h = np.ascontiguousarray(np.concatenate([p.h for p in parts], axis=1))
        c = None if parts[0].c is None else np.ascontiguousarray(np.concatenate([p.c for p in parts], axis=1))
        return RowState(h, c)


@dataclass
class Rows:
    """Per-row sampling settings; top_k 0 and top_p 1.0 mean off."""

    temperature: np.ndarray  # (B,) float32
    top_k: np.ndarray  # (B,) int32
    top_p: np.ndarray  # (B,) float32

    @staticmethod
    def of(settings: list[tuple[float, int | None, float | None]]) -> Rows:
        return Rows(np.array([s[0] for s in settings], np.float32),
                    np.array([s[1] or 0 for s in settings], np.int32),
                    np.array([1.0 if s[2] is None else s[2] for s in settings], np.float32))

    def take(self, rows) -> Rows:
        return Rows(self.temperature[rows], self.top_k[rows], self.top_p[rows])

    @staticmethod
    def concat(parts: list[Rows]) -> Rows:
        return Rows(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("temperature", "top_k", "top_p")))


def probs(logits: np.ndarray, rows: Rows) -> np.ndarray:
    """(B, V) sampling distributions, by the reference processors (torch)."""
    from rnnkit.sample.processors import process

    out = np.empty(logits.shape, np.float64)
    for b in range(logits.shape[0]):
        z = process(torch.from_numpy(np.ascontiguousarray(logits[b : b + 1], np.float32)), float(rows.temperature[b]),
                    int(rows.top_k[b]) or None, None if rows.top_p[b] >= 1.0 else float(rows.top_p[b]))
        out[b] = torch.softmax(z.double(), -1)[0].numpy()
    return out


def pick(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse CDF per row: the first token whose cumulative probability exceeds u (B,)."""
    cum = np.cumsum(p, axis=1)
    tok = (cum <= u[:, None]).sum(axis=1)
    return np.minimum(tok, p.shape[1] - 1).astype(np.int64)


class _PythonRun:
    """`run()` for steppers without a fused sampling loop."""

    def run(self, tokens: np.ndarray, state: RowState, rows: Rows, u: np.ndarray) -> np.ndarray:
        out = np.empty(u.shape, np.int64)
        tokens = np.asarray(tokens, np.int64)
        for t in range(u.shape[0]):
            tokens = out[t] = pick(probs(self.step(tokens, state), rows), u[t])
        return out


class NativeStepper:
    def __init__(self, w: StepWeights, lib: ctypes.CDLL):
        self.w, self.lib = w, lib
        self.layers, self.hidden, self.vocab, self.lstm = w.layers, w.hidden, w.vocab, w.cell == "lstm"
        self._keep = []  # arrays the struct points into must outlive it
        net = native.Net()
        net.cell, net.layers, net.hidden, net.vocab = CELL_CODES[w.cell], w.layers, w.hidden, w.vocab
        net.gpad, net.vpad = w.gpad, w.vpad
        net.table = self._ptr(w.table)
        if w.ln is not None:
            net.layer_norm, net.ln_w, net.ln_b, net.eps = 1, self._ptr(w.ln[0]), self._ptr(w.ln[1]), w.ln[2]
        net.head_b = self._ptr(w.head_b)
        net.head = self._mat(w.head)
        for layer in range(w.layers):
            net.w_hh[layer] = self._mat(w.w_hh[layer])
            if layer > 0:
                net.w_ih[layer] = self._mat(w.w_ih[layer])
                net.b[layer] = self._ptr(w.b[layer])
            if w.b_hh[layer] is not None:
                net.b_hh[layer] = self._ptr(w.b_hh[layer])
        self.net = net
        self._net_ref = ctypes.byref(net)

    def _ptr(self, a: np.ndarray) -> int:
        a = np.ascontiguousarray(a)
        self._keep.append(a)
        return a.ctypes.data

    def _mat(self, m: Matrix) -> native.Mat:
        code = {"fp32": 0, "bf16": 1, "int8": 2}[m.precision]
        scale = self._ptr(m.scale) if m.scale is not None else None
        return native.Mat(self._ptr(m.values), scale, code, m.k, m.npad, 0)

    def _buffers(self, b: int) -> tuple[np.ndarray, np.ndarray]:
        logits = np.empty((b, self.w.vpad), np.float32)
        work = np.empty(b * (2 * self.w.gpad + self.hidden), np.float32)
        return logits, work

    def step(self, tokens: np.ndarray, state: RowState) -> np.ndarray:
        b = state.rows
        tokens = np.ascontiguousarray(tokens, dtype=np.int64)
        logits, work = self._buffers(b)
        self.lib.rk_step(self._net_ref, b, tokens.ctypes.data, state.h.ctypes.data,
                         None if state.c is None else state.c.ctypes.data, logits.ctypes.data, work.ctypes.data)
        return logits[:, : self.vocab]

    def run(self, tokens: np.ndarray, state: RowState, rows: Rows, u: np.ndarray) -> np.ndarray:
        steps, b = u.shape
        tokens = np.array(tokens, dtype=np.int64)  # a copy: the kernel feeds samples back into it
        u = np.ascontiguousarray(u, np.float64)
        out = np.empty((steps, b), np.int64)
        logits, work = self._buffers(b)
        t, k, p = (np.ascontiguousarray(a) for a in (rows.temperature, rows.top_k, rows.top_p))
        self.lib.rk_run(self._net_ref, b, steps, tokens.ctypes.data, state.h.ctypes.data,
                        None if state.c is None else state.c.ctypes.data, logits.ctypes.data, work.ctypes.data,
                        t.ctypes.data, k.ctypes.data, p.ctypes.data, u.ctypes.data, out.ctypes.data)
        return out

    def probs(self, logits: np.ndarray, rows: Rows) -> np.ndarray:
        """The kernel's sampling distributions for (B, V) logits (for tests against `probs`)."""
        logits = np.ascontiguousarray(logits, np.float32)
        out = np.empty(logits.shape, np.float64)
        for b in range(logits.shape[0]):
            self.lib.rk_probs(logits[b].ctypes.data, logits.shape[1], float(rows.temperature[b]), int(rows.top_k[b]),
                              float(rows.top_p[b]), out[b].ctypes.data)
        return out


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * np.tanh(0.5 * x) + 0.5  # = 1 / (1 + exp(-x)), without overflow warnings


class NumpyStepper(_PythonRun):
    def __init__(self, w: StepWeights):
        self.w = w
        self.layers, self.hidden, self.vocab, self.lstm = w.layers, w.hidden, w.vocab, w.cell == "lstm"
        n = w.hidden * GATES[w.cell]
        self.table = w.table[:, :n]
        self.w_ih = [None if m is None else m.dequantized()[:, :n] for m in w.w_ih]
        self.w_hh = [m.dequantized()[:, :n] for m in w.w_hh]
        self.b = [None if b is None else b[:n] for b in w.b]
        self.b_hh = [None if b is None else b[:n] for b in w.b_hh]
        self.head = w.head.dequantized()[:, : w.vocab]
        self.head_b = w.head_b[: w.vocab]

    def step(self, tokens: np.ndarray, state: RowState) -> np.ndarray:
        hd, x = self.hidden, None
        for layer in range(self.layers):
            h = state.h[layer]
            gi = self.table[tokens] if layer == 0 else self.b[layer] + x @ self.w_ih[layer]
            if self.w.cell == "lstm":
                g = gi + h @ self.w_hh[layer]
                c = _sigmoid(g[:, hd:2 * hd]) * state.c[layer] + _sigmoid(g[:, :hd]) * np.tanh(g[:, 2 * hd:3 * hd])
                state.c[layer] = c
                state.h[layer] = _sigmoid(g[:, 3 * hd:]) * np.tanh(c)
            elif self.w.cell == "gru":
                gh = self.b_hh[layer] + h @ self.w_hh[layer]
                r, z = _sigmoid(gi[:, :hd] + gh[:, :hd]), _sigmoid(gi[:, hd:2 * hd] + gh[:, hd:2 * hd])
                n = np.tanh(gi[:, 2 * hd:] + r * gh[:, 2 * hd:])
                state.h[layer] = n + z * (h - n)
            else:
                state.h[layer] = np.tanh(gi + h @ self.w_hh[layer])
            x = state.h[layer]
        if self.w.ln is not None:
            weight, bias, eps = self.w.ln
            mean = x.mean(-1, keepdims=True)
            var = ((x - mean) ** 2).mean(-1, keepdims=True)
            x = (x - mean) / np.sqrt(var + eps) * weight + bias
        return (self.head_b + x @ self.head).astype(np.float32)


class ModuleStepper(_PythonRun):
    """The model's own forward, one character per call (int8 `rnnkit quantize` modules)."""

    def __init__(self, model: nn.Module):
        self.model = model
        rnn = model.core.rnn
        self.layers, self.hidden = rnn.num_layers, rnn.hidden_size
        self.vocab, self.lstm = model.vocab_size, model.core.cell == "lstm"

    @torch.inference_mode()
    def step(self, tokens: np.ndarray, state: RowState) -> np.ndarray:
        h = torch.from_numpy(state.h)
        s = (h, torch.from_numpy(state.c)) if self.lstm else h
        out, new = self.model(torch.from_numpy(np.asarray(tokens, np.int64))[:, None], s)
        if self.lstm:
            state.h[...], state.c[...] = new[0].numpy(), new[1].numpy()
        else:
            state.h[...] = new.numpy()
        return out[:, -1].float().numpy()


def make_stepper(model: nn.Module, precision: str = "fp32", backend: str = "auto"):
    """The fastest stepper for `model`: native, else NumPy, else the module itself.
    backend: auto | native | numpy | module."""
    model.eval()
    if backend == "module" or not steppable(model):
        if precision != "fp32" and steppable(model):
            raise ValueError("the module backend steps in fp32 only")
        return ModuleStepper(model)
    w = step_weights(model, precision)
    lib = native.load() if backend in ("auto", "native") else None
    if backend == "native" and lib is None:
        raise RuntimeError("the native sampling kernel is not available (no working C compiler?)")
    return NativeStepper(w, lib) if lib is not None else NumpyStepper(w)
