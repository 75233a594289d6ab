"""report.json and report.md: the model beside every baseline, and a plain verdict."""

from __future__ import annotations

import json
from pathlib import Path

from rnnkit.files import write_text
from rnnkit.forecast.evaluate import Evaluation
from rnnkit.forecast.verdict import decide

COLUMNS = ("mae", "rmse", "mape", "smape", "mase", "owa", "directional_accuracy", "rel_rmse_vs_naive", "coverage")


def verdict(ev: Evaluation, model: str) -> str:
    """The plain verdict (forecast/verdict.py): against the best reference, ties called ties."""
    return decide(ev, model).text


def to_json(ev: Evaluation, model: str, target: str, extra: dict) -> dict:
    v = decide(ev, model)
    return {
        "target": target, "model": model, "horizon": ev.horizon, "origins_every": ev.every,
        "test_span": list(ev.span), "points": ev.points, "season": ev.season,
        "up_share": ev.up_share, "quantiles": ev.quantiles,
        "interval": [min(ev.quantiles), max(ev.quantiles)] if len(ev.quantiles) >= 3 else None,
        "verdict": v.text, "outcome": v.outcome, "best_reference": v.best, "rel_rmse_vs_best": v.rel_rmse,
        "dm_p_value": v.p_value, "notes": list(ev.notes), "models": ev.scores, **extra,
    }


def table(ev: Evaluation) -> str:
    """The verdict table (markdown) printed on screen and written into report.md."""
    head = "| model | " + " | ".join(COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 1)]
    for name, s in ev.scores.items():
        cells = [_fmt(s.get(c)) for c in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_reports(run_dir: Path, ev: Evaluation, model: str, target: str, extra: dict,
                  cleaning_lines: list[str], title: str = "Forecast report") -> dict:
    data = to_json(ev, model, target, extra)
    write_text(run_dir / "report.json", json.dumps(data, indent=2) + "\n")
    s = ev.scores[model]
    notes = [f"- evaluated on {ev.points} forecast points, {ev.span[0]} .. {ev.span[1]}, horizon {ev.horizon}, "
             f"origins every {ev.every} step(s), from the true history (no refit)"]
    notes.append(f"- directional accuracy {s['directional_accuracy']:.3f} against an up-day share of {ev.up_share:.3f} "
                 "(always saying 'up' would score the latter; naive predicts no move, so it scores ~0 by construction)")
    naive = ev.scores.get("naive")
    if naive and naive["mase"] > 1.5:
        notes.append(f"- MASE divides by the training part's mean absolute {'seasonal ' if ev.season > 1 else ''}step "
                     f"(M4's rule); persistence scores {naive['mase']:.2f} here because the series moves more in the "
                     "test span than in training, so compare MASE between rows, not with 1")
    if ev.season > 1 and s.get("mase") != s.get("mase"):
        notes.append(f"- MASE and OWA are not defined: every training part is shorter than one season ({ev.season}) "
                     "plus a step, so the seasonal scale cannot be measured")
    notes += [f"- {n}" for n in ev.notes]
    if extra.get("settings"):
        notes.append(f"- settings: {extra['settings']}")
    if s.get("coverage") is not None and data["interval"]:
        lo, hi = data["interval"]
        notes.append(f"- {100 * (hi - lo):.0f}% interval ({lo:g}..{hi:g} quantiles) covered {100 * s['coverage']:.1f}% of actual values")
    md = [f"# {title}", "", f"**Verdict: {data['verdict']}.**", "", table(ev), "", *notes, "",
          "## Data cleaning", "", *[f"- {line}" for line in cleaning_lines], ""]
    write_text(run_dir / "report.md", "\n".join(md))
    return data


def _fmt(v) -> str:
    if v is None or v != v:  # None, or NaN (a metric not defined here: see the notes)
        return "-"
    return f"{v:.4g}" if abs(v) < 1e5 else f"{v:.3e}"
