"""The Python API: DataFrames with real dtypes, and plain arrays."""

import numpy as np
import pandas as pd
import pytest

from rnnkit.errors import RnnkitError
from rnnkit.series import from_arrays, from_dataframe


def test_dataframe_with_datetime_and_float_columns():
    df = pd.DataFrame({"when": pd.bdate_range("2022-01-03", periods=30), "price": np.linspace(10, 20, 30),
                       "vol": np.arange(30.0)})
    data, report = from_dataframe(df, "when", "price", ["vol"])
    s = data.series[0]
    assert data.freq == "B" and s.X.shape == (30, 1) and s.index[0] == pd.Timestamp("2022-01-03")
    assert report.rows_out == 30


def test_arrays_one_and_many_series():
    one = from_arrays(np.arange(1.0, 11.0), X=np.ones((10, 2)), dates=pd.date_range("2022-01-01", periods=10))
    assert len(one) == 1 and one.features == ["x0", "x1"] and one.freq == "D"
    many = from_arrays([np.arange(5.0), np.arange(8.0)], ids=["a", "b"])
    assert [len(s) for s in many.series] == [5, 8] and many.series[1].id == "b" and many.freq is None
    with pytest.raises(RnnkitError, match="constant"):
        from_arrays(np.ones(5))
    with pytest.raises(RnnkitError, match="finite"):
        from_arrays(np.array([1.0, np.nan, 2.0]))
