"""The previous batch-1 stepper, in torch ops: kept as the reference point of bench/text_sampling.py.
`generate()` now steps with batch.py (the native kernel, or its NumPy fallback).

At batch 1 the cost of a step is per-call overhead, not arithmetic: `nn.LSTM` goes through the
oneDNN RNN primitive for every single character. Stepping the cell with a few plain tensor ops on
the same weights avoids that overhead (BENCHMARKS.md, "Sampling and serving", has the figures),
and the first layer's input projection becomes a row lookup because embedding @ W_ih + b is
precomputed for the whole vocabulary.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from rnnkit.models import CharLM
from rnnkit.models.state import State


class CharLMStepper:
    """step(token: int, state) -> (logits (1, V), state) with the model's exact arithmetic (eval mode)."""

    def __init__(self, model: CharLM):
        rnn = model.core.rnn
        self.cell = model.core.cell
        self.layers = rnn.num_layers
        self.hidden = rnn.hidden_size
        with torch.no_grad():
            w_ih = [getattr(rnn, f"weight_ih_l{i}").detach() for i in range(self.layers)]
            w_hh = [getattr(rnn, f"weight_hh_l{i}").detach() for i in range(self.layers)]
            b_ih = [getattr(rnn, f"bias_ih_l{i}").detach() for i in range(self.layers)]
            b_hh = [getattr(rnn, f"bias_hh_l{i}").detach() for i in range(self.layers)]
            if self.cell == "gru":  # the new-gate hidden term is scaled by r, so its bias stays apart
                self.b_ih, self.b_hh = b_ih, b_hh
                self.table = model.embed.weight.detach() @ w_ih[0].T + b_ih[0]  # (V, 3H)
            else:
                self.b = [bi + bh for bi, bh in zip(b_ih, b_hh)]
                self.table = model.embed.weight.detach() @ w_ih[0].T + self.b[0]  # (V, G*H)
            self.w_ih_t = [w.T.contiguous() for w in w_ih]
            self.w_hh_t = [w.T.contiguous() for w in w_hh]
            self.norm = model.norm if isinstance(model.norm, nn.LayerNorm) else None
            self.head_w_t = model.head.weight.detach().T.contiguous()
            self.head_b = model.head.bias.detach()

    def initial_state(self) -> list:
        zeros = torch.zeros(1, self.hidden)
        return [(zeros, zeros) if self.cell == "lstm" else zeros for _ in range(self.layers)]

    def from_module_state(self, state: State) -> list:
        """Convert an nn.RNN/GRU/LSTM state (L, 1, H) into the stepper's per-layer list."""
        if state is None:
            return self.initial_state()
        if self.cell == "lstm":
            return [(state[0][i], state[1][i]) for i in range(self.layers)]
        return [state[i] for i in range(self.layers)]

    def to_module_state(self, state: list) -> State:
        if self.cell == "lstm":
            return torch.stack([h for h, _ in state]), torch.stack([c for _, c in state])
        return torch.stack(state)

    @torch.inference_mode()
    def step(self, token: int, state: list) -> tuple[torch.Tensor, list]:
        """One character. `state` is the stepper's own per-layer list (see from_module_state);
        it is not modified, a new list is returned."""
        new_state = []
        x = None
        hd = self.hidden
        for layer in range(self.layers):
            if self.cell == "lstm":
                h, c = state[layer]
                if layer == 0:
                    gates = torch.addmm(self.table[token : token + 1], h, self.w_hh_t[0])
                else:
                    gates = torch.addmm(self.b[layer], x, self.w_ih_t[layer]).addmm_(h, self.w_hh_t[layer])
                # gate order i, f, g, o: one sigmoid over all four, tanh only for g
                sig = torch.sigmoid(gates)
                c = sig[:, hd : 2 * hd] * c + sig[:, :hd] * torch.tanh(gates[:, 2 * hd : 3 * hd])
                x = sig[:, 3 * hd :] * torch.tanh(c)
                new_state.append((x, c))
            elif self.cell == "gru":
                h = state[layer]
                gi = self.table[token : token + 1] if layer == 0 else torch.addmm(self.b_ih[layer], x, self.w_ih_t[layer])
                gh = torch.addmm(self.b_hh[layer], h, self.w_hh_t[layer])
                rz = torch.sigmoid(gi[:, : 2 * hd] + gh[:, : 2 * hd])
                r, z = rz[:, :hd], rz[:, hd:]
                n = torch.tanh(gi[:, 2 * hd :] + r * gh[:, 2 * hd :])
                x = n + z * (h - n)
                new_state.append(x)
            else:
                h = state[layer]
                if layer == 0:
                    pre = torch.addmm(self.table[token : token + 1], h, self.w_hh_t[0])
                else:
                    pre = torch.addmm(self.b[layer], x, self.w_ih_t[layer]).addmm_(h, self.w_hh_t[layer])
                x = torch.tanh(pre)
                new_state.append(x)
        if self.norm is not None:
            x = F.layer_norm(x, self.norm.normalized_shape, self.norm.weight, self.norm.bias, self.norm.eps)
        logits = torch.addmm(self.head_b, x, self.head_w_t)
        return logits, new_state
