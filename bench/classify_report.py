"""Classification defaults, step 2 of 2 (report): the FROZEN default configuration (the shipped
dataclass defaults, TEXT_DEFAULTS for texts; nothing chosen here) trains on each set's training
part and is scored once on its test part, for each seed. Baselines (majority class, 1-NN
Euclidean, 1-NN DTW when affordable; TF-IDF + logistic regression for texts) are fit on the same
training rows and scored on the same test part. The choice itself was made by
bench/classify_select.py on the training rows only.

    nice -n 10 .venv/bin/python bench/classify_report.py --seeds 0 1 2
    .venv/bin/python bench/classify_report.py --table          # the table from the JSON lines

Results: bench/results/classify_report.jsonl (one line per set x seed, with the git commit).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import classify_sets as sets  # bench/classify_sets.py
from rnnkit.classify import report as report_module
from rnnkit.classify.estimator import resolve_config, train
from rnnkit.classify.inference import load_run
from rnnkit.classify.task import Encoded, predict_proba

OUT = sets.RESULTS / "classify_report.jsonl"
INCEPTION_MEAN_18 = 0.915  # InceptionTime (Fawaz et al. 2020) over the 18 UCR sets, from issue 10


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=sets.ROOT).stdout.strip()
    except OSError:
        return "unknown"


def _cached_baselines():
    """Baselines depend on the set, not the seed (their fit rows differ only by which rows were
    carved for validation: all rows are used after the refit): computed once per set."""
    real, cache = report_module.score_baselines, {}

    def cached(train_inputs, train_y, test_inputs, test_y, is_text):
        key = (len(train_inputs), len(test_inputs), is_text, int(np.asarray(test_y).sum()))
        if key not in cache:
            cache[key] = real(train_inputs, train_y, test_inputs, test_y, is_text)
        return cache[key]

    report_module.score_baselines = cached


def report_set(name: str, seeds: list[int], commit: str, overrides: dict) -> list[dict]:
    train_rows, test_rows = sets.train_part(name), sets.test_part(name)
    rows, probs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            sections = {"model": {}, "train": {"seed": seed, "threads": 1}, "data": sets.data_overrides(name)}
            for section, values in overrides.items():
                sections.setdefault(section, {}).update(values)
            cfg = resolve_config(None, sections, train_rows)
            run = Path(tmp) / f"seed{seed}"
            c0, t0 = time.process_time(), time.perf_counter()
            rep = train(cfg, train_rows, test_rows, run, log=lambda _m: None)
            row = {"step": "report", "set": name, "seed": seed, "accuracy": rep["test"]["accuracy"],
                   "macro_f1": rep["test"]["macro_f1"], "n_test": rep["test"]["n"],
                   "baselines": {b["name"]: b["accuracy"] for b in rep["baselines"] if "accuracy" in b},
                   "verdict": rep["verdict"], "epoch_rule": rep["epoch_rule"], "overrides": overrides,
                   "head_weights": rep["encoding"].get("head_weights"),
                   "cpu_s": round(time.process_time() - c0, 1), "wall_s": round(time.perf_counter() - t0, 1),
                   "commit": commit, "date": time.strftime("%Y-%m-%d")}
            if "spam" in rep["test"]["per_class"]:
                row["spam_f1"] = rep["test"]["per_class"]["spam"]["f1"]
            model, enc, _ = load_run(run)
            x, lengths, _ = enc.encode(test_rows.inputs)
            probs.append(predict_proba(model, Encoded(x, lengths, torch.zeros(len(x), dtype=torch.int64)))[0])
            rows.append(row)
            print(f"{name:28s} seed {seed}  acc {row['accuracy']:.4f}  {row['verdict']}  {row['cpu_s']}s cpu",
                  file=sys.stderr, flush=True)
    if len(probs) > 1:  # for information only: the seeds' models averaged (what --ensemble N would do)
        y, _ = enc.encode_labels(test_rows.labels)
        for row in rows:
            row["seeds_averaged_accuracy"] = float((np.mean(probs, 0).argmax(1) == y).mean())
    for row in rows:
        _append(row)
    return rows


def _append(row: dict) -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("a") as f:
        f.write(json.dumps(row) + "\n")


def table(rows: list[dict], tag: str | None = None) -> str:
    rows = list({(r["set"], r["seed"]): r for r in rows if tag is None or r.get("tag") == tag}.values())
    head = ("| set | test n | model (median of seeds) | min-max | seeds averaged | majority | 1-NN ED | 1-NN DTW | "
            "TF-IDF+LR | verdict vs best baseline | CPU s/run |")
    lines = [head, "|" + "---|" * 11]
    ucr, ed, wins = [], [], 0
    for name in sets.UCR + ["JapaneseVowels"] + sets.TEXT:
        rs = [r for r in rows if r["set"] == name]
        if not rs:
            continue
        acc = [r["accuracy"] for r in rs]
        b = rs[0]["baselines"]
        dtw = next((v for k, v in b.items() if k.startswith("1-NN DTW")), None)
        ed_v = b.get("1-NN Euclidean")
        text = next((v for k, v in b.items() if k.startswith("TF-IDF")), None)
        best = max(v for v in b.values())
        med = statistics.median(acc)
        word = "beats" if med > best + 1e-9 else "ties" if abs(med - best) < 1e-9 else "does not beat"
        if name in sets.UCR:
            ucr.append(med)
            ed.append(ed_v)
            wins += med >= ed_v - 1e-9
        f = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
        lines.append(f"| {name} | {rs[0]['n_test']} | **{med:.3f}** | {min(acc):.3f}-{max(acc):.3f} | "
                     f"{f(rs[0].get('seeds_averaged_accuracy'))} | {f(b.get('majority class'))} | {f(ed_v)} | "
                     f"{f(dtw)} | {f(text)} | {word} | {statistics.median(r['cpu_s'] for r in rs):.0f} |")
    out = "\n".join(lines)
    if ucr:
        out += (f"\n\nUCR sets scored: {len(ucr)}/18; mean test accuracy of the default {statistics.mean(ucr):.3f} "
                f"(1-NN Euclidean {statistics.mean(ed):.3f}; InceptionTime's published mean over all 18: "
                f"{INCEPTION_MEAN_18}); at or above 1-NN Euclidean on {wins}/{len(ucr)} sets.\n"
                f"CPU for these runs: {sum(r['cpu_s'] for r in rows) / 60:.1f} min.\n")
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sets", nargs="+", default=sets.BY_SIZE + sets.TEXT)
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--table", action="store_true")
    args = p.parse_args()
    if args.table:
        print(table([json.loads(line) for line in OUT.read_text().splitlines()]))
        return
    torch.set_num_threads(1)
    _cached_baselines()
    commit, rows = _commit(), []
    for name in args.sets:
        rows += report_set(name, args.seeds, commit, {})
    print(table(rows))


if __name__ == "__main__":
    main()
