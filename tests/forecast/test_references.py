"""The verdict's tie rule on constructed cases, and the statistical references' interface."""

import numpy as np
import pandas as pd
import pytest

from rnnkit.forecast.evaluate import Evaluation, evaluate
from rnnkit.forecast.baselines import Naive, SeasonalNaive
from rnnkit.forecast.verdict import decide, diebold_mariano
from rnnkit.series.frame import Series, SeriesSet


def _ev(model_err, ref_err, horizon=1):
    ev = Evaluation(horizon, horizon, 1, [])
    rm = float(np.sqrt(np.mean(np.concatenate([e.ravel() for e in model_err]) ** 2)))
    rr = float(np.sqrt(np.mean(np.concatenate([e.ravel() for e in ref_err]) ** 2)))
    ev.scores = {"lstm": {"rmse": rm, "rel_rmse_vs_naive": rm / rr}, "naive": {"rmse": rr, "rel_rmse_vs_naive": 1.0}}
    ev.errors = {"lstm": model_err, "naive": ref_err}
    return ev


def test_a_near_identical_forecast_is_a_tie():
    rng = np.random.default_rng(0)
    ref = rng.normal(0, 1, (1000, 1))
    model = ref * 0.9998 + rng.normal(0, 0.01, ref.shape)  # RMSE about 0.9998 x the reference's
    v = decide(_ev([model], [ref]), "lstm")
    assert v.outcome == "tie" and "ties with the best reference, naive" in v.text
    assert v.p_value > 0.05 and abs(v.rel_rmse - 1) < 0.01


def test_a_model_that_repeats_its_best_reference_is_named_as_that_reference():
    ref = np.random.default_rng(3).normal(0, 1, (100, 2))
    v = decide(_ev([ref.copy()], [ref]), "lstm")
    assert v.outcome == "tie" and "forecasts exactly as the best reference, naive" in v.text
    assert "ties with" not in v.text


def test_a_clearly_smaller_error_beats_and_a_larger_one_loses():
    rng = np.random.default_rng(1)
    ref = rng.normal(0, 1, (400, 1))
    assert decide(_ev([ref * 0.7], [ref]), "lstm").outcome == "beats"
    assert decide(_ev([ref * 1.3], [ref]), "lstm").outcome == "worse"


def test_a_small_gain_on_few_noisy_points_is_a_tie():
    rng = np.random.default_rng(2)
    ref = rng.normal(0, 1, (20, 1))
    model = ref * 0.95 + rng.normal(0, 0.5, ref.shape)
    assert decide(_ev([model], [ref]), "lstm").outcome == "tie"


def test_a_reference_that_is_all_but_exact_gives_a_readable_ratio():
    rng = np.random.default_rng(5)
    ref = rng.normal(0, 1e-9, (200, 1))  # a constant stretch the reference repeats exactly
    v = decide(_ev([rng.normal(0, 1, (200, 1))], [ref]), "lstm")
    assert v.outcome == "worse" and v.rel_rmse > 1e6
    ratio = v.text.split("RMSE ")[1].split(" x")[0]
    assert "e+" in ratio and len(ratio) <= 8  # 3 significant digits, not a 14-digit number


def test_overlapping_multi_step_errors_widen_the_test():
    """The same gain is less certain when the h steps of one origin share one shock."""
    rng = np.random.default_rng(3)
    shock = rng.normal(0, 1, (60, 1))
    ref = np.repeat(shock, 12, axis=1) + rng.normal(0, 0.05, (60, 12))
    model = ref * 0.9
    _, p_iid = diebold_mariano([model.reshape(-1, 1)], [ref.reshape(-1, 1)], 1)
    _, p_hac = diebold_mariano([model], [ref], 12)
    assert p_hac > p_iid


def test_the_best_reference_is_the_lowest_rmse_and_series_weigh_alike():
    t = np.arange(400)
    y = 100 + 10 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(4).normal(0, 0.3, 400)
    data = SeriesSet([Series("a", y, np.zeros((400, 0)), None), Series("b", 1000 * y, np.zeros((400, 0)), None)],
                     "y", [], None)
    ev = evaluate([SeasonalNaive(12), Naive()], data, [300, 300], [280, 280], 12, 12, 12, 12, [])
    v = decide(ev, "naive")
    assert v.best == "seasonal_naive(12)" and v.outcome == "worse"
    # errors are divided by each series' scale, so the 1000x series does not dominate the test
    assert np.allclose(np.abs(ev.errors["naive"][0]).mean(), np.abs(ev.errors["naive"][1]).mean(), rtol=1e-6)


@pytest.mark.parametrize("season", [12, 48])
def test_stat_models_share_the_baseline_interface(season):
    pytest.importorskip("statsforecast")
    from rnnkit.forecast.stats import stat_models

    rng = np.random.default_rng(5)
    n = 40 * season if season > 24 else 240
    t = np.arange(n)
    y = 50 + 0.01 * t + 10 * np.sin(2 * np.pi * t / season) + rng.normal(0, 0.5, n)
    data = SeriesSet([Series("s", y, np.zeros((n, 0)), None)], "y", [], None)
    end = int(0.8 * n)
    at = np.arange(end, n - season + 1, season)
    naive = Naive().forecast(data.series[0], at, season)
    for m in stat_models(season, ["ets", "theta"]):
        m.fit(data, [end])
        f = m.forecast(data.series[0], at, season)
        assert f.shape == (len(at), season, 1) and np.isfinite(f).all()
        truth = y[at[:, None] + np.arange(season)]
        # a seasonal series: the references see the season (native or by seasonal adjustment)
        assert np.sqrt(np.mean((f[..., 0] - truth) ** 2)) < 0.5 * np.sqrt(np.mean((naive[..., 0] - truth) ** 2))
        # rolled forward from each origin's own history, not refitted: a later origin sees later data
        later = m.forecast(data.series[0], at[-1:], season)
        assert np.allclose(later, f[-1:])
        # each origin reads its own history: a jump just before at[1] moves at[1]'s forecast, not at[0]'s
        jumped = y.copy()
        jumped[at[1] - 1] += 20
        g = m.forecast(Series("s", jumped, np.zeros((n, 0)), None), at[:2], season)
        np.testing.assert_array_equal(g[0], f[0])
        assert np.abs(g[1] - f[1]).max() > 0.1, m.name


def test_a_panel_report_spans_every_series_test_part_not_the_first_one_only():
    from rnnkit.forecast.baselines import Naive
    from rnnkit.forecast.evaluate import evaluate
    from rnnkit.series.frame import Series, SeriesSet

    def dated(start, n):
        return Series(start, np.arange(1.0, n + 1), np.zeros((n, 0)), pd.date_range(start, periods=n, freq="D"))

    data = SeriesSet([dated("2021-01-01", 40), dated("2022-06-01", 40)], "y", [], "D")
    ev = evaluate([Naive()], data, [30, 30], [20, 20], 5, 5, 5, 1, [0.5])
    assert ev.span == ("2021-01-31", "2022-07-10")
