import numpy as np
import pytest

from rnnkit.errors import RnnkitError
from rnnkit.text.tokenizer import CharTokenizer


@pytest.mark.parametrize("text", [
    "hello, world\n",
    "床前明月光，疑是地上霜。举头望明月，低头思故乡。",
    "def f(x):\n\treturn x ** 2  # ünïcödé 🙂\n",
])
def test_round_trip(text):
    tok = CharTokenizer.from_text(text)
    ids = tok.encode(text)
    assert ids.dtype == np.uint16
    assert len(ids) == len(text)
    assert tok.decode(ids) == text
    assert tok.vocab_size == len(set(text))
    again = CharTokenizer.from_dict(tok.to_dict())
    assert again.chars == tok.chars and again.decode(again.encode(text)) == text


def test_ids_follow_sorted_code_points():
    tok = CharTokenizer.from_text("cab")
    assert tok.chars == ["a", "b", "c"]
    assert tok.encode("abc").tolist() == [0, 1, 2]


def test_unknown_characters_are_listed():
    tok = CharTokenizer.from_text("abc")
    assert tok.unknown("abxyx") == ["x", "y"]
    with pytest.raises(RnnkitError, match="never saw: 'x', 'y'"):
        tok.encode("abxy")
    # characters above and below the vocabulary's range
    assert tok.unknown("\n猫") == ["\n", "猫"]


def test_chunked_encoding_matches_whole(monkeypatch):
    from rnnkit.text import tokenizer as module

    text = "ab猫\\n" * 1000 + "zq"
    whole = CharTokenizer.from_text(text)
    monkeypatch.setattr(module, "CHUNK", 7)  # many uneven chunks
    chunked = CharTokenizer.from_text(text)
    assert chunked.chars == whole.chars
    assert np.array_equal(chunked.encode(text), whole.encode(text))
    with pytest.raises(RnnkitError, match="'X'"):
        chunked.encode("ab" * 10 + "X")


def test_windows_line_ends_in_text_for_a_model_that_saw_only_newlines_are_named():
    tok = CharTokenizer.from_text("ab\ncd\n")
    with pytest.raises(RnnkitError, match=r"never saw: '\\r'; '\\r' comes from Windows line ends .*dos2unix"):
        tok.encode("ab\r\ncd\r\n")
    with pytest.raises(RnnkitError) as e:
        tok.encode("abz")
    assert "Windows" not in str(e.value)  # other unseen characters get no such hint
