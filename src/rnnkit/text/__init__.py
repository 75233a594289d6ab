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


import importlib

# The names load on first use, so that the torch-free tokenizer imports without PyTorch (the ONNX runner).
_WHERE = {
    "CharTokenizer": "rnnkit.text.tokenizer",
    **{name: "rnnkit.text.task" for name in ("TextDataConfig", "TextRunConfig", "load_text_model", "score_text",
                                             "train_text")},
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'rnnkit.text' has no attribute {name!r}")
