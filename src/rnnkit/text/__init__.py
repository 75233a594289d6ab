"""Character-level text: tokenizer, corpus loading, TBPTT stream batching, the training task."""
