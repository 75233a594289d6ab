"""Small builders shared by tests."""

from __future__ import annotations

from pathlib import Path

from rnnkit.config import TrainConfig
from rnnkit.text.task import TextDataConfig, TextLMTask, TextRunConfig, build_model, split_ids
from rnnkit.text.tokenizer import CharTokenizer

CORPUS = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
    "First Citizen:\nYou are all resolved rather to die than to famish?\n\nAll:\nResolved. resolved.\n\n"
) * 12


def write_corpus(tmp_path: Path, text: str = CORPUS, name: str = "corpus.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def tiny_text_config(corpus: Path, **train) -> TextRunConfig:
    cfg = TextRunConfig()
    cfg.model.hidden, cfg.model.layers, cfg.model.dropout = 16, 2, 0.2
    cfg.data.corpus, cfg.data.seq_len, cfg.data.batch_size = str(corpus), 16, 4
    defaults = dict(max_steps=12, eval_every=4, warmup_steps=2, log_every=2, threads=1, precision="fp32", lr=1e-2)
    defaults.update(train)
    cfg.train = TrainConfig(**defaults)
    return cfg


def tiny_task(text: str = CORPUS, seed: int = 0):
    tok = CharTokenizer.from_text(text)
    train_ids, val_ids = split_ids(tok.encode(text), 0.1)
    data = TextDataConfig(seq_len=16, batch_size=4)
    return tok, TextLMTask(train_ids, val_ids, data, seed)
