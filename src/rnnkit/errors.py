"""The one exception type users see.

Anything raised as `RnnkitError` is a problem with the user's input or environment (a missing
file, a bad flag value, a corrupted checkpoint). The CLI prints its message on one line and exits
with status 2; it never prints a traceback for it.
"""


class RnnkitError(Exception):
    """A user-facing error: the message says what is wrong and what to do."""


class TrainingDiverged(RnnkitError):
    """The training loss became NaN or infinite: the run stops without a report or a verdict (its
    last good last.pt is kept)."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped a training run after last.pt was saved. A KeyboardInterrupt, so
    that everything above (a search, the CLI: exit status 130) treats it as Ctrl-C, and nothing
    after training (a test score, a report, a verdict) runs for a half-trained model."""
