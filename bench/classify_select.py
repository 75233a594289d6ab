"""Classification defaults, step 1 of 2 (select): stratified k-fold cross-validation on the
TRAINING rows of every development set. No test file is ever opened here (bench/classify_sets.py
`train_part`); bench/classify_report.py scores the frozen choice on the test parts, once.

    nice -n 10 .venv/bin/python bench/classify_select.py numeric      # candidates x 19 sets x 3 folds
    nice -n 10 .venv/bin/python bench/classify_select.py text         # stopping rules on SMS + FineFoods
    .venv/bin/python bench/classify_select.py numeric --table         # the table from the JSON lines

numeric: every candidate trains with --no-refit inside each fold (the fold's own 20% validation
part, the encoder fit on the fold's training rows) and is scored on the held fold; the mean CV
accuracy over all sets picks the default.
text: one run per fold trains the whole budget without early stopping and logs, at every epoch,
the validation figures (the fold's own validation part) and the held fold's accuracy. Each
stopping rule (signal x patience) is then replayed on those curves: the epoch it would have kept,
and the held-fold accuracy at that epoch. The rule with the best mean over both sets is the default.
Results: bench/results/classify_select.jsonl (one line per set x candidate x fold).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import classify_sets as sets  # bench/classify_sets.py
from rnnkit.classify import estimator, report
from rnnkit.classify.cv import stratified_folds
from rnnkit.classify.estimator import resolve_config, train
from rnnkit.classify.task import ClassifyTask, predict_proba

OUT = sets.RESULTS / "classify_select.jsonl"
FOLDS = {"numeric": 2, "text": 2}  # 2 folds: the CPU budget of issue 10 (60 CPU-minutes for every step)
CANDIDATES = {  # numeric: name -> config overrides on top of the shipped dataclass defaults
    "v3": {},
    "rocket500": {"data": {"kernels": 500}},
    "rocket2000": {"data": {"kernels": 2000}},
    "ens3": {"data": {"kernels": 500, "ensemble": 3}},  # the shipped default (rocket500), 3 members averaged
    # step 1h: the random-feature head fit by logistic regression (C by inner CV), frozen | then trained
    "rocket500_fit": {"data": {"kernels": 500, "linear_heads": "fit"}},
    "rocket500_fit_train": {"data": {"kernels": 500, "linear_heads": "fit_train"}},
    "rocket2000_fit_train": {"data": {"kernels": 2000, "linear_heads": "fit_train"}},  # more kernels, now fitted
    # step 1i: parts of v3 that were chosen on test figures (classify.md), asked again by CV on top of step 1h
    "fit_train_mixup0": {"data": {"linear_heads": "fit_train", "mixup": 0.0}},
    "fit_train_context0": {"data": {"linear_heads": "fit_train", "context": 0}},
    "fit_train_steps48": {"data": {"linear_heads": "fit_train", "max_steps": 48}},
    "fit_train_hidden128": {"data": {"linear_heads": "fit_train"}, "model": {"hidden": 128}},
    "fit_train_lr1e-3": {"data": {"linear_heads": "fit_train"}, "train": {"lr": 1e-3}},
    "fit_train_epochs75": {"data": {"linear_heads": "fit_train"}, "train": {"max_epochs": 75}},
    "fit_train_final": {"data": {"linear_heads": "fit_train"}, "model": {"summary": "final"}},
    "fit_train_pooled": {"data": {"linear_heads": "fit_train"}, "model": {"summary": "pooled"}},
    # step 1j: the heads weighed by validation log-loss instead of equally (on top of the step 1i default)
    "default_1j": {},  # the shipped default rerun on today's code, the pair of blend_val
    "blend_val": {"data": {"blend": "val"}},
}
TEXT_CANDIDATES = {  # texts (`text-heads`): the shipped text defaults, with and without the n-gram bag head
    "text_rnn": {"data": {"ngrams": 0}},
    "text_ngrams": {"data": {"ngrams": 131072}},
    "text_ngrams_lr10": {"data": {"ngrams": 131072, "ngram_lr_scale": 10.0}},
    "text_tfidf": {"data": {"ngrams": 131072, "ngram_lr_scale": 1.0, "ngram_weighting": "tfidf"}},
    "text_tfidf_lr10": {"data": {"ngrams": 131072, "ngram_lr_scale": 10.0, "ngram_weighting": "tfidf"}},
    "text_tfidf_lr10_ens3": {"data": {"ngrams": 131072, "ngram_lr_scale": 10.0, "ngram_weighting": "tfidf",
                                      "ensemble": 3}},
    # step 1e, on top of text_tfidf_lr10 (the text defaults since step 1d)
    "text_pooled": {"model": {"summary": "pooled"}},  # the bag beside one recurrent head, not two
    "text_len400": {"data": {"max_len": 400}},  # 5% of the reviews are longer than 200 tokens
    "text_drop05": {"model": {"dropout": 0.5}},
    # step 1g: four times the pair buckets (fewer hashing collisions; the TF-IDF baseline has none)
    "text_buckets4x": {"data": {"ngrams": 524288}},
    # step 1h: the bag head fit by logistic regression on the training part (C by inner CV), frozen | then trained
    "text_bag_fit": {"data": {"linear_heads": "fit"}},
    "text_bag_fit_train": {"data": {"linear_heads": "fit_train"}},
    # step 1j: the heads weighed by validation log-loss (blend = val) instead of equally
    "text_default_1j": {},  # the shipped text default rerun on today's code, the pair of text_blend_val
    "text_blend_val": {"data": {"blend": "val"}},
    # step 1k, on top of the step 1j default (blend = val): the words' characters in the bag
    "text_chars": {"data": {"char_ngrams": 262144}},
}
TEXT_EPOCHS = 20
RULES = [(signal, patience) for signal in ("loss", "accuracy") for patience in (3, 5, 10)]


def folds_of(name: str, k: int, seed: int = 0):
    """(training rows, [(fold fit part, held fold)]): cut from `train_part` only."""
    data = sets.train_part(name)
    codes = np.unique(np.array(data.labels), return_inverse=True)[1]
    return data, [(sets.subset(data, fit, f"fold {i} fit"), sets.subset(data, held, f"fold {i} held"))
                  for i, (fit, held) in enumerate(stratified_folds(codes, k, seed))]


def _config(name: str, overrides: dict, seed: int, data):
    sections = {"model": {}, "train": {"seed": seed, "threads": 1}, "data": sets.data_overrides(name)}
    for section, values in overrides.items():
        sections.setdefault(section, {}).update(values)
    return resolve_config(None, sections, data)


def select_numeric(names: list[str], candidates: list[str], table: dict = CANDIDATES) -> list[dict]:
    report.score_baselines = lambda *a, **k: []  # CV scores the model only; baselines come in the report step
    rows = []
    done = {(r["set"], r["candidate"], r["fold"]) for r in _rows()}  # a restarted run skips what it has
    for name in names:
        _, folds = folds_of(name, FOLDS["numeric"])
        for cand in candidates:
            for i, (fit, held) in enumerate(folds):
                if (name, cand, i) in done:
                    rows += [r for r in _rows() if (r["set"], r["candidate"], r["fold"]) == (name, cand, i)]
                    continue
                cfg = _config(name, {**table[cand], "data": {**table[cand].get("data", {}), "refit": False}},
                              0, fit)
                c0 = time.process_time()
                with tempfile.TemporaryDirectory() as tmp:
                    rep = train(cfg, fit, held, Path(tmp) / "run", log=lambda _m: None)
                row = {"step": "select", "set": name, "candidate": cand, "fold": i,
                       "cv_accuracy": rep["test"]["accuracy"], "n_held": rep["test"]["n"],
                       "cpu_s": round(time.process_time() - c0, 1), "date": time.strftime("%Y-%m-%d")}
                _append(row)
                rows.append(row)
                print(f"{name:28s} {cand:12s} fold {i}  cv acc {row['cv_accuracy']:.4f}  {row['cpu_s']}s",
                      file=sys.stderr, flush=True)
    return rows


class _Watched(ClassifyTask):
    """The fold run's task, which also scores the held fold at every evaluation (bench only)."""

    held = None

    def evaluate(self, model, device):
        out = super().evaluate(model, device)
        probs, _ = predict_proba(model, self.held, device)
        out["held_accuracy"] = float((probs.argmax(1) == self.held.y.numpy()).mean())
        return out


