"""Sampling, apart from model and trainer: logits processors, steppers and `generate()`."""

from rnnkit.sample.batch import make_stepper
from rnnkit.sample.generate import generate, generate_batch
from rnnkit.sample.processors import apply_temperature, process, top_k_filter, top_p_filter

__all__ = ["apply_temperature", "generate", "generate_batch", "make_stepper", "process", "top_k_filter",
           "top_p_filter"]
