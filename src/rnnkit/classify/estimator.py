"""Train, predict and explain: the classification workflow behind `rnnkit classify ...`.

train: load -> carve the test part (only without --test) -> carve a stratified validation part ->
fit the encoder (vocabulary or scaler) on what is left -> fit() (select/: the validation part picks
the epoch count) -> refit on training + validation for that many epochs -> best.pt scored once on the
test part -> report.json, confusion.png and, for attention models, an attention view.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from rnnkit.classify.config import TEXT_DEFAULTS, ClassifyRunConfig, resolve_run, with_text_defaults
from rnnkit.classify.loaders import Labelled, load
from rnnkit.classify.metrics import classification_report
from rnnkit.classify.mismatch import warn_mismatch
from rnnkit.classify.encoding import SequenceEncoder, char_gram_table
from rnnkit.classify.preprocess import ordered_split, stratified_split
from rnnkit.classify.task import ClassifyTask, Encoded, predict_proba
from rnnkit.config import to_dict
from rnnkit.console import progress
from rnnkit.errors import RnnkitError
from rnnkit.classify.report import write_report
from rnnkit.files import check_no_run, write_text
from rnnkit.classify.blend import BLENDS, choose_blend
from rnnkit.classify.linear_heads import fit_linear_heads
from rnnkit.models.classifier import BAG_WEIGHTINGS, LINEAR_HEADS, SUMMARIES, EnsembleClassifier, SequenceClassifier

Log = Callable[[str], None]



@dataclass
class Prepared:
    encoder: SequenceEncoder
    train: Encoded
    val: Encoded
    test: Encoded
    test_inputs: list  # raw test inputs, for the attention view and the baselines
    test_labels: list[str]
    train_inputs: list  # raw rows of the training part, and of training + validation (baselines)
    train_labels: list[str]
    fit_inputs: list
    fit_labels: list[str]
    unseen: dict[str, int]  # test labels never seen in training -> rows
    truncated: int  # texts cut to max_len (all parts)
    sources: dict[str, str]


def resolve_config(config_file: str | Path | None, overrides: dict, data_path: str | Path) -> ClassifyRunConfig:
    """The run config for `data_path`: text data gets TEXT_DEFAULTS under the file and the flags."""
    numeric = resolve_run(config_file, overrides, is_text=False)
    if _load(data_path, numeric, log=lambda _: None).is_text:  # quiet: prepare() reads it again, and says
        return resolve_run(config_file, overrides, is_text=True)
    return numeric


def check_config(cfg: ClassifyRunConfig) -> None:
    d = cfg.data
    if cfg.model.cell not in cfg.model.CELLS:
        raise RnnkitError(f"unknown model {cfg.model.cell!r}; use one of {', '.join(cfg.model.CELLS)}")
    if d.batch_size < 1:
        raise RnnkitError(f"batch_size must be >= 1, got {d.batch_size}")
    if d.monitor not in ("loss", "accuracy"):
        raise RnnkitError(f"monitor must be loss or accuracy, got {d.monitor!r}")
    if d.split not in ("stratified", "ordered"):
        raise RnnkitError(f"split must be stratified or ordered, got {d.split!r}")
    if d.tokens not in ("word", "char"):
        raise RnnkitError(f"tokens must be word or char, got {d.tokens!r}")
    if cfg.model.summary not in SUMMARIES:
        raise RnnkitError(f"summary must be one of {', '.join(SUMMARIES)}, got {cfg.model.summary!r}")
    if d.mixup < 0:
        raise RnnkitError(f"mixup must be >= 0 (0 = off), got {d.mixup}")
    if d.context < 0:
        raise RnnkitError(f"context must be >= 0, got {d.context}")
    if d.patch < 0:
        raise RnnkitError(f"--patch must be >= 0 (0 = auto), got {d.patch}")
    if d.kernels < 0:
        raise RnnkitError(f"--kernels must be >= 0 (0 = off), got {d.kernels}")
    if d.ensemble < 1:
        raise RnnkitError(f"--ensemble must be >= 1, got {d.ensemble}")
    if d.ngrams < 0:
        raise RnnkitError(f"ngrams must be >= 0 (0 = off), got {d.ngrams}")
    if d.char_ngrams < 0:
        raise RnnkitError(f"char_ngrams must be >= 0 (0 = off), got {d.char_ngrams}")
    if d.char_ngrams > 0 and d.ngrams == 0:
        raise RnnkitError("char_ngrams adds the words' characters to the texts' n-gram bag: it needs ngrams > 0")
    if not d.ngram_lr_scale > 0:
        raise RnnkitError(f"ngram_lr_scale must be > 0, got {d.ngram_lr_scale}")
    if d.ngram_weighting not in BAG_WEIGHTINGS:
        raise RnnkitError(f"ngram_weighting must be one of {', '.join(BAG_WEIGHTINGS)}, got {d.ngram_weighting!r}")
    if d.linear_heads not in LINEAR_HEADS:
        raise RnnkitError(f"linear_heads must be one of {', '.join(LINEAR_HEADS)}, got {d.linear_heads!r}")
    if d.blend not in BLENDS:
        raise RnnkitError(f"blend must be one of {', '.join(BLENDS)}, got {d.blend!r}")
    if d.blend_weights and (min(d.blend_weights) < 0 or abs(sum(d.blend_weights) - 1) > 1e-6):
        raise RnnkitError(f"blend_weights must be >= 0 and sum to 1, got {d.blend_weights}")


def prepare(cfg: ClassifyRunConfig, data_path: str | Path, test_path: str | Path | None, log: Log) -> Prepared:
    """Load, split, fit the encoder on the training part only, and encode every part."""
    data = _load(data_path, cfg, log=log)
    labels = np.array(data.labels, dtype=object)
    if "" in data.labels:
        raise RnnkitError(f"{data_path}: row {data.labels.index('') + 1} has an empty label; "
                          "label every training row or remove the unlabelled ones")
    if len(set(data.labels)) < 2:
        raise RnnkitError(f"{data_path}: the label column holds a single class ({data.labels[0]!r}); "
                          "a classifier needs two or more")
    if test_path is not None:
        test = _load(test_path, cfg, data.features, log)
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
        most = max(np.unique(labels[fit_rows].astype(str), return_counts=True)[1])
        raise RnnkitError(f"{data_path}: too few rows ({len(fit_rows)}) to carve a validation part: the stratified "
                          f"split takes it from classes of 2 or more examples, and the largest class has {most}; "
                          "add data")
    train, val = _subset(data, fit_rows[keep]), _subset(data, fit_rows[carve])
    encoder = SequenceEncoder.fit(train.inputs, train.labels, data.is_text, cfg.data, data.features)
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
    if test_path is not None:  # a carved test part comes from the training file's own lengths
        warn_mismatch(test.inputs, None, encoder, _name(test_path), log)
    return Prepared(encoder, *parts, test.inputs, test.labels, train.inputs, train.labels,
                    train.inputs + val.inputs, train.labels + val.labels, unseen, truncated,
                    {"train": _name(data_path), "test": _name(test_path) if test_path is not None else "carved from train"})


def _load(source: str | Path | Labelled, cfg: ClassifyRunConfig, features: list[str] | None = None,
          log: Log = progress) -> Labelled:
    """A file, or labelled sequences already in memory (cross-validation folds in bench/).
    `features`: a long table's value columns by name (a --test file is read with the training file's)."""
    return source if isinstance(source, Labelled) else load(source, cfg.data, features=features, log=log)


def _name(source: str | Path | Labelled) -> str:
    return source.source if isinstance(source, Labelled) else str(source)


def _codes(labels: np.ndarray) -> np.ndarray:
    return np.unique(labels.astype(str), return_inverse=True)[1]


def _subset(data: Labelled, rows: np.ndarray) -> Labelled:
    return Labelled([data.inputs[i] for i in rows], [data.labels[i] for i in rows], data.is_text, data.source)


def build_model(cfg: ClassifyRunConfig, encoder: SequenceEncoder) -> SequenceClassifier:
    try:
        return _build_model(cfg, encoder)
    except ValueError as e:  # a setting the model refuses (e.g. blend_weights for other heads): one line
        raise RnnkitError(str(e)) from None


def _build_model(cfg: ClassifyRunConfig, encoder: SequenceEncoder) -> SequenceClassifier:
    m = cfg.model
    return SequenceClassifier(
        m.cell, len(encoder.classes), input_size=0 if encoder.is_text else encoder.input_size,
        vocab_size=encoder.input_size if encoder.is_text else None, hidden=m.hidden, layers=m.layers,
        dropout=m.dropout, embed_dim=m.embed_dim, layer_norm=m.layer_norm, summary=m.summary,
        kernels=0 if encoder.is_text else cfg.data.kernels, ngrams=cfg.data.ngrams if encoder.is_text else 0,
        bag_lr_scale=cfg.data.ngram_lr_scale, bag_weighting=cfg.data.ngram_weighting,
        linear_heads=cfg.data.linear_heads, head_weights=cfg.data.blend_weights or None,
        char_ngrams=cfg.data.char_ngrams if encoder.is_text else 0, char_table=_char_table(cfg, encoder),
        unpatch=(encoder.patch, encoder.context, max(encoder.n_features, 1)), series_len=encoder.length,
    )


def _char_table(cfg: ClassifyRunConfig, encoder: SequenceEncoder) -> torch.Tensor | None:
    """The bag's character n-grams of each vocabulary token (texts with char_ngrams and the bag)."""
    if not (encoder.is_text and cfg.data.char_ngrams > 0 and cfg.data.ngrams > 0):
        return None
    return torch.from_numpy(char_gram_table(encoder.vocab, cfg.data.char_ngrams))


