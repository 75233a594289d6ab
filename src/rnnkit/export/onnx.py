"""`rnnkit export --run DIR --out FILE.onnx`: any run folder to one self-contained ONNX file.

Exporter: `torch.onnx.export(..., dynamo=True)` (the default and recommended exporter in torch
2.13; the TorchScript exporter is deprecated). nn.LSTM/GRU/RNN become ONNX LSTM/GRU/RNN nodes.
Everything the runner needs besides the network (tokenizer, text encoder or scalers, the forecast
pipeline) is stored as JSON in the file's metadata_props under the key "rnnkit", so the .onnx file
alone is the deployable artefact. Every export is checked with onnxruntime before it is kept.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from rnnkit.errors import RnnkitError
from rnnkit.files import atomic_write
from rnnkit.export.graphs import Graph, build_graph

META_KEY = "rnnkit"
FORMAT = "rnnkit-onnx"
VERSION = 1
TOLERANCE = 1e-4  # relative to the largest reference value (at least 1)


def require_export_extra():
    try:
        import onnx
        import onnxruntime
    except ImportError as e:
        raise RnnkitError(f"ONNX export needs {e.name}: pip install 'rnnkit[export]'") from None
    return onnx, onnxruntime


def check_writable(out: Path) -> None:
    """Fail before the (slow) export when `out` cannot be written."""
    if out.is_dir():
        raise RnnkitError(f"--out {out} is a folder; give a file name such as model.onnx")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        existed = out.exists()
        with open(out, "ab"):
            pass
        if not existed:
            out.unlink()
    except OSError as e:
        raise RnnkitError(f"cannot write {out} ({e.strerror or e}); choose another --out") from None


def load_for_export(run: str | Path) -> tuple[nn.Module, dict[str, Any], bool, int, int, bool]:
    """(float model, task metadata, reads token ids, input width, whole-sequence example length,
    whole-sequence length varies)."""
    from rnnkit.tasks import get
    from rnnkit.train.int8 import is_quantized
    from rnnkit.train.checkpoint import load_checkpoint, resolve_checkpoint

    if Path(run).is_dir() and (Path(run) / "ensemble.json").is_file():  # classify --ensemble N: say which model
        raise RnnkitError(f"{run} holds an ensemble (ensemble.json); ONNX export takes one model: pass one "
                          f"member's checkpoint, e.g. {Path(run) / 'best.pt'} or {Path(run) / 'members/1/best.pt'}")
    path = resolve_checkpoint(run)
    ckpt = load_checkpoint(path)
    if is_quantized(ckpt):
        raise RnnkitError(f"{run} holds an int8 quantized model; export the float run it was made from "
                          f"({ckpt['extra']['quantized'].get('source', 'its source run')})")
    kind = ckpt.get("kind")
    meta: dict[str, Any] = {"kind": kind, "source": str(path)}
    model, own, is_tokens, n_inputs, whole_steps, whole_time_dynamic = get(kind, "export").export_source(path, run)
    meta.update(own)
    return model, meta, is_tokens, n_inputs, whole_steps, whole_time_dynamic


def _export(graph: Graph):
    """Run the dynamo exporter quietly (it narrates every stage on stdout and warns about
    torchvision, which rnnkit does not use)."""
    quiet = logging.getLogger("torch.onnx")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                graph.module, graph.example, input_names=graph.input_names, output_names=graph.output_names,
                dynamic_shapes=tuple(graph.dynamic_shapes[n] for n in graph.input_names), dynamo=True,
                verbose=False, external_data=False)
    except Exception as e:  # the exporter's own errors are long; keep the first line
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RnnkitError(f"ONNX export failed: {first[:200]}") from None
    finally:
        quiet.setLevel(level)
    return program.model_proto


def _relax(proto, graph: Graph) -> None:
    """Name the dynamic axes on the graph's inputs and outputs. torch.export fixes the time axis
    to the example's length (it specialises nn.LSTM on it); the ONNX recurrent nodes themselves
    take any length, and the parity check feeds other lengths to prove the graph does too."""
    del proto.graph.value_info[:]  # intermediate shapes from the trace; onnxruntime infers its own
    for value in list(proto.graph.input) + list(proto.graph.output):
        dims = value.type.tensor_type.shape.dim
        for i, d in enumerate(dims):
            is_batch = d.HasField("dim_param") or (value.name in ("h", "c", "h_out", "c_out") and i == 1)
            if is_batch:
                d.dim_param = "batch"
            elif graph.time_dynamic and i == 1 and value.name in ("x", "attention"):
                d.dim_param = "time"
        if value.name in ("logits", "forecast", "attention") and len(dims):
            dims[0].dim_param = "batch"


def export_run(run: str | Path, out: str | Path, tolerance: float = TOLERANCE, seed: int = 0) -> dict[str, Any]:
    """Export, check against PyTorch with onnxruntime, and write `out`. Returns the metadata."""
    out = Path(out)
    check_writable(out)
    if out.suffix.lower() != ".onnx":  # an existing best.pt or a user's file would be replaced by the graph
        raise RnnkitError(f"--out must name a .onnx file, got {str(out)!r}")
    if not (math.isfinite(tolerance) and tolerance > 0):
        raise RnnkitError(f"--tolerance must be a finite number > 0, got {tolerance}")
    onnx, _ = require_export_extra()
    model, meta, is_tokens, n_inputs, whole_steps, time_dynamic = load_for_export(run)
    proto = export_model(model, meta, is_tokens, n_inputs, whole_steps, time_dynamic, tolerance, seed)
    entry = proto.metadata_props.add()
    entry.key, entry.value = META_KEY, json.dumps(meta, default=str)
    with atomic_write(out, "wb") as f:  # a full disk leaves no half-written .onnx
        f.write(proto.SerializeToString())
    meta["bytes"] = out.stat().st_size
    return meta


def export_model(model: nn.Module, meta: dict[str, Any], is_tokens: bool, n_inputs: int, whole_steps: int,
                 time_dynamic: bool, tolerance: float = TOLERANCE, seed: int = 0):
    """Trace `model`, check it with onnxruntime, and return the ONNX proto; `meta` (holding at
    least "kind") gains the graph's description and the parity result."""
    graph = build_graph(model, meta["kind"], is_tokens, n_inputs, whole_steps, time_dynamic)
    proto = _export(graph)
    _relax(proto, graph)
    meta.update(format=FORMAT, version=VERSION, streaming=graph.streaming, inputs=graph.input_names,
                outputs=graph.output_names, state=graph.state, input_dtype="int64" if is_tokens else "float32",
                n_inputs=n_inputs, vocab=_vocab(model) if is_tokens else 0, time_dynamic=graph.time_dynamic,
                time_steps=graph.time_steps)
    diff, scale = parity(proto.SerializeToString(), model, meta, seed)
    meta["parity"] = {"max_abs_diff": diff, "tolerance": tolerance * scale}
    if not diff <= tolerance * scale:
        raise RnnkitError(f"the exported graph disagrees with the PyTorch model: max abs difference {diff:.3g} "
                          f"> tolerance {tolerance * scale:.3g}; nothing was written")
    return proto


