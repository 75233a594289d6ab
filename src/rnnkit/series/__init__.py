"""Time-series data: ingestion (CSV, long format, arrays), cleaning report, chronological splits,
target transforms, scalers, calendar features and windows. No torch here."""

from rnnkit.series.frame import Series, SeriesSet, future_index
from rnnkit.series.io import from_arrays, from_dataframe, read_csv

__all__ = ["Series", "SeriesSet", "future_index", "from_arrays", "from_dataframe", "read_csv"]
