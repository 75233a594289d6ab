import hashlib

import pytest

from rnnkit import datasets
from rnnkit.datasets import Dataset
from rnnkit.errors import RnnkitError


@pytest.fixture
def fake(monkeypatch, tmp_path):
    body = b"to be or not to be\n" * 50
    ds = Dataset("fake", "http://127.0.0.1:9/fake.txt", hashlib.sha256(body).hexdigest(), "text/fake.txt", "test")
    monkeypatch.setitem(datasets.REGISTRY, "fake", ds)
    monkeypatch.setenv("RNNKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RNNKIT_DATA_DIR", raising=False)
    return ds, body


def test_mirror_wins(fake, monkeypatch, tmp_path):
    ds, body = fake
    mirror = tmp_path / "mirror"
    (mirror / "text").mkdir(parents=True)
    (mirror / "text" / "fake.txt").write_bytes(body)
    monkeypatch.setenv("RNNKIT_DATA_DIR", str(mirror))
    assert datasets.fetch("fake") == mirror / "text" / "fake.txt"


def test_cache_is_used_and_checked(fake, tmp_path):
    ds, body = fake
    cached = tmp_path / "cache" / "text" / "fake.txt"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(body)
    assert datasets.fetch("FAKE") == cached
    cached.write_bytes(b"tampered")
    with pytest.raises(RnnkitError, match="does not match dataset 'fake'"):
        datasets.fetch("fake")


def test_unreachable_says_how_to_provide_it(fake):
    ds, _ = fake
    with pytest.raises(RnnkitError) as err:
        datasets.fetch("fake", timeout=2)
    msg = str(err.value)
    assert ds.url in msg and "RNNKIT_DATA_DIR" in msg and "text/fake.txt" in msg


def test_download_is_verified(fake, monkeypatch, tmp_path):
    import io

    ds, body = fake
    monkeypatch.setattr(datasets.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(body))
    path = datasets.fetch("fake")
    assert path.read_bytes() == body
    (path).unlink()
    monkeypatch.setattr(datasets.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(b"evil"))
    with pytest.raises(RnnkitError, match="expected"):
        datasets.fetch("fake")
    assert not path.exists() and list(path.parent.iterdir()) == []


def test_unknown_name():
    with pytest.raises(RnnkitError, match="unknown dataset"):
        datasets.fetch("nope")


def test_real_mirror_has_tinyshakespeare(shared_data, monkeypatch):
    monkeypatch.setenv("RNNKIT_DATA_DIR", str(shared_data))
    assert datasets.fetch("tinyshakespeare").stat().st_size == 1115394
