"""report.json and report.md of a classification run: the model's test figures beside the
baselines (majority class, 1-NN Euclidean / DTW for series, TF-IDF + logistic regression for
texts) fit on the same training rows and scored on the same test part, with a plain verdict;
confusion.png and, for attention models, the attention view."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from torch import nn

from rnnkit.classify.baselines import score_baselines, verdict
from rnnkit.classify.metrics import classification_report
from rnnkit.classify.encoding import SequenceEncoder
from rnnkit.classify.task import predict_proba
from rnnkit.errors import RnnkitError
from rnnkit.files import write_text

VIEW_EXAMPLES = 6  # test examples shown in the attention view
RARE = 5  # a class with fewer training examples than this is named in the report


def head_weights(model: nn.Module) -> dict | list[dict]:
    """{head: weight in the prediction} (a list of them for an ensemble's members)."""
    if hasattr(model, "members"):
        return [head_weights(m) for m in model.members]
    names = model.head_names()
    return dict(zip(names, model.head_weights or [1.0 / len(names)] * len(names)))


def write_report(model: nn.Module, prep, cfg, out: Path, summary: dict, selected: nn.Module | None = None,
                 selection: dict | None = None, epoch_rule: str = "", members: int = 1) -> dict:
    """`selected`/`selection`: the selection run's model and summary when the final model was refit
    on training + validation; the validation figures are then the selection model's. `prep` is the
    estimator's Prepared, `cfg` its ClassifyRunConfig."""
    from rnnkit.classify.plots import plot_confusion

    enc = prep.encoder
    val_probs, _ = predict_proba(selected if selected is not None else model, prep.val)
    test_probs, weights = predict_proba(model, prep.test)
    names = enc.classes + list(prep.unseen)
    index = {name: i for i, name in enumerate(names)}  # unseen labels get rows after the known classes
    y_test = np.array([index[label] for label in prep.test_labels], dtype=np.int64)
    blend = {"blend": cfg.data.blend, "head_weights": head_weights(model),
             # `val` falls back to equal weights when the validation part is too small (blend.choose_blend)
             **({"blend_fallback": f"equal, not chosen: the validation part holds {len(prep.val)} sequences, fewer "
                                   f"than min_val_stopping = {cfg.data.min_val_stopping}"}
                if cfg.data.blend == "val" and not cfg.data.blend_weights else {})}
    report = {
        "model": cfg.model.cell,
        "ensemble": members,
        "input": "text" if enc.is_text else "numeric",
        "classes": enc.classes,
        "sizes": {"train": len(prep.train), "validation": len(prep.val), "test": len(prep.test)},
        "data": prep.sources,
        "test": classification_report(y_test, test_probs.argmax(axis=1), names),
        "validation": classification_report(prep.val.y.numpy(), val_probs.argmax(axis=1), enc.classes),
        "unseen_test_classes": prep.unseen,
        "rare_classes": rare_classes(fitted_rows(prep, cfg.data.refit)[1]),
        "truncated_texts": prep.truncated,
        **({} if enc.is_text else {"lengths": {  # of the rows the baselines fit on, and of the test part
            "train": _span(prep.fit_inputs if cfg.data.refit else prep.train_inputs),
            "test": _span(prep.test_inputs)}}),
        "encoding": ({"tokens": enc.tokens, "vocabulary": len(enc.vocab), "max_len": enc.max_len,
                      "ngram_buckets": cfg.data.ngrams, "linear_heads": cfg.data.linear_heads, **blend} if enc.is_text
                     else {"features": enc.n_features, "patch": enc.patch, "normalize": enc.normalize,
                           "random_kernels": cfg.data.kernels, "linear_heads": cfg.data.linear_heads, **blend}),
        "epoch_rule": epoch_rule,
        # a refit has no best step: it keeps its final weights (validation was part of its data)
        "training": {k: summary.get(k) for k in ("stopped", "steps", "epochs", "elapsed_s", "best_step")
                     if not (selection is not None and k == "best_step")},
    }
    if selection is not None:
        report["validation_model"] = (f"selection run ({selection['checkpoint']}), "
                                      "before the refit on training + validation")
        report["selection"] = {k: selection.get(k) for k in ("stopped", "steps", "epochs", "elapsed_s", "best_step")}
    hits = test_probs.argmax(axis=1) == y_test
    report["baselines"], report["verdict"] = baselines(prep, y_test, cfg.data.refit, hits)
    write_text(out / "report.json", json.dumps(report, indent=2) + "\n")
    write_text(out / "report.md", markdown(report))
    plot_confusion(np.array(report["test"]["confusion_matrix"]), names, out / "confusion.png",
                   f"{cfg.model.cell}: test accuracy {report['test']['accuracy']:.3f}")
    if weights is not None:
        write_attention_view(enc, prep.test_inputs, test_probs, weights, out, prep.test_labels)
    return report


def _span(inputs: list) -> list[int]:
    """[shortest, longest] series length."""
    lengths = [len(x) for x in inputs]
    return [min(lengths), max(lengths)]


def fitted_rows(prep, refit: bool) -> tuple[list, list]:
    """(inputs, labels) the final model trained on: training + validation after a refit, else training."""
    return (prep.fit_inputs, prep.fit_labels) if refit else (prep.train_inputs, prep.train_labels)


def rare_classes(labels: list) -> dict:
    """{class: training examples} for the classes with fewer than RARE of them, rarest first."""
    names, counts = np.unique(np.asarray([str(label) for label in labels]), return_counts=True)
    return {str(n): int(c) for c, n in sorted(zip(counts, names)) if c < RARE}


def baselines(prep, y_test: np.ndarray, refit: bool, model_hits: np.ndarray) -> tuple[list[dict], str]:
    """The baselines fit on the rows the final model trained on (training + validation after a
    refit, else the training part) and scored on the same test part; `model_hits` (N,) marks the
    test rows the model got right."""
    inputs, labels = fitted_rows(prep, refit)
    y_fit, _ = prep.encoder.encode_labels(labels)
    try:
        rows = score_baselines(inputs, y_fit, prep.test_inputs, y_test, prep.encoder.is_text)
    except RnnkitError as e:  # scikit-learn missing: the text baseline says how to get it
        rows = [{"name": "TF-IDF + logistic regression", "skipped": str(e)}]
    scored = [r for r in rows if "correct" in r]
    said = verdict(model_hits, scored) if scored else "no baseline could be scored"
    return [{k: v for k, v in r.items() if k != "hits"} for r in rows], said


def markdown(report: dict) -> str:
    t = report["test"]
    name = report["model"] + (f" x{report['ensemble']} (ensemble)" if report.get("ensemble", 1) > 1 else "")
    lines = [f"# Classification report: {name}", "",
             f"Test part: {t['n']} {'texts' if report['input'] == 'text' else 'sequences'} ({report['data']['test']}); "
             f"trained on {report['sizes']['train'] + report['sizes']['validation']} "
             f"({report['data']['train']}).", "",
             "| model | test accuracy | correct | macro-F1 |", "|---|---|---|---|",
             f"| **{name}** | **{t['accuracy']:.4f}** | {round(t['accuracy'] * t['n'])}/{t['n']} | {t['macro_f1']:.4f} |"]
    for b in report["baselines"]:
        if "skipped" in b:
            lines.append(f"| {b['name']} | skipped: {b['skipped']} | | |")
        else:
            lines.append(f"| {b['name']} | {b['accuracy']:.4f} | {b['correct']}/{b['n']} | |")
    lines += ["", f"**Verdict:** the model {report['verdict']}.", "",
              f"Epochs: {report.get('epoch_rule') or 'see training'}.",
              *_heads_line(report.get("encoding", {})),
              *_class_lines(report),
              *_length_lines(report),
              f"Validation accuracy ({report.get('validation_model', 'the final model')}): "
              f"{report['validation']['accuracy']:.4f} on {report['validation']['n']} sequences.", ""]
    return "\n".join(lines)


def _class_lines(report: dict) -> list[str]:
    """The classes whose figures rest on too few examples, and test labels the model never saw."""
    lines = []
    if report.get("rare_classes"):
        shown = ", ".join(f"{name} ({n})" for name, n in report["rare_classes"].items())
        lines.append(f"Classes with fewer than {RARE} training examples: {shown}; the model can hardly "
                     "learn them, and their test figures rest on little data.")
    if report.get("unseen_test_classes"):
        lines.append("Test labels never seen in training (always wrong): "
                     + ", ".join(f"{k} ({v} rows)" for k, v in report["unseen_test_classes"].items()) + ".")
    return lines


def _length_lines(report: dict) -> list[str]:
    """Test series of another length than the training ones: the 1-NN baselines compare them
    resampled (baselines.resample), the model reads them as they are."""
    lengths = report.get("lengths")
    if not lengths or lengths["test"] == lengths["train"]:
        return []
    return [f"Series lengths: training {_steps(lengths['train'])} steps, test {_steps(lengths['test'])}; the 1-NN "
            f"baselines resample every series to {lengths['train'][1]} steps (linear interpolation), the model "
            "reads each as it is."]


def _steps(span: list[int]) -> str:
    return str(span[0]) if span[0] == span[1] else f"{span[0]}-{span[1]}"


def _heads_line(encoding: dict) -> list[str]:
    """How the prediction weighed its heads, when it has several (an ensemble: its first member)."""
    weights = encoding.get("head_weights") or {}
    weights = weights[0] if isinstance(weights, list) else weights
    if len(weights) < 2:
        return []
    how = (encoding["blend_fallback"] if encoding.get("blend_fallback")
           else "chosen on the validation part (lowest log-loss)" if encoding.get("blend") == "val"
           else "equal" if len(set(weights.values())) == 1 else "as configured")
    shown = ", ".join(f"{name} {w:.2f}" for name, w in weights.items())
    return [f"Heads averaged (probabilities): {shown}; weights {how}."]


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
