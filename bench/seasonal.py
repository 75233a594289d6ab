"""Seasonal series (../shared/data/seasonal, 19 files): rnnkit's default beside naive, seasonal naive,
AutoETS, AutoARIMA and AutoTheta, each file given only its facts from SOURCE.md (frequency, season m,
horizon h).

Split per series, chronological: test = the last max(20%, h) steps, validation = the max(10%, h)
before it, training = the rest (the floor of h keeps one full horizon in each part of short series).

    select   candidate designs, each trained on the training part with early stopping on the
             validation part, scored on the validation part only (origins every h steps from its
             start); the test part is not even loaded into the model's data. The statistical
             models are fitted on the training part and rolled forward over the same origins.
             --inner moves the network's own split one validation part earlier: it trains on the
             training part less its last v steps (v: the validation part's length), stops early and
             chooses its shares on those v steps, and the validation part it is scored on is out
             of sample for every choice; for designs that train on their validation part (refit).
    report   the frozen default, once: trained as above, scored on the test part (origins every h
             steps over it); the statistical models fitted on everything before the test part.

RMSE and MASE (scale: the training part's mean absolute seasonal difference) per series, relative to
seasonal naive, and the geometric mean over series; CPU seconds per fit. Last line (report):
    seasonal: series=<n> worse_than_snaive=<k> geomean_vs_snaive=<x> geomean_vs_best_stat=<y>

    nice -n 10 .venv/bin/python bench/seasonal.py select [--files a10,taylor] [--candidates default,small] [--inner]
    nice -n 10 .venv/bin/python bench/seasonal.py report

A derived panel, only when named (`--files us_employment_short`): 64 of us_employment's series
(seeded), each cut to its last 36-120 months (seeded), a short monthly panel whose 10th-percentile
training part cannot hold one season plus the horizon. It is not one of the 19 files and not in the
report's last line; it is where the design rule for short seasonal panels is chosen (select only).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rnnkit.config import merge, resolve
from rnnkit.forecast import shares
from rnnkit.forecast.baselines import Naive, SeasonalNaive
from rnnkit.forecast.config import ForecastRunConfig, clean_policy
from rnnkit.forecast.estimator import Forecaster, Split
from rnnkit.forecast.metrics import mase_scale
from rnnkit.forecast.stats import StatModel
from rnnkit.series.frame import SeriesSet
from rnnkit.series.io import from_dataframe, read_csv

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "seasonal"
RESULTS = ROOT / "bench" / "results"
PANEL_SAMPLE = 16  # series drawn (seeded) from panels larger than this, to fit the CPU budget
SHORT = {"file": "us_employment_short", "source": "us_employment", "freq": "MS", "m": 12, "h": 12,
         "series": 64, "lengths": (36, 120)}  # the derived short panel (see above)
STATS = ("ets", "arima", "theta")
COMBINED = (*STATS, "mean", "best")  # select: the network combined with each, their mean, the best on validation
UNSET = object()

# candidate designs for `select`: overrides on top of the default (forecast/design.py)
CANDIDATES = {
    "default": {},
    "no_residual": {"forecast": {"residual": "none"}},
    "lookback_2m": {"forecast": {"lookback": "2m"}},
    "lookback_m": {"forecast": {"lookback": "m"}},  # one season, the seasonal design, on short panels
    "small": {"model": {"hidden": 32, "layers": 1}},
    "large": {"model": {"hidden": 128}},  # the M4 Hourly config's width (the default since step 1d)
    "ensemble3": {"model": {"ensemble": 3}},  # three networks averaged (step 1f)
    "refit": {"forecast": {"refit": True}},  # trained again on training + validation (step 1g, with --inner)
    "combine_none": {"forecast": {"combine": "none"}},
    "per_series": {"forecast": {"combine_per_series": True}},  # each panel series' own network share (step 1h)
    "old_default": {"data": {"target_transform": "logret"}, "forecast": {"residual": "none", "lookback": 60, "patch": 1}},
}


def facts() -> list[dict]:
    """file, freq, m, h from SOURCE.md's table."""
    out = []
    for line in (DATA / "SOURCE.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 4 and cells[0].endswith(".csv") and cells[2].isdigit():
            out.append({"file": cells[0][:-4], "freq": cells[1].split(" ")[0], "m": int(cells[2]), "h": int(cells[3])})
    return out


def load(name: str, seed: int = 0) -> tuple[SeriesSet, str]:
    if name == SHORT["file"]:
        return short_panel(seed)
    raw = read_csv(str(DATA / f"{name}.csv"))
    id_col = "unique_id" if "unique_id" in raw.columns else None
    note = ""
    if id_col and raw[id_col].nunique() > PANEL_SAMPLE:
        ids = sorted(raw[id_col].unique())
        keep = set(np.random.default_rng(seed).choice(ids, PANEL_SAMPLE, replace=False))
        raw = raw[raw[id_col].isin(keep)].reset_index(drop=True)
        note = f"{PANEL_SAMPLE} of {len(ids)} series (seeded sample)"
    data, _ = from_dataframe(raw, "ds", "y", [], id_col, clean_policy(ForecastRunConfig().data), source=name)
    return data, note


def short_panel(seed: int = 0) -> tuple[SeriesSet, str]:
    """SHORT's series: drawn, then each cut to its last L steps, L uniform in SHORT["lengths"]."""
    raw = read_csv(str(DATA / f"{SHORT['source']}.csv"))
    rng = np.random.default_rng(seed)
    ids = sorted(raw["unique_id"].unique())
    keep = rng.choice(ids, SHORT["series"], replace=False)
    low, high = SHORT["lengths"]
    parts = [raw[raw["unique_id"] == i].sort_values("ds").tail(int(rng.integers(low, high + 1))) for i in keep]
    cut = pd.concat(parts).reset_index(drop=True)
    data, _ = from_dataframe(cut, "ds", "y", [], "unique_id", clean_policy(ForecastRunConfig().data), source=SHORT["file"])
    return data, f"{SHORT['series']} of {len(ids)} series, each its last {low}-{high} months (seeded)"


def bounds(n: int, h: int) -> tuple[int, int]:
    test = max(int(round(0.2 * n)), h)
    val = max(int(round(0.1 * n)), h)
    return n - test - val, n - test


def config(m: int, h: int, overrides: dict, seed: int) -> ForecastRunConfig:
    over = json.loads(json.dumps(overrides))
    if over.get("forecast", {}).get("lookback") in ("m", "2m"):
        over["forecast"]["lookback"] = m * (2 if over["forecast"]["lookback"] == "2m" else 1)
    base = {"data": {"date_col": "ds", "target": "y", "season": m},
            "forecast": {"horizon": h, "stat_models": []}, "train": {"threads": 1, "seed": seed}}
    return resolve(ForecastRunConfig, None, merge(base, over))


def scores(models: list, data: SeriesSet, starts: list[int], ends: list[int], scale_ends: list[int], h: int,
           m: int) -> list[dict]:
    """Per series: {model: (rmse, mase, coverage of the outer quantiles or None)} on origins every h
    steps over [start, end)."""
    out = []
    for s, a, b, e in zip(data.series, starts, ends, scale_ends):
        at = np.arange(a, b - h + 1, h)
        y = s.y[at[:, None] + np.arange(h)[None, :]]
        scale = mase_scale(s.y[:e], m)
        row = {}
        for model in models:
            f = model.forecast(s, at, h)
            point = f[..., getattr(model, "point_index", 0)]
            cover = float(np.mean((y >= f[..., 0]) & (y <= f[..., -1]))) if f.shape[-1] >= 3 else None
            row[model.name] = (float(np.sqrt(np.mean((y - point) ** 2))), float(np.mean(np.abs(y - point)) / scale), cover)
        out.append({"id": s.id, **row})
    return out


def run_file(fx: dict, overrides: dict, mode: str, seed: int, log, inner: bool = False) -> dict:
    m, h = fx["m"], fx["h"]
    data, note = load(fx["file"], seed)
    cut = [bounds(len(s), h) for s in data.series]
    if mode == "select":  # the model never sees the test part
        data = SeriesSet([s.head(ve) for s, (_, ve) in zip(data.series, cut)], data.target, data.features, data.freq)
    splits = [Split(tr - (ve - tr), tr, ve) if inner else Split(tr, ve, len(s)) for s, (tr, ve) in zip(data.series, cut)]
    cfg = config(m, h, overrides, seed)
    est = Forecaster(cfg)
    c0 = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        est.fit_run(data, tmp, log=lambda _m: None, splits=splits)
    fit_s = time.process_time() - c0
    starts = [tr if mode == "select" else ve for tr, ve in cut]
    ends = [ve if mode == "select" else len(s) for s, (_, ve) in zip(data.series, cut)]
    stats, stat_s = [], {}
    for kind in STATS:
        sm = StatModel(kind, m)
        c0 = time.process_time()
        sm.fit(data, starts)
        stat_s[sm.name] = (time.process_time() - c0) / len(data)
        stats.append(sm)
    # "rnnkit" is the default as shipped (its correction share and its combination with a statistical
    # forecast chosen on validation); for the record, the same fit with "rnnkit_full" its whole
    # correction (share 1), "rnnkit_net" the network alone (no combination), and in `select`
    # "rnnkit_<kind>" combined with each statistical model (its share chosen on validation too)
    models = [_Named(est, "rnnkit"), _Named(est, "rnnkit_full", share=1.0), _Named(est, "rnnkit_net", combination=None)]
    if est.combination is not None:  # the same forecast with the other interval rule (forecast/combine.py)
        other = copy.copy(est.combination)
        other.intervals = "blend" if other.intervals == "shift" else "shift"
        models.append(_Named(est, f"rnnkit_{other.intervals}", combination=other))
    if mode == "select":
        shipped, shipped_cfg = est.combination, (est.cfg.forecast.combine, est.cfg.forecast.combine_per_series)
        picks = {}
        for kind in COMBINED:
            est.cfg.forecast.combine = kind
            shares.choose_combination(est, data, splits)
            models.append(_Named(est, f"rnnkit_{kind}", combination=est.combination))
            picks[kind] = est.combination.state() if est.combination else None
        est.cfg.forecast.combine, est.cfg.forecast.combine_per_series = shipped_cfg[0], not shipped_cfg[1]
        shares.choose_combination(est, data, splits)  # the shipped partner with the other share rule
        models.append(_Named(est, "rnnkit_per_series" if est.cfg.forecast.combine_per_series else "rnnkit_pooled",
                             combination=est.combination))
        est.cfg.forecast.combine, est.cfg.forecast.combine_per_series = shipped_cfg
        est.combination = shipped
    models += [Naive(), SeasonalNaive(m), *stats]
    rows = scores(models, data, starts, ends, [tr for tr, _ in cut], h, m)
    f = est.cfg.forecast
    design = (f"{est.cfg.model.cell} {est.cfg.model.layers}x{est.cfg.model.hidden}, {est.cfg.data.target_transform}, "
              f"residual {f.residual}, lookback {f.lookback}, patch {f.patch}, share {est.shrink:g}"
              + (f", {est.combination.name} share {est.combination.weight:g}" if est.combination else ""))
    extra = {"combinations": picks} if mode == "select" else {}
    return {**extra, "file": fx["file"], "m": m, "h": h, "series": rows, "fit_cpu_s": fit_s, "stat_cpu_s_per_series": stat_s,
            "design": design, "note": note, "stat_failed": {s.name: s.failed for s in stats if s.failed}}


class _Named:
    """The estimator under a fixed column name (its own name is the cell, e.g. lstm)."""

    def __init__(self, est: Forecaster, name: str, share: float | None = None, combination=UNSET):
        self.est, self.name, self.point_index = est, name, est.point_index
        self.share, self.combination = share, combination

    def forecast(self, series, at, horizon):
        chosen = self.est.shrink, self.est.combination
        if self.share is not None:
            self.est.shrink = self.share
        if self.combination is not UNSET:
            self.est.combination = self.combination
        try:
            return self.est.forecast(series, at, horizon)
        finally:
            self.est.shrink, self.est.combination = chosen


def summarise(results: list[dict], key: str = "rnnkit") -> dict:
    rel, rel_stat, worse = [], [], 0
    for r in results:
        for row in r["series"]:
            sn = row[f"seasonal_naive({r['m']})"][0]
            best_stat = min(row["auto_ets"][0], row["auto_arima"][0])
            mine = row.get(key, row["rnnkit"])  # a variant a file does not have (no combination) is the default
            x = mine[0] / sn if sn > 0 else 1.0
            rel.append(x)
            rel_stat.append(mine[0] / best_stat if best_stat > 0 else 1.0)
            worse += x > 1.0 + 1e-9  # share 0 is seasonal naive itself: a tie, up to rounding
    g = lambda v: float(np.exp(np.mean(np.log(np.maximum(v, 1e-12)))))  # noqa: E731
    picked = [row.get(key, row["rnnkit"]) for r in results for row in r["series"]]
    cover = [v[2] for v in picked if len(v) > 2 and v[2] is not None]
    return {"series": len(rel), "worse_than_snaive": int(worse), "geomean_vs_snaive": g(rel),
            "geomean_vs_best_stat": g(rel_stat), "coverage_80": float(np.mean(cover)) if cover else None}


def file_table(results: list[dict]) -> list[str]:
    names = ["rnnkit", "rnnkit_full", "rnnkit_net", "naive", "auto_ets", "auto_arima", "auto_theta"]
    lines = ["| file | m | h | series | " + " | ".join(f"{n} RMSE" for n in names) + " | rnnkit MASE | snaive MASE | "
             "rnnkit fit CPU s | stats CPU s/series (ets/arima/theta) | design |",
             "|" + "---|" * (len(names) + 9)]
    for r in results:
        sn = f"seasonal_naive({r['m']})"
        g = lambda k, i=0: float(np.exp(np.mean([np.log(max(row[k][i], 1e-12) / max(row[sn][i], 1e-12))  # noqa: E731
                                                for row in r["series"]])))
        mase = lambda k: float(np.mean([row[k][1] for row in r["series"]]))  # noqa: E731
        st = r["stat_cpu_s_per_series"]
        lines.append(f"| {r['file']} | {r['m']} | {r['h']} | {len(r['series'])}{' (' + r['note'] + ')' if r['note'] else ''} | "
                     + " | ".join(f"{g(n):.3f}" for n in names)
                     + f" | {mase('rnnkit'):.3f} | {mase(sn):.3f} | {r['fit_cpu_s']:.0f} | "
                     f"{st['auto_ets']:.1f}/{st['auto_arima']:.1f}/{st['auto_theta']:.1f} | {r['design']} |")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["select", "report"])
    ap.add_argument("--files", default=None, help="comma-separated file names (default: all in SOURCE.md)")
    ap.add_argument("--candidates", default=",".join(CANDIDATES), help="select: designs to compare")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--inner", action="store_true", help="select: the network validates on the training part's last "
                    "steps, so the scored validation part is out of sample for its choices (see above)")
    ap.add_argument("--out", default=None, help="jsonl of every result (default bench/results/forecast_seasonal_<mode>.jsonl)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    wanted = set(args.files.split(",")) if args.files else None
    files = facts() if wanted is None else [f for f in facts() + [SHORT] if f["file"] in wanted]
    out = Path(args.out or RESULTS / f"forecast_seasonal_{args.mode}.jsonl")
    candidates = args.candidates.split(",") if args.mode == "select" else ["default"]
    summary = {}
    with out.open("a") as sink:
        for name in candidates:
            results = []
            for fx in files:
                r = run_file(fx, CANDIDATES[name], args.mode, args.seed, print, args.inner)
                r.update(candidate=name, mode=args.mode, seed=args.seed, inner=args.inner)
                sink.write(json.dumps(r) + "\n")
                sink.flush()
                results.append(r)
                print(file_table([r])[-1], f"[{name}]", "best:", r.get("combinations", {}).get("best"), flush=True)
            summary[name] = summarise(results)
            combined = tuple(f"rnnkit_{k}" for k in COMBINED) + ("rnnkit_per_series", "rnnkit_pooled") \
                if args.mode == "select" else ()
            for key in ("rnnkit_full", "rnnkit_net", "rnnkit_blend", "rnnkit_shift") + combined:
                summary[f"{name} ({key})"] = summarise(results, key)
            print(f"{args.mode} {name}: " + "; ".join(f"{k}: {v}" for k, v in summary.items() if k.startswith(name)),
                  flush=True)
            if args.mode == "report":
                print("\n".join(file_table(results)))
    if args.mode == "select":
        print("| candidate | series | worse than snaive | geomean RMSE vs snaive | vs best of ETS/ARIMA |")
        print("|---|---|---|---|---|")
        for name, s in summary.items():
            print(f"| {name} | {s['series']} | {s['worse_than_snaive']} | {s['geomean_vs_snaive']:.3f} | "
                  f"{s['geomean_vs_best_stat']:.3f} |")
        print("(validation parts only)")
        return 0
    s = summary["default"]
    print(f"seasonal: series={s['series']} worse_than_snaive={s['worse_than_snaive']} "
          f"geomean_vs_snaive={s['geomean_vs_snaive']:.3f} geomean_vs_best_stat={s['geomean_vs_best_stat']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
