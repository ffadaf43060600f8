"""Deliberately wrong samplers ("mutants") with their exact output distributions.

Each mutant follows the sampler contract of :mod:`bmexp.samplers` (it returns final states)
and knows the exact distribution it produces on a tiny model, so the effect a validation
test must detect -- the total variation between that and the Boltzmann distribution -- is
computed, not guessed.  Use them to prove a test has power::

    for mutant in MUTANTS.values():
        states = mutant(model, rng=rng, n_chains=n, schedule=schedule)
        ...
        exact_tv = mutant.exact_tv(model, schedule)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
from scipy.special import expit

from ..exact import ExactDistribution
from ..model import BoltzmannMachine
from ..samplers.contract import Kernel
from ..samplers.pt import ParallelTempering
from ..schedules import Schedule
from ..states import all_states, indices_from_states
from ..transitions import schedule_output

__all__ = ["Mutant", "MUTANTS", "SwapMutant", "correct_gaps", "p_on_after"]

GapFn = Callable[[BoltzmannMachine, np.ndarray, int], np.ndarray]


def correct_gaps(model: BoltzmannMachine, s: np.ndarray, i: int) -> np.ndarray:
    off, on = model.convention.values
    return (on - off) * (s @ model.weights[:, i] + model.biases[i])


def _sign_error(model, s, i):
    return -correct_gaps(model, s, i)


def _missing_half(model, s, i):  # dE from E = -s^T W s - b^T s: the coupling term counts twice
    off, on = model.convention.values
    return (on - off) * (2.0 * (s @ model.weights[:, i]) + model.biases[i])


def _upper_triangle(model, s, i):  # field_i = sum_{j > i} W_ij s_j + b_i
    off, on = model.convention.values
    return (on - off) * (s[..., i + 1 :] @ model.weights[i, i + 1 :] + model.biases[i])


def _lower_triangle(model, s, i):  # the transposed half: field_i = sum_{j < i} W_ij s_j + b_i
    off, on = model.convention.values
    return (on - off) * (s[..., :i] @ model.weights[i, :i] + model.biases[i])


def _dropped_bias(model, s, i):
    off, on = model.convention.values
    return (on - off) * (s @ model.weights[:, i])


def _half_gap(model, s, i):  # Metropolis accepting with min(1, exp(-dE / 2T)): the square root of the ratio
    return 0.5 * correct_gaps(model, s, i)


def _wrong_convention(model, s, i):  # the other convention's gap: 2 * field on binary units, field on spins
    factor = 2.0 if model.convention.value == "binary" else 1.0
    return factor * (s @ model.weights[:, i] + model.biases[i])


def p_on_after(gap: np.ndarray, temperature: float, rule: str, is_on: np.ndarray) -> np.ndarray:
    """P(unit on after one update | gap, current value): heat bath ignores the current value;
    Metropolis turns an off unit on with min(1, e^(gap/T)) and keeps an on unit with
    1 - min(1, e^(-gap/T))."""
    if rule == "heat_bath":
        return np.broadcast_to(expit(gap / temperature), np.broadcast_shapes(np.shape(gap), np.shape(is_on)))
    up = np.exp(np.minimum(gap / temperature, 0.0))
    down = np.exp(np.minimum(-gap / temperature, 0.0))
    return np.where(is_on, 1.0 - down, up)


@dataclass(frozen=True)
class Mutant:
    """A wrong sampler: a wrong gap, frozen units, synchronous updates or a wrong schedule,
    inside a heat-bath or a Metropolis kernel (``rule``; :meth:`with_rule`)."""

    name: str
    description: str
    gap: GapFn = correct_gaps
    frozen: str = "none"  # "none" | "hidden" | "last"
    synchronous: bool = False
    final_temperature: float | None = None
    drop_last_step: bool = False
    rule: str = "heat_bath"  # "heat_bath" | "metropolis": the kernel the mutation sits in

    @property
    def kernel(self) -> Kernel:
        """The kernel a correct version of this sampler would have (sequential scan)."""
        return Kernel(self.rule, "sequential")

    def with_rule(self, rule: str) -> "Mutant":
        """The same mutation inside another kernel ("heat_bath" or "metropolis")."""
        Kernel(rule, "sequential")  # validates
        return replace(self, rule=rule)

    # ------------------------------------------------------------ schedule
    def effective_schedule(self, schedule: Schedule) -> Schedule:
        temps, sweeps = list(schedule.temperatures), list(schedule.sweeps)
        if self.drop_last_step and len(temps) > 1:
            temps, sweeps = temps[:-1], sweeps[:-1]
        if self.final_temperature is not None:
            temps[-1] = self.final_temperature
        return Schedule(tuple(temps), tuple(sweeps), kind=schedule.kind)

    def _frozen_units(self, model) -> list[int]:
        if self.frozen == "hidden":
            return list(range(model.n_visible, model.n_units))
        if self.frozen == "last":
            return [model.n_units - 1]
        return []

    # ------------------------------------------------------------ sampling
    def __call__(
        self,
        model: BoltzmannMachine,
        *,
        rng: np.random.Generator,
        n_chains: int,
        schedule: Schedule,
        init="random",
        clamp=None,
    ) -> np.ndarray:
        """Final states ``(n_chains, n)`` from random starts or given states ``init`` (no ``clamp``)."""
        if clamp is not None:
            raise NotImplementedError("mutants sample free chains only")
        off, on = model.convention.values
        n = model.n_units
        if isinstance(init, str):
            s = np.where(rng.random((n_chains, n)) < 0.5, float(on), float(off))
        else:
            s = np.array(np.broadcast_to(np.asarray(init, dtype=float), (n_chains, n)))
        frozen = set(self._frozen_units(model))
        for temperature, sweeps in self.effective_schedule(schedule).steps:
            for _ in range(sweeps):
                if self.synchronous:
                    p = np.stack(
                        [p_on_after(self.gap(model, s, i), temperature, self.rule, s[:, i] == on) for i in range(n)],
                        axis=1,
                    )
                    new = np.where(rng.random((n_chains, n)) < p, float(on), float(off))
                    keep = sorted(frozen)
                    new[:, keep] = s[:, keep]
                    s = new
                    continue
                for i in range(n):
                    u = rng.random(n_chains)
                    if i in frozen:
                        continue
                    p = p_on_after(self.gap(model, s, i), temperature, self.rule, s[:, i] == on)
                    s[:, i] = np.where(u < p, on, off)
        return s

    # --------------------------------------------------------------- exact
    def exact_output(self, model: BoltzmannMachine, schedule: Schedule) -> np.ndarray:
        """Exact distribution of the final state over all ``2**n`` states (random start)."""
        n = model.n_units
        states = all_states(n, model.convention)
        gaps = np.stack([self.gap(model, states, i) for i in range(n)], axis=1)
        sched = self.effective_schedule(schedule)
        if not self.synchronous:
            return schedule_output(model, sched, fixed=self._frozen_units(model), gaps=gaps, kernel=self.kernel)
        frozen = self._frozen_units(model)
        on = model.convention.values[1]
        is_on = states == on  # (2**n, n): target state bits
        p = np.full(2**n, 1.0 / 2**n)
        for temperature, sweeps in sched.steps:
            p_on = p_on_after(gaps, temperature, self.rule, is_on)  # (from-state, unit)
            # T[a, b] = prod_i P(unit i of b | a); frozen units must keep their value
            t = np.ones((2**n, 2**n))
            for i in range(n):
                if i in frozen:
                    t *= is_on[:, None, i] == is_on[None, :, i]
                else:
                    t *= np.where(is_on[None, :, i], p_on[:, None, i], 1.0 - p_on[:, None, i])
            for _ in range(sweeps):
                p = p @ t
        return p

    def exact_tv(self, model: BoltzmannMachine, schedule: Schedule) -> float:
        """Total variation between this mutant's exact output and the Boltzmann distribution."""
        return 0.5 * float(np.abs(self.exact_output(model, schedule) - ExactDistribution.of(model).p).sum())

    def counts(self, model, *, rng, n_chains, schedule) -> np.ndarray:
        states = self(model, rng=rng, n_chains=n_chains, schedule=schedule)
        return np.bincount(indices_from_states(states, model.convention), minlength=2**model.n_units)


