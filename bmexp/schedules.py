"""Annealing schedules: a sequence of (temperature, sweeps) steps ending at ``T_end``.

The model is defined at T = 1; annealing from ``T0 > 1`` down to 1 is only a way to reach
equilibrium faster.  Every schedule is a frozen :class:`Schedule` with the explicit
``steps``; the constructors are the post's recipes:

* :meth:`Schedule.linear` -- ``T0, T0 - step, ...`` while above ``T_end``, then
  ``final_sweeps`` at ``T_end`` (default: twice the sweeps per temperature, as the post advises);
* :meth:`Schedule.geometric` -- ``T0, T0 f, T0 f^2, ...`` while above ``T_end``, then the final sweeps;
* :meth:`Schedule.explicit` -- a list of temperatures (repeats allowed), e.g. the post's
  ``[20, 15, 10, 5, 1, 1]`` with 2 sweeps each;
* :meth:`Schedule.constant` -- ``sweeps`` at one temperature (no annealing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from . import arguments
from .errors import InputError

__all__ = ["DEFAULT_LINEAR", "MAX_SWEEPS", "Schedule"]

#: Most sweeps a schedule may hold (its per-sweep temperatures are one float each: 0.8 GB here).
MAX_SWEEPS = 10**8

#: The one default schedule -- of the checks, of ``schedule=linear`` on the command line (the
#: config schema reads it from here) and of the testing kit: T0 = 5, steps of 1, 2 sweeps per
#: temperature, then 20 sweeps at T = 1 (28 sweeps).  On slide35 and on a 6-unit model with
#: biases, every declared kernel (heat bath or Metropolis, sequential or random scan) ends
#: within TV 1e-4 of Boltzmann (tests/test_schedules.py); 2 x sweeps per temperature at the end
#: (12 sweeps) leaves random scan 0.03 away.
DEFAULT_LINEAR = {"T0": 5.0, "step": 1.0, "sweeps_per_temperature": 2, "final_sweeps": 20}


def _positive_int(value, name: str) -> int:
    return arguments.integer(value, name, low=1)


def _positive_float(value, name: str) -> float:
    return arguments.number(value, name, low=0, low_open=True)


#: the lowest temperature: 1 / T times a unit's gap (up to 2 for spins) must be a finite float64.
#: Below about 1.1e-308 it is inf, and inf x 0 = NaN made every comparison with a zero field false
#: (a free unit with no field stayed off instead of taking each value with probability 1/2).
MIN_TEMPERATURE = 1e-300


def _temperature(value, name: str) -> float:
    return arguments.number(value, name, low=MIN_TEMPERATURE)


def _check_size(n_hot: float, spt: int, final: int, knob: str, what: str) -> None:
    """Refuse a schedule before building it when it would exceed MAX_SWEEPS (floats: no overflow)."""
    hot = float(n_hot) * float(spt)
    total = hot + float(final)
    if total <= MAX_SWEEPS:
        return
    blame = knob if n_hot > MAX_SWEEPS else "sweeps_per_temperature" if hot > final else "final_sweeps"
    raise InputError.about(
        blame,
        f"{{argument}} must keep the schedule within {MAX_SWEEPS:.0e} sweeps; {what}, "
        f"{spt} sweeps per temperature and {final} final sweeps give {total:.3g}",
    )


@dataclass(frozen=True)
class Schedule:
    """Explicit annealing schedule: ``temperatures[k]`` held for ``sweeps[k]`` sweeps."""

    temperatures: tuple[float, ...]
    sweeps: tuple[int, ...]
    kind: str = "explicit"

    def __post_init__(self) -> None:
        temps, sweeps = tuple(self.temperatures), tuple(self.sweeps)
        if not temps:
            raise InputError("temperatures must be a non-empty list of numbers > 0; received []")
        if len(sweeps) != len(temps):
            raise InputError(f"sweeps must have one entry per temperature ({len(temps)}); received {len(sweeps)}")
        object.__setattr__(self, "temperatures", tuple(_temperature(t, "temperature") for t in temps))
        object.__setattr__(self, "sweeps", tuple(_positive_int(s, "sweeps") for s in sweeps))
        if sum(self.sweeps) > MAX_SWEEPS:
            raise InputError.about(
                "sweeps",
                f"{{argument}} must keep the schedule within {MAX_SWEEPS:.0e} sweeps; "
                f"received {sum(self.sweeps)} sweeps in all",
            )

    # ------------------------------------------------------------ constructors
    @classmethod
    def linear(
        cls, T0: float, step: float, *, sweeps_per_temperature: int, T_end: float = 1.0, final_sweeps: int | None = None
    ) -> "Schedule":
        """``T0, T0 - step, ...`` (each for ``sweeps_per_temperature``) while above ``T_end``, then
        ``final_sweeps`` (default ``2 * sweeps_per_temperature``) at ``T_end``."""
        T0, step, T_end = _temperature(T0, "T0"), _positive_float(step, "step"), _temperature(T_end, "T_end")
        if T0 < T_end:
            raise InputError.about("T0", f"{{argument}} must be >= T_end = {T_end:g}; received T0 = {T0:g}")
        spt = _positive_int(sweeps_per_temperature, "sweeps_per_temperature")
        final = 2 * spt if final_sweeps is None else _positive_int(final_sweeps, "final_sweeps")
        _check_size(max(0.0, (T0 - T_end) / step), spt, final, "T0", f"T0 = {T0:g}, step = {step:g}")
        n_hot = max(0, math.ceil((T0 - T_end) / step - 1e-9))  # temperatures strictly above T_end
        temps = [T0 - k * step for k in range(n_hot)]
        return cls(tuple(temps) + (T_end,), (spt,) * n_hot + (final,), kind="linear")

    @classmethod
    def geometric(
        cls,
        T0: float,
        factor: float,
        *,
        sweeps_per_temperature: int,
        T_end: float = 1.0,
        final_sweeps: int | None = None,
    ) -> "Schedule":
        """``T0 * factor**k`` while above ``T_end``, then ``final_sweeps`` at ``T_end``."""
        T0, T_end = _temperature(T0, "T0"), _temperature(T_end, "T_end")
        arguments.probability(factor, "factor")
        if T0 < T_end:
            raise InputError.about("T0", f"{{argument}} must be >= T_end = {T_end:g}; received T0 = {T0:g}")
        spt = _positive_int(sweeps_per_temperature, "sweeps_per_temperature")
        final = 2 * spt if final_sweeps is None else _positive_int(final_sweeps, "final_sweeps")
        n_hot = math.log(T_end / T0) / math.log(factor) if T0 > T_end else 0.0
        _check_size(n_hot, spt, final, "T0", f"T0 = {T0:g}, factor = {factor:g}")
        temps = []
        t = T0
        while t > T_end * (1 + 1e-12):
            temps.append(t)
            t *= factor
        return cls(tuple(temps) + (T_end,), (spt,) * len(temps) + (final,), kind="geometric")

    @classmethod
    def explicit(cls, temperatures: Sequence[float], *, sweeps_per_temperature: int | Sequence[int] = 1) -> "Schedule":
        """Given temperatures (repeats allowed), each for ``sweeps_per_temperature`` sweeps."""
        bad_type = isinstance(temperatures, (str, bytes, dict, set)) or not hasattr(temperatures, "__len__")
        if bad_type or len(temperatures) == 0:  # (a dict's keys, a set's order: not a sequence of temperatures)
            raise InputError.bad("temperatures", "a non-empty list of numbers > 0", temperatures)
        temps = [_temperature(t, "temperatures") for t in temperatures]
        if any(b > a for a, b in zip(temps, temps[1:])):
            raise InputError.bad(
                "temperatures",
                "a list that never increases (annealing cools towards the final temperature)",
                list(temperatures),
            )
        if isinstance(sweeps_per_temperature, (int, np.integer)) and not isinstance(sweeps_per_temperature, bool):
            sweeps = (sweeps_per_temperature,) * len(temperatures)
        else:
            sweeps = tuple(sweeps_per_temperature)
        return cls(tuple(temperatures), sweeps, kind="explicit")

    @classmethod
    def constant(cls, sweeps: int, *, T: float = 1.0) -> "Schedule":
        """``sweeps`` sweeps at temperature ``T`` (default 1: no annealing)."""
        return cls((_temperature(T, "T"),), (_positive_int(sweeps, "sweeps"),), kind="constant")

    @classmethod
    def default(cls) -> "Schedule":
        """The default schedule, :data:`DEFAULT_LINEAR` (28 sweeps)."""
        return cls.linear(
            DEFAULT_LINEAR["T0"],
            DEFAULT_LINEAR["step"],
            sweeps_per_temperature=DEFAULT_LINEAR["sweeps_per_temperature"],
            final_sweeps=DEFAULT_LINEAR["final_sweeps"],
        )

    @classmethod
    def post(cls) -> "Schedule":
        """The post's notebook schedule: [20, 15, 10, 5, 1, 1], 2 sweeps each."""
        return cls.explicit([20, 15, 10, 5, 1, 1], sweeps_per_temperature=2)

    # --------------------------------------------------------------- views
    @property
    def steps(self) -> list[tuple[float, int]]:
        """``[(temperature, sweeps), ...]`` in order."""
        return list(zip(self.temperatures, self.sweeps))

    @property
    def total_sweeps(self) -> int:
        return sum(self.sweeps)

    @property
    def final_temperature(self) -> float:
        return self.temperatures[-1]

    def sweep_temperatures(self) -> np.ndarray:
        """The temperature of every sweep, in order (length ``total_sweeps``)."""
        return np.repeat(np.array(self.temperatures), self.sweeps)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "temperatures": list(self.temperatures),
            "sweeps": list(self.sweeps),
            "total_sweeps": self.total_sweeps,
        }
