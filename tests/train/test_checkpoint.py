import collections

import pytest
import torch

from rnnkit.errors import RnnkitError
from rnnkit.train import load_checkpoint, save_checkpoint


def test_round_trip_and_atomic_replace(tmp_path):
    path = tmp_path / "ck.pt"
    save_checkpoint(path, {"kind": "text", "model": {"w": torch.arange(3.0)}, "config": {"a": 1}})
    save_checkpoint(path, {"kind": "text", "model": {"w": torch.ones(3)}, "config": {"a": 2}})
    data = load_checkpoint(path, kind="text")
    assert torch.equal(data["model"]["w"], torch.ones(3))
    assert data["config"] == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["ck.pt"]  # no temporary files left


def test_run_folder_resolves_to_best_then_last(tmp_path):
    save_checkpoint(tmp_path / "last.pt", {"kind": "text", "tag": "last"})
    assert load_checkpoint(tmp_path)["tag"] == "last"
    save_checkpoint(tmp_path / "best.pt", {"kind": "text", "tag": "best"})
    assert load_checkpoint(tmp_path)["tag"] == "best"


def test_errors(tmp_path):
    with pytest.raises(RnnkitError, match="no checkpoint"):
        load_checkpoint(tmp_path)
    with pytest.raises(RnnkitError, match="no such run folder"):
        load_checkpoint(tmp_path / "nope")
    path = tmp_path / "ck.pt"
    save_checkpoint(path, {"kind": "forecast", "model": {"w": torch.randn(100)}})
    with pytest.raises(RnnkitError, match="holds a 'forecast' model"):
        load_checkpoint(path, kind="text")
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(RnnkitError, match="truncated or corrupted"):
        load_checkpoint(path)
    path.write_bytes(b"garbage" * 10)
    with pytest.raises(RnnkitError, match="truncated or corrupted"):
        load_checkpoint(path)


class Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_never_unpickles_arbitrary_objects(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "rnnkit-checkpoint", "version": 1, "x": Evil()}, path)
    with pytest.raises(RnnkitError, match="holds code .*print.*was not loaded"):
        load_checkpoint(path)


def test_not_an_rnnkit_checkpoint(tmp_path):
    path = tmp_path / "other.pt"
    torch.save(collections.OrderedDict(w=torch.ones(1)), path)
    with pytest.raises(RnnkitError, match="not an rnnkit checkpoint"):
        load_checkpoint(path)


def test_a_long_load_error_is_shortened_at_a_word_boundary():
    from rnnkit.train.checkpoint import _shortened

    long = ("PytorchStreamReader failed reading zip archive: failed finding central directory. This is an "
            "internal miniz error. If you are seeing this")  # torch's message for a truncated file
    assert _shortened(long) == ("PytorchStreamReader failed reading zip archive: failed finding central directory. "
                                "This is an internal miniz error. If ...")
    assert _shortened("short") == "short"
