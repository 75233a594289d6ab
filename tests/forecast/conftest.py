import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # synth.py

from rnnkit.forecast.config import ForecastRunConfig  # noqa: E402


@pytest.fixture
def tiny_cfg() -> ForecastRunConfig:
    """A model small enough to train in about a second."""
    cfg = ForecastRunConfig()
    cfg.model.hidden, cfg.model.layers = 8, 1
    cfg.train.max_epochs, cfg.train.threads = 1, 1
    cfg.forecast.lookback = 10
    cfg.data.features = []
    cfg.forecast.stat_models = []  # the statistical references are tested on their own
    return cfg