def train(cfg: ClassifyRunConfig, data_path: str | Path, test_path: str | Path | None, out: str | Path,
          resume: bool = False, log: Log = progress, on_eval: Callable[[int, dict], bool] | None = None,
          score_test: bool = True) -> dict:
    """Train into run folder `out`; returns the report (also written to out/report.json and
    out/report.md). `on_eval` goes to `fit()`; `score_test=False` (hyper-parameter search) never
    scores the test part and returns {"training": fit summary} of the selection run (no refit).

    With `data.refit` (the default) training runs twice. The selection run (out/select/) trains on
    the training part and fixes the number of epochs E: with early stopping (`train.patience`, the
    text default) the epochs up to its best validation figure, without it (the numeric default)
    its whole budget. Early stopping is not used when the validation part holds fewer than
    `data.min_val_stopping` sequences (its accuracy moves in steps of 1/n): the budget rule applies and
    the report says so. The refit run (out/) then trains a fresh model, same seed and schedule
    shape, on training + validation for E epochs, and its final weights are out/best.pt. The
    report's validation figures are the selection run's model at epoch E.

    With `data.ensemble` N > 1, members 1..N-1 train the same way (seeds seed+1, ...) into
    out/members/<i>/ on the same parts; out/ensemble.json lists them and every figure of the
    report is the members' averaged probabilities."""
    from rnnkit.train.distributed import is_distributed

    check_config(cfg)
    out = Path(out)
    if cfg.data.ensemble > 1 and is_distributed():
        raise RnnkitError("--ensemble trains its members one after another; run it without DDP (--nproc)")
    refit = cfg.data.refit and score_test
    if not resume:  # before the (possibly slow) data preparation
        check_no_run(out, ("last.pt", "select/last.pt") if refit else ("last.pt",))
    torch.manual_seed(cfg.train.seed)
    prep = prepare(cfg, data_path, test_path, log)  # (TEXT_DEFAULTS change nothing it reads)
    if prep.encoder.is_text and (texts := with_text_defaults(cfg)) is not None:
        log("texts: " + ", ".join(k for keys in TEXT_DEFAULTS.values() for k in keys) + " all hold the numeric "
            "defaults (a config not built by resolve_config): training with the text defaults, as `classify train` "
            "does")
        cfg = texts
    cfg, rule = epoch_rule(cfg, len(prep.val), log)
    task = _task(cfg, prep.train, prep)
    if cfg.train.eval_every == 0:  # once per epoch; the resolved value goes into config.json
        cfg = replace(cfg, train=replace(cfg.train, eval_every=task.batches_per_epoch()))
    members = []
    for i in range(cfg.data.ensemble if score_test else 1):
        member_cfg = cfg if i == 0 else replace(cfg, train=replace(cfg.train, seed=cfg.train.seed + i))
        if i > 0:
            log(f"ensemble member {i + 1}/{cfg.data.ensemble} (seed {member_cfg.train.seed}) -> {out}/members/{i}")
        member_dir = out if i == 0 else out / "members" / str(i)
        started = any((member_dir / d / "last.pt").exists() for d in (".", "select"))
        done = _train_member(member_cfg, prep, member_dir, resume and (i == 0 or started), log,
                             on_eval if i == 0 else None, score_test)
        if isinstance(done, dict):  # interrupted, NaN loss, or no test scoring: fit() has said why
            return done
        members.append(done)
    final_cfg = members[0][3]
    if len(members) == 1:
        model, selected = members[0][0], members[0][1]
    else:
        model = EnsembleClassifier([m[0] for m in members])
        selected = EnsembleClassifier([m[1] for m in members]) if refit else None
        write_text(out / "ensemble.json", json.dumps(
            {"members": ["."] + [f"members/{i}" for i in range(1, len(members))],
             "seeds": [cfg.train.seed + i for i in range(len(members))]}, indent=2) + "\n")
    final, selection = members[0][2], members[0][4]
    report = write_report(model, prep, final_cfg, out, final, selected, selection, rule, len(members))
    t = report["test"]
    log(f"test accuracy {t['accuracy']:.4f}  macro-F1 {t['macro_f1']:.4f}  ({t['n']} sequences); "
        f"the model {report['verdict']} -> {out}/report.md")
    return report


