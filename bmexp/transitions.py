"""Exact distribution of a sampler's final state after a schedule (tiny models), per kernel.

Each single-site update of unit ``i`` at temperature ``T`` is a linear map on the distribution
over all ``2**n`` states (a sparse transition matrix ``K_i``) that moves probability between
the two states differing only in unit ``i``.  With ``g = gap_i = E(off) - E(on)``:

* heat bath: the pair pools its probability and splits it ``1 - sigmoid(g / T) : sigmoid(g / T)``
  (the post's flip rule and dwave's "Gibbs" criterion are this kernel for two-state units);
* Metropolis: off -> on with probability ``min(1, exp(g / T))``, on -> off with
  ``min(1, exp(-g / T))``.

A sequential sweep is ``K_{n-1} ... K_1 K_0``; a random-scan update is ``(1/n) sum_i K_i``
(n of them a sweep).  Applying these maps to a start distribution gives the exact output of a
schedule for the declared :class:`~bmexp.samplers.contract.Kernel`.

Comparing samples with this output tells a sampler bug apart from a schedule that is too
short; comparing this output with the Boltzmann distribution measures the schedule alone.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
from scipy.special import expit

from .errors import InputError
from .model import BoltzmannMachine
from .samplers.contract import HEAT_BATH_SEQUENTIAL, Kernel
from .schedules import Schedule
from .states import all_states

__all__ = ["MAX_UNITS_SCHEDULE", "schedule_output", "start_distribution"]

#: Largest model whose schedule output is computed (2**12 states, a sweep costs n * 2**n).
MAX_UNITS_SCHEDULE = 12


def start_distribution(model: BoltzmannMachine, start="random", clamp: dict | None = None) -> np.ndarray:
    """Distribution over all states of the chains' start.

    start : "random" (uniform), "off" (every unit off) or a probability vector over ``2**n`` states.
    clamp : ``{unit index: value}`` applied to every chain (the start is conditioned on it).
    """
    n = model.n_units
    if isinstance(start, str):
        if start == "random":
            p0 = np.full(2**n, 1.0 / 2**n)
        elif start == "off":
            p0 = np.zeros(2**n)
            p0[0] = 1.0
        else:
            raise InputError(f"start must be 'random', 'off' or a probability vector; received {start!r}")
    else:
        p0 = np.asarray(start, dtype=float)
        if p0.shape != (2**n,) or np.any(p0 < 0) or not np.isclose(p0.sum(), 1.0, atol=1e-9):
            raise InputError(
                f"start must be a probability vector of length {2**n} summing to 1; "
                f"received shape {p0.shape}, sum {p0.sum() if p0.size else 0:g}"
            )
    if clamp:
        on = model.convention.values[1]
        cube = p0.reshape((2,) * n).copy()
        for unit, value in clamp.items():
            keep = int(value == on)
            index = [slice(None)] * n
            index[unit] = 1 - keep
            cube[tuple(index)] = 0.0
        total = cube.sum()
        if total <= 0:
            raise InputError(f"start distribution gives probability 0 to the clamp {clamp!r}")
        p0 = cube.reshape(-1) / total
    return p0


def _site_update(cube: np.ndarray, i: int, move: tuple[np.ndarray, np.ndarray | None]) -> np.ndarray:
    """Apply ``K_i``.  ``move = (p_on, None)`` (heat bath: the new state's probability of on) or
    ``(a, b)`` (P(off -> on), P(on -> off)); each has the cube's shape with axis i of length 1."""
    a, b = move
    if b is None:
        pooled = cube.sum(axis=i, keepdims=True)
        return np.concatenate([pooled * (1.0 - a), pooled * a], axis=i)
    off, on = np.take(cube, [0], axis=i), np.take(cube, [1], axis=i)
    return np.concatenate([off * (1.0 - a) + on * b, off * a + on * (1.0 - b)], axis=i)


def _moves(gap_cubes, temperature: float, rule: str):
    if rule == "heat_bath":
        return [(expit(g / temperature), None) for g in gap_cubes]
    # Metropolis: exp of a non-positive number, so no overflow
    return [(np.exp(np.minimum(g / temperature, 0.0)), np.exp(np.minimum(-g / temperature, 0.0))) for g in gap_cubes]


def schedule_output(
    model: BoltzmannMachine,
    schedule: Schedule,
    *,
    start="random",
    clamp: dict | None = None,
    fixed: Iterable[int] = (),
    kernel: Kernel = HEAT_BATH_SEQUENTIAL,
    max_units: int = MAX_UNITS_SCHEDULE,
    gaps: np.ndarray | None = None,
) -> np.ndarray:
    """Exact distribution (over all ``2**n`` states, index order) of the final state.

    kernel : the sampler's :class:`~bmexp.samplers.contract.Kernel` (rule x scan); an unknown
        kernel has no exact output.
    start : "random", "off" or a probability vector (see :func:`start_distribution`).
    clamp : ``{unit index: value}`` held by every chain (conditions the start, never updated).
    fixed : further units never updated -- e.g. hidden units clamped to a different random
        value per chain: give a ``start`` vector that mixes them and list them here.
    gaps : optional ``(2**n, n)`` array replacing the activation gaps ``E(off) - E(on)`` of
        every unit in every state (column i must not depend on unit i); used to compute the
        exact output of deliberately wrong samplers (:mod:`bmexp.testing.mutants`).
    """
    from . import arguments

    n = arguments.model(model).n_units
    if not isinstance(schedule, Schedule):
        raise InputError.bad("schedule", "a bmexp Schedule", schedule, shown=type(schedule).__name__)
    if n > max_units:
        raise InputError(
            f"schedule_output needs n_units <= max_units = {max_units}; received a model with n_units = {n}"
        )
    if not isinstance(kernel, Kernel) or not kernel.known:
        raise InputError(
            f"kernel must be a declared bmexp.samplers.Kernel (rule x scan); received {kernel!r}: "
            "an unknown kernel has no exact schedule output"
        )
    clamp = dict(clamp or {})
    held = set(int(u) for u in fixed) | set(int(u) for u in clamp)
    free = [i for i in range(n) if i not in held]
    p = start_distribution(model, start, clamp)
    # gap_i(rest) for every state: E(off) - E(on), evaluated with unit i set either way
    if gaps is None:
        off, on = model.convention.values
        states = all_states(n, model.convention)
        gaps = (on - off) * (states @ model.weights + model.biases)  # field ignores s_i (zero diagonal)
    gap_cubes = []
    for i in range(n):
        g = gaps[:, i].reshape((2,) * n)
        gap_cubes.append(np.take(g, [0], axis=i))  # independent of s_i
    cube = p.reshape((2,) * n)
    for temperature, sweeps in schedule.steps:
        moves = _moves(gap_cubes, temperature, kernel.rule)
        for _ in range(sweeps):
            if kernel.scan == "sequential":
                for i in free:
                    cube = _site_update(cube, i, moves[i])
            else:
                for _ in range(n):
                    mixed = sum(_site_update(cube, i, moves[i]) for i in free)
                    cube = (mixed + (n - len(free)) * cube) / n
    return cube.reshape(-1).copy()
