"""Target transforms invert exactly; scalers fit on what they are given and invert exactly."""

import numpy as np
import pytest

from rnnkit.errors import RnnkitError
from rnnkit.series.transforms import TRANSFORMS, Scaler, changes, check_transform, invert, step_changes


@pytest.mark.parametrize("kind", TRANSFORMS)
def test_transforms_invert_exactly(kind):
    rng = np.random.default_rng(1)
    y = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, 40)))
    last, future = y[:30], np.stack([y[i + 1:i + 6] for i in range(30)])  # (30,), (30, 5)
    z = changes(last, future, kind)
    np.testing.assert_allclose(invert(last, z, kind), future, rtol=1e-12, atol=0)
    # with a quantile axis too
    zq = np.stack([z - 0.01, z, z + 0.01], axis=-1)
    back = invert(last, zq, kind)
    assert back.shape == (30, 5, 3)
    np.testing.assert_allclose(back[..., 1], future, rtol=1e-12)


def test_step_changes_hand_computed():
    y = np.array([100.0, 110.0, 99.0])
    np.testing.assert_allclose(step_changes(y, "diff"), [0, 10, -11])
    np.testing.assert_allclose(step_changes(y, "pct"), [0, 0.1, -0.1])
    np.testing.assert_allclose(step_changes(y, "logret"), [0, np.log(1.1), np.log(0.9)])
    np.testing.assert_allclose(step_changes(y, "level"), y)


def test_positive_only_transforms_refuse_nonpositive_values():
    with pytest.raises(RnnkitError, match="above zero"):
        check_transform(np.array([1.0, 0.0, 2.0]), "logret")


@pytest.mark.parametrize("kind", ["minmax", "standard", "robust", "none"])
def test_scalers_round_trip_and_state(kind):
    rng = np.random.default_rng(2)
    train = rng.normal(5, 3, (100, 2))
    s = Scaler(kind).fit(train)
    other = rng.normal(0, 10, (20, 2))
    np.testing.assert_allclose(s.inverse(s.transform(other)), other, rtol=1e-12, atol=1e-12)
    s2 = Scaler.from_state(s.state_dict())
    np.testing.assert_array_equal(s2.transform(other), s.transform(other))


def test_scaler_statistics():
    v = np.array([[1.0], [2.0], [3.0], [5.0]])
    mm = Scaler("minmax").fit(v).transform(v)[:, 0]
    np.testing.assert_allclose(mm, [-1, -0.5, 0, 1])  # the tutorial's [-1, 1]
    st = Scaler("standard").fit(v)
    assert st.shift[0] == pytest.approx(2.75) and st.scale[0] == pytest.approx(np.std(v))
    rb = Scaler("robust").fit(v)
    assert rb.shift[0] == pytest.approx(2.5) and rb.scale[0] == pytest.approx(3.5 - 1.75)
