"""The report's settings line says how the model's row is made beyond the network."""

from types import SimpleNamespace

from rnnkit.forecast.run import _share_note


def _est(residual, shrink):
    return SimpleNamespace(pipeline=SimpleNamespace(residual=residual), shrink=shrink)


def test_a_correction_share_of_zero_says_the_row_is_the_residual_baseline():
    assert "the network's forecast is its seasonal naive baseline" in _share_note(_est("seasonal", 0.0))
    assert "correction share 0.5 of the network's change to naive" in _share_note(_est("naive", 0.5))
    assert _share_note(_est("seasonal", 1.0)) == "" and _share_note(_est("none", 0.0)) == ""
