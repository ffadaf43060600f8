"""dimod / dwave-samplers samplers as bmexp samplers.

What every user would otherwise write again (about 45 lines): the BQM with bmexp's energy
``E(s) = -1/2 s^T W s - b^T s`` (dimod's ``E = sum_i h_i s_i + sum_{i<j} J_ij s_i s_j``, so
``h = -b``, ``J_ij = -W_ij``), in the model's own vartype (BINARY for {0, 1}, SPIN for {-1, 1}),
variables labelled ``0 .. n-1`` in bmexp's unit order (dwave's sequential sweep follows the
labels' order); the schedule turned into one beta per sweep (``beta = 1 / T``,
``beta_schedule_type="custom"``, ``num_sweeps_per_beta=1``); the seed and the initial states
drawn from bmexp's ``rng`` (same seed, same states); clamps held by fixing the clamped variables
(chains that share a clamp are sampled in one call, so a per-chain clamp costs one call per
distinct clamped state).

Kernels: dwave-samplers' ``SimulatedAnnealingSampler`` declares its own (``"Gibbs"`` = heat
bath, ``"Metropolis"``; ``randomize_order`` = random scan).  Any other dimod sampler is
``unknown`` unless you declare ``kernel=Kernel(...)``.  With clamped units and random order,
dwave draws among the free units only (one update per free unit a sweep); bmexp's checks compare
clamped samples with equilibrium conditionals only, where the two orders agree.
"""

from __future__ import annotations

import time

import numpy as np

from ..errors import InputError
from ..model import BoltzmannMachine
from ..samplers.contract import UNKNOWN_KERNEL, Kernel
from ..samplers.gibbs import SampleResult, _check_args, _initial, normalize_clamp

__all__ = ["ACCEPTANCE", "ORDERS", "DimodSampler", "dwave_sampler", "to_bqm"]

#: dwave's proposal_acceptance_criteria (any case) -> bmexp kernel rule; bmexp's rule names are accepted too
ACCEPTANCE = {"gibbs": "heat_bath", "metropolis": "metropolis", "heat_bath": "heat_bath"}
ORDERS = {"sequential": False, "random": True}
#: parameters the adapter sets itself
_OWN = (
    "beta_schedule",
    "beta_schedule_type",
    "beta_range",
    "num_sweeps",
    "num_sweeps_per_beta",
    "num_reads",
    "seed",
    "initial_states",
    "initial_states_generator",
)


def _dimod():
    try:
        import dimod
    except ImportError:  # pragma: no cover - depends on the installation
        raise InputError("the dimod adapter needs dimod and dwave-samplers: pip install -e '.[ocean]'") from None
    return dimod


def to_bqm(model: BoltzmannMachine, *, free=None, clamp_values=None):
    """The dimod BQM of ``model`` (same energies, same vartype, variables ``0 .. n-1``).

    With ``free`` (unit indices) and ``clamp_values`` (values of the other units, in unit order)
    it is the BQM of the free units given the clamped ones, labelled ``0 .. len(free)-1``
    (constant energy terms dropped).
    """
    dimod = _dimod()
    w, b = model.weights, model.biases
    vartype = dimod.BINARY if model.convention.value == "binary" else dimod.SPIN
    if free is None:
        return dimod.BinaryQuadraticModel(-b, np.triu(-w, 1), 0.0, vartype)
    free = np.asarray(free, dtype=np.int64)
    held = np.setdiff1d(np.arange(model.n_units), free)
    field = b[free] + (w[np.ix_(free, held)] @ np.asarray(clamp_values, dtype=float) if held.size else 0.0)
    return dimod.BinaryQuadraticModel(-field, np.triu(-w[np.ix_(free, free)], 1), 0.0, vartype)


