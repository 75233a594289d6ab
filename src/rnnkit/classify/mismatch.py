"""How a file to predict (or a --test file) differs from the training data: a label column that is
really the series' first value, labels training never saw, series of another length.

The label-column rule, for files where only its place marks the label (UCR `.tsv`, a headerless
wide CSV) and a univariate model:
1. training series all of one length L, and every row holds exactly L values (not L + 1): the file
   has no label column, every value is the series; unless every first value is a training class
   (1, 2, -1: a series value with a fraction never is), then they are labels of series one step
   shorter (both decisions are said in one line);
2. otherwise, when no 'label' is a training class and some are numbers with a fraction (-0.64; a
   class is written 1, 2 or a name), they are the series' first values: read as unlabelled, with
   a warning;
3. otherwise the first field is the label.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np

from rnnkit.classify.encoding import SequenceEncoder
from rnnkit.classify.loaders import Labelled, parse_number
from rnnkit.errors import RnnkitError

Log = Callable[[str], None]


def without_false_labels(data: Labelled, encoder: SequenceEncoder, decimal: str, log: Log) -> Labelled:
    """`data`, or `data` read again as unlabelled when its 'labels' are the series' first values."""
    if data.labels is None or data.label_column is None or data.is_text or encoder.n_features != 1:
        return data
    values = [_as_value(lab, decimal) for lab in data.labels]
    if any(v is None for v in values):
        return data  # a label that is no number cannot be a series value
    length = encoder.length
    seen = set(encoder.classes)
    if encoder.shortest == length and all(len(x) + 1 == length for x in data.inputs):
        if all(lab in seen for lab in data.labels):
            log(f"{data.source}: each row holds {length} values, the training series' length, but every first "
                f"value is a training class: read as the label, then series of {length - 1} values")
            return data
        log(f"{data.source}: each row holds {length} values, the training series' length, and no label: "
            "read as unlabelled")
        return _unlabelled(data, values)
    if not any(lab in seen for lab in data.labels) and any(not float(v).is_integer() for v in values):
        example = next(lab for lab, v in zip(data.labels, values) if not float(v).is_integer())
        log(f"warning: {data.source}: no value of the label column is a training class and some have a fraction "
            f"({example!r}): read as unlabelled, that column as the series' first step")
        return _unlabelled(data, values)
    return data


def _as_value(label: str, decimal: str) -> float | None:
    try:
        value = parse_number(label, "label", decimal)
    except RnnkitError:
        return None
    return None if np.isnan(value) else value


def _unlabelled(data: Labelled, values: list[float]) -> Labelled:
    at = data.label_column
    inputs = [np.insert(x, min(at, len(x)), v, axis=0).astype(np.float32) for x, v in zip(data.inputs, values)]
    return replace(data, inputs=inputs, labels=None, label_column=None)


def warn_mismatch(inputs: list, labels: list[str] | None, encoder: SequenceEncoder, source: str, log: Log) -> None:
    """One warning line each (the run goes on): labels training never saw; series of another length."""
    if labels:
        _, unseen = encoder.encode_labels([lab for lab in labels if lab != ""])
        if unseen:
            shown = ", ".join(f"{k!r}" for k in list(unseen)[:5]) + (", ..." if len(unseen) > 5 else "")
            log(f"warning: {sum(unseen.values())} rows of {source} have labels never seen in training ({shown}); "
                "the model cannot predict them")
    if encoder.is_text or not encoder.shortest:
        return
    lengths = sorted({len(x) for x in inputs})
    if encoder.shortest == encoder.length and lengths != [encoder.length]:
        shown = str(lengths[0]) if len(lengths) == 1 else f"{lengths[0]}-{lengths[-1]}"
        log(f"warning: series length {shown} of {source} differs from the training length {encoder.length} "
            "(the model reads them as they are)")
    elif lengths[0] < encoder.shortest or lengths[-1] > encoder.length:
        log(f"warning: series lengths {lengths[0]}-{lengths[-1]} of {source} lie outside the training lengths "
            f"{encoder.shortest}-{encoder.length} (the model reads them as they are)")
