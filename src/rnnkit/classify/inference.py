"""Using a trained run: `predict` (labels and class probabilities for a file) and `explain` (the
attention weights for one text or one series)."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from rnnkit.classify.config import ClassifyRunConfig, DataConfig
from rnnkit.classify.estimator import build_model
from rnnkit.classify.loaders import load
from rnnkit.classify.metrics import classification_report
from rnnkit.classify.mismatch import warn_mismatch, without_false_labels
from rnnkit.classify.encoding import SequenceEncoder, tokenize
from rnnkit.classify.task import Encoded, predict_proba
from rnnkit.config import from_dict
from rnnkit.console import progress
from rnnkit.errors import RnnkitError
from rnnkit.files import write_text
from rnnkit.models.classifier import EnsembleClassifier, SequenceClassifier

Log = Callable[[str], None]



def load_run(run: str | Path) -> tuple[nn.Module, SequenceEncoder, ClassifyRunConfig]:
    """The model (eval mode, CPU), its encoder and its config from a run folder or checkpoint.
    A run folder trained with --ensemble N (it holds ensemble.json) gives all N members averaged;
    a checkpoint file gives that one model."""
    import json

    folder = Path(run)
    if folder.is_dir() and (folder / "ensemble.json").is_file():
        members = json.loads((folder / "ensemble.json").read_text())["members"]
        loaded = [_load_one(folder / m) for m in members]
        model = EnsembleClassifier([m for m, _, _ in loaded]).eval()
        return model, loaded[0][1], loaded[0][2]
    return _load_one(run)


def _load_one(run: str | Path) -> tuple[SequenceClassifier, SequenceEncoder, ClassifyRunConfig]:
    from rnnkit.train import load_checkpoint

    ckpt = load_checkpoint(run, kind="classify")
    data = ckpt["config"].get("data", {})
    if "kernels" not in data:  # a run from before random features existed
        data = ckpt["config"]["data"] = {**data, "kernels": 0}
    if "ngrams" not in data:  # a run from before the bag-of-n-grams head existed
        data = ckpt["config"]["data"] = {**data, "ngrams": 0}
    if "ngram_weighting" not in data:  # a run from before the tf-idf bag
        ckpt["config"]["data"] = {**data, "ngram_weighting": "mean"}
    cfg = from_dict(ClassifyRunConfig, ckpt["config"])
    encoder = SequenceEncoder.from_state(ckpt["extra"]["encoder"])
    model = build_model(cfg, encoder)
    from rnnkit.train.int8 import load_weights  # int8 runs (rnnkit quantize) too

    model = load_weights(model, ckpt)
    return model.eval(), encoder, cfg


def _encode(encoder: SequenceEncoder, inputs: list, log: Log) -> Encoded:
    x, lengths, truncated = encoder.encode(inputs)
    if truncated:
        log(f"warning: {truncated} text(s) longer than max_len={encoder.max_len} tokens were truncated")
    return Encoded(x, lengths, torch.full((len(inputs),), -1, dtype=torch.int64))


def predict(run: str | Path, data_path: str | Path, out: str | Path | None, data_cfg: DataConfig | None = None,
            log: Log = progress) -> dict:
    """Write `row,predicted,p_<class>...[,label]` as CSV to `out` (or stdout); a long-format file's
    sequence id follows `row`, in a column named as the file's id column. Returns what it wrote:
    {"n", "classes", "predicted" (N labels), "probabilities" ((N, C) array, columns in `classes`
    order), "ids" (long format, else None)}, and when the file has labels, the accuracy, macro-F1
    and number of labelled rows too (also logged)."""
    model, encoder, cfg = load_run(run)
    data_cfg = data_cfg or cfg.data
    data = load(data_path, data_cfg, need_labels=False, features=encoder.features)
    if data.is_text != encoder.is_text:
        raise RnnkitError(f"{data_path} holds {'texts' if data.is_text else 'numeric sequences'}, but the model "
                          f"in {run} was trained on {'texts' if encoder.is_text else 'numeric sequences'}")
    data = without_false_labels(data, encoder, data_cfg.decimal, log)
    warn_mismatch(data.inputs, data.labels, encoder, str(data_path), log)
    probs, _ = predict_proba(model, _encode(encoder, data.inputs, log))
    predicted = [encoder.classes[i] for i in probs.argmax(axis=1)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    has_labels = any(lab != "" for lab in data.labels or [])
    ident = [data.id_column] if data.ids is not None else []  # so that predictions join back to the file
    writer.writerow(["row", *ident, "predicted", *(f"p_{c}" for c in encoder.classes),
                     *(["label"] if has_labels else [])])
    for i, row in enumerate(probs):
        writer.writerow([i, *([data.ids[i]] if ident else []), predicted[i], *(f"{p:.6f}" for p in row),
                         *([data.labels[i]] if has_labels else [])])
    if out is None:
        sys.stdout.write(buffer.getvalue())
    else:
        write_text(out, buffer.getvalue())  # atomic: a full disk leaves no partial file
        log(f"wrote {len(predicted)} predictions to {out}")
    result = {"n": len(predicted), "classes": list(encoder.classes), "predicted": predicted, "probabilities": probs,
              "ids": data.ids}
    labelled = [i for i, lab in enumerate(data.labels or []) if lab != ""]  # an empty cell is no label
    if labelled:
        labels = [data.labels[i] for i in labelled]
        names = encoder.classes + sorted(set(labels) - set(encoder.classes))
        index = {c: i for i, c in enumerate(names)}
        report = classification_report(np.array([index[lab] for lab in labels]),
                                       probs[labelled].argmax(axis=1), names)
        result.update(accuracy=report["accuracy"], macro_f1=report["macro_f1"], labelled=len(labelled))
        log(f"accuracy {report['accuracy']:.4f}  macro-F1 {report['macro_f1']:.4f} on the {len(labelled)} "
            f"labelled row(s) of {data_path}")
    elif data.labels is not None:
        log(f"the label column of {data_path} is empty: no accuracy to report")
    return result


def read_series(path: str | Path, n_features: int) -> np.ndarray:
    """One series from a text file: one step per line, features separated by commas, tabs or
    spaces; a univariate series may also be one line of values. -> (T, F) float32."""
    path = Path(path)
    if path.is_dir():
        raise RnnkitError(f"--series {path} is a folder; give a file with one step per line")
    if not path.is_file():
        raise RnnkitError(f"series file not found: {path}")
    rows = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        fields = line.replace(",", " ").split()
        if not fields:
            continue
        try:
            rows.append([float(v) for v in fields])
        except ValueError:
            raise RnnkitError(f"{path}:{n}: non-numeric value in {line.strip()[:40]!r}") from None
    if not rows:
        raise RnnkitError(f"{path} holds no values")
    if len({len(r) for r in rows}) != 1:
        raise RnnkitError(f"{path}: lines have different numbers of values")
    x = np.array(rows, dtype=np.float32)
    if n_features == 1 and x.shape[0] == 1:
        x = x.T  # one line of values: a univariate series
    if x.shape[1] != n_features:
        raise RnnkitError(f"{path}: {x.shape[1]} values per step; the model expects {n_features} feature(s) per "
                          "step, one step per line")
    if not np.isfinite(x).all():
        step = int(np.argwhere(~np.isfinite(x))[0][0]) + 1
        raise RnnkitError(f"{path}: step {step} is not a finite number ({x[step - 1][~np.isfinite(x[step - 1])][0]}); "
                          "fill or remove the missing values first")
    return x


def _folder(run: str | Path) -> Path:
    return Path(run) if Path(run).is_dir() else Path(run).parent


def _free(path: Path) -> Path:
    """`path`, or explain-2.png, explain-3.png, ... when it exists: a default name never overwrites."""
    n = 2
    while path.exists():
        path = path.with_name(f"{path.stem.split('-')[0]}-{n}{path.suffix}")
        n += 1
    return path


def explain(run: str | Path, text: str | None = None, series: str | Path | None = None,
            out: str | Path | None = None, log: Log = progress) -> dict:
    """Predict one input and return/print its attention weights; plot them to `out` (HTML for a
    text, PNG for a series; default: explain.html / explain.png in the run folder)."""
    from rnnkit.classify.html import attention_html
    from rnnkit.classify.plots import plot_attention
    from rnnkit.plots import check_image_suffix

    if out is not None and text is not None and Path(out).suffix.lower() not in (".html", ".htm"):
        raise RnnkitError(f"--out {out}: a text's explanation is an HTML page; give a name ending in .html")
    if out is not None and series is not None:
        check_image_suffix(out)  # before the model is read: a series' explanation is a plot
    model, encoder, cfg = load_run(run)
    if cfg.model.cell != "attention":
        raise RnnkitError(f"the {cfg.model.cell} model in {run} has no attention weights; "
                          "train with --model attention to explain predictions")
    if (text is None) == (series is None):
        raise RnnkitError("give exactly one of --text or --series")
    if text is not None and not encoder.is_text:
        raise RnnkitError(f"the model in {run} classifies numeric sequences; use --series FILE")
    if series is not None and encoder.is_text:
        raise RnnkitError(f"the model in {run} classifies texts; use --text")
    if text is not None and not text.strip():
        raise RnnkitError("--text is empty; give a text to explain")
    item = text if text is not None else read_series(series, encoder.n_features)
    if series is not None:
        warn_mismatch([item], None, encoder, str(series), log)  # another length than training's: one line
    probs, weights = predict_proba(model, _encode(encoder, [item], log))
    p, w = probs[0], weights[0]
    predicted = encoder.classes[int(p.argmax())]
    title = f"predicted {predicted} (p={p.max():.2f})"
    if text is not None:
        spans = tokenize(text, encoder.tokens, encoder.lowercase, encoder.keep_digits)[: encoder.max_len]
        tokens = [t for t, _, _ in spans]
        steps = [{"token": t, "weight": float(x)} for t, x in zip(tokens, w)]
        path = attention_html(encoder, [text], w[None], [title], Path(out) if out else _free(_folder(run) / "explain.html"))
    else:
        p_len = -(-len(item) // encoder.patch)
        steps = [{"steps": [i * encoder.patch, min((i + 1) * encoder.patch, len(item)) - 1], "weight": float(x)}
                 for i, x in enumerate(w[:p_len])]
        path = plot_attention([item], w[None], encoder.patch, [title], Path(out) if out else _free(_folder(run) / "explain.png"))
    return {"predicted": predicted, "probabilities": dict(zip(encoder.classes, map(float, p))),
            "weights": steps, "plot": str(path)}
