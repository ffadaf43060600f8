"""The one exception type for bad input.

Every validator in bmexp raises :class:`InputError` (a ``ValueError``) with a message
that names the argument, shows the value and says what is allowed.  The CLI turns it
into a single line on stderr and exit code 2; any other exception is a bug.
"""

import re

__all__ = ["InputError", "one_line"]


class InputError(ValueError):
    """Bad input from a user: an argument, a config value or a data file."""


def one_line(exc: BaseException) -> str:
    """A message in one line: the exception, its cause, without Hydra's search-path dump."""
    parts = [str(exc)]
    if exc.__cause__ is not None and str(exc.__cause__) not in parts[0]:
        parts.append(str(exc.__cause__))
    text = " ".join(line.strip() for part in parts for line in part.splitlines() if line.strip())
    text = text.split(" Config search path:")[0]
    text = re.sub(r"\s*full_key: .*$", "", text)  # OmegaConf's trailing key/object dump
    return text or type(exc).__name__
