"""The classification run config: [model], [train] and [data] tables with classification defaults.

The defaults were chosen by measurement across all five benchmark sets (bench/classify_bench.py,
bench/results/classify.md): one default for numeric sequences and one for texts, nothing tuned to a
single file. `eval_every = 0` means "once per epoch" and is replaced by the real number of steps
before training, so the config written into the run folder says what actually ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rnnkit.config import ModelConfig, TrainConfig

MODEL_KINDS = ("bilstm", "attention", "lstm", "gru", "rnn")
FORMATS = ("auto", "ucr", "ts", "csv", "tsv")


@dataclass
class DataConfig:
    """How files become labelled sequences, and how they are split and encoded."""

    format: str = "auto"  # auto | ucr | ts | csv | tsv (auto: by extension and content)
    label_col: str | None = None  # csv/tsv: name, or 0-based index with header = false
    text_col: str | None = None  # csv/tsv: set for text classification
    id_col: str | None = None  # long-format csv/tsv: one row per step, grouped by this column
    time_col: str | None = None  # long format: order of the steps within a sequence
    header: bool = True  # csv/tsv: first line names the columns
    # texts
    tokens: str = "word"  # word | char
    lowercase: bool = True
    digits: bool = True  # word tokens: keep digits; false maps every digit to 0 (numbers match by shape)
    max_len: int = 200  # tokens kept per text; longer texts are truncated with a warning
    min_freq: int = 1  # rarer training tokens map to UNK
    max_vocab: int = 30000
    # numeric sequences
    normalize: str = "train"  # train (per-feature scaler fit on the training part) | series (z-score per series) | none
    patch: int = 0  # steps folded into one recurrent step; 0 = auto (at most `max_steps` steps)
    max_steps: int = 24  # target number of recurrent steps for patch = 0
    jitter: float = 0.0  # augmentation: std of Gaussian noise added to (scaled) numeric training inputs
    # splits and batches
    val_fraction: float = 0.2  # stratified, carved from the training part
    test_fraction: float = 0.2  # only without --test
    split: str = "stratified"  # stratified | ordered (ordered: the last test_fraction of rows is the test part)
    batch_size: int = 16
    class_weights: bool = False  # weight the loss by inverse class frequency
    monitor: str = "loss"  # loss | accuracy: what picks best.pt and drives early stopping


def _model() -> ModelConfig:
    return ModelConfig(cell="attention", hidden=64, layers=1, dropout=0.2)


def _train() -> TrainConfig:
    return TrainConfig(
        lr=3e-3, weight_decay=0.01, warmup_steps=20, max_epochs=150, patience=40, eval_every=0, log_every=10,
    )


@dataclass
class ClassifyRunConfig:
    model: ModelConfig = field(default_factory=_model)
    train: TrainConfig = field(default_factory=_train)
    data: DataConfig = field(default_factory=DataConfig)
