"""Exact outputs on the fully connected ferromagnet, by the number of units on (any size).

On :func:`bmexp.zoo.ferromagnet` (every pair coupled by ``J``, every unit biased by ``h``, spin
units) the units are exchangeable: the energy depends only on ``k``, the number of units up
(``m = 2k - n``, ``E = -J (m^2 - n) / 2 - h m``), and a *random-scan* heat-bath update moves
``k`` by at most one with probabilities that depend on ``k`` only.  So ``k`` is itself a Markov
chain on ``n + 1`` states, and so is parallel tempering's vector of counts (``(n + 1)**R``
states).  A random start and the Boltzmann distribution are both uniform within each ``k``, so
the total variation between them over all ``2**n`` states equals that between their count
distributions: the exact TV of an annealing schedule or of PT after any number of rounds, and
the exact probability that the majority of units is on, at sizes no enumeration reaches.
Checked against the enumerated :func:`bmexp.transitions.schedule_output` and
:func:`bmexp.transitions.pt_output` (tests/test_lumped.py).
"""

from __future__ import annotations

import numpy as np
from scipy.special import comb, expit

from .arguments import within
from .errors import InputError
from .schedules import Schedule
from .transitions import _swap_round

__all__ = [
    "MAX_COUNT_OPERATIONS",
    "MAX_JOINT_STATES",
    "check_pt_counts_cost",
    "pt_counts_cost",
    "annealing_counts",
    "boltzmann_counts",
    "count_energies",
    "majority_on",
    "pt_counts",
]

#: Largest joint count chain of parallel tempering computed: (n + 1)**R <= 2**22 states.
MAX_JOINT_STATES = 2**22
#: Operations of :func:`pt_counts` (``R (n + 1)**(R + 1)`` multiply-adds a round, plus 10,000 a round
#: of Python overhead) it may plan: about 6 hours at the 1.8e8 a second measured on this machine.
MAX_COUNT_OPERATIONS = 4e12


def pt_counts_cost(n: int, replicas: int, sweeps: int) -> tuple[float, float]:
    """(bytes, operations) of :func:`pt_counts`: the joint chain and its temporaries, one count
    distribution (an array of ``n + 1``) kept per round; ``R`` tensor contractions of
    ``(n + 1)**(R + 1)`` multiply-adds a round (the swaps are cheaper) and 10,000 operations of
    overhead a round (about 55 us measured at R = 2, n = 10)."""
    states = float(n + 1) ** replicas
    memory = 32.0 * states + float(sweeps) * (8.0 * (n + 1) + 160.0)
    return memory, float(sweeps) * (replicas * states * (n + 1) + 10_000.0)


def check_pt_counts_cost(n: int, replicas: int, sweeps: int, name: str = "sweeps") -> None:
    """Refuse rounds of :func:`pt_counts` past the memory limit or :data:`MAX_COUNT_OPERATIONS`,
    naming ``name`` (the rounds drive the cost; ``(n + 1)**R`` is capped by MAX_JOINT_STATES)."""
    memory, work = pt_counts_cost(n, replicas, sweeps)
    within(
        name,
        sweeps,
        memory=memory,
        work=work,
        what=f"the exact count chain of {replicas} replicas ({(n + 1) ** replicas:,} joint states, one round a sweep)",
        work_limit=MAX_COUNT_OPERATIONS,
        work_unit="operations",
    )


def count_energies(n: int, J: float, h: float) -> np.ndarray:
    """Energy of a spin state with k units up, k = 0..n."""
    m = 2 * np.arange(n + 1) - n
    return -0.5 * J * (m**2 - n) - h * m


def boltzmann_counts(n: int, J: float, h: float, temperature: float = 1.0) -> np.ndarray:
    """P(k units up) under exp(-E / T)."""
    e = count_energies(n, J, h)
    w = comb(n, np.arange(n + 1)) * np.exp(-(e - e.min()) / temperature)
    return w / w.sum()


def majority_on(p_counts: np.ndarray) -> float:
    """P(more than half of the units on)."""
    n = p_counts.size - 1
    return float(p_counts[np.arange(n + 1) > n / 2].sum())


def _sweep(n: int, J: float, h: float, temperature: float) -> np.ndarray:
    """One random-scan heat-bath sweep (n updates) as a matrix over k."""
    k = np.arange(n + 1)
    m = 2 * k - n
    down = (k / n) * (1.0 - expit(2.0 * (J * (m - 1) + h) / temperature))  # an up unit, turned down
    up = ((n - k) / n) * expit(2.0 * (J * (m + 1) + h) / temperature)
    one = np.diag(1.0 - down - up) + np.diag(up[:-1], 1) + np.diag(down[1:], -1)
    return np.linalg.matrix_power(one, n)


def _start(n: int) -> np.ndarray:
    return comb(n, np.arange(n + 1)) / 2.0**n  # every unit up with probability 1/2


def annealing_counts(n: int, J: float, h: float, schedule: Schedule) -> np.ndarray:
    """P(k up) after ``schedule`` from random starts (random-scan heat bath)."""
    p = _start(n)
    for temperature, sweeps in schedule.steps:
        p = p @ np.linalg.matrix_power(_sweep(n, J, h, temperature), sweeps)
    return p


def pt_counts(n: int, J: float, h: float, ladder, sweeps: int, swap: str = "deo", until=None) -> list[np.ndarray]:
    """P(k up) of the T = 1 replica after each of ``sweeps`` rounds of parallel tempering at T = 1
    (random-scan heat bath in every replica, random starts); ``until(p)`` true stops early."""
    ladder = np.asarray(ladder, dtype=float)
    R = ladder.size
    if (n + 1) ** R > MAX_JOINT_STATES:
        raise InputError(f"pt_counts needs (n + 1)**R <= {MAX_JOINT_STATES}; received n = {n}, R = {R}")
    check_pt_counts_cost(n, R, sweeps)
    energies = count_energies(n, J, h)
    joint = _start(n)
    for _ in range(R - 1):
        joint = np.multiply.outer(joint, _start(n))
    mats = [_sweep(n, J, h, t) for t in ladder]
    betas = 1.0 / ladder
    diff = np.subtract.outer(energies, energies)
    accept = [np.exp(np.minimum((betas[k] - betas[k + 1]) * diff, 0.0)) for k in range(R - 1)]
    out = []
    for t in range(sweeps):
        for k in range(R):
            joint = np.moveaxis(np.tensordot(joint, mats[k], axes=([k], [0])), -1, k)
        joint = _swap_round(joint, accept, swap, t % 2)
        out.append(joint.reshape(n + 1, -1).sum(axis=1))
        if until is not None and until(out[-1]):
            break
    return out
