"""Argument checks, written once for the whole library.

Each function returns the value in its canonical type or raises
:class:`~bmexp.errors.InputError` naming the argument (``InputError.argument``), showing the
value and saying what is allowed, e.g. ``epochs must be an integer >= 1; received 0``.  Booleans
are never numbers here (``True`` is not an epoch count).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Iterable

import numpy as np

from .errors import InputError

__all__ = ["generator", "grid", "integer", "model", "number", "one_of", "path", "probability", "seed"]

#: numpy.random.default_rng takes any non-negative integer; bmexp keeps seeds to 64 bits so they
#: fit MLflow params, YAML and every tool that reads them back
MAX_SEED = 2**64 - 1


#: Memory a call may plan to allocate (bytes; this machine has 24 GiB).
MEMORY_LIMIT = 8 * 2**30
#: Spin updates a call may plan (about 6 hours at 50 million a second on one core).
WORK_LIMIT = 10**12


def _bytes(n: float) -> str:
    if n >= 1e21:  # (beyond exabytes a power of ten reads better than a prefix)
        return f"{n:.3g} bytes"
    for unit, size in (("EB", 1e18), ("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.3g} bytes"


def within(
    name: str,
    value,
    *,
    memory: float = 0.0,
    work: float = 0.0,
    what: str,
    memory_limit: float = MEMORY_LIMIT,
    work_limit: float = WORK_LIMIT,
    work_unit: str = "spin updates",
) -> None:
    """Refuse ``value`` of argument ``name`` when the memory (bytes) or work (``work_unit``: spin
    updates unless said otherwise, with a ``work_limit`` of about 6 hours in that unit) it plans
    exceeds the limits, with the estimate: checked before anything is allocated."""
    if memory > memory_limit:
        raise InputError.about(
            name,
            f"{{argument}} = {value} would need {_bytes(memory)} of memory for {what}; "
            f"the limit is {_bytes(memory_limit)}",
        )
    if work > work_limit:
        raise InputError.about(
            name,
            f"{{argument}} = {value} would take {work:.3g} {work_unit} for {what}; "
            f"the limit is {work_limit:.0e} (about 6 hours here)",
        )


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _bound(low, high, low_open=False, high_open=False) -> str:
    if low is not None and high is not None:
        return f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f" {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f" {'<' if high_open else '<='} {high:g}"
    return ""


def integer(value, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """An integer (Python or numpy, not bool) in ``[low, high]``."""
    if not _is_int(value) or (low is not None and value < low) or (high is not None and value > high):
        raise InputError.bad(name, "an integer" + _bound(low, high), value)
    return int(value)


def number(
    value,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real number (not bool) within the bounds (open or closed)."""
    ok = _is_real(value) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        raise InputError.bad(name, "a finite number" + _bound(low, high, low_open, high_open), value)
    return float(value)


def probability(value, name: str = "alpha") -> float:
    """A number in the open interval (0, 1): a significance level, a power."""
    if not (_is_real(value) and 0 < value < 1):
        raise InputError.bad(name, "a number in (0, 1)", value)
    return float(value)


def one_of(value, name: str, allowed: Iterable):
    """One of ``allowed`` (compared with ``==``; a list is shown)."""
    allowed = list(allowed)
    try:
        ok = value in allowed
    except (TypeError, ValueError):  # unhashable, incomparable, or an array (no single truth value)
        ok = False
    if not ok:
        raise InputError.bad(name, f"one of {allowed}", value)
    return value


