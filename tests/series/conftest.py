import pytest

from rnnkit.forecast.config import ForecastRunConfig


@pytest.fixture
def tiny_cfg() -> ForecastRunConfig:
    """A model small enough to train in about a second."""
    cfg = ForecastRunConfig()
    cfg.model.hidden, cfg.model.layers = 8, 1
    cfg.train.max_epochs, cfg.train.threads = 1, 1
    cfg.forecast.lookback = 10
    cfg.data.features = []
    return cfg
