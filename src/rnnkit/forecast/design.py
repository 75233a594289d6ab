"""The default design, resolved from the data's facts: the season m, the horizon h and the length
n of the training parts (one series: its own; a panel: the 10th percentile of its series' lengths,
so that one short series does not cap everyone's window; the series shorter than the window that
gives fall back to their best baseline, forecast/fallback.py). Settings left at "auto" (or None) are filled in here, once, before
the pipeline is fitted; explicit settings are never changed. The resolved values are what the run
config, the checkpoint and the report show.

    seasonal (m > 1), positive target       ES-RNN's idea, as rnnkit's M4 config found it:
        target_transform = level            each window divided by the mean of its last season
        normalize = window (log scale)      (a per-series, per-window level), the network predicting
        residual = seasonal                 a correction to the seasonal-naive forecast; its head
                                            starts at zero, so an untrained network IS seasonal naive
        lookback = k m, k = clamp((n - h) // 2m, 1, 14)   whole seasons, as many as the data allows
                                            (a panel whose n cannot hold one season but whose median
                                            series can: one season, m, the shorter series falling back;
                                            less than one season fits: the non-seasonal window)
        patch = m when m >= 24              one season per recurrent step (long seasons stay short
                                            sequences for the LSTM)
    seasonal, target not positive           the same on differences (diff), windows scaled by their RMS
    not seasonal (m = 1)                    the stock design: log returns (differences when not
                                            positive), no residual, lookback 60 (less on short data)
    every design                            at most 32,768 windows sampled per epoch (large panels)

How this was chosen (validation parts only) is recorded in bench/results/forecast_seasonal.md.
"""

from __future__ import annotations

from rnnkit.errors import RnnkitError

MAX_SEASONS = 14  # two weeks of hourly data, as in the M4 Hourly config
WINDOWS_PER_EPOCH = 32768  # large panels (M4: 250,000 windows) sample this many windows an epoch
PATCH_FROM = 24  # seasons this long are read one season per recurrent step


COVERED = 0.9  # in a panel, the window is sized so that at least this share of series holds it


def typical_length(train_lengths: list[int], covered: float = COVERED) -> int:
    """The training length the window is sized for: the shortest of one or a few series; in a
    panel, the length that `covered` of its series reach (the 10th percentile, rounded down)."""
    if not train_lengths:
        return 0
    ordered = sorted(train_lengths)
    return ordered[int((1 - covered) * (len(ordered) - 1))]


def resolve(cfg, season: int, train_lengths: list[int], positive: bool) -> list[str]:
    """Fill cfg's "auto" settings in place; returns one line per setting it chose (for the log)."""
    d, f = cfg.data, cfg.forecast
    seasonal = season > 1
    h = 1 if f.strategy == "recursive" else f.horizon
    n = typical_length(train_lengths)
    chosen = []
    if d.target_transform == "auto":
        if seasonal:
            d.target_transform = "level" if positive and d.normalize == "window" else "diff"
        else:
            d.target_transform = "logret" if positive else "diff"
        chosen.append(f"target_transform={d.target_transform}")
    if f.lookback is None:
        if seasonal and n - h > season:
            k = max(1, min(MAX_SEASONS, (n - h) // (2 * season)))
            f.lookback = k * season
        elif seasonal and typical_length(train_lengths, 0.5) - h > season:  # a short panel (step 1i)
            f.lookback = season
        else:  # no season or no room for one: the last 60 steps at most, leaving 10 windows
            f.lookback = max(2, min(60, n - h - 10))
        chosen.append(f"lookback={f.lookback}")
    if f.residual == "auto":  # a seasonal residual reads one season back: only when the window holds it
        f.residual = "seasonal" if seasonal and f.lookback >= season else "none"
        chosen.append(f"residual={f.residual}")
    if f.patch is None:
        f.patch = season if seasonal and season >= PATCH_FROM and f.lookback % season == 0 else 1
        chosen.append(f"patch={f.patch}")
    if f.windows_per_epoch is None:
        f.windows_per_epoch = WINDOWS_PER_EPOCH  # a cap: smaller data use all their windows
    if f.residual == "seasonal" and season > f.lookback:
        raise RnnkitError(f"residual = \"seasonal\" needs --lookback >= the season ({season}); the training "
                          f"parts have {n} rows (in a panel: 9 in 10 series at least that many)")
    return chosen
