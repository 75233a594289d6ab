"""The functions that go into an ONNX file, one per model kind.

Unidirectional models (text CharLM; lstm/gru/rnn forecasters and classifiers) become a *step*
function with the recurrent state as explicit inputs and outputs, so a consumer streams and owns
the state:

    x (B, T[, F]), h (L, B, H)[, c (L, B, H)] -> out, h_out[, c_out]

T is free for LSTM and GRU: one step at a time, or a chunk (a prompt, a whole window) in one call;
feeding the returned state back makes any split of a sequence give the same result. Elman `rnn`
graphs take one step per call (the exporter unrolls that cell over the traced steps). `out` is what the model
would say if the sequence ended at the chunk's last step: next-character logits (B, V), class
logits (B, C) or the forecast (B, horizon, Q). Bidirectional and attention models read the
whole sequence before they can say anything (the backward direction starts at the end; attention
weights are normalised over all steps), so there is no state a consumer could carry: they are
exported as whole-sequence functions x (B, T[, F]) -> out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from rnnkit.models.classifier import average_heads

STEP_T = 3  # example chunk of a step graph (not 1: the tracer treats size-1 axes specially)
EXAMPLE_BATCH = 2


def _spec(kind: str):
    """The task's entry in the registry (rnnkit/tasks.py): the name of the graph's output and how
    to take it from the model's forward (`onnx_output`, `onnx_pick`)."""
    from rnnkit.tasks import get

    return get(kind, "export")


class LSTMStep(nn.Module):
    """(x, h, c) -> (out, h_out, c_out)."""

    def __init__(self, model: nn.Module, kind: str):
        super().__init__()
        self.model, self.pick = model, _spec(kind).onnx_pick

    def forward(self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor):
        out, (h, c) = self.model(x, (h, c))
        return self.pick(out), h, c


class CellStep(nn.Module):
    """(x, h) -> (out, h_out) for GRU and Elman cores."""

    def __init__(self, model: nn.Module, kind: str):
        super().__init__()
        self.model, self.pick = model, _spec(kind).onnx_pick

    def forward(self, x: torch.Tensor, h: torch.Tensor):
        out, h = self.model(x, h)
        return self.pick(out), h


class Whole(nn.Module):
    """x (B, T[, F]) -> out, for bidirectional / attention forecasters and bilstm classifiers."""

    def __init__(self, model: nn.Module, kind: str):
        super().__init__()
        self.model, self.pick = model, _spec(kind).onnx_pick

    def forward(self, x: torch.Tensor):
        out, _ = self.model(x)
        return self.pick(out)


class AttentionClassifierWhole(nn.Module):
    """x (B, T[, F]) -> (logits (B, C), attention weights (B, T)).

    Composed from the classifier's own layers rather than its forward: that forward builds an
    all-ones padding mask whose width the tracer would freeze at the example length. With no
    padding (one sequence, or equal lengths) the mask changes nothing. A random-convolution
    features head and a texts' n-gram bag head, when the model has them, are averaged in as the
    classifier does."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor):
        m = self.model
        raw = x
        if m.embed is not None:
            x = m.embed(x)  # (B, T, E)
        h, _ = m.encoder.encoder(x)  # (B, T, 2H)
        attended = m.encoder.attention(h)
        heads = [m.head(m.norm(attended.context))]
        if m.features is not None:
            heads.append(m.feature_head(m.features(*m.raw_series(raw, None))))
        if getattr(m, "bag", None) is not None:
            heads.append(m.bag_logits(raw))
        return (heads[0] if len(heads) == 1 else average_heads(heads, getattr(m, "head_weights", None))), attended.weights


@dataclass
class Graph:
    module: nn.Module
    streaming: bool
    input_names: list[str]
    output_names: list[str]
    example: tuple[torch.Tensor, ...]
    dynamic_shapes: dict
    state: list[dict] = field(default_factory=list)  # [{"name", "shape": [L, "batch", H]}]
    time_dynamic: bool = False  # the time axis of x varies per call (step graphs, classification)
    time_steps: int = STEP_T  # length of the traced example


def _recurrent(model: nn.Module) -> nn.RNNBase | None:
    """The unidirectional recurrent layer whose state a step graph carries."""
    core = getattr(model, "core", None) or getattr(model, "encoder", None)
    rnn = getattr(core, "rnn", None)
    if isinstance(rnn, nn.RNNBase) and not rnn.bidirectional:
        return rnn
    return None


def build_graph(model: nn.Module, kind: str, is_tokens: bool, n_inputs: int, whole_steps: int,
                whole_time_dynamic: bool) -> Graph:
    """The exportable wrapper of `model` (eval mode) and example inputs.

    is_tokens: the model reads int64 token ids (B, T), else float (B, T, n_inputs).
    whole_steps: example length for a whole-sequence graph (a forecaster's window length)."""
    model.eval()
    rnn = _recurrent(model)
    batch = torch.export.Dim("batch", min=1, max=4096)
    # a classifier's pooled head (mean and max over all steps) needs the whole sequence, like bilstm
    streaming = (rnn is not None and getattr(model, "cell", getattr(model, "kind", "")) not in ("bilstm", "attention")
                 and getattr(model, "summary", "final") == "final"
                 and getattr(model, "features", None) is None  # random-conv features read the whole series,
                 and getattr(model, "bag", None) is None)  # and so does the n-gram bag
    # the exporter maps LSTM/GRU to ONNX recurrent nodes that take any length, but unrolls an
    # Elman RNN over the traced steps: that graph is traced at one step and streams one per call
    elman = isinstance(rnn, nn.RNN) and not isinstance(rnn, (nn.LSTM, nn.GRU))
    steps = (1 if elman else STEP_T) if streaming else whole_steps
    shape = (EXAMPLE_BATCH, steps)
    x = torch.randint(2, 3, shape) if is_tokens else torch.zeros(*shape, n_inputs)
    out_name = _spec(kind).onnx_output
    if not streaming:
        if getattr(model, "kind", "") == "attention":  # an attention classifier (forecasters name theirs `cell`)
            module: nn.Module = AttentionClassifierWhole(model)
            outputs = [out_name, "attention"]
        else:
            module, outputs = Whole(model, kind), [out_name]
        return Graph(module.eval(), False, ["x"], outputs, (x,), {"x": {0: batch}},
                     time_dynamic=whole_time_dynamic, time_steps=steps)
    layers, hidden = rnn.num_layers, rnn.hidden_size
    zeros = torch.zeros(layers, EXAMPLE_BATCH, hidden)
    state = [{"name": "h", "shape": [layers, "batch", hidden]}]
    if isinstance(rnn, nn.LSTM):
        state.append({"name": "c", "shape": [layers, "batch", hidden]})
        return Graph(LSTMStep(model, kind).eval(), True, ["x", "h", "c"], [out_name, "h_out", "c_out"],
                     (x, zeros, zeros.clone()), {"x": {0: batch}, "h": {1: batch}, "c": {1: batch}}, state,
                     not elman, steps)
    return Graph(CellStep(model, kind).eval(), True, ["x", "h"], [out_name, "h_out"], (x, zeros),
                 {"x": {0: batch}, "h": {1: batch}}, state, not elman, steps)