class DimodSampler:
    """A dimod sampler that takes a beta schedule, wrapped as a bmexp sampler.

    sampler : a ``dimod.Sampler`` whose ``parameters`` include ``beta_schedule`` and
        ``initial_states`` (e.g. ``dwave.samplers.SimulatedAnnealingSampler()``).
    kernel : the :class:`~bmexp.samplers.Kernel` it implements; default: read off dwave's
        ``SimulatedAnnealingSampler`` parameters, ``unknown`` for any other sampler.
    **parameters : passed to ``sampler.sample`` on every call (e.g.
        ``proposal_acceptance_criteria="Gibbs"``, ``randomize_order=True``); not the ones the
        adapter sets (schedule, reads, seed, initial states).
    """

    def __init__(self, sampler, *, kernel: Kernel | None = None, **parameters):
        dimod = _dimod()
        if isinstance(sampler, type) and issubclass(sampler, dimod.Sampler):
            raise InputError(
                f"sampler must be a dimod.Sampler instance; received the class {sampler.__name__}: "
                f"pass {sampler.__name__}()"
            )
        if not isinstance(sampler, dimod.Sampler):
            raise InputError(
                f"sampler must be a dimod.Sampler (e.g. dwave.samplers.SimulatedAnnealingSampler()); "
                f"received {type(sampler).__name__}"
            )
        accepted = set(getattr(sampler, "parameters", {}) or {})
        missing = [p for p in ("beta_schedule", "initial_states") if p not in accepted]
        if missing:
            raise InputError(
                f"sampler must take a beta schedule and initial states to run a bmexp schedule from bmexp's "
                f"starts; {type(sampler).__name__} does not take {missing}"
            )
        for key in parameters:
            if key in _OWN:
                raise InputError(
                    f"{key} is set by the adapter from the schedule, n_chains, rng and init; "
                    f"received {key}={parameters[key]!r}"
                )
            if key not in accepted:
                raise InputError(
                    f"{key} is not a parameter of {type(sampler).__name__}; allowed: {sorted(accepted - set(_OWN))}"
                )
        if kernel is not None and not isinstance(kernel, Kernel):
            raise InputError(f"kernel must be a bmexp.samplers.Kernel or None; received {kernel!r}")
        self.sampler, self.parameters = sampler, dict(parameters)
        self.kernel = kernel if kernel is not None else self._declared_kernel()

    def _declared_kernel(self) -> Kernel:
        try:
            from dwave.samplers import SimulatedAnnealingSampler
        except ImportError:  # pragma: no cover
            return UNKNOWN_KERNEL
        if not isinstance(self.sampler, SimulatedAnnealingSampler):
            return UNKNOWN_KERNEL
        criterion = str(self.parameters.get("proposal_acceptance_criteria", "Metropolis")).lower()  # dwave's default
        order = self.parameters.get("randomize_order", False)
        if not isinstance(order, (bool, np.bool_)):
            raise InputError.bad("randomize_order", "True or False", order)
        if criterion not in ("gibbs", "metropolis"):
            raise InputError(
                f"proposal_acceptance_criteria must be one of ['Gibbs', 'Metropolis']; "
                f"received {self.parameters['proposal_acceptance_criteria']!r}"
            )
        return Kernel(
            ACCEPTANCE[criterion], "random" if self.parameters.get("randomize_order", False) else "sequential"
        )

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self.parameters.items())
        return f"DimodSampler({type(self.sampler).__name__}(){extra}, kernel={self.kernel})"

    def bqm(self, model: BoltzmannMachine, *, free=None, clamp_values=None):
        """The BQM sampled (see :func:`to_bqm`); a hook for deliberately wrong wrappers in tests."""
        return to_bqm(model, free=free, clamp_values=clamp_values)

    def betas(self, schedule) -> np.ndarray:
        """One inverse temperature per sweep of ``schedule`` (a Schedule holds at most 10**8 sweeps, well
        within dwave's int-indexed beta schedule)."""
        return 1.0 / schedule.sweep_temperatures()

    def __call__(
        self, model: BoltzmannMachine, *, rng: np.random.Generator, n_chains: int, schedule, init="random", clamp=None
    ) -> SampleResult:
        _check_args(model, rng, n_chains, schedule)
        n_chains, n = int(n_chains), model.n_units
        betas = self.betas(schedule)
        idx, vals = normalize_clamp(model, clamp, n_chains)
        starts = _initial(model, init, n_chains, rng.random((n_chains, n)) if isinstance(init, str) else None)
        starts[:, idx] = vals
        free = np.setdiff1d(np.arange(n), idx)
        states = starts.copy()
        t0 = time.perf_counter()
        if free.size:
            if idx.size:
                groups, inverse = np.unique(vals, axis=0, return_inverse=True)
                inverse = inverse.reshape(-1)
            else:
                groups, inverse = np.zeros((1, 0)), np.zeros(n_chains, dtype=np.int64)
            order = np.argsort(idx)  # clamp values in unit order
            for g, values in enumerate(groups):
                rows = np.flatnonzero(inverse == g)
                bqm = self.bqm(model, free=free, clamp_values=values[order]) if idx.size else self.bqm(model)
                labels = list(range(free.size))
                result = self.sampler.sample(
                    bqm,
                    beta_schedule=betas,
                    beta_schedule_type="custom",
                    num_sweeps_per_beta=1,
                    num_reads=rows.size,
                    seed=int(rng.integers(2**31)),
                    initial_states=(starts[np.ix_(rows, free)].astype(np.int8), labels),
                    **self.parameters,
                )
                record = result.record.sample
                if record.shape != (rows.size, free.size):
                    raise InputError(
                        f"{type(self.sampler).__name__} returned {record.shape[0]} samples of "
                        f"{record.shape[1]} variables; expected {rows.size} of {free.size}"
                    )
                columns = [list(result.variables).index(v) for v in labels]
                states[np.ix_(rows, free)] = record[:, columns]
        seconds = time.perf_counter() - t0
        states.flags.writeable = False
        energies = np.asarray(model.energy(states), dtype=float).reshape(n_chains)
        energies.flags.writeable = False
        return SampleResult(
            states=states,
            energies=energies,
            mean_energy=None,
            schedule=schedule,
            convention=model.convention,
            n_updates=n_chains * schedule.total_sweeps * int(free.size),
            seconds=seconds,
        )


def dwave_sampler(acceptance: str = "gibbs", order: str = "sequential") -> DimodSampler:
    """dwave-samplers' ``SimulatedAnnealingSampler`` with a named acceptance criterion and order."""
    if not isinstance(acceptance, str) or acceptance.lower() not in ACCEPTANCE:
        raise InputError.bad("acceptance", f"one of {list(ACCEPTANCE)} (any case)", acceptance)
    acceptance = "gibbs" if ACCEPTANCE[acceptance.lower()] == "heat_bath" else "metropolis"
    if order not in ORDERS:
        raise InputError(f"order must be one of {list(ORDERS)}; received {order!r}")
    try:
        from dwave.samplers import SimulatedAnnealingSampler
    except ImportError:
        raise InputError("sampler=dwave needs dwave-samplers: pip install -e '.[ocean]'") from None
    return DimodSampler(
        SimulatedAnnealingSampler(), proposal_acceptance_criteria=acceptance.capitalize(), randomize_order=ORDERS[order]
    )
