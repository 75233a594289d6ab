"""Shared fixtures. Tests that need ../shared/data skip cleanly when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

SHARED_DATA = Path(os.environ.get("RNNKIT_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data")


@pytest.fixture(autouse=True)
def _one_thread():
    # Tests never depend on speed; one thread keeps them steady on a busy 2-core machine.
    torch.set_num_threads(1)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    return SHARED_DATA


@pytest.fixture
def tiny_cfg():
    """A forecast config small enough to train in about a second (tests/forecast, tests/series)."""
    from rnnkit.forecast.config import ForecastRunConfig

    cfg = ForecastRunConfig()
    cfg.model.hidden, cfg.model.layers = 8, 1
    cfg.train.max_epochs, cfg.train.threads = 1, 1
    cfg.forecast.lookback = 10
    cfg.data.features = []
    cfg.forecast.stat_models = []  # the statistical references are tested on their own
    cfg.forecast.combine = "none"  # so is the combination with one (tests/forecast/test_combine.py)
    return cfg
