"""`rnnkit text train | generate | score`."""

from __future__ import annotations

import argparse
import json
import sys

from rnnkit.cli.common import add_model_flags, add_train_flags, model_overrides, train_entry, train_overrides
from rnnkit.config import GENERATE_TEMPERATURE, TextModelConfig


def register(sub: argparse._SubParsersAction) -> None:
    text = sub.add_parser("text", help="character-level language models: train, generate, score",
                          description="Character-level text generation on any UTF-8 corpus.")
    cmds = text.add_subparsers(dest="text_command", metavar="COMMAND", required=True)

    p = cmds.add_parser("train", help="train a character model on a corpus",
                        description="Train a character-level RNN/GRU/LSTM language model. The last 10% of "
                        "the corpus is held out for validation; best.pt, last.pt, metrics.jsonl and "
                        "summary.json are written into --out.")
    p.add_argument("--corpus", help="a UTF-8 text file, or a dataset name (tinyshakespeare)")
    p.add_argument("--out", required=True, help="run folder to create (or continue with --resume)")
    g = p.add_argument_group("model")
    add_model_flags(g, TextModelConfig.CELLS, "--cell", "recurrent cell",
                    dropout_help="dropout between layers and before the head")
    d = p.add_argument_group("data")
    d.add_argument("--seq-len", type=int, help="characters per TBPTT chunk")
    d.add_argument("--batch-size", type=int, help="parallel streams")
    d.add_argument("--encoding", help="corpus encoding")
    d.add_argument("--errors", choices=["strict", "replace", "ignore"],
                   help="what to do with bytes invalid in --encoding (strict: stop with an error)")
    add_train_flags(p)
    p.set_defaults(handler=_train)

    p = cmds.add_parser("generate", help="sample text from a trained model",
                        description="Print the prompt and its continuation, streamed as it is sampled.")
    p.add_argument("--run", required=True, help="run folder (or checkpoint file)")
    p.add_argument("--prompt", default="", help="text to continue (default: a newline)")
    p.add_argument("--length", type=int, default=500, help="characters to generate (default 500)")
    p.add_argument("--temperature", type=float, default=GENERATE_TEMPERATURE, help="> 0; lower is more conservative")
    p.add_argument("--top-k", type=int, help="sample only among the k most likely characters")
    p.add_argument("--top-p", type=float, help="nucleus sampling: the smallest set with this much probability")
    p.add_argument("--seed", type=int, help="for reproducible samples (0 .. 2**63-1); sample i of --batch uses seed+i")
    p.add_argument("--batch", type=int, default=1, metavar="N",
                   help="N samples at once, stepped together (default 1: streamed as sampled)")
    p.add_argument("--precision", choices=["fp32", "bf16", "int8"], default="fp32",
                   help="weights the sampler multiplies by: fp32 is the model's own distribution (default); "
                   "bf16 and int8 are faster, see BENCHMARKS.md")
    p.set_defaults(handler=_generate)

    p = cmds.add_parser("score", help="bits per character of a text under a trained model")
    p.add_argument("--run", required=True, help="run folder (or checkpoint file)")
    p.add_argument("--file", required=True, help="text file to score")
    p.add_argument("--encoding", default="utf-8", help="encoding of --file")
    p.add_argument("--errors", choices=["strict", "replace", "ignore"], default="strict",
                   help="what to do with bytes invalid in --encoding (strict: stop with an error naming the "
                   "byte offset; replace gives U+FFFD, which the model must have seen)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_score)


def overrides(args: argparse.Namespace) -> dict:
    """The config overrides of `text train`'s flags (also `rnnkit tune text`'s)."""
    return {
        "model": model_overrides(args),
        "data": {"corpus": args.corpus, "seq_len": args.seq_len, "batch_size": args.batch_size,
                 "encoding": args.encoding, "errors": args.errors},
        "train": train_overrides(args),
    }


def _check_processes(args: argparse.Namespace, nproc: int) -> None:
    from rnnkit.text.task import check_config, resolve_text_config

    if nproc >= 1:  # launch_torchrun itself rejects --nproc 0
        check_config(resolve_text_config(args.config, overrides(args)), nproc)


@train_entry(before_launch=_check_processes)
def _train(args: argparse.Namespace) -> int:
    from rnnkit.text.task import resolve_text_config, train_text

    cfg = resolve_text_config(args.config, overrides(args))
    result = train_text(cfg, args.out, resume=args.resume)
    s = result.summary
    if "best_val_loss" in s:
        print(f"best val loss {s['best_val_loss']:.4f} nats/char ({s['best_val_bpc']:.4f} bits/char) at step "
              f"{s['best_step']}; {s['steps']} steps in {s['elapsed_s']:.0f} s, "
              f"{s['train_chars_per_sec']:,.0f} chars/s")
    print(f"run folder: {args.out}")
    return 0  # a NaN loss (exit 2) and Ctrl-C / SIGTERM (exit 130) are raised by fit()


def _load_text_run(run: str):
    from rnnkit.errors import RnnkitError
    from rnnkit.text.task import load_text_model
    from rnnkit.train.checkpoint import resolve_checkpoint

    path = resolve_checkpoint(run)
    with open(path, "rb") as f:  # torch.save writes zip archives; anything else would be unpickled
        is_zip = f.read(4) == b"PK\x03\x04"
    if not is_zip:
        raise RnnkitError(f"{path} is not a checkpoint; give a run folder (rnnkit text train --out) or its best.pt")
    return load_text_model(run)


def _generate(args: argparse.Namespace) -> int:
    from rnnkit.errors import RnnkitError
    from rnnkit.sample import generate, generate_batch
    from rnnkit.sample.streams import check_request

    if args.batch < 1:
        raise RnnkitError(f"--batch must be >= 1, got {args.batch}")
    model, tokenizer, _ = _load_text_run(args.run)
    check_request(tokenizer, args.prompt, args.length, args.temperature, args.top_k, args.top_p, args.seed)
    if args.batch > 1:
        texts = generate_batch(model, tokenizer, args.prompt, args.batch, args.length, args.temperature, args.top_k,
                               args.top_p, args.seed, args.precision)
        for i, text in enumerate(texts):
            if i:
                sys.stdout.write("\n---\n")
            sys.stdout.write(args.prompt + text)
        sys.stdout.write("\n")
        return 0
    chars = generate(model, tokenizer, args.prompt, args.length, args.temperature, args.top_k, args.top_p, args.seed,
                     args.precision)
    first = next(chars, None)  # validates the arguments before anything is printed
    sys.stdout.write(args.prompt)
    if first is not None:
        sys.stdout.write(first)
        for ch in chars:
            sys.stdout.write(ch)
            if ch == "\n":
                sys.stdout.flush()
    sys.stdout.write("\n")
    sys.stdout.flush()
    return 0


def _score(args: argparse.Namespace) -> int:
    from rnnkit.text.corpus import read_text
    from rnnkit.text.task import score_text

    model, tokenizer, _ = _load_text_run(args.run)
    scores = score_text(model, tokenizer, read_text(args.file, args.encoding, args.errors))
    if args.json:
        print(json.dumps(scores))
    else:
        print(f"{scores['chars']} chars: {scores['nats_per_char']:.4f} nats/char, "
              f"{scores['bits_per_char']:.4f} bits/char, perplexity {scores['perplexity']:.3f}")
    return 0
