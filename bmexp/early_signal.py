"""SIGTERM and Ctrl-C while the CLI is still starting.

``python -m bmexp`` (and the ``bmexp`` script) spend about a second importing numpy, pandas,
OmegaConf and Hydra before :func:`bmexp.cli.main` installs its handler (SIGTERM unwinds like Ctrl-C).
A SIGTERM in that second took the default action: the process died with exit 143 (-15 seen from
its parent) instead of the documented interrupted exit, 130.  Imported first by the package, this
module records such a signal from the moment the CLI's process imports bmexp (nothing else
happens to a process that merely imports the library); ``main`` then takes it as the interrupt
as soon as it starts, before anything is written.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

__all__ = ["PENDING", "is_cli", "take"]

#: the first SIGTERM / SIGINT that came before the CLI's own handler was installed
PENDING: list[int] = []


def is_cli(orig_argv: list[str], argv0: str) -> bool:
    """Is this process ``python [options] -m bmexp ...`` or the ``bmexp`` script?"""
    if "-m" in orig_argv:
        k = orig_argv.index("-m")
        return orig_argv[k + 1 : k + 2] == ["bmexp"]
    return Path(argv0).name == "bmexp"


def _record(signum, frame) -> None:
    if not PENDING:
        PENDING.append(signum)


def take() -> int | None:
    """The signal recorded before the CLI's handler (then forgotten), or None."""
    return PENDING.pop() if PENDING else None


if is_cli(list(getattr(sys, "orig_argv", [])), sys.argv[0] if sys.argv else ""):
    signal.signal(signal.SIGTERM, _record)
    signal.signal(signal.SIGINT, _record)
