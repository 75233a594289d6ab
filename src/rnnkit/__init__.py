"""rnnkit: recurrent neural networks as a practical, honest tool for sequence data."""

__version__ = "0.1.0"
