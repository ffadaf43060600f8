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

__all__ = ["MAX_JOINT_UNITS", "MAX_UNITS_SCHEDULE", "pt_output", "schedule_output", "start_distribution"]

#: Largest model whose schedule output is computed (2**12 states, a sweep costs n * 2**n).
MAX_UNITS_SCHEDULE = 12


def start_distribution(model: BoltzmannMachine, start="random", clamp: dict | None = None) -> np.ndarray:
    """Distribution over all states of the chains' start.

    start : "random" (uniform), "off" (every unit off) or a probability vector over ``2**n`` states.
    clamp : ``{unit index: value}`` applied to every chain: as the samplers do, each clamped unit is set to its
        value whatever the start gave it (for "random" and "off" the same as conditioning on the clamp, which
        refused "off" with a unit clamped on although the samplers accept it).
    """
    n = model.n_units
    clamp = exact_clamp(model, clamp)
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
    if clamp:  # as the samplers do: each clamped unit set to its value, whatever the start gave it
        on = model.convention.values[1]
        cube = p0.reshape((2,) * n)
        for unit, value in clamp.items():
            index = [slice(None)] * n
            index[unit] = int(value == on)
            moved = np.zeros_like(cube)
            moved[tuple(index)] = cube.sum(axis=unit)
            cube = moved
        p0 = cube.reshape(-1)
    return p0


def exact_clamp(model: BoltzmannMachine, clamp) -> dict[int, float]:
    """``clamp`` as ``{unit index: value}``, checked as the samplers check it (unit indices or names, values
    of the model's convention: :func:`bmexp.samplers.normalize_clamp`); one value per unit, the same for
    every chain (an exact output holds every chain at the same values)."""
    from .samplers.gibbs import normalize_clamp

    if clamp is None or (isinstance(clamp, dict) and not clamp):
        return {}
    idx, vals = normalize_clamp(model, clamp, 1)
    return {int(i): float(v) for i, v in zip(idx, vals[0])}


def _units(model: BoltzmannMachine, units, name: str) -> set[int]:
    """``units`` (indices or names of the model's units) as a set of indices, else InputError naming ``name``."""
    from .samplers.gibbs import unit_indices

    if isinstance(units, (str, bytes)) or not isinstance(units, Iterable):
        raise InputError.bad(name, "a list of unit indices or names", units, shown=type(units).__name__)
    return set(unit_indices(model, units, name))


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
    arguments.schedule(schedule)
    if n > max_units:
        raise InputError(
            f"schedule_output needs n_units <= max_units = {max_units}; received a model with n_units = {n}"
        )
    if not isinstance(kernel, Kernel) or not kernel.known:
        raise InputError(
            f"kernel must be a declared bmexp.samplers.Kernel (rule x scan); received {kernel!r}: "
            "an unknown kernel has no exact schedule output"
        )
    clamp = exact_clamp(model, clamp)
    held = _units(model, fixed, "fixed") | set(clamp)
    free = [i for i in range(n) if i not in held]
    p = start_distribution(model, start, clamp)
    gap_cubes = _gap_cubes(model, gaps)
    cube = p.reshape((2,) * n)
    for temperature, sweeps in schedule.steps:
        moves = _moves(gap_cubes, temperature, kernel.rule)
        for _ in range(sweeps):
            cube = _sweep(cube, moves, free, kernel.scan, n, axis0=0)
    return cube.reshape(-1).copy()


def _gap_cubes(model: BoltzmannMachine, gaps: np.ndarray | None) -> list[np.ndarray]:
    """gap_i(rest) = E(off) - E(on) for every state, as cubes with axis i of length 1."""
    n = model.n_units
    if gaps is None:
        off, on = model.convention.values
        states = all_states(n, model.convention)
        gaps = (on - off) * (states @ model.weights + model.biases)  # field ignores s_i (zero diagonal)
    return [np.take(gaps[:, i].reshape((2,) * n), [0], axis=i) for i in range(n)]  # independent of s_i


def _sweep(cube: np.ndarray, moves, free: list[int], scan: str, n: int, axis0: int) -> np.ndarray:
    """One sweep on ``cube`` whose unit axes start at ``axis0`` (earlier axes: a batch)."""
    if scan == "sequential":
        for i in free:
            cube = _site_update(cube, axis0 + i, moves[i])
        return cube
    for _ in range(n):
        mixed = sum(_site_update(cube, axis0 + i, moves[i]) for i in free)
        cube = (mixed + (n - len(free)) * cube) / n
    return cube


