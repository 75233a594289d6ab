"""Hyper-parameter search with Optuna (optional extra: pip install 'rnnkit[tune]').

`tune(task, base_config, out, settings)` runs a study whose trials are ordinary run folders;
spaces are in `space.py`, the per-task glue in `tasks.py`, the outputs in `report.py`."""

from rnnkit.tune.search import SearchResult, SearchSettings, tune
from rnnkit.tune.space import Param, default_space, load_space
from rnnkit.tune.tasks import Inputs

__all__ = ["Inputs", "Param", "SearchResult", "SearchSettings", "default_space", "load_space", "tune"]
