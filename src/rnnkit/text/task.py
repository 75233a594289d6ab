"""Character language modelling as a trainer task, its run config, and the Python API
(`train_text`, `load_text_model`, `score_text`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rnnkit.config import TextModelConfig, TrainConfig, resolve, to_dict
from rnnkit.console import progress
from rnnkit.errors import RnnkitError
from rnnkit.models import CharLM
from rnnkit.models.state import State
from rnnkit.text.batching import StreamBatches, batches_per_epoch
from rnnkit.text.corpus import read_text, resolve_corpus
from rnnkit.text.tokenizer import CharTokenizer
from rnnkit.train import fit, load_checkpoint
from rnnkit.train.fingerprint import data_fingerprint
from rnnkit.train.runtime import apply_threads
from rnnkit.train.trainer import FitResult

LN2 = math.log(2.0)


@dataclass
class TextDataConfig:
    corpus: str = "tinyshakespeare"
    encoding: str = "utf-8"
    errors: str = "strict"  # strict | replace | ignore
    seq_len: int = 128
    batch_size: int = 64
    val_fraction: float = 0.1  # the last 10%, as nanoGPT splits it
    val_streams: int = 16
    val_max_chars: int | None = 1_000_000  # evaluate on at most this much of the held-out part (its start)


def _text_model() -> TextModelConfig:
    return TextModelConfig(cell="lstm", hidden=256, layers=2, dropout=0.3, layer_norm=True)


def _text_train() -> TrainConfig:
    return TrainConfig(lr=3e-3, max_steps=20000, eval_every=250, warmup_steps=100, precision="auto")


@dataclass
class TextRunConfig:
    model: TextModelConfig = field(default_factory=_text_model)
    train: TrainConfig = field(default_factory=_text_train)
    data: TextDataConfig = field(default_factory=TextDataConfig)


def check_config(cfg: TextRunConfig, processes: int = 1) -> None:
    """`processes`: the DDP world size; each process trains batch_size / processes of the streams."""
    m, d = cfg.model, cfg.data
    if m.cell not in m.CELLS:
        raise RnnkitError(f"--cell must be one of {', '.join(m.CELLS)} for text, got {m.cell!r}")
    if d.seq_len < 1 or d.batch_size < 1:
        raise RnnkitError("--seq-len and --batch-size must be >= 1")
    if not 0.0 < d.val_fraction < 1.0:
        raise RnnkitError(f"val_fraction must be in (0, 1), got {d.val_fraction}")
    if processes > 1 and d.batch_size % processes:
        raise RnnkitError(f"--batch-size {d.batch_size} does not divide among {processes} processes (--nproc): "
                          f"each process trains its own share of the streams; use a multiple of {processes}")


def build_model(cfg: TextModelConfig, vocab_size: int) -> CharLM:
    return CharLM(vocab_size, cfg.cell, cfg.hidden, cfg.layers, cfg.dropout, cfg.embed_dim,
                  cfg.tie_weights, cfg.layer_norm)


def fit_to_corpus(data: TextDataConfig, n: int, processes: int = 1) -> str | None:
    """Shrink batch_size (then seq_len) in place until the n training characters hold one batch,
    so a small corpus trains instead of being refused; the saved config records the sizes used.
    Returns the line that says so, or None when the corpus already holds a batch."""
    def fits(b: int, t: int) -> bool:
        return batches_per_epoch(n, b, t) >= 1

    b, t = data.batch_size, data.seq_len
    if fits(b, t):
        return None
    while b > processes and not fits(b, t):
        b -= processes
    while t > 8 and not fits(b, t):
        t = max(8, t // 2)
    if not fits(b, t):
        raise RnnkitError(f"the training part ({n} chars) is too short to train on ({b} streams x {t} "
                          "characters do not fit); use a longer corpus")
    before = f"{data.batch_size} x {data.seq_len}"
    data.batch_size, data.seq_len = b, t
    return (f"the training part ({n} chars) is shorter than --batch-size x --seq-len = {before}: "
            f"training {b} x {t} instead")


def split_ids(ids: np.ndarray, val_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Chronological split: the first (1 - val_fraction) for training, the rest for validation."""
    cut = int(len(ids) * (1.0 - val_fraction))
    return ids[:cut], ids[cut:]


