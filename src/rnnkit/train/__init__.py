"""Training machinery shared by every task: the `fit()` loop, schedules, checkpoints.

The trainer knows nothing about models or tasks: a task adapter (see `task.Task`) turns a batch
into a loss and evaluates; the trainer owns optimisation, schedules, evaluation cadence, early
stopping, checkpoints, logging, signals and exact resume.
"""

from rnnkit.train.checkpoint import CHECKPOINT_VERSION, load_checkpoint, save_checkpoint
from rnnkit.train.task import Task
from rnnkit.train.trainer import FitResult, fit

__all__ = ["CHECKPOINT_VERSION", "FitResult", "Task", "fit", "load_checkpoint", "save_checkpoint"]
