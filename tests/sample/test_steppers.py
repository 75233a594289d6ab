"""The steppers (native kernel, NumPy, the module itself) against the model: same logits, same
distribution, rows independent of the batch they are in, seeds reproducible."""

import numpy as np
import pytest
import torch

from rnnkit.models import CharLM
from rnnkit.sample import generate, generate_batch, make_stepper
from rnnkit.sample import native
from rnnkit.sample.batch import NativeStepper, RowState, Rows, pick, probs
from rnnkit.text.tokenizer import CharTokenizer

BACKENDS = ["native", "numpy"] if native.load() is not None else ["numpy"]


def _model(cell, layer_norm=True, hidden=20, vocab=11):
    torch.manual_seed(0)
    return CharLM(vocab, cell, hidden=hidden, layers=2, layer_norm=layer_norm).eval()


def _tokens(rows, steps, vocab=11):
    return np.random.default_rng(3).integers(0, vocab, (steps, rows))


@pytest.mark.parametrize("backend", BACKENDS + ["module"])
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("layer_norm", [False, True])
def test_fp32_logits_equal_the_module_to_1e_5(backend, cell, layer_norm):
    model = _model(cell, layer_norm)
    toks = _tokens(3, 12)
    with torch.no_grad():
        want, want_state = model(torch.from_numpy(toks.T.copy()))
    stepper = make_stepper(model, "fp32", backend)
    state = RowState.zeros(2, 3, 20, cell == "lstm")
    for t in range(12):
        np.testing.assert_allclose(stepper.step(toks[t], state), want[:, t].numpy(), atol=1e-5, rtol=0)
    h = want_state[0] if cell == "lstm" else want_state
    np.testing.assert_allclose(state.h, h.numpy(), atol=1e-5, rtol=0)


@pytest.mark.parametrize("precision", ["bf16", "int8"])
def test_reduced_precision_kernel_equals_its_numpy_reference(precision):
    """The kernel multiplies by exactly the dequantized weights: 1e-5 against NumPy on the same
    values; against the fp32 model the logits move by the rounding of the weights only."""
    if "native" not in BACKENDS:
        pytest.skip("no C compiler")
    model = _model("lstm")
    toks = _tokens(2, 10)
    fast, ref, exact = (make_stepper(model, p, b) for p, b in ((precision, "native"), (precision, "numpy"),
                                                                ("fp32", "native")))
    states = [RowState.zeros(2, 2, 20, True) for _ in range(3)]
    worst = 0.0
    for t in range(10):
        a, b, c = (s.step(toks[t], st) for s, st in zip((fast, ref, exact), states))
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)
        worst = max(worst, float(np.abs(a - c).max()))
    assert 0 < worst < (0.02 if precision == "bf16" else 0.05)


@pytest.mark.skipif("native" not in BACKENDS, reason="no C compiler")
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("precision", ["fp32", "bf16", "int8"])
def test_a_row_is_bitwise_the_same_in_any_batch(cell, precision):
    model = _model(cell)
    stepper = make_stepper(model, precision, "native")
    toks = _tokens(19, 8)  # two blocks of 8 rows and 3 single rows: every path of the kernel
    batch = RowState.zeros(2, 19, 20, cell == "lstm")
    together = [stepper.step(t, batch) for t in toks]
    for r in (0, 9, 15, 16, 18):
        alone = RowState.zeros(2, 1, 20, cell == "lstm")
        for t in range(8):
            assert np.array_equal(stepper.step(toks[t, r : r + 1], alone)[0], together[t][r])


SETTINGS = [(0.8, None, None), (1.3, 5, None), (0.7, None, 0.9), (1.0, 3, 0.5), (2.0, 11, 0.99), (0.5, 1, None),
            (1.0, None, 0.05)]


@pytest.mark.skipif("native" not in BACKENDS, reason="no C compiler")
def test_kernel_distribution_equals_the_processors():
    stepper = make_stepper(_model("lstm"), "fp32", "native")
    assert isinstance(stepper, NativeStepper)
    logits = (np.random.default_rng(0).standard_normal((len(SETTINGS), 11)) * 3).astype(np.float32)
    rows = Rows.of(SETTINGS)
    np.testing.assert_allclose(stepper.probs(logits, rows), probs(logits, rows), atol=1e-9)
    assert (stepper.probs(logits, rows)[5] > 0).sum() == 1  # top-k 1 is greedy


def test_inverse_cdf_sampling_has_the_distribution():
    p = np.array([[0.5, 0.0, 0.3, 0.15, 0.05]])
    u = np.random.default_rng(0).random(20000)
    picks = np.array([pick(p, u[i : i + 1])[0] for i in range(0, 20000)])
    freq = np.bincount(picks, minlength=5) / len(picks)
    assert freq[1] == 0 and np.abs(freq - p[0]).max() < 0.01


def _lm():
    torch.manual_seed(0)
    tok = CharTokenizer.from_text("abcdefgh \n")
    return CharLM(tok.vocab_size, "gru", hidden=16, layers=2, layer_norm=True), tok


@pytest.mark.parametrize("kwargs", [{}, {"top_k": 3}, {"top_p": 0.7}])
def test_batch_samples_equal_single_seeded_ones(kwargs):
    model, tok = _lm()
    texts = generate_batch(model, tok, "ab", 4, 90, 0.9, seed=11, **kwargs)
    assert texts == ["".join(generate(model, tok, "ab", 90, 0.9, seed=11 + i, **kwargs)) for i in range(4)]
    assert len(set(texts)) == 4


def test_backends_sample_the_same_text():
    model, tok = _lm()
    texts = {b: "".join(generate(model, tok, "abc", 60, 1.0, seed=3, stepper=make_stepper(model, "fp32", b)))
             for b in BACKENDS + ["module"]}
    assert len(set(texts.values())) == 1, texts


def test_without_the_kernel_sampling_falls_back_to_numpy(monkeypatch, tmp_path):
    from rnnkit.sample.batch import NumpyStepper

    model, tok = _lm()
    want = "".join(generate(model, tok, "abc", 40, 1.0, seed=5))
    monkeypatch.setenv("RNNKIT_NATIVE", "0")
    native.load.cache_clear()
    try:
        assert isinstance(make_stepper(model), NumpyStepper)
        assert "".join(generate(model, tok, "abc", 40, 1.0, seed=5)) == want
        with pytest.raises(RuntimeError, match="not available"):
            make_stepper(model, backend="native")
    finally:
        monkeypatch.delenv("RNNKIT_NATIVE")
        native.load.cache_clear()


@pytest.mark.skipif("native" not in BACKENDS, reason="no C compiler")
def test_the_kernel_builds_into_a_fresh_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNKIT_CACHE_DIR", str(tmp_path / "cache"))
    native.load.cache_clear()
    try:
        assert native.load() is not None and len(list((tmp_path / "cache").glob("rnnkit_step_*.so"))) == 1
    finally:
        native.load.cache_clear()