#: Largest joint chain of parallel tempering computed exactly: units x replicas <= 16 (65,536 states).
MAX_JOINT_UNITS = 16


def pt_output(
    model: BoltzmannMachine,
    schedule: Schedule,
    temperatures,
    *,
    kernel: Kernel = HEAT_BATH_SEQUENTIAL,
    swap: str = "deo",
    start="random",
    clamp: dict | None = None,
    swap_betas=None,
) -> np.ndarray:
    """Exact joint distribution of parallel tempering's replicas after ``schedule``, shape
    ``(2**n,) * R``: axis k is the state (index order) at temperature ``T_k``.

    One round per sweep (:mod:`bmexp.samplers.pt`): every replica k sweeps at ``T(t) T_k`` (its
    single-site kernel as in :func:`schedule_output`), then the swap round of sweep t (``deo``:
    even pairs when t is even, odd pairs when odd; ``seo``: either, with probability 1/2;
    ``random_pair``: one pair, uniformly) moves the joint state ``(.., x, y, ..)`` at ``k, k + 1``
    to ``(.., y, x, ..)`` with probability ``min(1, exp((1/T_k - 1/T_k+1)(E(x) - E(y)) / T(t)))``.
    start : "random" or "off" (each replica independently, its clamped units set) or a joint
        probability array of ``2**(n R)`` entries.  ``swap_betas``: a function of a sweep's inverse
    temperatures (R,) giving those the swap acceptance uses (a deliberately wrong sampler's).
    """
    from . import arguments

    n = arguments.model(model).n_units
    arguments.schedule(schedule)
    ladder = np.asarray(temperatures, dtype=float)
    R = ladder.size
    if n * R > MAX_JOINT_UNITS:
        raise InputError(f"pt_output needs n_units x replicas <= {MAX_JOINT_UNITS}; received {n} x {R}")
    size = 2**n
    clamp = exact_clamp(model, clamp)
    free = [i for i in range(n) if i not in clamp]
    if isinstance(start, str):
        one = start_distribution(model, start, clamp)
        joint = one
        for _ in range(R - 1):
            joint = np.multiply.outer(joint, one)
    else:
        joint = np.asarray(start, dtype=float).reshape((size,) * R)
    energies = model.energy(all_states(n, model.convention))
    gap_cubes = _gap_cubes(model, None)
    round_parity = 0
    for temperature, sweeps in schedule.steps:
        betas = 1.0 / (temperature * ladder)
        moves = [_moves(gap_cubes, temperature * t, kernel.rule) for t in ladder]
        mats = []
        for k in range(R):  # the sweep as a matrix: row = state before, column = state after
            eye = np.eye(size).reshape((size,) + (2,) * n)
            mats.append(_sweep(eye, moves[k], free, kernel.scan, n, axis0=1).reshape(size, size))
        sb = betas if swap_betas is None else np.asarray(swap_betas(betas), dtype=float)
        accept = [
            np.minimum(1.0, np.exp(np.minimum((sb[k] - sb[k + 1]) * np.subtract.outer(energies, energies), 0.0)))
            for k in range(R - 1)
        ]
        for _ in range(sweeps):
            for k in range(R):
                joint = np.moveaxis(np.tensordot(joint, mats[k], axes=([k], [0])), -1, k)
            joint = _swap_round(joint, accept, swap, round_parity)
            round_parity ^= 1
    return joint


def _swap_pair(joint: np.ndarray, accept: np.ndarray, k: int) -> np.ndarray:
    """Swap the states at axes k and k + 1 with probability ``accept[x, y]`` (x at k, y at k + 1)."""
    shape = [1] * joint.ndim
    shape[k], shape[k + 1] = accept.shape
    moving = joint * accept.reshape(shape)
    return joint - moving + np.swapaxes(moving, k, k + 1)


def _swap_round(joint: np.ndarray, accept: list[np.ndarray], swap: str, parity: int) -> np.ndarray:
    pairs = len(accept)

    def parity_round(par):
        out = joint
        for k in range(par, pairs, 2):
            out = _swap_pair(out, accept[k], k)
        return out

    if swap == "deo":
        return parity_round(parity)
    if swap == "seo":
        return 0.5 * (parity_round(0) + parity_round(1))
    if swap == "random_pair":
        return sum(_swap_pair(joint, accept[k], k) for k in range(pairs)) / pairs
    raise InputError.bad("swap", "one of ['deo', 'seo', 'random_pair']", swap)
