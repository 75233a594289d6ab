"""Tiny trained run folders for the export and serve tests (synthetic data, a few steps each)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tests.classify.conftest import write_texts, write_ucr
from tests.helpers import tiny_text_config, write_corpus


def text_run(root: Path, cell: str = "lstm") -> Path:
    from rnnkit.text.task import train_text

    cfg = tiny_text_config(write_corpus(root), max_steps=6, eval_every=3)
    cfg.model.cell = cell
    out = root / f"text_{cell}"
    train_text(cfg, out, log=lambda _: None)
    return out


def series_csv(root: Path, n: int = 160, seed: int = 0) -> Path:
    """A positive seasonal series on business days (the forecast default transform takes logs)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 100 + 5 * np.sin(2 * np.pi * t / 5) + np.cumsum(rng.normal(0, 0.5, n))
    path = root / "series.csv"
    pd.DataFrame({"Date": pd.bdate_range("2021-01-04", periods=n).strftime("%Y-%m-%d"), "Close": y}).to_csv(
        path, index=False)
    return path


def forecast_run(root: Path, cell: str = "lstm", horizon: int = 3, ensemble: int = 1) -> Path:
    from rnnkit.forecast.config import ForecastRunConfig
    from rnnkit.forecast.run import train_run

    cfg = ForecastRunConfig()
    cfg.model.cell, cfg.model.hidden, cfg.model.layers, cfg.model.ensemble = cell, 8, 1, ensemble
    cfg.train.max_epochs, cfg.train.threads = 1, 1
    cfg.forecast.lookback, cfg.forecast.horizon = 10, horizon
    cfg.data.csv, cfg.data.features = str(series_csv(root)), []
    out = root / f"forecast_{cell}{f'_x{ensemble}' if ensemble > 1 else ''}"
    train_run(cfg, out, log=lambda _: None)
    return out


def classify_run(root: Path, cell: str = "attention", text: bool = True, summary: str = "both",
                 kernels: int = 0, length: int = 20, ngrams: int = 0, weighting: str = "mean") -> Path:
    from rnnkit.classify.config import ClassifyRunConfig
    from rnnkit.classify.estimator import train

    cfg = ClassifyRunConfig()
    cfg.model.cell, cfg.model.hidden, cfg.model.summary = cell, 8, summary
    cfg.train.max_epochs, cfg.train.threads, cfg.train.patience = 3, 1, None
    cfg.data.batch_size, cfg.data.kernels, cfg.data.ngrams, cfg.data.ngram_weighting = 8, kernels, ngrams, weighting
    series = "tiny_TRAIN.tsv" if length == 20 else f"tiny{length}_TRAIN.tsv"
    data = write_texts(root / "texts.tsv", sep="\t") if text else write_ucr(root / series, length=length)
    out = root / f"classify_{cell}_{summary}_{'text' if text else 'series'}{f'_k{kernels}' if kernels else ''}"
    train(cfg, data, None, out, log=lambda _: None)
    return out
