"""`rnnkit export --run DIR --out FILE.onnx`, `rnnkit export run --onnx FILE ...` and
`rnnkit quantize --run DIR --out DIR2`."""

from __future__ import annotations

import argparse

from rnnkit.config import GENERATE_TEMPERATURE


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export", help="export a run to ONNX (checked with onnxruntime), or run an exported file",
        description="Export a run folder to one ONNX file. Unidirectional models become a step function "
        "with the recurrent state as inputs/outputs (stream one step or a chunk per call); bidirectional and attention "
        "models become a whole-sequence function. The export is compared with PyTorch through onnxruntime and "
        "kept only within --tolerance. `rnnkit export run --onnx FILE` uses the file without PyTorch.")
    p.add_argument("--run", help="run folder (or checkpoint file) to export")
    p.add_argument("--out", help="the .onnx file to write")
    p.add_argument("--tolerance", type=float, default=1e-4,
                   help="largest allowed |onnxruntime - PyTorch|, relative to the largest output (default 1e-4)")
    p.set_defaults(handler=_export)
    cmds = p.add_subparsers(dest="export_command", metavar="COMMAND")
    r = cmds.add_parser("run", help="generate / forecast / classify with an exported .onnx file (numpy + onnxruntime)")
    r.add_argument("--onnx", required=True, help="file written by `rnnkit export`")
    t = r.add_argument_group("text models")
    t.add_argument("--prompt", default="", help="text to continue")
    t.add_argument("--length", type=int, default=200, help="characters to generate (default 200)")
    t.add_argument("--temperature", type=float, default=GENERATE_TEMPERATURE, help="> 0; lower is more conservative")
    t.add_argument("--top-k", type=int, help="sample only among the k most likely characters")
    t.add_argument("--top-p", type=float, help="nucleus sampling: the smallest set with this much probability")
    t.add_argument("--seed", type=int, help="numpy seed: reproduces the runner's own samples")
    f = r.add_argument_group("forecast models")
    f.add_argument("--csv", help="history to forecast from (same columns as in training)")
    f.add_argument("--horizon", type=int, help="steps ahead (at most the trained horizon)")
    c = r.add_argument_group("classify models")
    c.add_argument("--text", help="a text to classify")
    c.add_argument("--series", help="a file with one series: one step per line, features comma-separated")
    r.set_defaults(handler=_run_onnx)

    q = sub.add_parser(
        "quantize", help="int8 dynamic quantization of a run into a new run folder",
        description="Quantize the LSTM/GRU and Linear layers of a run to int8 (torch.ao.quantization."
        "quantize_dynamic; deprecated in torch 2.13 but functional). The result is a normal run folder that "
        "every command accepts (text generate/score, forecast predict, classify predict).")
    q.add_argument("--run", required=True, help="run folder (or checkpoint file) to quantize")
    q.add_argument("--out", required=True, help="new run folder for the int8 model")
    q.set_defaults(handler=_quantize)


def _export(args: argparse.Namespace) -> int:
    from rnnkit.errors import RnnkitError
    from rnnkit.export.onnx import export_run

    if not args.run or not args.out:
        raise RnnkitError("give --run DIR and --out FILE.onnx (or `rnnkit export run --onnx FILE`)")
    meta = export_run(args.run, args.out, args.tolerance)
    how = "step graph, state as inputs/outputs" if meta["streaming"] else "whole-sequence graph"
    print(f"onnxruntime parity: max abs difference {meta['parity']['max_abs_diff']:.3g} "
          f"(tolerance {meta['parity']['tolerance']:.3g})")
    print(f"wrote {args.out} ({meta['bytes']:,} bytes): {meta['kind']} {meta['model']}, {how}; "
          f"inputs {', '.join(meta['inputs'])} -> outputs {', '.join(meta['outputs'])}")
    return 0


def _run_onnx(args: argparse.Namespace) -> int:
    from rnnkit.export import runner
    from rnnkit.tasks import get

    model = runner.OnnxModel(args.onnx)
    get(model.kind, "run").run_onnx(model, args)
    return 0


def _quantize(args: argparse.Namespace) -> int:
    from rnnkit.export.quantize import quantize_run

    r = quantize_run(args.run, args.out)
    print(f"wrote {r['out']}/best.pt: {r['kind']} model, {r['quantized_tensors']} int8 weight tensors; "
          f"{r['source_bytes']:,} -> {r['bytes']:,} bytes")
    return 0