def _vocab(model: nn.Module) -> int:
    return int(model.embed.num_embeddings)


# -- parity ------------------------------------------------------------------------------------
def _run(session, feed: dict) -> list:
    try:
        return session.run(None, feed)
    except Exception as e:  # onnxruntime's own error type; its message names the failing node
        first = str(e).strip().splitlines()[0]
        raise RnnkitError(f"the exported graph fails in onnxruntime: {first[:200]}; nothing was written") from None


def _prefix_outputs(model: nn.Module, kind: str, x: torch.Tensor) -> tuple[list[torch.Tensor], Any]:
    """PyTorch's output after each prefix x[:, :t+1] (read whole, taken from the forward as the
    task's graph takes it), and the final state."""
    from rnnkit.tasks import get

    pick = get(kind, "export").onnx_pick
    outs = []
    for t in range(x.shape[1]):
        out, state = model(x[:, :t + 1])
        outs.append(pick(out))
    return outs, state


def _inputs(meta: dict, batch: int, steps: int, rng: np.random.Generator) -> np.ndarray:
    if meta["input_dtype"] == "int64":  # ids below first_id (padding, say) are not fed
        return rng.integers(meta.get("first_id", 0), meta["vocab"], size=(batch, steps))
    return rng.standard_normal((batch, steps, meta["n_inputs"])).astype(np.float32)


@torch.no_grad()
def parity(blob: bytes, model: nn.Module, meta: dict, seed: int = 0) -> tuple[float, float]:
    """(max abs difference between onnxruntime and PyTorch, scale of the reference values).

    Step graphs: a sequence fed through the ONNX graph one step at a time, in one call, and in
    uneven chunks, state fed back, against PyTorch reading each prefix whole. Whole graphs: two
    different sequence lengths when the length varies."""
    import onnxruntime as ort

    from rnnkit.export.runner import zero_state
    from rnnkit.tasks import get

    session = ort.InferenceSession(blob, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed)
    diffs, scale = [0.0], 1.0

    def compare(got: np.ndarray, ref: torch.Tensor) -> None:
        nonlocal scale
        ref = ref.float().numpy()
        diffs.append(float(np.abs(got - ref).max()))
        scale = max(scale, float(np.abs(ref).max()))

    if meta["streaming"]:
        steps = 12
        x = _inputs(meta, 2, steps, rng)
        xt = torch.from_numpy(x)
        ref_outs, ref_state = _prefix_outputs(model, meta["kind"], xt)
        # one step at a time, the whole sequence in one call, and uneven chunks: all must agree
        schemes = ([1] * steps, [steps], [3, 1, steps - 4]) if meta["time_dynamic"] else ([1] * steps,)
        for chunks in schemes:
            state, t = zero_state(meta, 2), 0
            for n in chunks:
                result = _run(session, {"x": x[:, t:t + n], **dict(zip(("h", "c"), state))})
                t += n
                compare(result[0], ref_outs[t - 1])
                state = result[1:]
            for got, ref in zip(state, ref_state if isinstance(ref_state, tuple) else (ref_state,)):
                compare(got, ref)
        return max(diffs), scale
    lengths = [meta["time_steps"]] + ([meta["time_steps"] + 5] if meta["time_dynamic"] else [])
    for steps in lengths:
        x = _inputs(meta, 2, steps, rng)
        result = _run(session, {"x": x})
        out, _ = model(torch.from_numpy(x))
        compare(result[0], get(meta["kind"], "export").onnx_pick(out))
        if getattr(out, "weights", None) is not None:  # attention weights, the graph's second output
            compare(result[1], out.weights)
    return max(diffs), scale
