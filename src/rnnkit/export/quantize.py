"""int8 dynamic quantization of a run: `rnnkit quantize --run DIR --out DIR2`.

API: `torch.ao.quantization.quantize_dynamic` (LSTM, GRU and Linear layers; int8 weights, activations
quantized on the fly per batch). In torch 2.13 it still works but is marked deprecated (its warning
points to torchao's `quantize_`, whose int8 dynamic scheme covers Linear layers only, not LSTM/GRU).
Elman `rnn` layers have no dynamic int8 kernel: only their Linear head is quantized. A classifier's
random-convolution features (`--kernels`) are fixed buffers, not layers: they stay float, their head
is quantized.

Storage: the checkpoint stays loadable with `weights_only=True`, so packed quantized modules are
never pickled. Each quantized weight is stored as an int8 tensor plus its scale and zero point
(plain data in `extra["quantized"]`): a quarter of the float bytes. `load_weights` builds the
dynamic modules with `quantize_dynamic` and then packs the stored int8 values into them, so the
loaded model computes with exactly the int8 weights that were written (re-observing the
dequantized weights would not: a -128 entry changes the symmetric scale).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.ao.nn.quantized import dynamic as qdyn

from rnnkit.errors import RnnkitError
from rnnkit.files import atomic_write, check_out_folder, run_files
from rnnkit.train.int8 import is_quantized, is_quantized_model, load_weights, quantize_module

__all__ = ["int8_state", "is_quantized", "is_quantized_model", "load_weights", "quantize_module", "quantize_run"]

API = "torch.ao.quantization.quantize_dynamic (deprecated in torch 2.13, still functional)"
# run-folder files that describe the run and stay valid for its quantized copy
_COPIED = ("config.json", "summary.json", "report.json", "cleaning.json")


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


def write_bytes(path: Path, data: bytes) -> None:
    with atomic_write(path, "wb") as f:
        f.write(data)


def _float_model(run: str | Path, kind: str) -> nn.Module:
    from rnnkit.tasks import get

    return get(kind, "quantize").load_model(run)


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
    if run_files(out, ("best.pt", "last.pt")):
        raise RnnkitError(f"{out} already holds a run (best.pt or last.pt); choose a new folder for --out")
    check_out_folder(out)
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
            write_bytes(out / name, (src.parent / name).read_bytes())
    return {"kind": ckpt["kind"], "source_bytes": src.stat().st_size, "bytes": (out / "best.pt").stat().st_size,
            "quantized_tensors": len(record["scales"]), "out": str(out)}
