"""Unit conventions: binary {0, 1} and spin {-1, 1}, and exact conversion of states.

A state is an array whose last axis runs over units.  The map between the two
conventions is ``x = 2 s - 1`` (binary ``s`` to spin ``x``) and ``s = (x + 1) / 2``.
Model conversion lives in :mod:`bmexp.model` (it needs the model); this module
only knows about unit values.
"""

from __future__ import annotations

import enum
import reprlib

import numpy as np

from .errors import InputError

__all__ = ["Convention", "as_convention", "convert_states", "check_states"]


class Convention(enum.Enum):
    """The set of values a unit can take."""

    BINARY = "binary"
    SPIN = "spin"

    @property
    def values(self) -> tuple[int, int]:
        """(off, on) values of a unit."""
        return (0, 1) if self is Convention.BINARY else (-1, 1)

    @property
    def off(self) -> int:
        return self.values[0]

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


_SPELLINGS = {
    "binary": Convention.BINARY,
    "bin": Convention.BINARY,
    "01": Convention.BINARY,
    "spin": Convention.SPIN,
    "ising": Convention.SPIN,
    "pm1": Convention.SPIN,
}


def as_convention(value: Convention | str | frozenset | set, *, name: str = "convention") -> Convention:
    """Turn any accepted spelling into a :class:`Convention`.

    Accepted: a ``Convention``, the strings ``"binary"``/``"spin"`` (case-insensitive;
    also ``"bin"``, ``"01"``, ``"ising"``, ``"pm1"``), or the value sets ``{0, 1}`` / ``{-1, 1}``.
    """
    if isinstance(value, Convention):
        return value
    if isinstance(value, str) and value.lower() in _SPELLINGS:
        return _SPELLINGS[value.lower()]
    if isinstance(value, (set, frozenset)):
        if value == {0, 1}:
            return Convention.BINARY
        if value == {-1, 1}:
            return Convention.SPIN
    raise InputError(
        f"{name} must be one of 'binary' ({{0, 1}}) or 'spin' ({{-1, 1}}); received {value!r}", argument=name
    )


def numeric_array(value, name: str, kind: str = "numeric") -> np.ndarray:
    """``value`` as a rectangular array of real numbers (bool, integer or float), else an
    :class:`InputError` naming ``name``: ragged nesting, strings, objects and complex numbers are refused."""
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):  # ragged nesting: "setting an array element with a sequence"
        raise InputError.about(
            name, f"{{argument}} must be a rectangular array of numbers; received ragged {reprlib.repr(value)}"
        ) from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise InputError.about(name, f"{{argument}} must be {kind}; received dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise InputError.about(name, f"{{argument}} must hold real numbers; received dtype {arr.dtype}")
    return arr


def check_states(states, convention: Convention | str, *, name: str = "states") -> np.ndarray:
    """Return ``states`` as a float array after checking every value is in the convention's set."""
    convention = as_convention(convention)
    arr = numeric_array(states, name)
    arr = arr.astype(np.float64, copy=False)
    off, on = convention.values
    bad = ~((arr == off) | (arr == on))
    if bad.any():
        first = arr[bad].flat[0]
        raise InputError(
            f"{name} must contain only {convention.value} values {{{off}, {on}}}; "
            f"found {float(first):g} ({int(bad.sum())} bad entries)",
            argument=name,
        )
    return arr


def convert_states(states, source: Convention | str, target: Convention | str) -> np.ndarray:
    """Convert states between conventions exactly (``x = 2 s - 1`` and back)."""
    source, target = as_convention(source, name="source"), as_convention(target, name="target")
    arr = check_states(states, source)
    if source is target:
        return arr.copy()
    if target is Convention.SPIN:
        return 2.0 * arr - 1.0
    return (arr + 1.0) / 2.0
