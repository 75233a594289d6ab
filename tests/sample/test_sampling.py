import pytest
import torch

from rnnkit.errors import RnnkitError
from rnnkit.models import CharLM
from rnnkit.sample import generate, process, top_k_filter, top_p_filter
from rnnkit.sample.stepper import CharLMStepper
from rnnkit.text.tokenizer import CharTokenizer


def test_top_k_keeps_the_k_largest():
    logits = torch.tensor([[1.0, 5.0, 3.0, 4.0, 2.0]])
    out = top_k_filter(logits, 2)
    assert torch.isinf(out).tolist() == [[True, False, True, False, True]]
    assert torch.equal(top_k_filter(logits, 10), logits)


def test_top_p_keeps_the_smallest_nucleus():
    probs = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
    logits = probs.log()
    kept = lambda p: (~torch.isinf(top_p_filter(logits, p))).tolist()[0]
    assert kept(0.5) == [True, False, False, False]
    assert kept(0.6) == [True, True, False, False]
    assert kept(0.8) == [True, True, False, False]
    assert kept(0.81) == [True, True, True, False]
    assert kept(1.0) == [True, True, True, True]
    assert kept(0.01) == [True, False, False, False]  # never empty
    shuffled = logits[:, [2, 0, 3, 1]]  # order of the vocabulary does not matter
    assert (~torch.isinf(top_p_filter(shuffled, 0.6))).tolist()[0] == [False, True, False, True]


def test_temperature_sharpens_and_flattens():
    logits = torch.tensor([[2.0, 1.0, 0.0]])
    cold = torch.softmax(process(logits, 0.5, None, None), -1)
    hot = torch.softmax(process(logits, 2.0, None, None), -1)
    base = torch.softmax(logits, -1)
    assert cold[0, 0] > base[0, 0] > hot[0, 0]


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("layer_norm", [False, True])
def test_stepper_matches_the_model(cell, layer_norm):
    torch.manual_seed(0)
    model = CharLM(9, cell, hidden=12, layers=2, layer_norm=layer_norm).eval()
    tokens = [3, 1, 4, 1, 5, 8]
    with torch.no_grad():
        whole, _ = model(torch.tensor([tokens]))
        _, module_state = model(torch.tensor([tokens]))
    stepper = CharLMStepper(model)
    state = stepper.from_module_state(None)
    for t, tok in enumerate(tokens):
        logits, state = stepper.step(tok, state)
        assert torch.allclose(logits[0], whole[0, t], atol=1e-5)
    final = stepper.to_module_state(state)
    pairs = zip(final, module_state) if cell == "lstm" else [(final, module_state)]
    for a, b in pairs:
        assert torch.allclose(a, b, atol=1e-5)


def _model():
    torch.manual_seed(0)
    tok = CharTokenizer.from_text("abcdefgh \n")
    return CharLM(tok.vocab_size, "lstm", hidden=16, layers=1), tok


def test_seeded_generation_is_reproducible():
    model, tok = _model()
    a = "".join(generate(model, tok, "abc", 50, temperature=1.0, seed=7))
    b = "".join(generate(model, tok, "abc", 50, temperature=1.0, seed=7))
    c = "".join(generate(model, tok, "abc", 50, temperature=1.0, seed=8))
    assert a == b and len(a) == 50 and a != c
    assert set(a) <= set(tok.chars)


def test_top_k_1_is_greedy():
    model, tok = _model()
    a = "".join(generate(model, tok, "ab", 20, top_k=1, seed=1))
    b = "".join(generate(model, tok, "ab", 20, top_k=1, seed=2))
    assert a == b
    ids = [int(i) for i in tok.encode("ab")]
    with torch.no_grad():  # the argmax of the model's own logits, the whole text re-read at each step
        for _ in range(20):
            logits, _ = model.eval()(torch.tensor([ids]))
            ids.append(int(logits[0, -1].argmax()))
    assert a == "".join(tok.chars[i] for i in ids[2:])
    assert "".join(generate(model, tok, "ab", 20, temperature=1e-6, seed=3)) == a  # the lowest temperature too


def test_a_sample_draws_its_uniforms_as_it_goes_with_the_same_text():
    """A sample of 10**12 characters starts at once (drawn up front, its uniforms were 8 TB), and
    its text is the one a short sample of the same seed gives, however the steps are cut."""
    from rnnkit.sample.batch import make_stepper
    from rnnkit.sample.streams import Batch, Stream

    model, tok = _model()
    stepper = make_stepper(model, "fp32")
    stream = Stream(stepper, tok, "ab", 10**12, seed=5)
    batch = Batch(stepper)
    batch.add(stream)
    batch.advance(7)
    batch.advance(13)
    assert stream.take() == "".join(generate(model, tok, "ab", 20, seed=5))


@pytest.mark.parametrize("kwargs,match", [
    ({"temperature": 0}, "temperature"),
    ({"temperature": -1}, "temperature"),
    ({"temperature": 1e-40}, r"between 1e-06 and 1e\+06, got 1e-40 \(for greedy decoding give --top-k 1\)"),
    ({"temperature": 1e300}, "between 1e-06 and 1e\\+06"),
    ({"top_p": 0.0}, "top-p"),
    ({"top_p": 1.5}, "top-p"),
    ({"top_k": 0}, "top-k"),
])
def test_bad_sampling_arguments(kwargs, match):
    model, tok = _model()
    with pytest.raises(RnnkitError, match=match):
        next(generate(model, tok, "ab", 5, **kwargs))


def test_prompt_with_unseen_characters():
    model, tok = _model()
    with pytest.raises(RnnkitError, match="never saw: 'X', 'Z'"):
        next(generate(model, tok, "abXcZ", 5))
