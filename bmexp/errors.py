"""The one exception type for bad input.

Every validator in bmexp raises :class:`InputError` (a ``ValueError``) with a message
that names the argument, shows the value and says what is allowed.  The CLI turns it
into a single line on stderr and exit code 2; any other exception is a bug.
"""

__all__ = ["InputError"]


class InputError(ValueError):
    """Bad input from a user: an argument, a config value or a data file."""
