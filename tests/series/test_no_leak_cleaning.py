"""Cleaning reads no later part, for every split mode and policy: the training part comes out the
same whatever the validation and test rows hold; `clip` leaves the scored targets as they were read;
`interpolate` never reads across the train/validation boundary."""

import numpy as np
import pandas as pd
import pytest

from rnnkit.series.clean import CleanPolicy
from rnnkit.series.io import from_dataframe

N = 200
DATES = pd.date_range("2021-01-01", periods=N, freq="D")
# each mode splits at train_end 140, val_end 160
SPLITS = {
    "fractions": dict(val=0.1, test=0.2),
    "steps": dict(val=20, test=40),
    "dates": dict(val_start="2021-05-21", test_start="2021-06-10"),
}


def frame(y):
    values = [None if np.isnan(v) else repr(float(v)) for v in y]
    return pd.DataFrame({"Date": [str(d.date()) for d in DATES], "Close": values})


def base():
    rng = np.random.default_rng(3)
    return 100 * np.exp(np.cumsum(rng.normal(0, 0.01, N)))


def later_changed(y):
    z = y.copy()
    z[140:] *= np.exp(np.random.default_rng(4).normal(0, 0.5, N - 140))  # wild validation and test values
    z[150], z[170] = np.nan, z[169] * 20  # a gap and a spike
    return z


def clean(y, split, **policy):
    data, report = from_dataframe(frame(y), "Date", "Close", [], policy=CleanPolicy(**SPLITS[split], **policy))
    return data.series[0], report


@pytest.mark.parametrize("split", SPLITS)
def test_every_mode_splits_on_the_grid_and_the_estimator_uses_that_split(split, tiny_cfg):
    from rnnkit.forecast.estimator import make_splits

    s, _ = clean(base(), split)
    assert s.split == (140, 160)
    data, _ = from_dataframe(frame(base()), "Date", "Close", [], policy=CleanPolicy(**SPLITS[split]))
    for k, v in SPLITS[split].items():
        setattr(tiny_cfg.data, k, v)
    assert [(sp.train_end, sp.val_end) for sp in make_splits(data, tiny_cfg)] == [(140, 160)]


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("policy", [
    dict(outliers="flag"), dict(outliers="clip"), dict(outliers="clip", outlier_method="iqr", outlier_threshold=3.0),
    dict(missing="interpolate", outliers="clip"), dict(missing="ffill"), dict(missing="drop", outliers="clip"),
])
def test_the_training_part_does_not_depend_on_later_rows(split, policy):
    y = base()
    y[60] *= 1.5  # a training outlier: clipped with statistics of the training part only
    y[100] = np.nan
    a, _ = clean(y, split, **policy)
    b, _ = clean(later_changed(y), split, **policy)
    assert a.split[0] == b.split[0]
    np.testing.assert_array_equal(a.y[:a.split[0]], b.y[:b.split[0]])


@pytest.mark.parametrize("split", SPLITS)
def test_clip_rewrites_training_rows_only(split):
    y = base()
    y[60] *= 1.5
    y[170] *= 1.5  # a test-part spike: scored as it was read
    s, report = clean(y, split, outliers="clip")
    assert s.y[60] < 1.2 * s.y[59]  # the training spike is clipped
    assert s.y[170] == y[170] and report.outliers >= 3  # flagged, counted, not rewritten


@pytest.mark.parametrize("split", SPLITS)
def test_interpolate_never_reads_across_the_boundary(split):
    y = base()
    y[139] = np.nan  # the last training value is missing; the first validation value is extreme
    y[140] = 10 * y[138]
    y[150] = np.nan  # inside validation: interpolated from validation neighbours
    s, _ = clean(y, split, missing="interpolate", outliers="none")
    assert s.y[139] == pytest.approx(y[138], rel=1e-12)  # carried forward, not pulled towards y[140]
    assert s.y[150] == pytest.approx((y[149] + y[151]) / 2)
