"""`rnnkit classify train|predict|explain`: argument parsing only (the work is in rnnkit.classify)."""

from __future__ import annotations

import argparse
import json

from rnnkit.cli.common import (add_model_flags, add_threads_flag, add_train_flags, model_overrides, train_entry,
                               train_overrides, use_threads)
from rnnkit.config import SUMMARIES, ClassifyModelConfig


def register(subparsers) -> None:
    p = subparsers.add_parser("classify", help="sequence classification (numeric series or short texts)",
                              description="Classify whole sequences: UCR/UEA series, CSV tables, short texts.")
    sub = p.add_subparsers(dest="classify_command", metavar="ACTION", required=True)

    t = sub.add_parser("train", help="train a classifier; writes report.json, confusion.png, attention view",
                       description="Train on --data: a selection run (OUT/select/) on the training part fixes the "
                       "number of epochs and reports the validation figures, then a fresh model trains that long "
                       "on training + validation (--no-refit: keep the selection run's model). Score it once on "
                       "--test (or on a part carved from --data), and write report.json, confusion.png and, for "
                       "--model attention, attention.png (series) or attention.html (texts) into --out.")
    t.add_argument("--data", required=True, metavar="PATH", help="training file (.tsv, .ts, .csv)")
    t.add_argument("--test", metavar="PATH", help="test file; without it a stratified test part is carved")
    t.add_argument("--out", required=True, metavar="DIR", help="run folder")
    add_model_flags(t, ClassifyModelConfig.CELLS, "--model", "network; attention gives the attention views",
                    hidden_help="hidden units per direction",
                    dropout_help="dropout (embedding, between layers, before the head)")
    t.add_argument("--embed-dim", type=int, help="token embedding size (texts; default = hidden)")
    t.add_argument("--summary", choices=SUMMARIES,
                   help="bilstm/lstm/gru/rnn: head on the final state, on the mean+max of the step outputs, "
                   "or both heads averaged (default: pooled for numeric series, both for texts)")
    _data_flags(t)
    d = t.add_argument_group("encoding and splits")
    d.add_argument("--tokens", choices=["word", "char"], help="text tokens (default word)")
    d.add_argument("--keep-digits", action="store_const", const=True,
                   help="word tokens: keep digits (default maps every digit to 0, so numbers match by shape)")
    d.add_argument("--max-len", type=int, help="tokens kept per text; longer texts are truncated with a warning")
    d.add_argument("--normalize", choices=["train", "series", "none"],
                   help="numeric input, whole sequences: one per-feature scaler fit on the training part (train), "
                   "each series z-scored on its own (series), or none")
    d.add_argument("--patch", type=int, help="numeric input: steps folded into one recurrent step (0 = auto)")
    d.add_argument("--context", type=int,
                   help="numeric input: neighbouring patches each recurrent step also sees, per side (default 1)")
    d.add_argument("--mixup", type=float, metavar="ALPHA",
                   help="numeric input: mixup augmentation, Beta(ALPHA, ALPHA); 0 turns it off (default 0.4)")
    d.add_argument("--kernels", type=int, metavar="K",
                   help="numeric input: K ROCKET-style random convolutions whose features feed one more head "
                   "(default 500; 0 = off)")
    d.add_argument("--ngrams", type=int, metavar="B",
                   help="texts: a bag of the tokens and of token pairs hashed into B buckets feeds one more "
                   "linear head (default for texts 131072; 0 = off)")
    d.add_argument("--char-ngrams", type=int, metavar="B",
                   help="texts: the bag also reads the character 2-5-grams of each in-vocabulary word, hashed "
                   "into B buckets (default 0 = off; needs --ngrams)")
    d.add_argument("--ngram-weighting", choices=["mean", "tfidf"],
                   help="texts: how the bag weighs its n-grams: each occurrence alike (mean) or sublinear "
                   "term frequency x inverse document frequency of the training texts, L2-normalised (tfidf)")
    d.add_argument("--linear-heads", choices=["train", "fit", "fit_train"],
                   help="the heads over fixed features (--kernels, the text bag): learnt from zero with the "
                   "network (train), fit by logistic regression on the training part and frozen (fit), or "
                   "that fit as the start of training (fit_train; the numeric default; texts: train)")
    d.add_argument("--blend", choices=["equal", "val"],
                   help="how the prediction weighs its heads' probabilities: equally (equal, the numeric "
                   "default), or by the weights of lowest log-loss on the validation part (val, the text "
                   "default; equal weights when that part holds fewer than [data] min_val_stopping "
                   "sequences, default 30)")
    d.add_argument("--ensemble", type=int, metavar="N",
                   help="train N models (seeds SEED..SEED+N-1, members/1.. beside the first) and average "
                   "their probabilities (default 1); predict, explain and serve use the average")
    d.add_argument("--val-fraction", type=float, help="stratified validation share of the training part")
    d.add_argument("--no-refit", dest="refit", action="store_const", const=False,
                   help="keep the model chosen on the validation part instead of training again on "
                   "training + validation for the chosen number of epochs")
    d.add_argument("--test-fraction", type=float, help="test share carved from --data when --test is absent")
    d.add_argument("--split", choices=["stratified", "ordered"],
                   help="how that test part is carved: stratified at random, or the last rows in file order")
    d.add_argument("--batch-size", type=int, help="sequences per batch")
    d.add_argument("--class-weights", action="store_const", const=True,
                   help="weight the loss by inverse class frequency")
    d.add_argument("--monitor", choices=["loss", "accuracy"], help="validation figure for best.pt and early stopping")
    add_train_flags(t)
    t.set_defaults(handler=_train)

    pr = sub.add_parser("predict", help="labels and class probabilities for a file (CSV)",
                        description="Write row, predicted, p_<class>... (and label) as CSV, a long-format file's "
                        "sequence id after row (named as its id column); with labels, print the accuracy. A label column marked only by its place (UCR .tsv, a headerless CSV) is "
                        "absent when every row holds exactly the training series' length of values (training "
                        "series all of one length) and not every first value is a training class, or when no value in it is a training class and some have a "
                        "fraction (-0.64): the rows are then read whole, as unlabelled. Labels never seen in "
                        "training and series of another length than training's get a warning.")
    pr.add_argument("--run", required=True, metavar="DIR", help="run folder (or checkpoint) from classify train")
    pr.add_argument("--data", required=True, metavar="PATH", help="file to classify (label column optional)")
    pr.add_argument("--out", metavar="FILE", help="CSV to write (default: stdout)")
    _data_flags(pr)
    add_threads_flag(pr)
    pr.set_defaults(handler=_predict)

    e = sub.add_parser("explain", help="attention weights for one text or series, printed and plotted")
    e.add_argument("--run", required=True, metavar="DIR", help="run folder of an attention model")
    src = e.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help="the text to classify and explain")
    src.add_argument("--series", metavar="FILE", help="one series: a step per line, features separated by commas")
    e.add_argument("--out", metavar="FILE",
                   help="plot to write: .html for --text, an image (.png, .pdf, .svg) for --series (default: "
                   "RUN/explain.html or RUN/explain.png; when that exists, explain-2, explain-3, ...: an earlier "
                   "plot is never overwritten)")
    e.add_argument("--json", action="store_true", help="print the result as JSON")
    add_threads_flag(e)
    e.set_defaults(handler=_explain)