def epoch_rule(cfg: ClassifyRunConfig, n_val: int, log: Log) -> tuple[ClassifyRunConfig, str]:
    """(config, sentence for the report): early stopping only when the validation part is large
    enough for its figure to mean something; otherwise the fixed budget."""
    default = ClassifyRunConfig().train.max_epochs
    budget = f"fixed budget of {cfg.train.max_epochs} epochs " + (
        "(a default chosen by cross-validation in bench/)" if cfg.train.max_epochs == default
        else f"(the budget given, by --max-epochs or the config file; the default is {default})")
    if cfg.train.patience is None:
        return cfg, budget
    small = cfg.data.min_val_stopping
    if n_val < small:
        log(f"early stopping off: the validation part holds {n_val} sequences (< min_val_stopping = {small}), too few "
            f"to choose epochs on; training the whole budget of {cfg.train.max_epochs} epochs")
        return replace(cfg, train=replace(cfg.train, patience=None)), (
            budget.replace(" (", f" (early stopping off: {n_val} validation sequences < min_val_stopping = {small}; "))
    return cfg, (f"early stopping on validation {cfg.data.monitor} (patience {cfg.train.patience} evaluations, "
                 f"{n_val} validation sequences) chose the epochs")


def _train_member(cfg: ClassifyRunConfig, prep: Prepared, out: Path, resume: bool, log: Log,
                  on_eval: Callable[[int, dict], bool] | None, score_test: bool):
    """One model: selection run, then (with refit) the refit. Returns a dict to hand back at once
    (stopped early, or no test scoring), else (model, selection model or None, final summary,
    final config, selection summary or None)."""
    from rnnkit.train import fit, load_checkpoint
    from rnnkit.train.checkpoint import resolve_checkpoint
    from rnnkit.train.distributed import NotMainRank

    refit = cfg.data.refit and score_test
    select_dir = out / "select" if refit else out
    task = _task(cfg, prep.train, prep)
    extra = {"encoder": prep.encoder.state()}
    not_main = None
    torch.manual_seed(cfg.train.seed)
    try:  # a resumed run whose budget is already spent returns at once
        selection = fit(_fitted(cfg, prep, prep.train, log), task, cfg.train, select_dir, kind="classify",
                        config=to_dict(cfg), architecture=to_dict(cfg)["model"], extra=extra,
                        data_fingerprint=_fingerprint(prep), resume=resume, log=log, on_eval=on_eval).summary
    except NotMainRank as e:  # another DDP rank: take part in the refit too, then stop
        if not refit:
            raise
        not_main, selection = e, json.loads((select_dir / "summary.json").read_text())
    if not score_test or selection["stopped"] in ("interrupted", "nan_loss"):
        return {"training": selection}
    select_ckpt = selection_checkpoint(cfg, select_dir)  # before the refit config replaces cfg
    select_cfg = cfg
    if cfg.data.blend == "val" and not_main is None:  # with the model the final one repeats (refit) or is
        cfg = _blend(cfg, prep, select_ckpt if refit else resolve_checkpoint(out), log)
    if refit:
        final, cfg = _refit(cfg, prep, task, selection, out, extra, resume, log)
        if not_main is not None:
            raise not_main
        if final["stopped"] == "interrupted":
            return {"training": final}
    else:
        final = selection
        if cfg.data.blend_weights:  # the checkpoint predict reads carries the weights too
            _write_blend(resolve_checkpoint(out), cfg.data.blend_weights)
    model = build_model(cfg, prep.encoder)
    model.load_state_dict(load_checkpoint(out, kind="classify")["model"])
    selected = None
    if refit:
        selected = build_model(select_cfg, prep.encoder)
        selected.load_state_dict(load_checkpoint(select_ckpt, kind="classify")["model"])
        selection = {**selection, "checkpoint": f"select/{select_ckpt.name}"}
    return model.eval(), selected, final, cfg, selection if refit else None