def select_text(names: list[str]) -> list[dict]:
    rows = []
    original = estimator._task
    for name in names:
        _, folds = folds_of(name, FOLDS["text"])
        for i, (fit, held) in enumerate(folds):
            cfg = _config(name, {"train": {"max_epochs": TEXT_EPOCHS, "patience": None}, "data": {"refit": False}},
                          0, fit)

            def task(cfg_, part, prep):
                t = original(cfg_, part, prep)
                t.__class__, t.held = _Watched, prep.test
                return t

            estimator._task = task
            c0 = time.process_time()
            with tempfile.TemporaryDirectory() as tmp:
                train(cfg, fit, held, Path(tmp) / "run", log=lambda _m: None, score_test=False)
                curve = [json.loads(line) for line in (Path(tmp) / "run" / "metrics.jsonl").read_text().splitlines()]
            estimator._task = original
            curve = [r for r in curve if "held_accuracy" in r]
            row = {"step": "select", "set": name, "candidate": "curve", "fold": i, "curve": [
                {k: r[k] for k in ("step", "val_loss", "val_accuracy", "held_accuracy")} for r in curve],
                "cpu_s": round(time.process_time() - c0, 1), "date": time.strftime("%Y-%m-%d")}
            _append(row)
            rows.append(row)
            print(f"{name} fold {i}: {len(curve)} epochs, {row['cpu_s']}s", file=sys.stderr, flush=True)
    return rows