def _data_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("input file")
    g.add_argument("--format", choices=["auto", "ucr", "ts", "csv", "tsv"], help="file format (default auto)")
    g.add_argument("--label-col", metavar="C", help="label column: name, or 0-based index with --no-header")
    g.add_argument("--text-col", metavar="C", help="text column (text classification)")
    g.add_argument("--id-col", metavar="C", help="long format: the sequence id column")
    g.add_argument("--time-col", metavar="C", help="long format: the step order column")
    g.add_argument("--drop-cols", type=_names, metavar="A,B",
                   help="csv/tsv columns to leave out, e.g. a row id (names, or 0-based indices with --no-header; "
                   "predict leaves out the training run's)")
    g.add_argument("--no-header", dest="header", action="store_const", const=False,
                   help="csv/tsv without a header line (columns are then 0, 1, ...)")
    g.add_argument("--sep", help="csv/tsv column separator (default: tab for .tsv, ',' for .csv; ';' for "
                   "European spreadsheet exports)")
    g.add_argument("--decimal", metavar="MARK", help="decimal mark of the numbers (default '.'; ',' reads 1.234,5)")
    g.add_argument("--encoding", help="file encoding (default utf-8)")
    g.add_argument("--errors", choices=["strict", "replace", "ignore"],
                   help="what to do with bytes invalid in --encoding (default strict: stop with an error)")


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _data_overrides(args: argparse.Namespace) -> dict:
    return {"format": args.format, "label_col": args.label_col, "text_col": args.text_col,
            "id_col": args.id_col, "time_col": args.time_col, "header": args.header,
            "drop_cols": args.drop_cols, "sep": args.sep,
            "decimal": args.decimal, "encoding": args.encoding, "errors": args.errors}


def overrides(args: argparse.Namespace) -> dict:
    """The config overrides of `classify train`'s flags (also `rnnkit tune classify`'s). The data
    flags are named after their [data] keys (--no-header sets `header`, --no-refit `refit`)."""
    from dataclasses import fields

    from rnnkit.classify.config import DataConfig

    data = {f.name: getattr(args, f.name) for f in fields(DataConfig) if hasattr(args, f.name)}
    model = {**model_overrides(args), "embed_dim": args.embed_dim, "summary": args.summary}
    return {"model": model, "train": train_overrides(args), "data": data}


@train_entry
def _train(args: argparse.Namespace) -> int:
    from rnnkit.classify.estimator import resolve_config, train

    cfg = resolve_config(args.config, overrides(args), args.data)
    train(cfg, args.data, args.test, args.out, resume=args.resume)
    return 0


def _predict(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from rnnkit.classify.inference import load_run, predict
    from rnnkit.files import check_out_file

    use_threads(args)
    if args.out:
        check_out_file(args.out)  # before the model and the data are read
    _, _, cfg = load_run(args.run)
    given = {k: v for k, v in _data_overrides(args).items() if v is not None}
    predict(args.run, args.data, args.out, replace(cfg.data, **given))
    return 0


def _explain(args: argparse.Namespace) -> int:
    from rnnkit.classify.inference import explain
    from rnnkit.files import check_out_file

    use_threads(args)
    if args.out:
        check_out_file(args.out)
    result = explain(args.run, text=args.text, series=args.series, out=args.out)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"predicted {result['predicted']}  " +
          "  ".join(f"p({c})={p:.3f}" for c, p in result["probabilities"].items()))
    for step in result["weights"]:
        bar = "#" * round(40 * step["weight"])
        if "token" in step:
            print(f"{step['weight']:.4f}  {bar:<40s}  {step['token']!r}")
        else:
            first, last = step["steps"]
            print(f"{step['weight']:.4f}  {bar:<40s}  step {first}" + (f"-{last}" if last > first else ""))
    print(f"plot: {result['plot']}")
    return 0
