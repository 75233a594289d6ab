"""Character-level text: tokenizer, corpus loading, TBPTT stream batching, the training task.

Python API::

    from rnnkit.text import TextRunConfig, train_text, load_text_model, score_text
    from rnnkit.sample import generate

    cfg = TextRunConfig()
    cfg.data.corpus = "tinyshakespeare"          # or a path to any UTF-8 file
    cfg.train.max_minutes = 5
    train_text(cfg, "runs/shakespeare")
    model, tokenizer, _ = load_text_model("runs/shakespeare")
    print("".join(generate(model, tokenizer, "ROMEO:", 200, temperature=0.8, seed=0)))
"""

from rnnkit.text.task import TextDataConfig, TextRunConfig, load_text_model, score_text, train_text
from rnnkit.text.tokenizer import CharTokenizer

__all__ = ["CharTokenizer", "TextDataConfig", "TextRunConfig", "load_text_model", "score_text", "train_text"]
