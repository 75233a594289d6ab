"""The references every forecast is scored beside: the naive baselines and the statistical models
(statsforecast), fitted on the data before the test part, with the notes that say how."""

from __future__ import annotations

from rnnkit.forecast.baselines import default_baselines
from rnnkit.series.frame import SeriesSet


def references(season: int, stat_kinds: list[str], data: SeriesSet, fit_ends: list[int]) -> list:
    """The baselines and the statistical models, the latter fitted on each series before `fit_ends`
    (the test start: the data the network saw for training and early stopping)."""
    from rnnkit.forecast.stats import stat_models

    stats = stat_models(season, stat_kinds)
    for m in stats:
        m.fit(data, fit_ends)
    return default_baselines(season) + stats


def reference_notes(refs: list, stat_kinds: list[str]) -> list[str]:
    from rnnkit.forecast.stats import MAX_NATIVE_SEASON, StatModel, available, missing_note

    stats = [m for m in refs if isinstance(m, StatModel)]
    if not stat_kinds:
        return ["statistical references not shown: forecast.stat_models is empty (--stat-models none)"]
    if not available():
        return [missing_note()]
    notes = []
    if stats:
        m = stats[0]
        how = (f"season {m.season} inside the models" if m.season <= MAX_NATIVE_SEASON else
               f"season {m.season} removed first by classical seasonal indices (statsforecast's ETS allows at most "
               f"{MAX_NATIVE_SEASON}), the models fitted on the adjusted series")
        notes.append(f"statistical references from statsforecast ({', '.join(s.name for s in stats)}): fitted once per "
                     f"series on the data before the test part (at most the last {m.max_fit} points), then rolled "
                     f"forward to each origin with forward() (parameters kept); {how}")
        for s in stats:
            if s.failed:
                notes.append(f"{s.name} could not be fitted on {len(s.failed)} series ({', '.join(s.failed[:5])}); "
                             "it forecasts persistence there")
    return notes
