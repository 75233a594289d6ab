"""Learning-rate schedules, from `lr_at` directly: a linear warm-up, then a cosine decay that reaches
`min_lr_ratio * lr` exactly when the budget (steps, epochs or minutes) is spent; plateau and resume."""

import math

import pytest

from rnnkit.config import TrainConfig
from rnnkit.train.progress import Progress, progress_fraction
from rnnkit.train.schedule import Schedule


def test_warm_up_is_linear_then_the_peak():
    s = Schedule("constant", lr=1e-2, warmup_steps=4)
    assert [s.lr_at(step, None) for step in range(6)] == pytest.approx([2.5e-3, 5e-3, 7.5e-3, 1e-2, 1e-2, 1e-2])
    assert Schedule("constant", lr=1e-2, warmup_steps=0).lr_at(0, None) == 1e-2  # no warm-up: the peak at once


def test_cosine_decays_from_the_peak_to_the_floor_at_the_budgets_end():
    s = Schedule("cosine", lr=1e-2, warmup_steps=10, min_lr_ratio=0.1)
    assert s.lr_at(0, 0.0) == pytest.approx(1e-3)  # warm-up 1/10 of the peak
    assert s.lr_at(9, 0.1) == pytest.approx(1e-2 * (0.1 + 0.9 * 0.5 * (1 + math.cos(0.1 * math.pi))))
    assert s.lr_at(50, 0.5) == pytest.approx(1e-2 * (0.1 + 0.9 * 0.5))  # half-way: half-way to the floor
    assert s.lr_at(100, 1.0) == pytest.approx(1e-3)  # the floor, min_lr_ratio * lr
    assert s.lr_at(120, 1.3) == pytest.approx(1e-3)  # past the budget it stays there
    after_warm_up = [s.lr_at(10 + i, i / 90) for i in range(91)]
    assert all(a >= b for a, b in zip(after_warm_up, after_warm_up[1:]))  # never rises again
    assert after_warm_up[0] == pytest.approx(1e-2) and after_warm_up[-1] == pytest.approx(1e-3)
    assert s.lr_at(50, None) == pytest.approx(1e-2)  # no known budget: no decay


@pytest.mark.parametrize("budget, prog", [
    ({"max_steps": 200}, Progress(step=200)),
    ({"max_epochs": 4}, Progress(step=200, epoch=4, index=0)),
    ({"max_minutes": 2.0}, Progress(step=37, elapsed_s=120.0)),  # a wall-clock budget ends on the floor too
])
def test_every_budget_ends_on_the_floor(budget, prog):
    cfg = TrainConfig(lr=3e-3, warmup_steps=20, min_lr_ratio=0.05, **budget)
    s = Schedule("cosine", cfg.lr, cfg.warmup_steps, cfg.min_lr_ratio)
    assert progress_fraction(cfg, prog, n_batches=50) == pytest.approx(1.0)
    assert s.lr_at(prog.step, progress_fraction(cfg, prog, 50)) == pytest.approx(0.05 * 3e-3)
    half = Progress(step=prog.step // 2, epoch=prog.epoch // 2, elapsed_s=prog.elapsed_s / 2)
    assert progress_fraction(cfg, half, 50) == pytest.approx(0.5)


def test_the_furthest_budget_drives_the_decay():
    cfg = TrainConfig(max_steps=1000, max_minutes=1.0)
    assert progress_fraction(cfg, Progress(step=100, elapsed_s=45.0), 10) == pytest.approx(0.75)


def test_plateau_cuts_after_patience_bad_evaluations_and_resumes_exactly():
    s = Schedule("plateau", lr=1e-2, warmup_steps=0, factor=0.5, patience=2)
    for metric in (1.0, 1.1, 1.2):  # a best, then two bad evaluations: within patience
        s.observe(metric)
    assert s.lr_at(10, 0.5) == 1e-2
    s.observe(1.3)  # the third: cut
    assert s.lr_at(10, 0.5) == pytest.approx(5e-3) and s.bad_evals == 0
    again = Schedule("plateau", lr=1e-2, warmup_steps=0)
    again.load_state_dict(s.state_dict())
    assert again == s and again.lr_at(11, 0.6) == s.lr_at(11, 0.6)
    cosine = Schedule("cosine", lr=1e-2, warmup_steps=0)
    cosine.observe(1.0)
    cosine.observe(2.0)
    cosine.observe(3.0)
    cosine.observe(4.0)
    assert cosine.scale == 1.0  # only the plateau schedule reacts to evaluations
