"""The default design follows the data's facts (season, horizon, length) and leaves explicit settings alone."""

import pytest

from rnnkit.errors import RnnkitError
from rnnkit.forecast.config import ForecastRunConfig
from rnnkit.forecast.design import resolve


def _cfg(h: int) -> ForecastRunConfig:
    cfg = ForecastRunConfig()
    cfg.forecast.horizon = h
    return cfg


def test_a_seasonal_positive_series_gets_the_residual_design():
    cfg = _cfg(12)
    resolve(cfg, 12, [150], positive=True)
    f, d = cfg.forecast, cfg.data
    assert (d.target_transform, f.residual, f.patch) == ("level", "seasonal", 1)
    assert f.lookback == 5 * 12  # whole seasons: (150 - 12) // 24 = 5


def test_long_seasons_are_read_one_season_per_step_and_lookback_is_capped():
    cfg = _cfg(48)
    resolve(cfg, 48, [20000], positive=True)
    assert cfg.forecast.lookback == 14 * 48 and cfg.forecast.patch == 48


def test_no_season_keeps_the_stock_design_and_non_positive_data_uses_differences():
    cfg = _cfg(1)
    resolve(cfg, 1, [3000], positive=True)
    assert (cfg.data.target_transform, cfg.forecast.residual, cfg.forecast.lookback) == ("logret", "none", 60)
    cfg = _cfg(12)
    resolve(cfg, 12, [300], positive=False)
    assert cfg.data.target_transform == "diff" and cfg.forecast.residual == "seasonal"


def test_explicit_settings_are_kept_and_a_short_window_drops_the_seasonal_residual():
    cfg = _cfg(12)
    cfg.data.target_transform, cfg.forecast.lookback = "logret", 10
    resolve(cfg, 12, [300], positive=True)
    assert cfg.data.target_transform == "logret" and cfg.forecast.lookback == 10
    assert cfg.forecast.residual == "none"  # a 10-step window cannot read one season back
    cfg = _cfg(12)
    cfg.forecast.residual, cfg.forecast.lookback = "seasonal", 10
    with pytest.raises(RnnkitError, match="lookback >= the season"):
        resolve(cfg, 12, [300], positive=True)


def test_the_season_reaches_the_model(tiny_cfg, tmp_path):
    from rnnkit.forecast.estimator import Forecaster
    from synth import long_frame

    df = long_frame(series=1, n=240, season=12)
    fitted = {}
    for season in (1, 12):
        cfg = ForecastRunConfig()
        cfg.model.hidden, cfg.model.layers, cfg.train.max_epochs = 8, 1, 1
        cfg.forecast.horizon, cfg.forecast.stat_models, cfg.data.season = 6, [], season
        fitted[season] = Forecaster(cfg).fit(df)
    assert fitted[1].pipeline.season == 1 and fitted[12].pipeline.season == 12
    assert fitted[1].cfg.forecast.residual == "none" and fitted[12].cfg.forecast.residual == "seasonal"
    assert fitted[12].cfg.forecast.lookback % 12 == 0


def test_a_season_longer_than_the_training_data_is_refused_naming_the_largest_that_fits():
    from rnnkit.forecast.estimator import Forecaster
    from synth import long_frame

    cfg = ForecastRunConfig()
    cfg.model.hidden, cfg.model.layers, cfg.train.max_epochs = 8, 1, 1
    cfg.forecast.horizon, cfg.forecast.stat_models, cfg.data.season = 6, [], 500
    with pytest.raises(RnnkitError, match=r"--season 500 is longer than the training data .* 1\d\d rows.*"
                                          r"at most --season \d+") as err:
        Forecaster(cfg).fit(long_frame(series=1, n=240, season=12))
    largest = int(str(err.value).split("at most --season ")[1].split(")")[0])
    cfg.data.season = largest  # the largest it names is accepted
    assert Forecaster(cfg).fit(long_frame(series=1, n=240, season=12)).pipeline.season == largest


def test_a_panel_sizes_the_window_for_nine_in_ten_series_not_the_shortest():
    cfg = _cfg(12)
    resolve(cfg, 12, [40] + [300] * 29, positive=True)  # one short series among 30
    assert cfg.forecast.lookback == 12 * 12  # (300 - 12) // 24 = 12 seasons; the short one falls back
    cfg = _cfg(12)
    resolve(cfg, 12, [40, 300], positive=True)  # two series: the shorter one counts
    assert cfg.forecast.lookback == 12


def test_series_shorter_than_a_season_get_the_non_seasonal_window():
    cfg = _cfg(4)
    resolve(cfg, 52, [30, 42, 35], positive=True)  # weekly data, less than a year each
    f = cfg.forecast
    assert f.lookback == max(2, 30 - 4 - 10) and f.residual == "none" and f.patch == 1


def test_a_short_panel_whose_median_series_holds_a_season_gets_one_season():
    cfg = _cfg(12)
    lengths = [13, 15, 18, 20] + [40] * 6 + [60] * 10  # 9 in 10 cannot hold 12 + 12, the median can
    resolve(cfg, 12, lengths, positive=True)
    f = cfg.forecast
    assert f.lookback == 12 and f.residual == "seasonal"  # the series under 24 fall back to a baseline
    cfg = _cfg(12)
    resolve(cfg, 12, [13, 15, 18, 20, 22], positive=True)  # not even the median: the non-seasonal window
    assert cfg.forecast.residual == "none" and cfg.forecast.lookback < 12