MUTANTS: dict[str, Mutant] = {
    m.name: m
    for m in [
        Mutant("sign_error", "unit turned on with sigmoid(-gap / T): samples exp(+E)", gap=_sign_error),
        Mutant("missing_half", "energy without the 1/2: couplings count twice in dE", gap=_missing_half),
        Mutant("upper_triangle", "local field from the upper triangle of W only", gap=_upper_triangle),
        Mutant("transposed_half", "local field from the lower triangle (W used as asymmetric)", gap=_lower_triangle),
        Mutant("dropped_bias", "local field without the bias", gap=_dropped_bias),
        Mutant(
            "wrong_convention", "the other convention's update (spin rule on binary weights)", gap=_wrong_convention
        ),
        Mutant(
            "metropolis_sqrt_ratio",
            "Metropolis accepting with min(1, exp(-dE / 2T)), the square root of the Boltzmann ratio",
            gap=_half_gap,
            rule="metropolis",
        ),
        Mutant("hidden_uniform", "hidden units never updated: left uniform", frozen="hidden"),
        Mutant("synchronous", "all units updated at once from the old state", synchronous=True),
        Mutant("last_unit_frozen", "last unit never updated (random start)", frozen="last"),
        Mutant("final_temperature_1.05", "the schedule ends at T = 1.05", final_temperature=1.05),
        Mutant("stops_one_step_early", "the schedule's last step is skipped", drop_last_step=True),
    ]
}


