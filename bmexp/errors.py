"""The one exception type for bad input.

Every validator in bmexp raises :class:`InputError` (a ``ValueError``) with a message that
names the argument, shows the value and says what is allowed.  Errors about one argument carry
its name (``InputError.argument``), so the command line can name the config key a user typed
(:meth:`InputError.renamed`) without rewriting messages.  The CLI turns an ``InputError`` into
a single line on stderr and exit code 2; any other exception is a bug.
"""

from __future__ import annotations

import re

__all__ = ["InputError", "one_line"]


class InputError(ValueError):
    """Bad input from a user: an argument, a config value or a data file.

    ``InputError(message)`` for anything; ``InputError.bad(argument, requirement, value)`` for
    one argument (``"<argument> must be <requirement>; received <value!r>"``) and
    ``InputError.about(argument, "{argument} ...")`` for other messages that start with its name.
    Such an error knows its ``argument``, and :meth:`renamed` gives the same error under another
    name (a config key): only the name at the start changes.
    """

    def __init__(self, message: str, *, argument: str | None = None):
        super().__init__(message)
        if argument is not None and not message.startswith(argument):
            raise ValueError(f"an InputError about {argument!r} must start with its name: {message!r}")
        self.argument = argument

    @classmethod
    def bad(cls, argument: str, requirement: str, value, *, shown: str | None = None) -> "InputError":
        """``<argument> must be <requirement>; received <value!r>`` (or ``shown`` for the value)."""
        return cls(
            f"{argument} must be {requirement}; received {shown if shown is not None else repr(value)}",
            argument=argument,
        )

    @classmethod
    def about(cls, argument: str, template: str) -> "InputError":
        """An error whose message is ``template`` with its leading ``{argument}`` replaced by the name
        (the rest is taken literally, braces included)."""
        if not template.startswith("{argument}"):
            raise ValueError(f"template must start with '{{argument}}'; received {template!r}")
        return cls(argument + template[len("{argument}") :], argument=argument)

    def renamed(self, name: str) -> "InputError":
        """The same error with the argument called ``name`` (e.g. ``eta`` -> ``training.eta``)."""
        if self.argument is None:
            return self
        err = type(self)(name + str(self)[len(self.argument) :], argument=name)
        err.__cause__ = self.__cause__
        return err


def one_line(exc: BaseException) -> str:
    """A message in one line: the exception, its cause, without Hydra's search-path dump."""
    parts = [str(exc)]
    if exc.__cause__ is not None and str(exc.__cause__) not in parts[0]:
        parts.append(str(exc.__cause__))
    text = " ".join(line.strip() for part in parts for line in part.splitlines() if line.strip())
    text = text.split(" Config search path:")[0]
    text = re.sub(r"\s*full_key: .*$", "", text)  # OmegaConf's trailing key/object dump
    return text or type(exc).__name__
