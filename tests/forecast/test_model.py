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


def test_an_ensemble_returns_every_member_in_training_and_their_mean_in_eval():
    from rnnkit.models.forecaster import ForecasterEnsemble

    torch.manual_seed(0)
    members = [WindowForecaster(input_size=2, horizon=3, n_quantiles=3, hidden=8, layers=1) for _ in range(3)]
    m = ForecasterEnsemble(members)
    x = torch.randn(4, 10, 2)
    each, _ = m.train()(x)
    assert each.shape == (4, 3, 3, 3)
    assert not torch.allclose(each[..., 0], each[..., 1])  # initialised apart
    mean, _ = m.eval()(x)
    torch.testing.assert_close(mean, torch.stack([k(x)[0] for k in members], dim=-1).mean(dim=-1))


def test_each_member_is_trained_on_its_own_loss():
    from rnnkit.forecast.task import forecast_loss

    torch.manual_seed(0)
    pred = torch.randn(5, 3, 3, 2, requires_grad=True)
    target = torch.randn(5, 3)
    q = [0.1, 0.5, 0.9]
    loss = forecast_loss(pred, target, "quantile", q)
    own = [forecast_loss(pred[..., k], target, "quantile", q) for k in range(2)]
    torch.testing.assert_close(loss, (own[0] + own[1]) / 2)
    (grad,) = torch.autograd.grad(loss, pred)
    (grad0,) = torch.autograd.grad(own[0] / 2, pred)
    torch.testing.assert_close(grad[..., 0], grad0[..., 0])  # member 0's gradient reads only its own output