def _fitted(cfg: ClassifyRunConfig, prep: Prepared, part: Encoded, log: Log = progress) -> SequenceClassifier:
    """A fresh model whose random-feature scaler and bag idf (if any) are fit on the part it will
    train on, and with `data.linear_heads` fit | fit_train, the heads over them too."""
    model = build_model(cfg, prep.encoder)
    model.fit_features(part.x, part.lengths)
    if cfg.data.linear_heads != "train" and model.fixed_feature_heads():
        chosen = fit_linear_heads(model, part.x, part.lengths, part.y, len(prep.encoder.classes))
        then = "frozen" if cfg.data.linear_heads == "fit" else "training starts there"
        log(f"linear heads: logistic regression on {len(part)} sequences, "
            + ", ".join(f"{head} C = {c:g}" for head, c in chosen.items()) + f" (3-fold CV); {then}")
    return model


def _blend(cfg: ClassifyRunConfig, prep: Prepared, checkpoint: Path, log: Log) -> ClassifyRunConfig:
    """`cfg` with the head weights (data.blend_weights) chosen on the validation part by the model
    in `checkpoint`, trained without it."""
    from rnnkit.train import load_checkpoint

    model = build_model(replace(cfg, data=replace(cfg.data, blend_weights=[])), prep.encoder)
    model.load_state_dict(load_checkpoint(checkpoint, kind="classify")["model"])
    weights, how = choose_blend(model, prep.val, cfg.data.min_val_stopping)
    log(f"head weights: {how}")
    return replace(cfg, data=replace(cfg.data, blend_weights=weights))