# ----------------------------------------------------------------------------------------------
# Mutants that only a large model shows: incremental local fields with an indexing bug.

#: bug -> what it does (see :class:`FieldMutant`)
FIELD_BUGS = {
    "none": "correct: fields computed from the start state and updated after every change",
    "stale_beyond_64": "after a unit changes, only the fields of units 0..63 are updated (a block-size bug)",
    "wrong_row_above": "the field of every unit i >= n / 2 is read from row i - 1 of W",
    "stale_between_sweeps": "each sweep starts from the fields of the previous sweep's start state",
}


@dataclass(frozen=True)
class FieldMutant:
    """Sequential heat-bath Gibbs that keeps local fields and updates them after every change,
    as compiled samplers do, vectorised over chains; ``bug`` (one of :data:`FIELD_BUGS`) breaks
    the bookkeeping in a way no model of fewer than 65 units, or with few units above n / 2, can
    show.  ``bug="none"`` is a correct sampler (a control).  Follows the sampler contract with
    ``init`` (random or states) and per-chain ``clamp``; only free units' fields are kept."""

    bug: str = "none"

    def __post_init__(self) -> None:
        if self.bug not in FIELD_BUGS:
            raise ValueError(f"bug must be one of {list(FIELD_BUGS)}; received {self.bug!r}")

    @property
    def kernel(self) -> Kernel:
        return Kernel("heat_bath", "sequential")

    def _couplings(self, model: BoltzmannMachine) -> np.ndarray:
        w = model.weights
        if self.bug != "wrong_row_above":
            return w
        half = model.n_units // 2
        wrong = w.copy()
        wrong[:, half:] = w[half - 1 : -1, :].T  # field_i = b_i + sum_m W[i - 1, m] s_m for i >= n / 2
        return wrong

    def __call__(self, model, *, rng, n_chains, schedule, init="random", clamp=None) -> np.ndarray:
        from ..samplers.gibbs import normalize_clamp

        off, on = model.convention.values
        n = model.n_units
        idx, vals = normalize_clamp(model, clamp, n_chains)
        if isinstance(init, str):
            s = np.where(rng.random((n_chains, n)) < 0.5, float(on), float(off))
        else:
            s = np.array(np.broadcast_to(np.asarray(init, dtype=float), (n_chains, n)))
        s[:, idx] = vals
        w = self._couplings(model)
        free = np.setdiff1d(np.arange(n), idx)
        col = {int(u): k for k, u in enumerate(free)}
        updated = np.flatnonzero(free < 64) if self.bug == "stale_beyond_64" else slice(None)
        rows = w[:, free][:, updated]  # row i: how unit i's change moves the kept fields

        def fields(states):
            return states @ w[:, free] + model.biases[free]

        f = fields(s)
        previous_start = None
        for temperature, sweeps in schedule.steps:
            for _ in range(sweeps):
                if self.bug == "stale_between_sweeps":
                    start = fields(s)
                    f = previous_start if previous_start is not None else start
                    previous_start = start
                for i in free:
                    k = col[int(i)]
                    p = expit((on - off) * f[:, k] / temperature)
                    new = np.where(rng.random(n_chains) < p, float(on), float(off))
                    changed = np.flatnonzero(new != s[:, i])
                    d = new[changed] - s[changed, i]
                    s[:, i] = new
                    if isinstance(updated, slice):
                        f[changed] += d[:, None] * rows[i]
                    else:
                        f[np.ix_(changed, updated)] += d[:, None] * rows[i]
        return s


@dataclass(frozen=True)
class SwapMutant(ParallelTempering):
    """Parallel tempering whose swaps accept with ``min(1, exp(E_k - E_k+1))``: the factor
    ``1/T_k - 1/T_k+1`` is missing.  Its exact output is :meth:`schedule_output`."""

    def swap_betas(self, betas: np.ndarray) -> np.ndarray:
        R = betas.shape[-1]
        return np.array(np.broadcast_to(-np.arange(R, dtype=float), betas.shape))  # a writable copy
