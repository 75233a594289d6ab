"""Classification benchmark: every model kind x 5 seeds on the archive's own splits.

    .venv/bin/python bench/classify_bench.py                      # all sets, all kinds, seeds 0-4
    .venv/bin/python bench/classify_bench.py --sets GunPoint --kinds attention --seeds 0 1 \\
        --set data.patch=1 --tag nopatch                          # a sweep variant

Each run trains with the default config (plus --set overrides) into a temporary folder and
appends one JSON line to bench/results/classify_runs.jsonl; the medians are printed as a table.
Data: $RNNKIT_DATA_DIR or ../shared/data (ucr/, textcls/). Not a test: takes minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from rnnkit.classify.config import MODEL_KINDS
from rnnkit.classify.estimator import resolve_config, train

from overrides import parse_set  # bench/overrides.py

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("RNNKIT_DATA_DIR") or ROOT.parent / "shared" / "data")
RESULTS = ROOT / "bench" / "results" / "classify_runs.jsonl"

# name -> (train file, test file or None, data overrides)
SETS = {
    "GunPoint": ("ucr/GunPoint_TRAIN.tsv", "ucr/GunPoint_TEST.tsv", {}),
    "ECG200": ("ucr/ECG200_TRAIN.tsv", "ucr/ECG200_TEST.tsv", {}),
    "ItalyPowerDemand": ("ucr/ItalyPowerDemand_TRAIN.tsv", "ucr/ItalyPowerDemand_TEST.tsv", {}),
    "JapaneseVowels": ("ucr/JapaneseVowels_TRAIN.ts", "ucr/JapaneseVowels_TEST.ts", {}),
    # the DocEng'11 split: first 30% of lines train, last 70% test
    "SMSSpam": ("textcls/SMSSpamCollection", None,
                {"format": "tsv", "header": False, "label_col": "0", "text_col": "1",
                 "split": "ordered", "test_fraction": 0.7}),
}


def run_one(name: str, kind: str, seed: int, overrides: dict) -> dict:
    train_file, test_file, data = SETS[name]
    sections = {"model": {"cell": kind}, "train": {"seed": seed, "threads": 1}, "data": dict(data)}
    for section, values in overrides.items():
        sections.setdefault(section, {}).update(values)
    cfg = resolve_config(None, sections, DATA / train_file)
    with tempfile.TemporaryDirectory() as tmp:
        t0, c0 = time.perf_counter(), time.process_time()
        report = train(cfg, DATA / train_file, DATA / test_file if test_file else None, Path(tmp) / "run",
                       log=lambda _msg: None)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    test = report["test"]
    row = {"set": name, "kind": kind, "seed": seed, "accuracy": test["accuracy"], "macro_f1": test["macro_f1"],
           "seconds": round(elapsed, 1), "cpu_s": round(cpu, 1), "epochs": report["training"]["epochs"],
           "stopped": report["training"]["stopped"], "val_accuracy": report["validation"]["accuracy"]}
    if "spam" in test["per_class"]:
        row["spam_f1"] = test["per_class"]["spam"]["f1"]
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    p.add_argument("--kinds", nargs="+", default=list(MODEL_KINDS), choices=list(MODEL_KINDS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    p.add_argument("--set", dest="overrides", nargs="*", default=[], metavar="SECTION.KEY=VALUE")
    p.add_argument("--tag", default="default", help="label for this variant in the results file")
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--table", action="store_true", help="only print the table of --tag's runs in --results")
    args = p.parse_args()
    if args.table:
        rows = [json.loads(line) for line in args.results.read_text().splitlines()]
        print(table([r for r in rows if r["tag"] == args.tag and r["set"] in args.sets and r["kind"] in args.kinds]))
        return
    torch.set_num_threads(1)
    overrides = parse_set(args.overrides)
    rows = []
    for name in args.sets:
        for kind in args.kinds:
            for seed in args.seeds:
                row = {"tag": args.tag, **run_one(name, kind, seed, overrides),
                       "overrides": args.overrides, "date": time.strftime("%Y-%m-%d")}
                rows.append(row)
                args.results.parent.mkdir(parents=True, exist_ok=True)
                with args.results.open("a") as f:
                    f.write(json.dumps(row) + "\n")
                print(f"{name:17s} {kind:9s} seed {seed}  acc {row['accuracy']:.4f}  "
                      f"{row['seconds']:6.1f}s wall {row['cpu_s']:6.1f}s cpu  {row['stopped']}",
                      file=sys.stderr, flush=True)
    print(table(rows))


def table(rows: list[dict]) -> str:
    """Markdown: median (min-max) test accuracy per set x kind, and median CPU seconds per run.
    A (set, kind, seed) run more than once counts once (the last); interrupted runs are skipped."""
    rows = list({(r["set"], r["kind"], r["seed"]): r for r in rows if r["stopped"] != "interrupted"}.values())
    lines = ["| set | model | median acc | min-max | macro-F1 | spam F1 | CPU s/run |", "|---|---|---|---|---|---|---|"]
    order = lambda k: (list(SETS).index(k[0]), MODEL_KINDS.index(k[1]))  # noqa: E731
    keys = sorted({(r["set"], r["kind"]) for r in rows}, key=order)
    for name, kind in keys:
        rs = [r for r in rows if r["set"] == name and r["kind"] == kind]
        acc = [r["accuracy"] for r in rs]
        spam = [r["spam_f1"] for r in rs if "spam_f1" in r]
        lines.append(f"| {name} | {kind} | {statistics.median(acc):.3f} | {min(acc):.3f}-{max(acc):.3f} | "
                     f"{statistics.median(r['macro_f1'] for r in rs):.3f} | "
                     f"{statistics.median(spam):.3f} | " if spam else
                     f"| {name} | {kind} | {statistics.median(acc):.3f} | {min(acc):.3f}-{max(acc):.3f} | "
                     f"{statistics.median(r['macro_f1'] for r in rs):.3f} | - | ")
        lines[-1] += f"{statistics.median(r.get('cpu_s', r['seconds']) for r in rs):.0f} |"
    return "\n".join(lines)


if __name__ == "__main__":
    main()
