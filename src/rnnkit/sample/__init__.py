"""Sampling, apart from model and trainer: logits processors and `generate()`."""

from rnnkit.sample.generate import generate
from rnnkit.sample.processors import apply_temperature, process, top_k_filter, top_p_filter

__all__ = ["apply_temperature", "generate", "process", "top_k_filter", "top_p_filter"]
