"""Loading int8 weights that `rnnkit quantize` wrote (see export/quantize.py for the format).

It lives here, below every task, because every task's loader needs it: a text, forecast or
classify run folder may hold an int8 model. Writing int8 copies stays in export/quantize.py,
which sits above the tasks (it loads their float models).
"""

from __future__ import annotations

import warnings

import torch
from torch import nn
from torch.ao.nn.quantized import dynamic as qdyn
from torch.ao.nn.quantized.dynamic.modules.rnn import PackedParameter

_LAYERS = {nn.LSTM, nn.GRU, nn.Linear}


def quantize_module(model: nn.Module) -> nn.Module:
    """A new module with int8 dynamic LSTM/GRU/Linear layers (float model untouched)."""
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():  # the API's own deprecation notices, said once in the docs instead
        warnings.simplefilter("ignore")
        return quantize_dynamic(model, _LAYERS, dtype=torch.qint8, inplace=False)


def is_quantized(ckpt: dict) -> bool:
    return bool((ckpt.get("extra") or {}).get("quantized"))


def is_quantized_model(model: nn.Module) -> bool:
    """True when `model` has int8 dynamic layers (it can run, but not train)."""
    return any(isinstance(m, (qdyn.Linear, qdyn.LSTM, qdyn.GRU)) for m in model.modules())


def load_weights(model: nn.Module, ckpt: dict) -> nn.Module:
    """Load `ckpt["model"]` into `model`; for a quantized run, return its int8 dynamic version.

    The hook every task loader calls instead of `model.load_state_dict(ckpt["model"])`."""
    if not is_quantized(ckpt):
        model.load_state_dict(ckpt["model"])
        return model
    record = ckpt["extra"]["quantized"]
    state = dict(ckpt["model"])
    params = model.state_dict(keep_vars=True)
    for key, (scale, zero) in record["scales"].items():
        # a tied weight (head = embedding) keeps its float values for the other user; the int8
        # copy goes into the quantized layer below
        tied = [k for k, v in params.items() if k != key and v is params[key] and k not in record["scales"]]
        state[key] = state[tied[0]] if tied else (state[key].to(torch.float32) - zero) * scale
    model.load_state_dict(state)
    qmodel = quantize_module(model.eval()).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stored = {key: torch._make_per_tensor_quantized_tensor(ckpt["model"][key], scale, zero)
                  for key, (scale, zero) in record["scales"].items()}
        _pack(qmodel, stored)
    return qmodel


def _pack(qmodel: nn.Module, stored: dict[str, torch.Tensor]) -> None:
    """Put the stored quantized weights into the dynamic modules (biases stay float)."""
    for name, mod in qmodel.named_modules():
        prefix = f"{name}." if name else ""
        if isinstance(mod, qdyn.Linear) and f"{prefix}weight" in stored:
            mod.set_weight_bias(stored[f"{prefix}weight"], mod.bias())
        elif isinstance(mod, (qdyn.LSTM, qdyn.GRU)):
            bias = mod.get_bias()
            cells = []
            for layer in range(mod.num_layers):
                for sfx in ("", "_reverse")[: 2 if mod.bidirectional else 1]:
                    packed, b = [], []
                    for part in ("ih", "hh"):
                        b.append(bias[f"bias_{part}_l{layer}{sfx}"])
                        packed.append(torch.ops.quantized.linear_prepack(
                            stored[f"{prefix}weight_{part}_l{layer}{sfx}"], b[-1]))
                    cell = torch.ops.quantized.make_quantized_cell_params_dynamic(*packed, *b, True)
                    cells.append(PackedParameter(cell))
            mod._all_weight_values = nn.ModuleList(cells)
