"""Train, predict and explain: the classification workflow behind `rnnkit classify ...`.

train: load -> carve the test part (only without --test) -> carve a stratified validation part ->
fit the encoder (vocabulary or scaler) on what is left -> fit() -> best.pt scored once on the test
part -> report.json, confusion.png and, for attention models, an attention view.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from rnnkit.classify.config import MODEL_KINDS, ClassifyRunConfig, resolve_run
from rnnkit.classify.loaders import Labelled, load
from rnnkit.classify.metrics import classification_report
from rnnkit.classify.preprocess import SequenceEncoder, ordered_split, stratified_split
from rnnkit.classify.task import ClassifyTask, Encoded, predict_proba
from rnnkit.config import to_dict
from rnnkit.errors import RnnkitError
from rnnkit.models.classifier import SequenceClassifier

Log = Callable[[str], None]
VIEW_EXAMPLES = 6  # test examples shown in the attention view


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass
class Prepared:
    encoder: SequenceEncoder
    train: Encoded
    val: Encoded
    test: Encoded
    test_inputs: list  # raw test inputs, for the attention view
    test_labels: list[str]
    unseen: dict[str, int]  # test labels never seen in training -> rows
    truncated: int  # texts cut to max_len (all parts)
    sources: dict[str, str]


def resolve_config(config_file: str | Path | None, overrides: dict, data_path: str | Path) -> ClassifyRunConfig:
    """The run config for `data_path`: text data gets TEXT_DEFAULTS under the file and the flags."""
    numeric = resolve_run(config_file, overrides, is_text=False)
    if load(data_path, numeric.data).is_text:
        return resolve_run(config_file, overrides, is_text=True)
    return numeric


def check_config(cfg: ClassifyRunConfig) -> None:
    d = cfg.data
    if cfg.model.cell not in MODEL_KINDS:
        raise RnnkitError(f"unknown model {cfg.model.cell!r}; use one of {', '.join(MODEL_KINDS)}")
    if d.batch_size < 1:
        raise RnnkitError(f"batch_size must be >= 1, got {d.batch_size}")
    if d.monitor not in ("loss", "accuracy"):
        raise RnnkitError(f"monitor must be loss or accuracy, got {d.monitor!r}")
    if d.split not in ("stratified", "ordered"):
        raise RnnkitError(f"split must be stratified or ordered, got {d.split!r}")
    if d.tokens not in ("word", "char"):
        raise RnnkitError(f"tokens must be word or char, got {d.tokens!r}")


def prepare(cfg: ClassifyRunConfig, data_path: str | Path, test_path: str | Path | None, log: Log) -> Prepared:
    """Load, split, fit the encoder on the training part only, and encode every part."""
    data = load(data_path, cfg.data)
    labels = np.array(data.labels, dtype=object)
    if len(set(data.labels)) < 2:
        raise RnnkitError(f"{data_path}: the label column holds a single class ({data.labels[0]!r}); "
                          "a classifier needs two or more")
    if test_path is not None:
        test = load(test_path, cfg.data)
        if test.is_text != data.is_text:
            raise RnnkitError(f"{test_path} holds {'texts' if test.is_text else 'numeric sequences'}, "
                              f"{data_path} does not")
        fit_rows = np.arange(len(labels))
    else:
        if cfg.data.split == "ordered":
            fit_rows, test_rows = ordered_split(len(labels), cfg.data.test_fraction)
        else:
            fit_rows, test_rows = stratified_split(_codes(labels), cfg.data.test_fraction, cfg.train.seed + 1)
        test = _subset(data, test_rows)
    keep, carve = stratified_split(_codes(labels[fit_rows]), cfg.data.val_fraction, cfg.train.seed)
    if len(carve) == 0 or len(keep) == 0:
        raise RnnkitError(f"{data_path}: too few rows ({len(fit_rows)}) to carve a validation part; add data")
    train, val = _subset(data, fit_rows[keep]), _subset(data, fit_rows[carve])
    encoder = SequenceEncoder.fit(train.inputs, train.labels, data.is_text, cfg.data)
    parts, truncated = [], 0
    for part in (train, val, test):
        x, lengths, cut = encoder.encode(part.inputs)
        y, unseen = encoder.encode_labels(part.labels)
        parts.append(Encoded(x, lengths, torch.from_numpy(y)))
        truncated += cut
    if truncated:
        log(f"warning: {truncated} text(s) longer than max_len={encoder.max_len} tokens were truncated "
            f"to their first {encoder.max_len} tokens (raise --max-len to keep more)")
    if unseen:
        shown = ", ".join(f"{k!r} ({v} rows)" for k, v in unseen.items())
        log(f"warning: test labels never seen in training: {shown}; those rows count as errors in report.json")
    return Prepared(encoder, *parts, test.inputs, test.labels, unseen, truncated,
                    {"train": str(data_path), "test": str(test_path) if test_path else "carved from train"})


def _codes(labels: np.ndarray) -> np.ndarray:
    return np.unique(labels.astype(str), return_inverse=True)[1]


def _subset(data: Labelled, rows: np.ndarray) -> Labelled:
    return Labelled([data.inputs[i] for i in rows], [data.labels[i] for i in rows], data.is_text, data.source)


def build_model(cfg: ClassifyRunConfig, encoder: SequenceEncoder) -> SequenceClassifier:
    m = cfg.model
    return SequenceClassifier(
        m.cell, len(encoder.classes), input_size=0 if encoder.is_text else encoder.input_size,
        vocab_size=encoder.input_size if encoder.is_text else None, hidden=m.hidden, layers=m.layers,
        dropout=m.dropout, embed_dim=m.embed_dim, layer_norm=m.layer_norm,
    )


def train(cfg: ClassifyRunConfig, data_path: str | Path, test_path: str | Path | None, out: str | Path,
          resume: bool = False, log: Log = _stderr, on_eval: Callable[[int, dict], bool] | None = None,
          score_test: bool = True) -> dict:
    """Train into run folder `out`; returns the report (also written to out/report.json).
    `on_eval` goes to `fit()`; `score_test=False` (hyper-parameter search) never scores the test part
    and returns {"training": fit summary}."""
    from rnnkit.train import fit, load_checkpoint

    check_config(cfg)
    if not resume and (Path(out) / "last.pt").exists():  # before the (possibly slow) data preparation
        raise RnnkitError(f"run folder {out} already holds a run; pass --resume to continue it, "
                          "or choose another --out")
    torch.manual_seed(cfg.train.seed)
    prep = prepare(cfg, data_path, test_path, log)
    model = build_model(cfg, prep.encoder)
    task = ClassifyTask(prep.train, prep.val, cfg.data.batch_size, cfg.train.seed, cfg.data.monitor,
                        _class_weights(prep.train.y, len(prep.encoder.classes)) if cfg.data.class_weights else None,
                        cfg.data.jitter)
    if cfg.train.eval_every == 0:  # once per epoch; the resolved value goes into config.json
        cfg = replace(cfg, train=replace(cfg.train, eval_every=task.batches_per_epoch()))
    result = fit(model, task, cfg.train, out, kind="classify", config=to_dict(cfg),
                 extra={"encoder": prep.encoder.state()}, resume=resume, log=log, on_eval=on_eval)
    if not score_test:
        return {"training": result.summary}
    best = load_checkpoint(out, kind="classify")
    model.load_state_dict(best["model"])
    report = write_report(model, prep, cfg, Path(out), result.summary)
    t = report["test"]
    log(f"test accuracy {t['accuracy']:.4f}  macro-F1 {t['macro_f1']:.4f}  ({t['n']} sequences) -> {out}/report.json")
    return report


def _class_weights(y: torch.Tensor, n_classes: int) -> torch.Tensor:
    counts = torch.bincount(y, minlength=n_classes).float().clamp(min=1)
    return len(y) / (n_classes * counts)  # "balanced": each class contributes equally


def write_report(model: SequenceClassifier, prep: Prepared, cfg: ClassifyRunConfig, out: Path, summary: dict) -> dict:
    from rnnkit.classify.plots import plot_confusion

    enc = prep.encoder
    val_probs, _ = predict_proba(model, prep.val)
    test_probs, weights = predict_proba(model, prep.test)
    names = enc.classes + list(prep.unseen)
    index = {name: i for i, name in enumerate(names)}  # unseen labels get rows after the known classes
    y_test = np.array([index[label] for label in prep.test_labels], dtype=np.int64)
    report = {
        "model": cfg.model.cell,
        "input": "text" if enc.is_text else "numeric",
        "classes": enc.classes,
        "sizes": {"train": len(prep.train), "validation": len(prep.val), "test": len(prep.test)},
        "data": prep.sources,
        "test": classification_report(y_test, test_probs.argmax(axis=1), names),
        "validation": classification_report(prep.val.y.numpy(), val_probs.argmax(axis=1), enc.classes),
        "unseen_test_classes": prep.unseen,
        "truncated_texts": prep.truncated,
        "encoding": ({"tokens": enc.tokens, "vocabulary": len(enc.vocab), "max_len": enc.max_len} if enc.is_text
                     else {"features": enc.n_features, "patch": enc.patch, "normalize": enc.normalize}),
        "training": {k: summary.get(k) for k in ("stopped", "steps", "epochs", "elapsed_s", "best_step")},
    }
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    plot_confusion(np.array(report["test"]["confusion_matrix"]), names, out / "confusion.png",
                   f"{cfg.model.cell}: test accuracy {report['test']['accuracy']:.3f}")
    if weights is not None:
        write_attention_view(enc, prep.test_inputs, test_probs, weights, out, prep.test_labels)
    return report


def write_attention_view(enc: SequenceEncoder, inputs: list, probs: np.ndarray, weights: np.ndarray,
                         out: Path, labels: list | None = None) -> Path:
    """attention.html (texts) or attention.png (numeric) for a few examples, taken in turn from
    each true class so that a rare class (spam) is shown too."""
    from rnnkit.classify.html import attention_html
    from rnnkit.classify.plots import plot_attention

    rows = _examples(labels if labels is not None else [None] * len(inputs), VIEW_EXAMPLES)
    titles = []
    for i in rows:
        pred = enc.classes[int(probs[i].argmax())]
        truth = f"true {labels[i]}, " if labels is not None and labels[i] is not None else ""
        titles.append(f"#{i}: {truth}predicted {pred} (p={probs[i].max():.2f})")
    picked = [inputs[i] for i in rows]
    if enc.is_text:
        return attention_html(enc, picked, weights[rows], titles, out / "attention.html")
    return plot_attention(picked, weights[rows], enc.patch, titles, out / "attention.png")


def _examples(labels: list, n: int) -> list[int]:
    """Up to n row indices: the first row of each class, then the second of each, ..."""
    by_class: dict = {}
    for i, label in enumerate(labels):
        by_class.setdefault(label, []).append(i)
    rows, depth = [], 0
    while len(rows) < min(n, len(labels)):
        rows += [r[depth] for r in by_class.values() if depth < len(r)][: n - len(rows)]
        depth += 1
    return sorted(rows)
