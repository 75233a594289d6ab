"""The classification development suite shared by bench/classify_select.py and
bench/classify_report.py: 18 UCR 2018 sets, JapaneseVowels (UEA) and two text sets.

`train_part(name)` reads only the training rows (the `_TRAIN` file; for SMS the first 30% of the
lines, the DocEng'11 split); `test_part(name)` is called by the report step alone.
Data: $RNNKIT_DATA_DIR or ../shared/data (ucr/, textcls/).
"""

from __future__ import annotations

import os
from pathlib import Path

from rnnkit.classify.config import DataConfig
from rnnkit.classify.loaders import Labelled, load
from rnnkit.classify.preprocess import ordered_split

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("RNNKIT_DATA_DIR") or ROOT.parent / "shared" / "data")
RESULTS = ROOT / "bench" / "results"

UCR = ["ArrowHead", "BeetleFly", "CBF", "Chinatown", "DistalPhalanxOutlineCorrect", "ECG200", "FaceFour",
       "GunPoint", "ItalyPowerDemand", "Lightning7", "OliveOil", "Plane", "PowerCons", "SmoothSubspace",
       "SyntheticControl", "Trace", "UMD", "Wine"]
# the order the benchmarks run them: fewest training series first, so a run cut short still covers most sets
BY_SIZE = ["BeetleFly", "Chinatown", "FaceFour", "CBF", "OliveOil", "ArrowHead", "UMD", "GunPoint", "Wine",
           "ItalyPowerDemand", "Lightning7", "ECG200", "Trace", "Plane", "SmoothSubspace", "PowerCons",
           "JapaneseVowels", "SyntheticControl", "DistalPhalanxOutlineCorrect"]
NUMERIC = UCR + ["JapaneseVowels"]
TEXT = ["SMSSpam", "FineFoods"]

# published test accuracies (UCR 2018 DataSummary.csv for 1-NN; Fawaz et al. 2020 for InceptionTime),
# for the report table only: InceptionTime's mean over the 18 UCR sets is 0.915 (issue 10)
SMS = {"format": "tsv", "header": False, "label_col": "0", "text_col": "1"}
FOODS = {"format": "tsv", "label_col": "label", "text_col": "text"}


def data_overrides(name: str) -> dict:
    return dict(SMS if name == "SMSSpam" else FOODS if name == "FineFoods" else {})


def _cfg(name: str) -> DataConfig:
    return DataConfig(**data_overrides(name))


def train_part(name: str) -> Labelled:
    """The rows a default may be chosen on. Never opens a test file."""
    if name == "SMSSpam":
        data = load(DATA / "textcls" / "SMSSpamCollection", _cfg(name))
        rows, _ = ordered_split(len(data.labels), 0.7)
        return _rows(data, rows, "SMSSpam first 30%")
    if name == "FineFoods":
        return load(DATA / "textcls" / "fine_foods_train.tsv", _cfg(name))
    suffix = ".ts" if name == "JapaneseVowels" else ".tsv"
    return load(DATA / "ucr" / f"{name}_TRAIN{suffix}", _cfg(name))


def test_part(name: str) -> Labelled:
    """The held-out rows: only bench/classify_report.py calls this, once per frozen configuration."""
    if name == "SMSSpam":
        data = load(DATA / "textcls" / "SMSSpamCollection", _cfg(name))
        _, rows = ordered_split(len(data.labels), 0.7)
        return _rows(data, rows, "SMSSpam last 70%")
    if name == "FineFoods":
        return load(DATA / "textcls" / "fine_foods_test.tsv", _cfg(name))
    suffix = ".ts" if name == "JapaneseVowels" else ".tsv"
    return load(DATA / "ucr" / f"{name}_TEST{suffix}", _cfg(name))


def _rows(data: Labelled, rows, source: str) -> Labelled:
    return Labelled([data.inputs[i] for i in rows], [data.labels[i] for i in rows], data.is_text, source)


def subset(data: Labelled, rows, tag: str) -> Labelled:
    return _rows(data, rows, f"{data.source} [{tag}]")