def grid(value, name: str, *, first: float, last: float, min_length: int = 2) -> np.ndarray:
    """A strictly increasing sequence of finite numbers from ``first`` to ``last`` with at least
    ``min_length`` entries (an annealing schedule of inverse temperatures), as a float array."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.ndim != 1 or isinstance(value, (str, bytes)):
        raise InputError.bad(name, f"a sequence of at least {min_length} numbers", value)
    if arr.size < min_length:
        raise InputError.bad(name, f"a sequence of at least {min_length} numbers from {first:g} to {last:g}", value)
    if not np.all(np.isfinite(arr)) or arr[0] != first or arr[-1] != last or np.any(np.diff(arr) <= 0):
        raise InputError.bad(
            name, f"strictly increasing from {first:g} to {last:g}", value, shown=np.array2string(arr, threshold=8)
        )
    return arr


def seed(value, name: str = "seed") -> int:
    """A seed for ``numpy.random.default_rng``: an integer in [0, 2**64 - 1]."""
    if not _is_int(value) or not 0 <= value <= MAX_SEED:
        raise InputError.bad(name, "an integer in [0, 2**64 - 1]", value)
    return int(value)


def generator(value, name: str = "rng") -> np.random.Generator:
    """A ``numpy.random.Generator`` (not a seed, not the legacy ``RandomState``)."""
    if not isinstance(value, np.random.Generator):
        raise InputError.bad(name, "a numpy.random.Generator", value, shown=type(value).__name__)
    return value


def model(value, name: str = "model"):
    """A :class:`bmexp.BoltzmannMachine`."""
    from .model import BoltzmannMachine

    if not isinstance(value, BoltzmannMachine):
        raise InputError.bad(name, "a BoltzmannMachine", value, shown=type(value).__name__)
    return value


#: The image formats plots are written in (matplotlib's, by the file's suffix)
PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg", ".eps", ".ps", ".tif", ".tiff")


def schedule(value, name: str = "schedule", *, optional: bool = False):
    """A :class:`bmexp.schedules.Schedule` (or None when ``optional``)."""
    from .schedules import Schedule

    if value is None and optional:
        return None
    if not isinstance(value, Schedule):
        wanted = "a bmexp Schedule or None" if optional else "a bmexp Schedule"
        raise InputError.bad(name, wanted, value, shown=type(value).__name__)
    return value


def path(value, name: str, *, kind: str = "file", suffixes: Iterable[str] | None = None) -> Path:
    """An existing, readable file (``kind="file"``), a writable directory (``kind="out_dir"``: an
    existing one, or one that can be created -- not created here) or a file to write (``kind="out_file"``:
    not a directory, in a writable directory, with one of ``suffixes``), named by a string or ``os.PathLike``."""
    if not isinstance(value, (str, os.PathLike)) or not str(value):
        raise InputError.bad(name, "a path", value)
    p = Path(value)
    if kind == "file":
        if suffixes is not None and p.suffix.lower() not in set(suffixes):
            raise InputError.about(
                name, "{argument} must be a " + " or ".join(suffixes) + f" file; received {str(p)!r}"
            )
        if p.is_dir():
            raise InputError.about(name, f"{{argument}} must be a file; {str(p)!r} is a directory")
        if not p.exists():
            raise InputError.about(name, f"{{argument}} must name an existing file; {str(p)!r} does not exist")
        if not os.access(p, os.R_OK):
            raise InputError.about(name, f"{{argument}} must be readable; {str(p)!r} is not (permission denied)")
        return p
    if kind == "out_dir":
        if p.exists() and not p.is_dir():
            raise InputError.about(name, f"{{argument}} must be a directory; {str(p)!r} is a file")
        # Created to prove it can be, then removed again: a command refused later (or that writes
        # nothing) leaves no empty directory behind; the writer creates it.
        missing, q = [], p.absolute()
        while not q.exists():
            missing.append(q)
            q = q.parent
        created = []
        try:
            for d in reversed(missing):
                d.mkdir()
                created.append(d)
        except OSError as exc:
            raise InputError.about(
                name, f"{{argument}} must be a directory bmexp can create; {str(p)!r}: {exc.strerror}"
            ) from None
        finally:
            for d in reversed(created):
                d.rmdir()
        if not os.access(p if p.exists() else q, os.W_OK | os.X_OK):
            raise InputError.about(name, f"{{argument}} must be writable; {str(p)!r} is not (permission denied)")
        return p
    if kind == "out_file":
        if suffixes is not None and p.suffix.lower() not in set(suffixes):
            raise InputError.about(name, "{argument} must end in " + ", ".join(suffixes) + f"; received {str(p)!r}")
        if p.is_dir() or str(value).endswith(("/", os.sep)):
            raise InputError.about(name, f"{{argument}} must be a file path; {str(value)!r} is a directory")
        if p.is_symlink() and not p.exists():  # (writing would create its target; the probe would remove the link)
            raise InputError.about(name, f"{{argument}} must be a file path; {str(p)!r} is a dangling symbolic link")
        if p.exists() and not p.is_file():  # (a FIFO would block the write, a device would swallow it)
            raise InputError.about(name, f"{{argument}} must be a regular file; {str(p)!r} is not")
        path(p.parent, name, kind="out_dir")
        if p.parent.is_dir():  # proved by creating it (removed again unless it was there): /proc accepts nothing
            existed = p.exists()
            try:
                with open(p, "ab"):
                    pass
            except OSError as exc:
                raise InputError.about(
                    name, f"{{argument}} must be a file bmexp can write; {str(p)!r}: {exc.strerror}"
                ) from None
            if not existed:
                p.unlink()
        return p
    raise ValueError(f"kind must be 'file', 'out_dir' or 'out_file'; received {kind!r}")  # a bug in bmexp
