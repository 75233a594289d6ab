"""int8 dynamic quantization of a run: `rnnkit quantize --run DIR --out DIR2`.

API: `torch.ao.quantization.quantize_dynamic` (LSTM, GRU and Linear layers; int8 weights, activations
quantized on the fly per batch). In torch 2.13 it still works but is marked deprecated (its warning
points to torchao's `quantize_`, whose int8 dynamic scheme covers Linear layers only, not LSTM/GRU).
Elman `rnn` layers have no dynamic int8 kernel: only their Linear head is quantized.

Storage: the checkpoint stays loadable with `weights_only=True`, so packed quantized modules are
never pickled. Each quantized weight is stored as an int8 tensor plus its scale and zero point
(plain data in `extra["quantized"]`): a quarter of the float bytes. `load_weights` builds the
dynamic modules with `quantize_dynamic` and then packs the stored int8 values into them, so the
loaded model computes with exactly the int8 weights that were written (re-observing the
dequantized weights would not: a -128 entry changes the symmetric scale).
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.ao.nn.quantized import dynamic as qdyn
from torch.ao.nn.quantized.dynamic.modules.rnn import PackedParameter

from rnnkit.errors import RnnkitError

API = "torch.ao.quantization.quantize_dynamic (deprecated in torch 2.13, still functional)"
_LAYERS = {nn.LSTM, nn.GRU, nn.Linear}
# run-folder files that describe the run and stay valid for its quantized copy
_COPIED = ("config.json", "summary.json", "report.json", "cleaning.json")


def quantize_module(model: nn.Module) -> nn.Module:
    """A new module with int8 dynamic LSTM/GRU/Linear layers (float model untouched)."""
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():  # the API's own deprecation notices, said once in the docs instead
        warnings.simplefilter("ignore")
        return quantize_dynamic(model, _LAYERS, dtype=torch.qint8, inplace=False)


def _quantized_weights(qmodel: nn.Module) -> dict[str, torch.Tensor]:
    """name -> quantized weight tensor for every dynamic int8 layer of `qmodel`."""
    out: dict[str, torch.Tensor] = {}
    for name, mod in qmodel.named_modules():
        prefix = f"{name}." if name else ""
        if isinstance(mod, qdyn.Linear):
            out[f"{prefix}weight"] = mod.weight()
        elif isinstance(mod, (qdyn.LSTM, qdyn.GRU)):
            for key, w in mod.get_weight().items():
                out[f"{prefix}{key}"] = w
    return out


def int8_state(model: nn.Module) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(state_dict with int8 tensors in place of the quantized float weights, plain-data record)."""
    qweights = _quantized_weights(quantize_module(model))
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    scales = {}
    for key, q in qweights.items():
        if key not in state:  # e.g. a tied head weight that the state_dict lists once
            continue
        if q.qscheme() != torch.per_tensor_affine and q.qscheme() != torch.per_tensor_symmetric:
            raise RnnkitError(f"unexpected quantization scheme {q.qscheme()} for {key}")
        state[key] = q.int_repr().clone()
        scales[key] = [float(q.q_scale()), int(q.q_zero_point())]
    record = {"dtype": "qint8", "api": API, "scales": scales}
    return state, record


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


def _float_model(run: str | Path, kind: str) -> nn.Module:
    if kind == "text":
        from rnnkit.text.task import load_text_model

        return load_text_model(run)[0]
    if kind == "forecast":
        from rnnkit.forecast.estimator import Forecaster

        return Forecaster.load(run).model
    if kind == "classify":
        from rnnkit.classify.inference import load_run

        return load_run(run)[0]
    raise RnnkitError(f"cannot quantize a {kind!r} checkpoint; rnnkit knows text, forecast and classify runs")


def quantize_run(run: str | Path, out: str | Path) -> dict[str, Any]:
    """Write an int8 copy of run folder `run` into `out` (best.pt, plus the run's description files)."""
    from rnnkit.train.checkpoint import load_checkpoint, resolve_checkpoint, save_checkpoint

    src = resolve_checkpoint(run)
    ckpt = load_checkpoint(src)
    if is_quantized(ckpt):
        raise RnnkitError(f"{run} is already quantized")
    out = Path(out)
    if out.resolve() == Path(run).resolve() or out.resolve() == src.parent.resolve():
        raise RnnkitError("--out must be a new folder, not the run folder itself")
    if (out / "best.pt").exists() or (out / "last.pt").exists():
        raise RnnkitError(f"{out} already holds a run (best.pt or last.pt); choose a new folder for --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".rnnkit-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise RnnkitError(f"cannot write to {out} ({e.strerror or e}); choose another --out") from None
    model = _float_model(src, ckpt["kind"])
    state, record = int8_state(model)
    record["source"] = str(src)
    extra = dict(ckpt.get("extra") or {})
    extra["quantized"] = record
    bundle = {"kind": ckpt["kind"], "config": ckpt["config"], "extra": extra, "model": state,
              "progress": ckpt.get("progress")}
    save_checkpoint(out / "best.pt", bundle)
    for name in _COPIED:
        if (src.parent / name).is_file() and src.parent != out:
            shutil.copyfile(src.parent / name, out / name)
    return {"kind": ckpt["kind"], "source_bytes": src.stat().st_size, "bytes": (out / "best.pt").stat().st_size,
            "quantized_tensors": len(record["scales"]), "out": str(out)}
