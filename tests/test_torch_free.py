"""The preprocessing the ONNX runner shares with the PyTorch commands imports no torch (a machine
that runs exported models has none), and the runner keeps no copies of it."""

import subprocess
import sys

import numpy as np
import pytest

TORCH_FREE = [
    "rnnkit.export.runner",
    "rnnkit.text.tokenizer",
    "rnnkit.text.checks",
    "rnnkit.classify.encoding",
    "rnnkit.forecast.pipeline",
]


@pytest.mark.parametrize("module", TORCH_FREE)
def test_module_imports_without_torch(module):
    code = f"import sys, {module}\nassert 'torch' not in sys.modules, 'torch was imported'\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_the_runner_uses_the_shared_code_not_copies():
    from rnnkit.classify import encoding
    from rnnkit.export import runner
    from rnnkit.text import checks, tokenizer

    assert runner.check_request is checks.check_request
    assert runner.CharTokenizer is tokenizer.CharTokenizer
    assert runner.SequenceEncoder is encoding.SequenceEncoder


def test_runner_series_encoding_equals_the_training_encoding():
    from rnnkit.classify.config import DataConfig
    from rnnkit.classify.encoding import SequenceEncoder
    from rnnkit.errors import RnnkitError
    from rnnkit.export.runner import encode_series

    rng = np.random.default_rng(0)
    train = [rng.standard_normal((n, 2)).astype(np.float32) for n in (17, 23, 20)]
    enc = SequenceEncoder.fit(train, ["a", "b", "a"], False, DataConfig(normalize="train", patch=4, context=1))
    x, lengths, _ = enc.encode([train[1]])
    assert np.array_equal(encode_series(enc, train[1]), x.numpy())
    assert int(lengths[0]) == x.shape[1] == 6
    with pytest.raises(RnnkitError, match=r"a series must be \(steps, 2\) finite values"):
        encode_series(enc, np.full((5, 2), np.inf))
