"""DDP on CPU with gloo: the documented equivalence, rank-0-only outputs, distributed resume,
and a dead peer failing the job (train/distributed.py explains the equivalence)."""

from __future__ import annotations

import json

import pytest
import torch
import torch.multiprocessing as mp

from rnnkit.text.task import train_text
from rnnkit.train import load_checkpoint
from tests.distributed.workers import dying_worker, equivalence_config, text_worker
from tests.helpers import tiny_text_config, write_corpus

# What gloo's event loop prints when it meets a vanished peer in a state it does not handle: it throws
# out of its own thread and the process aborts (a timing race inside gloo, pytorch/gloo#168), before
# any Python code can turn it into an error.
GLOO_ABORT = "terminate called after throwing an instance of 'gloo::"


def spawn_two(worker, tmp, name: str) -> str | None:
    """Run `worker` as 2 gloo ranks; None when both ended cleanly, else why, with the ranks' stderr."""
    try:
        mp.spawn(worker, args=(2, str(tmp), 60.0), nprocs=2, join=True)
        return None
    except mp.ProcessExitedException as e:
        errs = [(tmp / f"{name}-rank{r}.err") for r in (0, 1)]
        tails = [f"rank {r} stderr: " + (p.read_text()[-2000:] if p.exists() else "(none)") for r, p in enumerate(errs)]
        return "\n".join([str(e), *tails])


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    """One spawn of 2 gloo ranks runs every distributed training the tests below inspect."""
    tmp = tmp_path_factory.mktemp("ddp")
    write_corpus(tmp)
    failure = spawn_two(text_worker, tmp, "train")
    assert failure is None, failure
    return tmp


@pytest.fixture(scope="module")
def dead_peer(tmp_path_factory):
    """A spawn of its own where rank 1 vanishes mid-run. A run in which gloo itself aborted rank 0
    (GLOO_ABORT in its stderr) says nothing about rnnkit and is run again, at most twice more; any
    other failure fails at once."""
    for attempt in range(3):
        tmp = tmp_path_factory.mktemp("dying")
        write_corpus(tmp)
        failure = spawn_two(dying_worker, tmp, "dying")
        if failure is None or GLOO_ABORT not in failure:
            break
    assert failure is None, failure
    return tmp


def test_one_ddp_step_equals_one_step_on_the_concatenated_batch(two_ranks, tmp_path):
    # single process on the global batch of 4 streams == 2 ranks on 2 streams each
    single = train_text(equivalence_config(two_ranks / "corpus.txt"), tmp_path / "one")
    a = load_checkpoint(tmp_path / "one" / "last.pt")
    b = load_checkpoint(two_ranks / "ddp" / "last.pt")
    assert a["progress"]["step"] == b["progress"]["step"] == 6
    for key, value in a["model"].items():
        torch.testing.assert_close(b["model"][key], value, rtol=1e-5, atol=1e-6, msg=key)
    for key in ("exp_avg", "exp_avg_sq"):
        for pa, pb in zip(a["optimizer"]["state"].values(), b["optimizer"]["state"].values()):
            torch.testing.assert_close(pb[key], pa[key], rtol=1e-4, atol=1e-7)
    summary = json.loads((two_ranks / "ddp" / "summary.json").read_text())
    assert summary["processes"] == 2
    assert summary["best_val_loss"] == pytest.approx(single.summary["best_val_loss"], rel=1e-5)
    # the logged training loss is the mean over ranks, i.e. the single-process loss
    losses = [[r["loss"] for r in map(json.loads, (d / "metrics.jsonl").read_text().splitlines())
               if r["event"] == "train"] for d in (tmp_path / "one", two_ranks / "ddp")]
    assert losses[1] == pytest.approx(losses[0], rel=1e-5)


def test_only_rank_zero_writes_and_every_rank_sees_the_same_metrics(two_ranks):
    r0, r1 = (json.loads((two_ranks / f"rank{r}.json").read_text()) for r in (0, 1))
    assert r0["ends"]["ddp"] == "max_steps" and r1["ends"]["ddp"] == "not_main"
    assert r0["evals"] == r1["evals"] and len(r0["evals"]) == 2
    names = sorted(p.name for p in (two_ranks / "ddp").iterdir())
    assert names == ["best.pt", "config.json", "last.pt", "loss.png", "metrics.jsonl", "summary.json"]
    rows = (two_ranks / "ddp" / "metrics.jsonl").read_text().splitlines()
    assert len([r for r in rows if '"eval"' in r]) == 2  # written once, not once per rank
    ckpt = load_checkpoint(two_ranks / "ddp" / "last.pt")
    assert ckpt["world_size"] == 2
    h0, h1 = ckpt["ranks"][0]["carry"][0], ckpt["ranks"][1]["carry"][0]
    assert h0.shape == (2, 2, 16)  # (layers, this rank's 2 of the 4 streams, hidden)
    assert not torch.equal(h0, h1)  # each rank carries the state of its own streams


def test_distributed_resume_equals_uninterrupted(two_ranks):
    r0, r1 = (json.loads((two_ranks / f"rank{r}.json").read_text()) for r in (0, 1))
    assert r0["ends"]["cut"] == "max_steps"  # the second "cut" run: resumed to the end
    full, cut = (load_checkpoint(two_ranks / n / "last.pt") for n in ("full", "cut"))
    assert full["progress"]["step"] == cut["progress"]["step"] == 8
    for key, value in full["model"].items():
        assert torch.equal(cut["model"][key], value), key  # dropout on: per-rank RNG came back exactly


def test_resume_with_another_process_count_is_a_clear_error(two_ranks, tmp_path):
    from rnnkit.errors import RnnkitError

    import shutil

    shutil.copytree(two_ranks / "full", tmp_path / "run")
    cfg = tiny_text_config(two_ranks / "corpus.txt", max_steps=10, eval_every=4)
    cfg.model.dropout = 0.3
    with pytest.raises(RnnkitError, match="trained with 2 process"):
        train_text(cfg, tmp_path / "run", resume=True)


def test_a_dead_rank_fails_the_job_with_a_clear_error(dead_peer):
    outcome = (dead_peer / "dying0.txt").read_text()
    assert outcome.startswith("RnnkitError: rank 0: another training process failed"), outcome
    assert "--resume" in outcome and "\n" not in outcome