def _write_blend(checkpoint: Path, weights: list[float]) -> None:
    """Record the chosen head weights in a finished run's checkpoint (atomically, as every save)."""
    from rnnkit.train import load_checkpoint
    from rnnkit.train.checkpoint import save_checkpoint

    ckpt = load_checkpoint(checkpoint, kind="classify")
    ckpt["config"]["data"]["blend_weights"] = weights
    save_checkpoint(checkpoint, ckpt)


def _task(cfg: ClassifyRunConfig, part: Encoded, prep: Prepared) -> ClassifyTask:
    weights = _class_weights(part.y, len(prep.encoder.classes)) if cfg.data.class_weights else None
    return ClassifyTask(part, prep.val, cfg.data.batch_size, cfg.train.seed, cfg.data.monitor, weights,
                        cfg.data.jitter, cfg.data.mixup)


def _refit(cfg: ClassifyRunConfig, prep: Prepared, task: ClassifyTask, selection: dict, out: Path,
           extra: dict, resume: bool, log: Log) -> tuple[dict, ClassifyRunConfig]:
    """Train a fresh model on training + validation for the epochs the selection run chose; its final
    weights become out/best.pt. Returns (fit summary, the refit run's config)."""
    from rnnkit.train import fit
    from rnnkit.train.checkpoint import read_run_config
    from rnnkit.train.refit import keep_last, refit_epochs

    epochs = refit_epochs(cfg.train.patience is not None, selection, task.batches_per_epoch())  # selection_checkpoint's rule
    chose = "early stopping on the validation part chose" if cfg.train.patience is not None else "the budget is"
    full = prep.train.concat(prep.val)
    refit_task = _task(cfg, full, prep)
    cfg = replace(cfg, train=replace(cfg.train, max_epochs=epochs, max_steps=None, max_minutes=None,
                                     patience=None, eval_every=refit_task.batches_per_epoch()))
    resume = resume and (out / "last.pt").exists()
    if resume and read_run_config(out)["train"]["max_epochs"] != epochs:
        log(f"refit: the resumed selection run now chooses {epochs} epoch(s); the refit starts again")
        for name in ("last.pt", "best.pt", "summary.json", "metrics.jsonl"):
            (out / name).unlink(missing_ok=True)
        resume = False
    if not resume:
        log(f"refit: {chose} {epochs} epoch(s); training a fresh model on training + validation "
            f"({len(full)} sequences) for {epochs} epoch(s). Validation figures from here on are not held "
            "out; the report's are the selection run's (select/).")
    torch.manual_seed(cfg.train.seed)
    result = fit(_fitted(cfg, prep, full, log), refit_task, cfg.train, out, kind="classify",
                 config=to_dict(cfg), architecture=to_dict(cfg)["model"], extra=extra,
                 data_fingerprint=_fingerprint(prep), resume=resume, log=log)
    if result.stopped != "interrupted":  # the final weights, not the "best" on data it trained on
        keep_last(out, "classify")
    return result.summary, cfg


def _fingerprint(prep: Prepared) -> str:
    """What the runs train on (the encoded training and validation parts), for `--resume`."""
    from rnnkit.train.fingerprint import data_fingerprint

    return data_fingerprint(prep.encoder.state(), prep.train, prep.val)


def selection_checkpoint(cfg: ClassifyRunConfig, select_dir: Path) -> Path:
    """The selection run's model that the refit model repeats on more data: best.pt when early
    stopping chose the epochs, last.pt when the budget did."""
    return select_dir / ("best.pt" if cfg.train.patience is not None else "last.pt")


def _class_weights(y: torch.Tensor, n_classes: int) -> torch.Tensor:
    counts = torch.bincount(y, minlength=n_classes).float().clamp(min=1)
    return len(y) / (n_classes * counts)  # "balanced": each class contributes equally
