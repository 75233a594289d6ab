"""Tiny runs trained once per session for the export tests."""

from __future__ import annotations

import pytest

from tests.export import runs


@pytest.fixture(scope="session")
def export_root(tmp_path_factory):
    return tmp_path_factory.mktemp("export")


@pytest.fixture(scope="session")
def text_lstm(export_root):
    return runs.text_run(export_root, "lstm")


@pytest.fixture(scope="session")
def forecast_lstm(export_root):
    return runs.forecast_run(export_root, "lstm")


@pytest.fixture(scope="session")
def forecast_ensemble(export_root):
    """`--ensemble 2`: two networks in one module, exported as one whole-window graph."""
    return runs.forecast_run(export_root, "lstm", ensemble=2)


@pytest.fixture(scope="session")
def classify_attention(export_root):
    # with the texts' n-gram bag head, weighed by tf-idf as the text defaults do
    return runs.classify_run(export_root, "attention", text=True, ngrams=64, weighting="tfidf")


@pytest.fixture(scope="session")
def classify_kernels(export_root):
    """The classify defaults' random-feature head (`kernels = 500`), on series folded into patches of 3."""
    return runs.classify_run(export_root, "bilstm", text=False, summary="both", kernels=500, length=60)
