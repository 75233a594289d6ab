"""WindowForecaster: shapes, and for unidirectional cores, chunks with carried state == whole window."""

import pytest
import torch

from rnnkit.models import WindowForecaster


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "bilstm", "attention"])
def test_shapes(cell):
    m = WindowForecaster(input_size=3, horizon=4, n_quantiles=3, cell=cell, hidden=8, layers=2)
    y, state = m(torch.randn(5, 12, 3))  # x: (B, T, F)
    assert y.shape == (5, 4, 3) and state is not None


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_chunks_with_state_equal_the_whole_window(cell):
    torch.manual_seed(0)
    m = WindowForecaster(input_size=2, horizon=3, n_quantiles=1, cell=cell, hidden=8, layers=2).eval()
    x = torch.randn(4, 10, 2)
    whole, _ = m(x)
    _, state = m(x[:, :6])
    chunked, _ = m(x[:, 6:], state)
    torch.testing.assert_close(chunked, whole)