class TextLMTask:
    """Next-character prediction with truncated BPTT (see text/batching.py)."""

    unit = "chars"
    monitor = "val_loss"

    def __init__(self, train_ids: np.ndarray, val_ids: np.ndarray, data: TextDataConfig, seed: int):
        try:
            self.stream = StreamBatches(train_ids, data.batch_size, data.seq_len, seed=seed)
        except ValueError:
            raise RnnkitError(
                f"the training part ({len(train_ids)} chars) is shorter than one chunk of "
                f"batch_size x seq_len = {data.batch_size} x {data.seq_len}; use a longer corpus or "
                f"smaller --batch-size/--seq-len"
            ) from None
        if data.val_max_chars is not None:
            val_ids = val_ids[: data.val_max_chars + 1]
        n_val = max(1, min(data.val_streams, (len(val_ids) - 1) // 2))
        length = (len(val_ids) - 1) // n_val
        if length < 2:
            raise RnnkitError(f"the validation part ({len(val_ids)} chars) is too short; use a longer corpus")
        # (S, L+1): each validation stream read whole, state carried, in chunks
        self.val = np.stack([val_ids[i * length : i * length + length + 1] for i in range(n_val)])

    def batches_per_epoch(self) -> int:
        return self.stream.batches_per_epoch()

    def batch(self, epoch: int, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.stream.batch(epoch, index)

    def train_loss(self, model: nn.Module, batch, carry: State):
        x, y = batch
        logits, state = model(x, carry)  # (B, T, V)
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1))
        return loss, state, y.numel()

    def evaluate(self, model: nn.Module, device: torch.device) -> dict[str, float]:
        nats = mean_nats(model, self.val, device)
        return {"val_loss": nats, "val_bpc": nats / LN2}


def mean_nats(model: nn.Module, streams: np.ndarray, device: torch.device, chunk: int = 512) -> float:
    """Mean cross-entropy (nats/char) of predicting streams[:, 1:] from streams[:, :-1], reading
    each row left to right with the state carried across chunks."""
    total, count, state = 0.0, 0, None
    ids = torch.from_numpy(streams.astype(np.int64))
    for a in range(0, ids.shape[1] - 1, chunk):
        x = ids[:, a : a + chunk].to(device)
        y = ids[:, a + 1 : a + 1 + chunk].to(device)
        x = x[:, : y.shape[1]]
        logits, state = model(x, state)
        total += float(F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum"))
        count += y.numel()
    return total / count


def prepare_text(cfg: TextRunConfig, processes: int, log) -> tuple[Path, CharTokenizer, np.ndarray, np.ndarray,
                                                                     np.ndarray, TextLMTask]:
    """Read and encode the corpus, split it, fit the batch to it (cfg.data in place) and build the
    task: (corpus path, tokenizer, ids, training ids, validation ids, task). Raises RnnkitError
    when the corpus cannot be trained on (missing, empty, too short)."""
    path = resolve_corpus(cfg.data.corpus)
    text = read_text(path, cfg.data.encoding, cfg.data.errors)
    tokenizer = CharTokenizer.from_text(text)
    ids = tokenizer.encode(text)
    del text
    train_ids, val_ids = split_ids(ids, cfg.data.val_fraction)
    note = fit_to_corpus(cfg.data, len(train_ids), processes)
    if note:
        log(note)
    task = TextLMTask(train_ids, val_ids, cfg.data, cfg.train.seed)
    return path, tokenizer, ids, train_ids, val_ids, task


def train_text(cfg: TextRunConfig, out: str | Path, resume: bool = False, on_step=None, on_eval=None,
               log=None) -> FitResult:
    """Train a character language model as `cfg` says, into run folder `out`."""
    from rnnkit.train.distributed import world_size

    check_config(cfg, world_size())
    apply_threads(cfg.train.threads)
    path, tokenizer, ids, train_ids, val_ids, task = prepare_text(cfg, world_size(), log or progress)
    torch.manual_seed(cfg.train.seed)
    model = build_model(cfg.model, tokenizer.vocab_size)
    extra = {"tokenizer": tokenizer.to_dict(), "corpus": str(path), "train_chars": int(len(train_ids)),
             "val_chars": int(len(val_ids))}
    config = to_dict(cfg)
    result = fit(model, task, cfg.train, out, kind="text", config=config, architecture=config["model"], extra=extra,
                 resume=resume, data_fingerprint=data_fingerprint(extra["tokenizer"], ids), on_step=on_step,
                 on_eval=on_eval, log=log)
    metrics = Path(out) / "metrics.jsonl"
    if metrics.is_file() and metrics.stat().st_size:  # other DDP ranks never get here (NotMainRank)
        from rnnkit.plots import plot_loss_curves

        plot_loss_curves(metrics, Path(out) / "loss.png", title=f"{cfg.model.cell} {cfg.model.layers}x{cfg.model.hidden}: loss (nats/char)")
    return result


def resolve_text_config(config_file: str | None, overrides: dict[str, Any]) -> TextRunConfig:
    return resolve(TextRunConfig, config_file, overrides)


def load_text_model(run: str | Path) -> tuple[CharLM, CharTokenizer, TextRunConfig]:
    """The best checkpoint of a text run folder (or a checkpoint file), in eval mode on the CPU."""
    from rnnkit.config import from_dict

    ckpt = load_checkpoint(run, kind="text")
    cfg = from_dict(TextRunConfig, ckpt["config"])
    tokenizer = CharTokenizer.from_dict(ckpt["extra"]["tokenizer"])
    model = build_model(cfg.model, tokenizer.vocab_size)
    try:
        from rnnkit.train.int8 import load_weights  # int8 runs (rnnkit quantize) too

        model = load_weights(model, ckpt)
    except RuntimeError as e:
        raise RnnkitError(f"checkpoint in {run} does not match its own config ({str(e).splitlines()[0]})") from None
    model.eval()
    return model, tokenizer, cfg


@torch.inference_mode()
def score_text(model: CharLM, tokenizer: CharTokenizer, text: str) -> dict[str, float]:
    """nats/char, bits/char and perplexity of `text` (each character predicted from all before it)."""
    ids = tokenizer.encode(text)
    if len(ids) < 2:
        raise RnnkitError("the text to score needs at least 2 characters")
    nats = mean_nats(model, ids[None, :], torch.device("cpu"))
    return {"chars": int(len(ids) - 1), "nats_per_char": nats, "bits_per_char": nats / LN2,
            "perplexity": math.exp(nats)}
