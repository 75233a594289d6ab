"""Sequence classification: numeric series (UCR/UEA, CSV) and short texts, with BiLSTM, attention
and unidirectional models, honest splits, per-class reports and attention views.

Modules: config (run config), loaders (files -> labelled sequences), preprocess (vocabulary,
scaler, splits), task (trainer adapter), metrics, estimator (train + report), inference
(predict, explain), plots and html (figures).
"""
