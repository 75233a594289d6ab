"""Small synthetic CSVs for the forecast tests (written into tmp_path, never into the repo)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def stock_frame(n: int = 300, seed: int = 0, start: str = "2020-01-01") -> pd.DataFrame:
    """A geometric random walk on business days with Open/Volume features."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=n)
    close = 100 * np.exp(np.cumsum(rng.normal(0.0005, 0.01, n)))
    open_ = close * np.exp(rng.normal(0, 0.003, n))
    volume = rng.integers(1_000_000, 2_000_000, n)
    return pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Open": open_, "Close": close, "Volume": volume})


def write_stock(path: Path, n: int = 300, seed: int = 0) -> Path:
    stock_frame(n, seed).to_csv(path, index=False)
    return path


def long_frame(series: int = 3, n: int = 200, season: int = 24, seed: int = 0) -> pd.DataFrame:
    """Seasonal positive series in the long format (unique_id, ds, y)."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(series):
        t = np.arange(n)
        y = 50 + 10 * k + 8 * np.sin(2 * np.pi * t / season + k) + rng.normal(0, 0.5, n)
        rows.append(pd.DataFrame({"unique_id": f"S{k}", "ds": t + 1, "y": y}))
    return pd.concat(rows, ignore_index=True)
