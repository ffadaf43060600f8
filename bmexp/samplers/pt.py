"""Parallel tempering (replica exchange) over many independent chains (``sampler=pt``).

Each chain runs ``R`` replicas of the model at temperatures ``T_1 = 1 < T_2 < ... < T_R`` (the
*ladder*).  After every sweep (every replica updated with the declared single-site kernel: heat
bath or Metropolis, sequential or random scan, the updates of :mod:`bmexp.samplers.gibbs`),
neighbouring temperatures ``k, k + 1`` exchange their states with the exact Metropolis
probability ``min(1, exp((1/T_k - 1/T_k+1) (E_k - E_k+1)))``.  Swap rounds (``swap``):

* ``deo`` (default) -- deterministic even/odd: even pairs after even sweeps, odd pairs after odd
  ones (non-reversible; Syed et al., JRSS-B 2022, as in Pigeons.jl);
* ``seo`` -- even or odd pairs, chosen at random each round (reversible);
* ``random_pair`` -- one neighbour pair chosen uniformly each round (reversible).

Ladders: ``"geometric"`` (``T_k = T_max^((k-1)/(R-1))``), an explicit list of temperatures, or
``"adaptive"``: starting from the geometric ladder, tuned on ``tune_chains`` chains of the model
(its clamped units held at the first chain's values) at T = 1 in rounds of 32, 64, 128, ... sweeps
(``tune_sweeps`` in all: the last round takes what is left over) so that the swap
rejection rates of all pairs become equal (the communication-barrier rule of Syed et al.:
``1/T`` placed at equal steps of the cumulative rejection rate, ends fixed), then frozen: the
sampling phase is a fixed Markov chain.  The tuning rounds draw their keys from ``rng`` first and
their number of chains is fixed, so the ladder (and every chain's states) does not depend on ``n_chains``.

The schedule scales the whole ladder: at a sweep at temperature ``T(t)`` of the schedule,
replica k runs at ``T(t) T_k``; with ``Schedule.constant`` it is plain PT at T = 1.

Persistent chains: ``init=`` a :class:`PTResult` carries its chains on -- replicas, ladder (not tuned
again), the round trips under way and deo's alternation (a run of one sweep at a time attempts odd pairs
every other call, as one long run does).

Random streams: a run draws one Philox key from ``rng``, and chain ``c`` (all its replicas) draws its
own numbers inside the compiled kernel from its streams under that key (:mod:`bmexp.streams`; layout in
:func:`bmexp.streams.pt_explicit_uniforms`), so a chain's states depend on the seed, its index and the
schedule only -- not on the number of chains or threads.  Cost is counted in spin
updates of every replica (``n_updates``); the adaptive ladder's tuning is counted apart
(``PTResult.tune_updates``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, fields, replace

import numpy as np

from .. import arguments
from ..conventions import check_states
from ..errors import InputError
from ..model import BoltzmannMachine
from ..schedules import Schedule
from ..streams import draw_key
from .contract import Kernel
from .gibbs import (
    KERNEL_UPDATES,
    RULE_KERNELS,
    RULES,
    SCANS,
    SampleResult,
    _check_args,
    _readonly,
    check_init,
    normalize_clamp,
    plan_work,
    start_uniforms,
)

__all__ = [
    "LADDERS",
    "SWAPS",
    "PTDiagnostics",
    "PTResult",
    "ParallelTempering",
    "geometric_ladder",
    "check_ladder",
    "count_round_trips",
    "equalised_ladder",
]

LADDERS = ("geometric", "adaptive")
SWAPS = ("deo", "seo", "random_pair")
DEFAULT_REPLICAS = 4
#: the highest temperature of a ladder (``T_max`` and every explicit temperature)
MAX_TEMPERATURE = 1e6
#: rounds of the adaptive ladder's tuning: 32, 64, 128, ... sweeps
_FIRST_TUNING_ROUND = 32


def geometric_ladder(replicas: int, T_max: float) -> np.ndarray:
    """``T_k = T_max^((k - 1) / (R - 1))``, k = 1..R: from 1 to ``T_max``."""
    return T_max ** (np.arange(replicas) / (replicas - 1))


def check_ladder(temperatures, name: str = "ladder") -> np.ndarray:
    """An explicit ladder: a list of at least two numbers (not bools or strings), ``T_1 = 1``,
    strictly increasing, at most :data:`MAX_TEMPERATURE` (the bound of ``T_max``).  Errors show
    the value as given."""
    allowed = f"one of {list(LADDERS)} or a list of temperatures [1, T_2, ..., T_R]"
    values = list(temperatures) if isinstance(temperatures, (list, tuple, np.ndarray)) else None
    if values is None or (isinstance(temperatures, np.ndarray) and temperatures.ndim != 1):
        raise InputError.bad(name, allowed, temperatures)
    if not all(arguments._is_real(t) for t in values):  # (also a nested list: np.ndim would raise on [1, [2]])
        raise InputError.bad(name, "a list of numbers (not bools or strings) [1, T_2, ..., T_R]", temperatures)
    t = np.asarray(values, dtype=float)
    if t.size < 2:
        raise InputError.bad(
            name, "a list of at least 2 temperatures (parallel tempering swaps between replicas)", temperatures
        )
    if not np.all(np.isfinite(t)) or np.any(t > MAX_TEMPERATURE):
        raise InputError.bad(name, f"a list of finite temperatures <= {MAX_TEMPERATURE:g} (as T_max)", temperatures)
    if t[0] != 1.0:
        raise InputError.about(
            name,
            "{argument} must start at T_1 = 1 (the first replica samples the model's Boltzmann distribution "
            f"at T = 1); received {temperatures!r}",
        )
    if np.any(np.diff(t) <= 0):
        raise InputError.bad(name, "strictly increasing (1 = T_1 < T_2 < ... < T_R)", temperatures)
    return t


def equalised_ladder(temperatures: np.ndarray, rejection: np.ndarray) -> np.ndarray:
    """The ladder whose pairs would have equal rejection rates, from the measured ``rejection``
    rate of each pair: ``1/T`` placed at equal steps of the cumulative rejection (the
    communication barrier, interpolated linearly in ``1/T``), ``T_1`` and ``T_R`` kept."""
    beta = 1.0 / temperatures
    barrier = np.concatenate([[0.0], np.cumsum(np.maximum(rejection, 1e-6))])  # strictly increasing
    targets = np.linspace(0.0, barrier[-1], temperatures.size)
    new_beta = np.interp(targets, barrier, -beta) * -1.0  # beta falls as the barrier grows
    new_beta[0], new_beta[-1] = beta[0], beta[-1]
    return 1.0 / new_beta


@dataclass(frozen=True, eq=False)
class PTResult(SampleResult):
    """A :class:`SampleResult` (``states``: the T = 1 replica of every chain) with PT's diagnostics.

    ``temperatures``: the ladder used for sampling (after tuning); ``replica_states``: every
    replica, ordered by temperature (chains x R x units); ``swap_attempts`` / ``swap_accepts``: per
    neighbour pair, summed over chains; ``round_trips``: per chain (bottom -> top -> bottom);
    ``tune_updates``: spin updates spent tuning an adaptive ladder; ``tuned_acceptance``: the swap
    acceptance per pair in the last tuning round (None for fixed ladders).  What a later call needs to
    carry the chains on (``init=`` this result): ``walker_last`` (chains x R, by temperature: the extreme
    the walker now there visited last, 0 bottom, 1 top, -1 neither yet) and ``sweeps_done`` (the chains'
    sweeps over every call so far: deo's rounds go on alternating).
    """

    temperatures: np.ndarray = field(default=None)
    replica_states: np.ndarray = field(default=None)
    swap_attempts: np.ndarray = field(default=None)
    swap_accepts: np.ndarray = field(default=None)
    round_trips: np.ndarray = field(default=None)
    tune_updates: int = 0
    tuned_acceptance: np.ndarray | None = None
    walker_last: np.ndarray = field(default=None)
    sweeps_done: int = 0
    ladder_kind: str = ""  # the sampler's ladder: "geometric", "adaptive" (tuned) or "explicit"

    @property
    def swap_acceptance(self) -> np.ndarray:
        """Accepted / attempted swaps per neighbour pair (NaN for a pair never attempted)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.swap_accepts / self.swap_attempts

    @property
    def round_trips_per_1000_sweeps(self) -> float:
        """Mean round trips per chain per 1,000 sweeps."""
        return 1000.0 * float(self.round_trips.mean()) / max(1, self.schedule.total_sweeps)

    def to_dict(self) -> dict:
        return {
            **super().to_dict(),
            "temperatures": self.temperatures.tolist(),
            "swap_acceptance": self.swap_acceptance.tolist(),
            "round_trips_per_1000_sweeps": self.round_trips_per_1000_sweeps,
            "tune_updates": self.tune_updates,
        }


def count_round_trips(path) -> np.ndarray:
    """Round trips of each walker from its temperature indices over time (``path``: steps x walkers,
    0 the coldest, ``R - 1`` the hottest, ``R`` = the number of walkers): a trip is a walker's return
    to the coldest temperature after it reached the hottest after being at the coldest -- the
    definition the compiled kernel counts (a reference for it; walkers start with no extreme seen
    unless they start at the coldest)."""
    path = np.asarray(path)
    if path.ndim != 2 or path.shape[1] < 2:
        raise InputError.bad("path", "an array of temperature indices, steps x walkers (>= 2)", path.shape)
    R = path.shape[1]
    trips = np.zeros(R, dtype=np.int64)
    last = np.full(R, -1)
    for row in path:
        trips += (row == 0) & (last == 1)
        last = np.where(row == 0, 0, np.where((row == R - 1) & (last == 0), 1, last))
    return trips


class PTDiagnostics:
    """Parallel tempering's diagnostics over every call of a sampler (a job's checks and training):
    swap acceptance per neighbour pair (accepted / attempted, summed over calls), round trips per
    1,000 sweeps (trips of all chains / (chains x sweeps), trips counted within each call), the
    ladder of the last call and the spin updates spent tuning adaptive ladders."""

    def __init__(self):
        self.attempts = self.accepts = self.temperatures = None
        self.trips = self.chain_sweeps = self.tune_updates = self.calls = 0

    def add(self, result) -> None:
        """Take the counts of one :class:`PTResult` (anything else is ignored)."""
        if getattr(result, "swap_attempts", None) is None:
            return
        attempts, accepts = np.asarray(result.swap_attempts), np.asarray(result.swap_accepts)
        self.merge(
            {
                "attempts": attempts.tolist(),
                "accepts": accepts.tolist(),
                "trips": int(np.sum(result.round_trips)),
                "chain_sweeps": len(result.round_trips) * result.schedule.total_sweeps,
                "temperatures": np.asarray(result.temperatures, dtype=float).tolist(),
                "tune_updates": int(result.tune_updates),
                "calls": 1,
            }
        )

    def state(self) -> dict:
        """The counts as JSON types (a cached check's share, :meth:`merge` adds it back)."""
        if not self.calls:
            return {"calls": 0}
        return {
            "attempts": self.attempts.tolist(),
            "accepts": self.accepts.tolist(),
            "trips": self.trips,
            "chain_sweeps": self.chain_sweeps,
            "temperatures": self.temperatures.tolist(),
            "tune_updates": self.tune_updates,
            "calls": self.calls,
        }

    def merge(self, state: dict) -> None:
        """Add the counts of :meth:`state` (another job part's, or a cached check's)."""
        if not state.get("calls"):
            return
        attempts = np.asarray(state["attempts"], dtype=np.int64)
        if self.attempts is None or self.attempts.shape != attempts.shape:  # another ladder size: start again
            self.attempts, self.accepts = np.zeros_like(attempts), np.zeros_like(attempts)
            self.trips = self.chain_sweeps = 0
        self.attempts = self.attempts + attempts
        self.accepts = self.accepts + np.asarray(state["accepts"], dtype=np.int64)
        self.trips += int(state["trips"])
        self.chain_sweeps += int(state["chain_sweeps"])
        self.temperatures = np.asarray(state["temperatures"], dtype=float)
        self.tune_updates += int(state["tune_updates"])
        self.calls += int(state["calls"])

    def metrics(self) -> dict[str, float]:
        """``pt.swap_acceptance.<k>`` (pair T_k, T_k+1; k = 1..R-1) with ``.min`` and ``.max``,
        ``pt.round_trips_per_1000_sweeps``, ``pt.temperature.<k>`` (k = 1..R), ``pt.tune_updates``;
        empty when no parallel tempering ran."""
        if not self.calls:
            return {}
        with np.errstate(invalid="ignore", divide="ignore"):
            acceptance = self.accepts / self.attempts
        out = {f"pt.swap_acceptance.{k}": float(a) for k, a in enumerate(acceptance, start=1)}
        out["pt.swap_acceptance.min"] = float(np.nanmin(acceptance)) if np.any(self.attempts) else float("nan")
        out["pt.swap_acceptance.max"] = float(np.nanmax(acceptance)) if np.any(self.attempts) else float("nan")
        out["pt.round_trips_per_1000_sweeps"] = 1000.0 * self.trips / max(1, self.chain_sweeps)
        out.update({f"pt.temperature.{k}": float(t) for k, t in enumerate(self.temperatures, start=1)})
        out["pt.tune_updates"] = float(self.tune_updates)
        return out

    def summary(self) -> str:
        """One line for the command line."""
        m = self.metrics()
        if not m:
            return ""
        pairs = ", ".join(f"{m[f'pt.swap_acceptance.{k}']:.3f}" for k in range(1, len(self.temperatures)))
        return (
            f"parallel tempering: ladder {np.round(self.temperatures, 3).tolist()}, swap acceptance per pair "
            f"[{pairs}], {m['pt.round_trips_per_1000_sweeps']:.1f} round trips per 1,000 sweeps"
            + (f", {self.tune_updates:,} spin updates spent tuning the ladder" if self.tune_updates else "")
        )


@dataclass(frozen=True)
class ParallelTempering:
    """Parallel tempering over many chains; call it like :class:`~bmexp.samplers.GibbsSampler`.

    rule, scan : the single-site kernel inside every replica (as GibbsSampler; numba only)
    replicas : R >= 2 (geometric and adaptive ladders; None: 4, or the explicit ladder's length)
    ladder : "geometric" (default), "adaptive" or a list of temperatures ``[1, T_2, ..., T_R]``
    T_max : the top temperature of the geometric ladder and of the adaptive ladder's start
    swap : "deo" (default), "seo" or "random_pair" (see the module notes)
    tune_chains, tune_sweeps : the adaptive ladder's tuning run
    """

    rule: str = "heat_bath"
    scan: str = "sequential"
    replicas: int | None = None
    ladder: object = "geometric"
    T_max: float = 5.0
    swap: str = "deo"
    tune_chains: int = 16
    tune_sweeps: int = 2016

    def __post_init__(self) -> None:
        arguments.one_of(self.rule, "rule", RULES)
        arguments.one_of(self.scan, "scan", SCANS)
        arguments.one_of(self.swap, "swap", SWAPS)
        if isinstance(self.ladder, str):
            if self.ladder not in LADDERS:
                raise InputError.bad(
                    "ladder", f"one of {list(LADDERS)} or a list of temperatures [1, T_2, ..., T_R]", self.ladder
                )
            if self.replicas is None:
                object.__setattr__(self, "replicas", DEFAULT_REPLICAS)
            if isinstance(self.replicas, bool) or not isinstance(self.replicas, (int, np.integer)) or self.replicas < 2:
                raise InputError.bad(
                    "replicas",
                    "an integer >= 2 (parallel tempering swaps between at least two temperatures)",
                    self.replicas,
                )
            object.__setattr__(self, "replicas", int(self.replicas))  # (np.int8(3): no overflow in the estimates)
            object.__setattr__(
                self, "T_max", arguments.number(self.T_max, "T_max", low=1.0, high=MAX_TEMPERATURE, low_open=True)
            )
            # (T_max a few ulps above 1: the ladder's steps, all the same ratio, must be told apart in float64)
            # (a huge R is refused on memory when called; this is T_max within 1e-6 of 1)
            if self.T_max - 1.0 < 1e-6 and self.T_max ** (1.0 / (self.replicas - 1)) - 1.0 <= 8 * np.finfo(float).eps:
                raise InputError.about(
                    "T_max",
                    f"{{argument}} = {self.T_max!r} is too close to 1: its {self.replicas} temperatures would lie "
                    "within a few float64 steps of each other; allowed: a T_max further from 1 (1 + 1e-6 always is)",
                )
        else:
            ladder = check_ladder(self.ladder)
            object.__setattr__(self, "ladder", tuple(float(t) for t in ladder))
            if self.replicas is not None and (not arguments._is_int(self.replicas) or self.replicas != ladder.size):
                raise InputError.bad(
                    "replicas",
                    f"{ladder.size} (the length of the explicit ladder) or None (taken from the ladder)",
                    self.replicas,
                )
            object.__setattr__(self, "replicas", int(ladder.size))
        object.__setattr__(self, "tune_chains", arguments.integer(self.tune_chains, "tune_chains", low=1))
        object.__setattr__(
            self, "tune_sweeps", arguments.integer(self.tune_sweeps, "tune_sweeps", low=_FIRST_TUNING_ROUND)
        )
        self._refuse_ignored()

    def _refuse_ignored(self) -> None:
        """A key the ladder does not read, given other than its default, is refused rather than
        ignored: ``T_max`` with an explicit ladder, ``tune_chains`` / ``tune_sweeps`` unless the
        ladder is adaptive.  (A value equal to the default cannot be told from it and is allowed.)"""
        ladder = self.ladder if isinstance(self.ladder, str) else "explicit"
        reads = {
            "T_max": ladder != "explicit",
            "tune_chains": ladder == "adaptive",
            "tune_sweeps": ladder == "adaptive",
        }
        defaults = {f.name: f.default for f in fields(self)}
        for key, read in reads.items():
            if not read and getattr(self, key) != defaults[key]:
                shown = "an explicit ladder" if ladder == "explicit" else f"the {ladder} ladder"
                reader = "geometric and adaptive ladders" if key == "T_max" else "the adaptive ladder's tuning"
                raise InputError.about(
                    key,
                    f"{{argument}} = {getattr(self, key)!r} is ignored with {shown} (only {reader} read it): "
                    f"leave it at its default ({defaults[key]!r})",
                )

    def plan(self, n_units: int, n_chains: int, sweeps: int) -> None:
        """Refuse, before anything is allocated, a call whose memory (every chain's replicas and each
        thread's buffer of random numbers, :meth:`_run`) or adaptive tuning (its chains' memory,
        ``tune_chains x tune_sweeps x R x n`` spin updates) exceeds :data:`bmexp.arguments.MEMORY_LIMIT`
        or :data:`~bmexp.arguments.WORK_LIMIT`, naming the argument that drives it."""
        self.plan_tuning(n_units)
        R, n = self.replicas, n_units
        what = "one chain's replicas and their temperature at every sweep"
        arguments.within("replicas", R, memory=self._memory(n, 1, sweeps), what=what)
        arguments.within("n_chains", n_chains, memory=self._memory(n, n_chains, sweeps), what="the chains' replicas")
        plan_work(n_chains, sweeps, R * n, replicas=R)

    def plan_tuning(self, n_units: int) -> None:
        """The adaptive ladder's tuning run (nothing for fixed ladders), refused as :meth:`plan`."""
        R, n = self.replicas, n_units
        if self.ladder == "adaptive":
            last = self._tuning_rounds()[1]
            one = self._memory(n, 1, _FIRST_TUNING_ROUND)
            arguments.within("replicas", R, memory=one, what="one tuning chain's replicas")
            one = self._memory(n, 1, last)
            arguments.within("tune_sweeps", self.tune_sweeps, memory=one, what="the tuning's temperatures")
            many = self._memory(n, self.tune_chains, last)
            arguments.within("tune_chains", self.tune_chains, memory=many, what="the tuning chains")
            key = self.tuning_key()
            work = self.tuning_updates(n_units)
            arguments.within(key, getattr(self, key), work=work, what="the adaptive ladder's tuning")

    def tuning_updates(self, n_units: int) -> float:
        """Spin updates of one adaptive tuning run (every call tunes one; 0 for fixed ladders):
        ``tune_chains x tune_sweeps x R x n``, as ``PTResult.tune_updates``."""
        if self.ladder != "adaptive":
            return 0.0
        return float(self.tune_chains) * self._tuning_rounds()[0] * self.replicas * n_units

    def tuning_key(self) -> str:
        """The tuning argument furthest above its default (the one that drives its cost)."""
        defaults = {f.name: f.default for f in fields(self)}
        ratio = {key: getattr(self, key) / defaults[key] for key in ("tune_sweeps", "tune_chains")}
        return max(ratio, key=ratio.get)

    def _tuning_rounds(self) -> tuple[int, int]:
        """(sweeps of the whole tuning, ``tune_sweeps``; the last round's), as :meth:`_tune` runs them."""
        rounds = self._tuning_schedule()
        return sum(rounds), rounds[-1]

    def _tuning_schedule(self) -> list[int]:
        """The tuning rounds' lengths: 32, 64, 128, ... while the next round fits in ``tune_sweeps``; the last
        round also takes the sweeps left over (fewer than a further round would have), so that the tuning
        runs ``tune_sweeps`` sweeps exactly (2016 = 32 + ... + 1024; 3000 = 32 + ... + 512 + 1984)."""
        rounds, sweeps = [], _FIRST_TUNING_ROUND
        while sum(rounds) + sweeps <= self.tune_sweeps:
            rounds.append(sweeps)
            sweeps *= 2
        rounds[-1] += self.tune_sweeps - sum(rounds)
        return rounds

    def _memory(self, n: int, n_chains: int, sweeps: int) -> float:
        """Bytes :meth:`_run` and :meth:`__call__` allocate for ``n_chains`` chains: states (twice:
        run and sorted by temperature), temperature indices and counts, inverse temperatures, and each
        thread's buffer of random numbers (a few sweeps of one chain; Python numbers: no overflow)."""
        from .._kernels import _CHUNK, _PT_CHUNK, _PT_GROUP, _PT_ROW_GROUP, _PT_ROW_GROUP_NARROW, TABLE_MAX_UNITS

        R = self.replicas
        # (a group of chains' buffers: the table kernel's or the row kernel's)
        rows, chunk = (
            (_PT_GROUP, _PT_CHUNK) if n <= TABLE_MAX_UNITS else (max(_PT_ROW_GROUP, _PT_ROW_GROUP_NARROW), _CHUNK)
        )
        buffer = 8.0 * rows * (R * n + 3 * max(2 * R * n, chunk) + 3) * (os.cpu_count() or 1)
        return 8.0 * n_chains * R * (2 * n + 4) + 16.0 * sweeps * R + buffer

    @property
    def kernel(self) -> Kernel:
        """The single-site kernel every replica applies.  PT's own exact output (which differs from
        a single chain's) is :meth:`schedule_output`; the schedule check uses that."""
        return Kernel(RULE_KERNELS[self.rule], self.scan)

    def temperatures(self) -> np.ndarray | None:
        """The fixed ladder (None for an adaptive one: it is known after tuning)."""
        if not isinstance(self.ladder, str):
            return np.array(self.ladder)
        if self.ladder == "geometric":
            return geometric_ladder(self.replicas, self.T_max)
        return None

    def tuned(self, model: BoltzmannMachine, rng: np.random.Generator, clamp=None) -> "ParallelTempering":
        """This sampler with a fixed ladder: an adaptive one tuned on ``model`` (with ``clamp``) as a call
        tunes it, keys drawn from ``rng``; a fixed-ladder sampler is returned as it is.  What needs the
        ladder before sampling uses it (the invariance check starts each replica at its temperature, the
        schedule check computes the exact output)."""
        arguments.model(model)
        arguments.generator(rng)
        if self.ladder != "adaptive":
            return self
        self.plan_tuning(model.n_units)
        idx, vals = normalize_clamp(model, clamp, 1)
        _load_kernel(model.n_units)
        ladder = self._tune(model, rng, idx, vals)[0]
        defaults = {f.name: f.default for f in fields(self) if f.name in ("T_max", "tune_chains", "tune_sweeps")}
        # (a copy of this sampler, its class kept: a subclass's swaps or kernel are what the checks must test)
        return replace(self, ladder=[float(t) for t in ladder], replicas=None, **defaults)

    def schedule_output(self, model: BoltzmannMachine, schedule: Schedule, *, start="random", clamp=None):
        """Exact distribution of the T = 1 replica's final state (None when the ladder is adaptive
        or the joint chain has more than 2**16 states): see :func:`bmexp.transitions.pt_output`."""
        from ..transitions import MAX_JOINT_UNITS, exact_clamp, pt_output

        arguments.model(model)
        arguments.schedule(schedule)
        exact_clamp(model, clamp)  # (checked whatever the ladder: a None here must not hide a bad clamp)
        ladder = self.temperatures()
        if ladder is None or model.n_units * ladder.size > MAX_JOINT_UNITS:
            return None
        joint = pt_output(
            model,
            schedule,
            ladder,
            kernel=self.kernel,
            swap=self.swap,
            start=start,
            clamp=clamp,
            swap_betas=self.swap_betas,
        )
        return joint.reshape(joint.shape[0], -1).sum(axis=1)

    def swap_betas(self, betas: np.ndarray) -> np.ndarray:
        """The inverse temperatures the swap acceptance uses (last axis: temperature index, R):
        the replicas' own."""
        return betas

    def __call__(
        self,
        model: BoltzmannMachine,
        *,
        rng: np.random.Generator,
        n_chains: int,
        schedule: Schedule,
        init="random",
        clamp=None,
        record_energy: bool = False,
    ) -> PTResult:
        """Run ``n_chains`` chains of R replicas through ``schedule``; return the T = 1 replicas.

        init : "random", "off", states ``(n_units,)`` or ``(n_chains, n_units)`` (every replica
            starts there), ``(n_chains, R, n_units)`` (replica k at temperature k), or the
            :class:`PTResult` of an earlier call: its chains carry on where they stopped -- every replica,
            its ladder (an adaptive one is not tuned again), the walkers' round trips under way and deo's
            alternation of even and odd rounds (persistent chains, as in training).
        clamp : as GibbsSampler (see :func:`bmexp.samplers.normalize_clamp`), held in every replica.
        """
        _check_args(model, rng, n_chains, schedule)
        self.plan(model.n_units, int(n_chains), schedule.total_sweeps)
        if record_energy:
            raise InputError.bad("record_energy", "False with parallel tempering", record_energy)
        n_chains, n = int(n_chains), model.n_units
        idx, vals = normalize_clamp(model, clamp, n_chains)
        resumed = init if isinstance(init, PTResult) else None
        if resumed is not None:
            init_states = self._resumed_states(model, resumed, n_chains)
        else:
            check_init(init)
            init_states = None if isinstance(init, str) else self._initial_states(model, init, n_chains)
        clamped = np.zeros(n, dtype=np.bool_)
        clamped[idx] = True
        n_free = n - int(clamped.sum())
        _load_kernel(n)
        ladder, tune_updates, tuned = self.temperatures(), 0, None
        if resumed is not None:
            ladder = np.array(resumed.temperatures, dtype=float)  # (checked: this sampler's, or its tuned one)
        elif ladder is None:
            ladder, tune_updates, tuned = self._tune(model, rng, idx, vals)
        t0 = time.perf_counter()  # seconds of sampling (the tuning's cost: tune_updates)
        R = ladder.size
        betas = np.outer(1.0 / schedule.sweep_temperatures(), 1.0 / ladder)
        states = np.empty((n_chains, R, n))
        tidx = np.tile(np.arange(R, dtype=np.int64), (n_chains, 1))
        last = np.where(tidx == 0, 0, -1).astype(np.int64)
        done = 0
        if resumed is not None:  # (its replicas by temperature: slot k holds temperature k again)
            last[:] = np.asarray(resumed.walker_last)
            done = int(resumed.sweeps_done)
        counts = np.zeros((n_chains, 2 * (R - 1) + 1), dtype=np.int64)

        def start(key):
            if init_states is not None:
                states[:] = init_states
            elif init == "random":  # replica r's unit i reads number r n + i of the chain's START stream
                off, on = model.convention.values
                u = start_uniforms(key, 0, n_chains, R * n)
                states[:] = np.where(u < 0.5, float(on), float(off)).reshape(-1, R, n)
            else:
                states[:] = float(model.convention.values[0])
            states[:, :, idx] = vals[:, None, :]

        self._run(model, states, tidx, last, counts, rng, betas, clamped, start, done % 2)
        seconds = time.perf_counter() - t0
        order = np.argsort(tidx, axis=1)  # slot holding temperature k, for each k
        by_temperature = np.take_along_axis(states, order[:, :, None], axis=1)
        cold = by_temperature[:, 0]
        return PTResult(
            states=_readonly(cold),
            energies=_readonly(np.asarray(model.energy(cold), dtype=float).reshape(n_chains)),
            mean_energy=None,
            schedule=schedule,
            convention=model.convention,
            n_updates=n_chains * R * schedule.total_sweeps * (n_free if self.scan == "sequential" else n),
            seconds=seconds,
            temperatures=_readonly(ladder),
            replica_states=_readonly(by_temperature),
            swap_attempts=_readonly(counts[:, : R - 1].sum(axis=0)),
            swap_accepts=_readonly(counts[:, R - 1 : 2 * (R - 1)].sum(axis=0)),
            round_trips=_readonly(counts[:, -1].copy()),
            tune_updates=tune_updates,
            tuned_acceptance=None if tuned is None else _readonly(tuned),
            walker_last=_readonly(np.take_along_axis(last, order, axis=1)),
            sweeps_done=done + schedule.total_sweeps,
            ladder_kind=self.ladder if isinstance(self.ladder, str) else "explicit",
        )

    def _resumed_states(self, model, result: "PTResult", n_chains: int) -> np.ndarray:
        """The replicas of an earlier call's result, checked against this call as a starting array is: the
        same chains, units, convention and ladder (an adaptive sampler's: tuned by an adaptive sampler with
        the same replicas and T_max), states of the convention, round-trip states -1, 0 or 1, and sweeps done."""
        R, n = self.replicas, model.n_units
        if getattr(result.convention, "value", None) != model.convention.value:
            raise InputError(
                f"init (a PTResult) holds {getattr(result.convention, 'value', result.convention)} states; the model's "
                f"convention is {model.convention.value} (convert the model, or start again)"
            )
        states = check_states(result.replica_states, model.convention, name="init.replica_states")
        ladder = check_ladder(result.temperatures, name="init.temperatures")
        if states.shape != (n_chains, R, n) or ladder.shape != (R,):
            raise InputError(
                f"init (a PTResult) must come from a call with n_chains = {n_chains}, R = {R} replicas and {n} units; "
                f"its replicas have shape {states.shape}"
            )
        last = np.asarray(result.walker_last) if result.walker_last is not None else None
        if last is None or last.shape != (n_chains, R) or not np.isin(last, (-1, 0, 1)).all():
            if last is None or last.shape != (n_chains, R):
                shown = "None" if last is None else f"shape {last.shape}"
            else:
                shown = f"{np.unique(last[~np.isin(last, (-1, 0, 1))])[:5].tolist()} among its values"
            raise InputError(
                f"init.walker_last must be the result's round-trip states, ({n_chains}, {R}) of -1, 0 and 1; "
                f"received {shown}"
            )
        arguments.integer(result.sweeps_done, "init.sweeps_done", low=0)
        fixed = self.temperatures()
        if fixed is not None and not np.array_equal(fixed, ladder):
            raise InputError(
                f"init (a PTResult) ran on the ladder {np.round(ladder, 6).tolist()}; this sampler's is "
                f"{np.round(fixed, 6).tolist()}: carry chains on with the sampler that ran them"
            )
        if fixed is None and (result.ladder_kind != "adaptive" or not np.isclose(ladder[-1], self.T_max, rtol=1e-12)):
            kind = {"adaptive": "an adaptive", "explicit": "an explicit", "geometric": "a geometric"}.get(
                result.ladder_kind, "a given"
            )
            raise InputError(
                f"init (a PTResult) ran on {kind} ladder up to T = {ladder[-1]:g}; this "
                f"sampler tunes an adaptive ladder up to T_max = {self.T_max:g}: carry chains on with the sampler "
                "that ran them"
            )
        return states

    def _initial_states(self, model, init, n_chains):
        R = self.replicas
        s = check_states(init, model.convention, name="init")
        shapes = ((model.n_units,), (n_chains, model.n_units), (n_chains, R, model.n_units))
        if s.shape not in shapes:
            raise InputError(f"init must have shape {' or '.join(map(str, shapes))}; received {s.shape}")
        if s.ndim < 3:
            s = np.broadcast_to(s, (n_chains, model.n_units))[:, None, :]
        return np.broadcast_to(s, (n_chains, R, model.n_units))

    def _run(self, model, states, tidx, last, counts, rng, betas, clamped, start, parity0=0) -> None:
        """Advance ``states`` (chains x R x n) through ``betas`` (sweeps x R): one key drawn from ``rng``,
        ``start(key)`` sets the starting states, then every chain draws its own numbers in the kernel
        (``parity0``: the chains' earlier sweeps mod 2, so that deo's rounds go on alternating)."""
        from .._kernels import DEO, FLIP, HEAT_BATH, RANDOM_PAIR, SEO, pt_kernel_for

        n_chains, R, n = states.shape
        n_sweeps = betas.shape[0]
        key = draw_key(rng)
        start(key)
        swap_betas = self.swap_betas(betas)
        if swap_betas is not betas:  # (a mutant's): a writable C array, one compiled signature
            swap_betas = np.array(swap_betas, dtype=float, order="C")
        w, b = np.ascontiguousarray(model.weights), np.ascontiguousarray(model.biases)
        off, on = (float(v) for v in model.convention.values)
        code = {"deo": DEO, "seo": SEO, "random_pair": RANDOM_PAIR}[self.swap]
        per_chain = n_sweeps * R * n
        block = max(1, min(n_chains, KERNEL_UPDATES // max(1, per_chain)))  # (as GibbsSampler: signals wait)
        for c0 in range(0, n_chains, block):
            c1 = min(n_chains, c0 + block)
            s = np.ascontiguousarray(states[c0:c1])
            t, la, co = tidx[c0:c1].copy(), last[c0:c1].copy(), counts[c0:c1].copy()
            pt_kernel_for(n, (c1 - c0) * per_chain)(
                s,
                w,
                b,
                off,
                on,
                betas,
                swap_betas,
                clamped,
                np.zeros((1, 1)),
                key & 0xFFFFFFFF,
                key >> 32,
                c0,
                self.rule != "metropolis",
                HEAT_BATH if self.rule == "heat_bath" else FLIP,
                self.scan == "random",
                code,
                parity0,
                t,
                la,
                co,
            )
            states[c0:c1], tidx[c0:c1], last[c0:c1], counts[c0:c1] = s, t, la, co

    def _tune(self, model, rng, idx=None, vals=None) -> tuple[np.ndarray, int, np.ndarray]:
        """The adaptive ladder: (frozen ladder, spin updates spent, acceptance in the last round).  Clamped
        units (``idx``, their values ``vals``: chains x len(idx)) are held in the tuning chains too, at the
        first chain's values (so the ladder does not depend on ``n_chains``): the ladder is tuned for the
        distribution that is sampled."""
        ladder = geometric_ladder(self.replicas, self.T_max)
        R, n, chains = self.replicas, model.n_units, self.tune_chains
        states = np.empty((chains, R, n))
        tidx = np.tile(np.arange(R, dtype=np.int64), (chains, 1))
        last = np.where(tidx == 0, 0, -1).astype(np.int64)
        clamped = np.zeros(n, dtype=np.bool_)
        held = None
        if idx is not None and len(idx):
            clamped[idx] = True
            held = np.asarray(vals, dtype=float)[0]
        off, on = model.convention.values
        first = [True]

        def start(key):
            if first[0]:
                u = start_uniforms(key, 0, chains, R * n)
                states[:] = np.where(u < 0.5, float(on), float(off)).reshape(-1, R, n)
                if held is not None:
                    states[:, :, idx] = held

        done, acceptance = 0, None
        for sweeps in self._tuning_schedule():
            counts = np.zeros((chains, 2 * (R - 1) + 1), dtype=np.int64)
            betas = np.tile(1.0 / ladder, (sweeps, 1))
            self._run(model, states, tidx, last, counts, rng, betas, clamped, start)
            first[0] = False
            acceptance = counts[:, R - 1 : 2 * (R - 1)].sum(axis=0) / np.maximum(1, counts[:, : R - 1].sum(axis=0))
            ladder = equalised_ladder(ladder, 1.0 - acceptance)
            done += sweeps
        return ladder, chains * R * n * done, acceptance


_LOADED: set = set()


def _load_kernel(n: int) -> None:
    """Run the compiled kernels once on a dummy chain (no random numbers) so that their one-time
    load from numba's cache is not counted in ``seconds``."""
    from .._kernels import DEO, HEAT_BATH, PT_KERNELS, PT_TABLE_KERNELS, TABLE_MAX_UNITS, _threading_layer, pt_variant

    _threading_layer()  # before the first parallel kernel runs: it launches numba's threads, in the layer chosen then
    tables = [PT_TABLE_KERNELS[(p, True)] for p in (False, True)] if n <= TABLE_MAX_UNITS else []
    for kernel in (*(PT_KERNELS[(*pt_variant(n), p, True)] for p in (False, True)), *tables):
        if id(kernel) in _LOADED:
            continue
        w, b = np.zeros((n, n)), np.zeros(n)
        w.flags.writeable = b.flags.writeable = False  # a model's arrays are read-only: the same signature
        kernel(
            np.zeros((1, 2, n)),
            w,
            b,
            0.0,
            1.0,
            np.ones((1, 2)),
            np.ones((1, 2)),
            np.zeros(n, dtype=np.bool_),
            np.zeros((1, 1)),
            0,
            0,
            0,
            True,
            HEAT_BATH,
            False,
            DEO,
            0,
            np.array([[0, 1]], dtype=np.int64),
            np.array([[0, -1]], dtype=np.int64),
            np.zeros((1, 3), dtype=np.int64),
        )
        _LOADED.add(id(kernel))
