"""Exact distribution of a Gibbs sampler's final state after a schedule (tiny models).

Each single-site heat-bath update of unit ``i`` at temperature ``T`` is a linear map on the
distribution over all ``2**n`` states (a sparse transition matrix ``K_i``): the pair of
states that differ only in unit ``i`` pools its probability and splits it as
``sigmoid(gap_i / T)`` : ``1 - sigmoid(gap_i / T)``.  A sequential sweep is
``K_{n-1} ... K_1 K_0``; a random-scan update is ``(1/n) sum_i K_i``.  Applying these maps
to a start distribution gives the exact output of a schedule.  The post's flip rule has
the same kernel for two-state units, so one function serves both rules.

Comparing samples with this output tells a sampler bug apart from a schedule that is too
short; comparing this output with the Boltzmann distribution measures the schedule alone.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
from scipy.special import expit

from .errors import InputError
from .model import BoltzmannMachine
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
            raise InputError(f"start must be a probability vector of length {2**n} summing to 1; "
                             f"received shape {p0.shape}, sum {p0.sum() if p0.size else 0:g}")
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


def _site_update(cube: np.ndarray, i: int, p_on: np.ndarray) -> np.ndarray:
    """Apply ``K_i``: ``p_on`` has the cube's shape with axis i of length 1."""
    pooled = cube.sum(axis=i, keepdims=True)
    return np.concatenate([pooled * (1.0 - p_on), pooled * p_on], axis=i)


def schedule_output(model: BoltzmannMachine, schedule: Schedule, *, start="random",
                    clamp: dict | None = None, fixed: Iterable[int] = (), scan: str = "sequential",
                    max_units: int = MAX_UNITS_SCHEDULE, gaps: np.ndarray | None = None) -> np.ndarray:
    """Exact distribution (over all ``2**n`` states, index order) of the final state.

    start : "random", "off" or a probability vector (see :func:`start_distribution`).
    clamp : ``{unit index: value}`` held by every chain (conditions the start, never updated).
    fixed : further units never updated -- e.g. hidden units clamped to a different random
        value per chain: give a ``start`` vector that mixes them and list them here.
    gaps : optional ``(2**n, n)`` array replacing the activation gaps ``E(off) - E(on)`` of
        every unit in every state (column i must not depend on unit i); used to compute the
        exact output of deliberately wrong samplers (:mod:`bmexp.testing.mutants`).
    """
    n = model.n_units
    if n > max_units:
        raise InputError(f"schedule_output needs n_units <= max_units = {max_units}; received a model "
                         f"with n_units = {n}")
    if scan not in ("sequential", "random"):
        raise InputError(f"scan must be one of ['sequential', 'random']; received {scan!r}")
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
        p_on = [expit(g / temperature) for g in gap_cubes]
        for _ in range(sweeps):
            if scan == "sequential":
                for i in free:
                    cube = _site_update(cube, i, p_on[i])
            else:
                for _ in range(n):
                    mixed = sum(_site_update(cube, i, p_on[i]) for i in free)
                    cube = (mixed + (n - len(free)) * cube) / n
    return cube.reshape(-1).copy()