def replay(curve: list[dict], signal: str, patience: int) -> int:
    """The index of the evaluation a stopping rule keeps (best signal before `patience` evaluations
    without improvement)."""
    key = (lambda r: r["val_loss"]) if signal == "loss" else (lambda r: -r["val_accuracy"])
    best, since = 0, 0
    for j in range(1, len(curve)):
        if key(curve[j]) < key(curve[best]):
            best, since = j, 0
        else:
            since += 1
            if since >= patience:
                break
    return best


def _rows() -> list[dict]:
    return [json.loads(line) for line in OUT.read_text().splitlines()] if OUT.exists() else []


def _append(row: dict) -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("a") as f:
        f.write(json.dumps(row) + "\n")


def numeric_table(rows: list[dict], candidates: list[str] = list(CANDIDATES), names: list[str] = sets.NUMERIC) -> str:
    """CV accuracy per set and candidate (pooled over the folds), and the mean."""
    rows = list({(r["set"], r["candidate"], r["fold"]): r for r in rows if "cv_accuracy" in r}.values())
    cands = [c for c in candidates if any(r["candidate"] == c for r in rows)]
    k = FOLDS["numeric"]  # a set counts only when every candidate has all its folds (a fair mean)
    complete = {n for n in names if all(sum(r["set"] == n and r["candidate"] == c for r in rows) == k
                                        for c in cands)}
    rows = [r for r in rows if r["set"] in complete]
    lines = ["| set | " + " | ".join(cands) + " |", "|---|" + "---|" * len(cands)]
    means = {c: [] for c in cands}
    for name in names:
        cells = []
        for c in cands:
            rs = [r for r in rows if r["set"] == name and r["candidate"] == c]
            if not rs:
                cells.append("-")
                continue
            acc = sum(r["cv_accuracy"] * r["n_held"] for r in rs) / sum(r["n_held"] for r in rs)
            means[c].append(acc)
            cells.append(f"{acc:.3f}")
        if any(x != "-" for x in cells):
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("| **mean** | " + " | ".join(f"**{statistics.mean(means[c]):.3f}** ({len(means[c])} sets)"
                                             if means[c] else "-" for c in cands) + " |")
    cpu = sum(r["cpu_s"] for r in rows)
    return "\n".join(lines) + f"\n\nCV CPU time: {cpu / 60:.1f} min\n"


def text_table(rows: list[dict]) -> str:
    rows = [r for r in rows if r.get("candidate") == "curve"]
    lines = ["| rule | " + " | ".join(sets.TEXT) + " | mean | mean epochs kept |", "|---|---|---|---|---|"]
    for signal, patience in RULES:
        per_set, epochs = [], []
        for name in sets.TEXT:
            rs = [r for r in rows if r["set"] == name]
            if not rs:
                per_set.append(float("nan"))
                continue
            picks = [replay(r["curve"], signal, patience) for r in rs]
            per_set.append(statistics.mean(r["curve"][j]["held_accuracy"] for r, j in zip(rs, picks)))
            epochs += [j + 1 for j in picks]
        lines.append(f"| {signal}, patience {patience} | " + " | ".join(f"{a:.4f}" for a in per_set) +
                     f" | {statistics.mean(per_set):.4f} | {statistics.mean(epochs) if epochs else 0:.1f} |")
    best = [max(r["curve"], key=lambda c: c["held_accuracy"])["held_accuracy"] for r in rows]
    lines.append(f"\n(best epoch in hindsight, for scale: {statistics.mean(best):.4f} mean over folds)")
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=["numeric", "text", "text-heads"],
                   help="numeric candidates; text stopping rules (CV curves); text-heads: TEXT_CANDIDATES")
    p.add_argument("--sets", nargs="+")
    p.add_argument("--candidates", nargs="+", choices=[*CANDIDATES, *TEXT_CANDIDATES])
    p.add_argument("--table", action="store_true", help="only print the table from the results file")
    args = p.parse_args()
    if args.table:
        rows = [json.loads(line) for line in OUT.read_text().splitlines()]
        print(numeric_table(rows, args.candidates or list(CANDIDATES)) if args.kind == "numeric" else
              text_table(rows) if args.kind == "text" else
              numeric_table(rows, args.candidates or list(TEXT_CANDIDATES), sets.TEXT))
        return
    torch.set_num_threads(1)
    if args.kind == "numeric":
        print(numeric_table(select_numeric(args.sets or sets.BY_SIZE, args.candidates or list(CANDIDATES))))
    elif args.kind == "text-heads":
        rows = select_numeric(args.sets or sets.TEXT, args.candidates or list(TEXT_CANDIDATES), TEXT_CANDIDATES)
        print(numeric_table(rows, list(TEXT_CANDIDATES), sets.TEXT))
    else:
        print(text_table(select_text(args.sets or sets.TEXT)))


if __name__ == "__main__":
    main()
