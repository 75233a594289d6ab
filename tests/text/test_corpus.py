import pytest

from rnnkit.errors import RnnkitError
from rnnkit.text.corpus import read_text, resolve_corpus


def test_invalid_utf8_names_the_byte_offset(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes("héllo ".encode() + b"\xff\xfe world")
    with pytest.raises(RnnkitError, match=r"byte offset 7 \(byte 0xff\).*--encoding.*--errors"):
        read_text(path)
    assert read_text(path, errors="replace") == "héllo \ufffd\ufffd world"
    assert read_text(path, encoding="latin-1").endswith("world")


def test_binary_empty_and_missing(tmp_path):
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\x00\x01\x02abc")
    with pytest.raises(RnnkitError, match="binary"):
        read_text(binary)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(RnnkitError, match="is empty"):
        read_text(empty)
    with pytest.raises(RnnkitError, match="corpus not found"):
        resolve_corpus(str(tmp_path / "missing.txt"))
    with pytest.raises(RnnkitError, match="unknown --encoding"):
        read_text(empty, encoding="klingon")


def test_bom_is_dropped(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfabc")
    assert read_text(path) == "abc"
