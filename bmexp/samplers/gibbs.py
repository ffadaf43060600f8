"""Gibbs sampling over many independent chains, with annealing schedules and clamping.

:class:`GibbsSampler` follows the sampler contract of :mod:`bmexp.samplers.contract` and
declares its :class:`~bmexp.samplers.contract.Kernel`.

Random streams: a call draws one Philox key from ``rng`` (which advances by that one draw), and
chain ``c`` draws its own numbers inside the compiled kernel from its streams under that key
(:mod:`bmexp.streams`): ``n_units`` uniforms for the random start, then one per update that runs --
a sequential sweep updates only the unclamped units -- two with random scan.  So a chain's
trajectory depends only on the seed, its index and the schedule -- not on the number of chains,
threads or block size -- and the NumPy backend, which lays the same numbers out explicitly, gives
the same states.

Update rules, computed from local fields: ``heat_bath`` sets unit i on with probability
``sigmoid(gap_i / T)``; ``flip`` is the post's rule, proposing a flip accepted with
``sigmoid(-dE / T)`` (the same heat-bath kernel for two-state units); ``metropolis`` proposes a
flip accepted with ``min(1, exp(-dE / T))`` (a different kernel: it flips a unit whose field is
zero every time).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from .. import arguments
from ..conventions import Convention, check_states
from ..errors import InputError
from ..model import BoltzmannMachine
from ..schedules import Schedule
from ..streams import START, draw_key, explicit_uniforms
from ..streams import thresholds_inplace as _thresholds
from .contract import Kernel

__all__ = [
    "GibbsSampler",
    "SampleResult",
    "gibbs_sample",
    "normalize_clamp",
    "run_chains",
    "sample_chain",
    "set_threads",
    "thresholds_inplace",
]

RULES = ("heat_bath", "flip", "metropolis")
#: the kernel each rule implements (the post's flip rule is heat-bath for two-state units)
RULE_KERNELS = {"heat_bath": "heat_bath", "flip": "heat_bath", "metropolis": "metropolis"}
SCANS = ("sequential", "random")
BACKENDS = ("numba", "numpy")
_BLOCK_BYTES = 32 * 2**20  # the NumPy reference lays out the streams of a block of chains at a time
#: updates of one compiled call at most (whole chains; about 20-80 ms here): see ``_sample``
KERNEL_UPDATES = 2**22


def _blocks(n_chains: int, block: int) -> list[tuple[int, int]]:
    return [(c0, min(n_chains, c0 + block)) for c0 in range(0, n_chains, block)]


def _readonly(a):
    a = np.asarray(a)
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class SampleResult:
    """Final states of all chains, their energies and (optionally) the mean energy per step."""

    states: np.ndarray  # (n_chains, n_units)
    energies: np.ndarray  # (n_chains,)
    mean_energy: np.ndarray | None  # (len(schedule.steps),): mean over chains at each step's end
    schedule: Schedule
    convention: Convention
    n_updates: int
    seconds: float

    @property
    def n_chains(self) -> int:
        return self.states.shape[0]

    @property
    def updates_per_second(self) -> float:
        return self.n_updates / self.seconds if self.seconds > 0 else float("inf")

    def to_dict(self) -> dict:
        return {
            "n_chains": self.n_chains,
            "n_updates": self.n_updates,
            "seconds": self.seconds,
            "updates_per_second": self.updates_per_second,
            "schedule": self.schedule.to_dict(),
            "mean_energy": None if self.mean_energy is None else self.mean_energy.tolist(),
            "convention": self.convention.value,
        }


def _shown(v) -> str:
    """A clamp value as the message shows it: itself if short, else its type and shape."""
    text = repr(v)
    return text if len(text) <= 40 else f"{type(v).__name__} of shape {np.shape(v)}"


def normalize_clamp(model: BoltzmannMachine, clamp, n_chains: int) -> tuple[np.ndarray, np.ndarray]:
    """``clamp`` as ``(unit indices (k,), values (n_chains, k))``.

    Accepted: ``None``; a mapping ``unit -> value`` (unit index or name; value a scalar for
    every chain or an array of ``n_chains`` values); or a pair ``(units, values)`` with
    ``values`` of shape ``(k,)`` or ``(n_chains, k)``.
    """
    if clamp is None:
        return np.zeros(0, dtype=np.int64), np.zeros((n_chains, 0))
    if isinstance(clamp, Mapping):
        units, values = list(clamp.keys()), list(clamp.values())
        try:
            cols = [np.broadcast_to(np.asarray(v, dtype=float), (n_chains,)) for v in values]
        except (ValueError, TypeError):
            raise InputError(
                f"clamp values must be numbers, or arrays of n_chains = {n_chains} numbers; "
                f"received {', '.join(f'{u!r}: {_shown(v)}' for u, v in zip(units, values))}"
            ) from None
        vals = np.stack(cols, axis=1) if cols else np.zeros((n_chains, 0))
    elif isinstance(clamp, tuple) and len(clamp) == 2:
        units = list(np.atleast_1d(clamp[0]))
        try:
            vals = np.asarray(clamp[1], dtype=float)
        except (ValueError, TypeError):  # (e.g. a number beside an array: the mapping form takes that)
            raise InputError(
                f"clamp values must be numbers of shape ({len(units)},) or ({n_chains}, {len(units)}) "
                f"(per-unit arrays: the mapping form {{unit: value(s)}}); received {_shown(clamp[1])}"
            ) from None
        if vals.ndim == 1:
            vals = np.broadcast_to(vals, (n_chains, vals.size))
        if vals.shape != (n_chains, len(units)):
            raise InputError(
                f"clamp values must have shape ({len(units)},) or ({n_chains}, {len(units)}); "
                f"received {np.shape(clamp[1])}"
            )
    else:
        raise InputError(
            f"clamp must be None, a mapping unit -> value(s) or a pair (units, values); received {_shown(clamp)}"
        )
    idx = unit_indices(model, units, "clamp")
    if len(set(idx)) != len(idx):
        raise InputError(f"clamp units must not repeat; received {_shown(units)}")
    vals = check_states(vals, model.convention, name="clamp values")
    return np.array(idx, dtype=np.int64), np.ascontiguousarray(vals)


def unit_indices(model: BoltzmannMachine, units, name: str) -> list[int]:
    """``units`` (indices or names of ``model``'s units) as indices, else InputError naming ``name``."""
    names = model.unit_names
    idx = []
    for u in units:
        if isinstance(u, str) and u in names:
            idx.append(names.index(u))
        elif isinstance(u, (int, np.integer)) and not isinstance(u, (bool, np.bool_)) and 0 <= u < model.n_units:
            idx.append(int(u))
        else:
            raise InputError(
                f"{name} units must be indices in [0, {model.n_units}) or names in {list(names)}; received {u!r}"
            )
    return idx


def _shown(value) -> str:
    """``value`` for a one-line message: arrays as a list on one line, numpy scalars as plain numbers."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}: {' '.join(str(np.asarray(value).tolist()).split())[:200]}"
    if isinstance(value, (list, tuple)):
        return repr([v.item() if isinstance(v, np.generic) else v for v in value])
    return repr(value)


@dataclass(frozen=True)
class GibbsSampler:
    """Vectorised Gibbs sampler; call it like :func:`gibbs_sample`.

    rule : "heat_bath" (default), "flip" (the post's flip-and-accept) or "metropolis"
    scan : "sequential" (units in order, default) or "random" (n uniformly chosen sites a sweep)
    backend : "numba" (compiled, parallel over chains) or "numpy" (reference, same numbers)
    """

    rule: str = "heat_bath"
    scan: str = "sequential"
    backend: str = "numba"

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("rule", self.rule, RULES),
            ("scan", self.scan, SCANS),
            ("backend", self.backend, BACKENDS),
        ):
            if value not in allowed:
                raise InputError.about(name, f"{{argument}} must be one of {list(allowed)}; received {value!r}")

    @property
    def kernel(self) -> Kernel:
        """The Markov kernel this sampler applies (checks compute its exact schedule output)."""
        return Kernel(RULE_KERNELS[self.rule], self.scan)

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
    ) -> SampleResult:
        return _sample(
            model,
            rng=rng,
            n_chains=n_chains,
            schedule=schedule,
            init=init,
            clamp=clamp,
            record_energy=record_energy,
            rule=self.rule,
            scan=self.scan,
            backend=self.backend,
        )


def gibbs_sample(
    model: BoltzmannMachine,
    *,
    rng: np.random.Generator,
    n_chains: int,
    schedule: Schedule,
    init="random",
    clamp=None,
    record_energy: bool = False,
    rule: str = "heat_bath",
    scan: str = "sequential",
    backend: str = "numba",
) -> SampleResult:
    """Run ``n_chains`` independent chains through ``schedule`` and return their final states.

    init : "random" (each unit on with probability 1/2), "off" (every unit off), or states of
        shape ``(n_units,)`` or ``(n_chains, n_units)``.  Clamped units start at their clamp value.
    clamp : see :func:`normalize_clamp`; clamped units never change.
    record_energy : also return the mean energy over chains at the end of every temperature step.
    """
    return GibbsSampler(rule=rule, scan=scan, backend=backend)(
        model, rng=rng, n_chains=n_chains, schedule=schedule, init=init, clamp=clamp, record_energy=record_energy
    )


def plan_work(n_chains: int, sweeps: int, per_sweep: int, replicas: int | None = None) -> None:
    """Refuse, before anything is allocated, a call of ``n_chains x sweeps x per_sweep`` spin updates
    beyond :data:`bmexp.arguments.WORK_LIMIT` (``per_sweep``: every replica's updates of a sweep), naming
    what drives it: the schedule when one chain's sweeps of one replica exceed it, then the replicas, then
    ``n_chains``."""
    one = float(sweeps) * (per_sweep // (replicas or 1))
    arguments.within("schedule", f"{sweeps} sweeps", work=one, what="one chain")
    if replicas:
        arguments.within("replicas", replicas, work=one * replicas, what=f"one chain of {sweeps} sweeps")
    arguments.within("n_chains", n_chains, work=float(n_chains) * sweeps * per_sweep, what=f"{sweeps} sweeps each")


def _check_args(model, rng, n_chains, schedule, record_energy=False):
    arguments.model(model)
    if not isinstance(record_energy, (bool, np.bool_)):
        raise InputError.bad("record_energy", "True or False", record_energy)
    arguments.generator(rng)
    arguments.integer(n_chains, "n_chains", low=1)
    arguments.schedule(schedule)


def check_init(init) -> None:
    """``init`` is "random", "off" or something array-like (whose states are checked where it is used)."""
    if (isinstance(init, str) and init not in ("random", "off")) or init is None or isinstance(init, (dict, set)):
        raise InputError(f"init must be 'random', 'off' or an array of states; received {init!r}")
    if isinstance(init, SampleResult):  # (a PTResult is taken by parallel tempering before this check)
        raise InputError(
            f"init is a {type(init).__name__} (a sampler's result): pass its .states to start from them; only "
            "ParallelTempering carries on from a result, its own PTResult"
        )


def _initial(model, init, n_chains, start_uniforms):
    off, on = model.convention.values
    check_init(init)
    if isinstance(init, str):
        if init == "random":
            return np.where(start_uniforms < 0.5, float(on), float(off))
        return np.full((n_chains, model.n_units), float(off))
    s = check_states(init, model.convention, name="init")
    if s.shape not in ((model.n_units,), (n_chains, model.n_units)):
        raise InputError(
            f"init must have shape ({model.n_units},) or ({n_chains}, {model.n_units}); received {s.shape}"
        )
    return np.array(np.broadcast_to(s, (n_chains, model.n_units)))


def max_threads() -> int:
    """The most threads the compiled kernels can run: the cores numba found (``NUMBA_NUM_THREADS``)."""
    import numba

    return int(numba.config.NUMBA_NUM_THREADS)


def set_threads(n: int) -> None:
    """Threads of the compiled kernels, 1 to :func:`max_threads` (more is refused, not quietly capped); the
    numbers drawn and the states do not change."""
    import numba

    numba.set_num_threads(check_threads(arguments.integer(n, "n", low=1), "n"))


def check_threads(n: int, name: str) -> int:
    """``n`` threads, refused (naming ``name``) when numba has fewer."""
    if n > max_threads():
        raise InputError(
            f"{name} = {n} is more threads than the {max_threads()} cores numba found here (NUMBA_NUM_THREADS); "
            f"allowed: at most {max_threads()}",
            argument=name,
        )
    return n


def _layout(n: int, n_sweeps: int, scan: str, n_free: int | None = None) -> tuple[int, int]:
    """(thresholds per chain, uniforms per chain).  ``n_free``: the compact layout, where a
    sequential sweep has a threshold per unclamped unit only (clamped units draw nothing)."""
    n_thr = n_sweeps * (n if n_free is None or scan == "random" else n_free)
    return n_thr, n + n_thr * (2 if scan == "random" else 1)


def _recording(schedule: Schedule, n_chains: int, n: int, record_energy: bool, trace_every: int):
    """The kernel's per-sweep arrays: 1 / T, where to record energies, the energies (chains x
    steps), where to record states, the states (chains x records x units)."""
    betas = schedule.sweep_temperatures()  # a fresh array (np.repeat): 1 / T in place
    np.reciprocal(betas, out=betas)
    # a kernel that records nothing never reads where to record: 8 bytes a sweep, not 24
    recording = record_energy or trace_every
    record_at = np.full(schedule.total_sweeps if recording else 1, -1, dtype=np.int64)
    if record_energy:
        record_at[np.cumsum(schedule.sweeps) - 1] = np.arange(len(schedule.sweeps))
    energy = np.zeros((n_chains, len(schedule.sweeps)))
    trace_at = np.full(schedule.total_sweeps if recording else 1, -1, dtype=np.int64)
    if trace_every:
        marks = np.arange(trace_every - 1, schedule.total_sweeps, trace_every)
        trace_at[marks] = np.arange(marks.size)
    trace = np.zeros((n_chains if trace_every else 1, max(1, int((trace_at >= 0).sum())), n))
    return betas, record_at, energy, trace_at, trace


def run_chains(
    model: BoltzmannMachine,
    states: np.ndarray,
    uniforms: np.ndarray | None,
    schedule: Schedule,
    *,
    clamped: np.ndarray,
    rule: str,
    scan: str,
    backend: str,
    record_energy: bool = False,
    thresholds_ready: bool = False,
    trace_every: int = 0,
    compact: bool = False,
    key: int | None = None,
    chain0: int = 0,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Advance ``states`` (in place) through ``schedule``.

    The numbers: ``uniforms`` (chains x uniforms per chain, see the module notes; its first ``n``
    columns are not read here), overwritten with thresholds -- the tests drive it with chosen
    uniforms to read off the exact update probabilities; or, with ``uniforms=None``, the chains'
    own streams ``chain0, chain0 + 1, ...`` under the Philox ``key`` (:mod:`bmexp.streams`), drawn
    inside the compiled kernel (the NumPy backend lays out the same numbers).  Returns the per-step
    energies (chains x steps; zeros unless ``record_energy``).  With ``trace_every = k > 0`` it also
    returns the states after every k-th sweep (chains x records x units).  ``compact``: a sequential
    sweep reads a threshold per unclamped unit only (what the streams hold).
    """
    n = model.n_units
    free = np.flatnonzero(~clamped)
    n_chains = states.shape[0]
    if uniforms is None:
        if key is None:
            raise InputError("run_chains needs uniforms or a key")
        compact = True
        if backend == "numpy":  # the same numbers, laid out explicitly
            uniforms = explicit_uniforms(
                key,
                chain0 + np.arange(n_chains),
                n,
                _layout(n, schedule.total_sweeps, scan, free.size)[0],
                scan == "random",
            )
            thresholds_ready = False
    n_upd, per_chain = _layout(n, schedule.total_sweeps, scan, free.size if compact else None)
    if uniforms is not None:
        if uniforms.shape != (n_chains, per_chain):
            raise InputError(f"uniforms must have shape ({n_chains}, {per_chain}); received {uniforms.shape}")
        if not thresholds_ready:
            thresholds_inplace(uniforms[:, n : n + n_upd], rule)
    betas, record_at, energy, trace_at, trace = _recording(schedule, n_chains, n, record_energy, trace_every)
    off, on = (float(v) for v in model.convention.values)
    w, b = np.ascontiguousarray(model.weights), np.ascontiguousarray(model.biases)
    if backend == "numba":
        from .._kernels import FLIP, HEAT_BATH, kernel_for

        philox = uniforms is None
        kernel_for(n, n_chains * n_upd, record_energy or trace_every, philox)(
            states,
            w,
            b,
            off,
            on,
            betas,
            record_at,
            clamped,
            free,
            np.arange(free.size) if compact else free,
            free.size if compact else n,
            np.zeros((1, 1)) if philox else uniforms,
            (key or 0) & 0xFFFFFFFF,
            (key or 0) >> 32,
            chain0,
            rule != "metropolis",
            HEAT_BATH if rule == "heat_bath" else FLIP,  # metropolis runs the flip loop with log u thresholds
            scan == "random",
            energy,
            trace_at,
            trace,
        )
    else:
        if compact and scan == "sequential" and free.size < n:  # the reference reads every column
            full = np.zeros((n_chains, n + schedule.total_sweeps * n))
            full[:, n + (np.arange(schedule.total_sweeps)[:, None] * n + free[None, :]).ravel()] = uniforms[:, n:]
            uniforms = full
        _numpy_sweeps(
            states, w, b, off, on, betas, record_at, clamped, uniforms, rule, scan == "random", energy, trace_at, trace
        )
    return (energy, trace) if trace_every else energy


def _sample(model, *, rng, n_chains, schedule, init, clamp, record_energy, rule, scan, backend) -> SampleResult:
    _check_args(model, rng, n_chains, schedule, record_energy)
    n_chains, n = int(n_chains), model.n_units
    # states (twice), clamp values and the energies recorded: before anything is allocated
    memory = 8.0 * n_chains * (3 * n + len(schedule.sweeps))
    arguments.within("n_chains", n_chains, memory=memory, what="the chains' states")
    plan_work(n_chains, schedule.total_sweeps, n)
    idx, vals = normalize_clamp(model, clamp, n_chains)
    check_init(init)
    if not isinstance(init, str):
        init_states = _initial(model, init, n_chains, None)  # validate before drawing anything
    clamped = np.zeros(n, dtype=np.bool_)
    clamped[idx] = True
    n_upd, per_chain = _layout(n, schedule.total_sweeps, scan, n - len(idx))
    if backend == "numpy":  # the reference lays the streams out explicitly, a block of chains at a time
        arguments.within(
            "schedule",
            f"{schedule.total_sweeps} sweeps",
            memory=48.0 * per_chain,  # (NumPy computes them in uint64 arrays: about 6 x 8 bytes a number)
            what="the random numbers of one chain",
        )
    key = draw_key(rng)
    states = np.empty((n_chains, n))
    energy_rec = np.zeros((n_chains, len(schedule.sweeps)))
    # Blocks of chains: a compiled call holds the main thread, so a signal's handler (Ctrl-C, a sweep
    # worker told its launcher is gone) waits for it -- at most about KERNEL_UPDATES updates; the NumPy
    # reference lays out a block's numbers at about 6 x 8 bytes a number.
    if backend == "numba":  # (kernels loaded or compiled first: seconds measure sampling, not loading)
        block = max(1, min(n_chains, KERNEL_UPDATES // max(1, n_upd)))
        _load_kernels(n, {(c1 - c0) * n_upd for c0, c1 in _blocks(n_chains, block)}, record_energy)
    else:
        block = max(1, min(n_chains, _BLOCK_BYTES // (48 * per_chain)))
    t0 = time.perf_counter()
    for c0 in range(0, n_chains, block):
        c1 = min(n_chains, c0 + block)
        if isinstance(init, str):
            s = _initial(model, init, c1 - c0, start_uniforms(key, c0, c1 - c0, n))
        else:
            s = init_states[c0:c1].copy()
        s[:, idx] = vals[c0:c1]
        energy_rec[c0:c1] = run_chains(
            model,
            s,
            None,
            schedule,
            clamped=clamped,
            rule=rule,
            scan=scan,
            backend=backend,
            record_energy=record_energy,
            key=key,
            chain0=c0,
        )
        states[c0:c1] = s
    seconds = time.perf_counter() - t0
    energies = model.energy(states)
    n_free = n - int(clamped.sum())
    return SampleResult(
        states=_readonly(states),
        energies=_readonly(np.asarray(energies, dtype=float).reshape(n_chains)),
        mean_energy=_readonly(energy_rec.mean(axis=0)) if record_energy else None,
        schedule=schedule,
        convention=model.convention,
        n_updates=n_chains * schedule.total_sweeps * (n_free if scan == "sequential" else n),
        seconds=seconds,
    )


def start_uniforms(key: int, chain0: int, n_chains: int, n: int) -> np.ndarray:
    """The random start's uniforms of chains ``chain0 ..`` (chains x n): their ``START`` streams."""
    from .._kernels import philox_uniforms

    return philox_uniforms(key & 0xFFFFFFFF, key >> 32, chain0, n_chains, START, 0, (n + 1) // 2)[:, :n]


_LOADED: set = set()


def _load_kernels(n: int, sizes, record: bool) -> None:
    """Run each compiled kernel this call will use once on one dummy chain (no updates), so its
    one-time load from numba's cache (about 0.5 s) is not counted in ``seconds``."""
    from .._kernels import HEAT_BATH, kernel_for

    for size in sizes:
        kernel = kernel_for(n, size, record)
        if id(kernel) in _LOADED:
            continue
        w, b = np.zeros((n, n)), np.zeros(n)
        w.flags.writeable = b.flags.writeable = False  # a model's arrays are read-only: the same signature
        kernel(
            np.zeros((1, n)),
            w,
            b,
            0.0,
            1.0,
            np.ones(1),
            np.full(1, -1, dtype=np.int64),
            np.zeros(n, dtype=np.bool_),
            np.arange(n),
            np.arange(n),
            n,
            np.zeros((1, 1)),
            0,
            0,
            0,
            True,
            HEAT_BATH,
            False,
            np.zeros((1, 1)),
            np.full(1, -1, dtype=np.int64),
            np.zeros((1, 1, n)),
        )
        _LOADED.add(id(kernel))


def sample_chain(
    model: BoltzmannMachine,
    *,
    rng: np.random.Generator,
    n_draws: int,
    burn_in: int = 100,
    sweeps_between: int = 1,
    temperature: float = 1.0,
    rule: str = "heat_bath",
    scan: str = "sequential",
    backend: str = "numba",
) -> np.ndarray:
    """One long chain: ``n_draws`` states, ``sweeps_between`` sweeps apart, after ``burn_in`` sweeps.

    Successive draws are correlated: test them with
    :func:`bmexp.validation.correlation.chain_gof_test`, which thins or refuses.
    """
    from ..schedules import MAX_SWEEPS

    GibbsSampler(rule=rule, scan=scan, backend=backend)  # validates the names
    _check_args(model, rng, 1, Schedule.constant(1))
    arguments.integer(n_draws, "n_draws", low=1, high=MAX_SWEEPS)
    arguments.integer(burn_in, "burn_in", low=0, high=MAX_SWEEPS)
    arguments.integer(sweeps_between, "sweeps_between", low=1, high=MAX_SWEEPS)
    if n_draws * sweeps_between > MAX_SWEEPS:
        raise InputError.about(
            "n_draws",
            f"{{argument}} x sweeps_between must be at most {MAX_SWEEPS:.0e} sweeps; received {n_draws} x "
            f"{sweeps_between}",
        )
    n = model.n_units
    off, on = model.convention.values
    clamped = np.zeros(n, dtype=np.bool_)
    key = draw_key(rng)  # the chain is stream 0 (its start) and streams 1 and 2 (burn-in, draws)
    state = _initial(model, "random", 1, start_uniforms(key, 0, 1, n))
    if burn_in:
        burn = Schedule.constant(burn_in, T=temperature)
        run_chains(model, state, None, burn, clamped=clamped, rule=rule, scan=scan, backend=backend, key=key, chain0=1)
    run = Schedule.constant(n_draws * sweeps_between, T=temperature)
    arguments.within("n_draws", n_draws, memory=8.0 * n_draws * n, what="the draws")
    _, trace = run_chains(
        model,
        state,
        None,
        run,
        clamped=clamped,
        rule=rule,
        scan=scan,
        backend=backend,
        trace_every=sweeps_between,
        key=key,
        chain0=2,
    )
    return trace[0]


def _numpy_sweeps(
    s, w, b, off, on, betas, record_at, clamped, noise, rule, random_scan, energy_out, trace_at, trace_out
):
    """Reference implementation, vectorised across chains: the same numbers as the kernel."""
    n_chains, n = s.shape
    n_upd = len(betas) * n
    thresholds = np.ascontiguousarray(noise[:, n : n + n_upd].T)  # one row per update
    sites = np.minimum((noise[:, n + n_upd :] * n).astype(np.int64), n - 1).T if random_scan else None
    rows = np.arange(n_chains)
    k = 0
    for sw, beta in enumerate(betas):
        for j in range(n):
            x = thresholds[k]
            if random_scan:
                site = sites[k]
                si = s[rows, site]
                field = np.einsum("ci,ci->c", s, w[site]) + b[site]
                s[rows, site] = np.where(clamped[site], si, _decide(si, field, x, beta, off, on, rule))
            elif not clamped[j]:
                s[:, j] = _decide(s[:, j], s @ w[j] + b[j], x, beta, off, on, rule)
            k += 1
        if record_at.shape[0] < len(betas):  # records nothing (see _recording)
            continue
        if trace_at[sw] >= 0:
            trace_out[:, trace_at[sw]] = s
        r = record_at[sw]
        if r >= 0:
            energy_out[:, r] = -0.5 * np.einsum("ci,ci->c", s, s @ w + 2 * b)


def thresholds_inplace(u: np.ndarray, rule: str) -> None:
    """Turn uniforms into the thresholds of ``rule`` (in place, 2-D).

    heat_bath / flip: ``log(u / (1 - u))``, below ``x`` with probability ``sigmoid(x)``;
    metropolis: ``log(u)``, below ``x`` with probability ``min(1, exp(x))``.
    """
    if u.size:
        _thresholds(u, logistic=rule != "metropolis")


def _decide(si, field, threshold, beta, off, on, rule):
    if rule == "heat_bath":
        return np.where(threshold < beta * (on - off) * field, on, off)
    flip = on + off - si
    return np.where(threshold < beta * (flip - si) * field, flip, si)
