"""Classification over HTTP (`POST /v1/classify`, added by classify/spec.py): one text or one
numeric series -> the predicted class and the probabilities. Bad input raises `RnnkitError`."""

from __future__ import annotations

from typing import Any

import numpy as np

from rnnkit.errors import RnnkitError


def classify(entry, text: str | None, series: list | None) -> dict[str, Any]:
    import torch

    from rnnkit.classify.task import Encoded, predict_proba

    enc = entry.objects["encoder"]
    if (text is None) == (series is None):
        raise RnnkitError("give exactly one of \"text\" or \"series\"")
    if enc.is_text and text is None:
        raise RnnkitError(f"model {entry.name} classifies texts; post \"text\"")
    if not enc.is_text and series is None:
        raise RnnkitError(f"model {entry.name} classifies numeric series; post \"series\"")
    if text is not None:
        item: Any = text
    else:
        try:
            x = np.asarray(series, dtype=np.float32)
        except ValueError:  # ragged: steps with different numbers of features
            raise RnnkitError("\"series\" steps must all have the same number of features") from None
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != enc.n_features or not np.isfinite(x).all():
            raise RnnkitError(f"\"series\" must be a list of steps, each {enc.n_features} finite number(s)")
        item = x
    ids, lengths, truncated = enc.encode([item])
    probs, weights = predict_proba(entry.objects["model"], Encoded(ids, lengths, torch.tensor([-1])))
    p = probs[0]
    return {"predicted": enc.classes[int(p.argmax())], "probabilities": dict(zip(enc.classes, map(float, p))),
            "truncated": bool(truncated)}
