"""The one exception type users see.

Anything raised as `RnnkitError` is a problem with the user's input or environment (a missing
file, a bad flag value, a corrupted checkpoint). The CLI prints its message on one line and exits
with status 2; it never prints a traceback for it.
"""


class RnnkitError(Exception):
    """A user-facing error: the message says what is wrong and what to do."""
