"""``check=energy``: a sampler's mean energy on the 2D Ising lattice against the exact value.

The model is a lattice (:func:`bmexp.zoo.lattice`, any L >= 2: 4,096 units at L = 64) whose mean
energy and energy variance are exact at every temperature (Kaufman 1949, :mod:`bmexp.lattice`).
At each temperature the sampler runs ``n`` independent chains; the mean energy per site of their
final states is compared with the exact one by a z-test whose standard error comes from the
*exact* variance, ``sqrt(Var(E) / n) / N`` (so the test is exact up to the central limit theorem,
which at n >= 50 chains of a sum of ``2 N`` local terms is ample); Holm across temperatures.

Result: ``tests["energy"]`` (:class:`EnergyVerdict`) is the verdict; ``tests["T/J=<T>"]``
(:class:`EnergyTest`) the z-test at each temperature, also in ``table``.

Temperatures.  ``temperatures`` are those of the machine: at ``t`` the sampler runs on the model
with weights ``W / t`` (so any sampler that samples a model at T = 1 is tested; the schedule ends
at T = 1 as in every other check).  With ``K0`` the model's coupling per bond (``J / temperature``
of :func:`bmexp.zoo.lattice`), ``t`` is the Ising temperature ``t / K0`` in units of J.  Default:
Ising temperatures 2.0 (ordered), T_c = 2.269 (critical) and 3.0 (disordered).

Equilibrium.  Chains start in the all-up state (``init="ordered"``).  The energy distribution is
symmetric under the global flip, so starting in one of the two ordered states biases nothing in
itself, and from there single-site chains relax to equilibrium without the stripe states that trap
random starts below T_c on a torus (domain walls wrapping around the torus, whose lifetime grows
with L).  The default schedule is :func:`equilibration_sweeps` sweeps at T = 1 (of the scaled
model): at least 200, and 20 energy relaxation times of heat-bath sequential dynamics,
``tau = 60 (l / 32)^2.17`` sweeps with ``l = min(L, xi)``, ``xi = 1 / |g_0|`` the correlation
length; twice that for random scan or a sampler that declares no kernel.  Measured from all-up at
L = 32, T_c (1,024 chains; bias of the mean energy in units of one chain's sd, noise 0.03):
heat-bath sequential -0.60 after 20 sweeps, -0.17 after 100, within noise from 240 on (so 1,200
sweeps leave ~1e-8); Metropolis random scan -0.77, -0.29, -0.09 at 300-450, within noise from
550 on; heat-bath random scan (512 chains, noise 0.044) -0.94, -0.29, -0.19 at 200, -0.1 at 400,
-0.04 on average over 600-1,200, and in a second run (512 chains) -0.07, 0.06, -0.005, 0.07, -0.02,
-0.02 at 400, 800, ..., 2,400 sweeps (within noise from 400 on; it gets 2,400).  At T = 2.0 and
3.0 (xi ~ 2-4 sites) heat-bath sequential from all-up is within noise (64 chains) after 25
sweeps; 200 are run (400 with random scan).  The test's standard error is sd / sqrt(n), n >= 50:
a bias of 0.01 sd is 0.07 of it.  A sampler that equilibrates far more slowly than single-site
dynamics may fail: give it a longer ``schedule`` (it is then used at every temperature).

Sample size.  ``n`` (chains per temperature) defaults to the number that detects a relative
temperature error of 2 % (a sampler at 1.02 T: to first order an energy shift of ``c T 0.02`` per
site) with power 0.9 at ``alpha / len(temperatures)``, at least 50: 50, 60 and 109 chains at
L = 32 for T = T_c, 2.0 and 3.0.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .. import arguments
from ..errors import InputError
from ..lattice import CRITICAL_TEMPERATURE, correlation_length, thermo
from ..samplers import HEAT_BATH_SEQUENTIAL, GibbsSampler, Kernel, kernel_of, sampler_argument, states_of
from ..schedules import Schedule
from ..zoo import lattice, lattice_parameters
from .checks import CheckResult
from .gof import check_alpha
from .multiple import holm

__all__ = [
    "DEFAULT_ISING_TEMPERATURES",
    "DETECT_TEMPERATURE_ERROR",
    "EnergyTest",
    "EnergyVerdict",
    "check_energy",
    "equilibration_sweeps",
    "planned_chains",
]

#: Ising temperatures (units of J) tested by default: ordered, critical, disordered.
DEFAULT_ISING_TEMPERATURES = (2.0, CRITICAL_TEMPERATURE, 3.0)
#: The relative temperature error the default sample size detects with power 0.9.
DETECT_TEMPERATURE_ERROR = 0.02
MIN_CHAINS = 50
MIN_SWEEPS = 200
#: The fewest chains per temperature: the z-test's mean of chain energies needs a sample the central limit
#: theorem covers (module notes: n >= 50, where a bias of 0.01 sd is 0.07 of the standard error).
MIN_N = 50
#: Energy relaxation time (sweeps) of heat-bath sequential sweeps at T_c, L = 32, from all-up
#: (measured, see the module notes), and the dynamic exponent of single-site dynamics.
TAU_32, DYNAMIC_Z = 60.0, 2.17
#: Random scan relaxes more slowly per sweep (measured, module notes): it gets this many times the sweeps.
RANDOM_SCAN_FACTOR = 2
#: The default sweeps run in calls of at most this many (bmexp's sampler holds its uniforms for a
#: whole call: 4,096 units x 1,000 sweeps is 33 MB a chain, 66 MB with random scan).
SEGMENT = 1000


@dataclass(frozen=True)
class EnergyTest:
    """The z-test at one temperature: observed vs exact mean energy per site (units of J)."""

    temperature: float  # of the machine
    ising_temperature: float  # t / K0, units of J
    n: int  # chains
    sweeps: int
    exact: float
    observed: float
    standard_error: float  # exact sd of one chain's energy per site / sqrt(n)
    statistic: float  # z
    p_value: float  # two-sided, before Holm
    p_holm: float
    alpha: float
    reject: bool

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        verdict = "REJECT" if self.reject else "pass"
        return (
            f"{verdict}: T/J = {self.ising_temperature:.4g}: <E>/N = {self.observed:.5f} vs exact "
            f"{self.exact:.5f} (se {self.standard_error:.2g}), z = {self.statistic:.2f}, p = {self.p_value:.3g} "
            f"(Holm {self.p_holm:.3g}), n = {self.n} chains x {self.sweeps} sweeps"
        )


@dataclass(frozen=True)
class EnergyVerdict:
    """The check's one verdict (test ``"energy"``): Holm over the temperatures' z-tests."""

    statistic: float  # largest |z|
    p_value: float  # smallest Holm-adjusted p-value
    n: int  # chains, all temperatures
    temperatures: int
    alpha: float
    reject: bool

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"{'REJECT' if self.reject else 'pass'}: Holm over {self.temperatures} temperatures, "
            f"max |z| = {self.statistic:.2f}, min adjusted p = {self.p_value:.3g}, n = {self.n} chains"
        )


def equilibration_sweeps(L: int, ising_temperature: float, kernel: Kernel = HEAT_BATH_SEQUENTIAL) -> int:
    """Sweeps from the all-up start that bring the mean energy to equilibrium (module notes):
    ``max(200, 20 tau)`` for sequential scan, twice that for random scan or an undeclared kernel."""
    ell = min(float(L), correlation_length(ising_temperature))
    sweeps = max(MIN_SWEEPS, math.ceil(20.0 * TAU_32 * (ell / 32.0) ** DYNAMIC_Z))
    return sweeps if kernel.scan == "sequential" else RANDOM_SCAN_FACTOR * sweeps


def planned_chains(L: int, ising_temperature: float, *, alpha: float = 0.01, tests: int = 1) -> int:
    """Chains that detect a ``DETECT_TEMPERATURE_ERROR`` relative temperature error with power 0.9
    at ``alpha / tests`` (two-sided): ``n = (z_a + z_0.9)^2 / (N c d^2)``, at least 50."""
    c = thermo(L, ising_temperature).specific_heat
    z = stats.norm.isf(alpha / (2 * tests)) + stats.norm.isf(0.1)
    return max(MIN_CHAINS, math.ceil(z * z / (L * L * c * DETECT_TEMPERATURE_ERROR**2)))


def _energy_per_site(states: np.ndarray, L: int, convention) -> np.ndarray:
    """``-(1/N) sum_bonds s_i s_j`` (J = 1) of each state, right and lower bonds of the torus."""
    off, on = convention.values
    s = (2.0 * states - (on + off)) / (on - off)  # spins
    s = s.reshape(-1, L, L)
    bonds = s * np.roll(s, -1, axis=2) + s * np.roll(s, -1, axis=1)
    return -bonds.sum(axis=(1, 2)) / (L * L)


#: Ising temperatures (units of J) the check accepts: below 1 the chains sit in the ground state
#: (Var E per site < 1e-2 at T/J = 1 and vanishing fast below, where its exact value is lost to
#: cancellation), above 100 a 2% temperature error moves the energy by < 2e-4 per site.
ISING_RANGE = (1.0, 100.0)


def check_temperatures(temperatures, coupling: float) -> None:
    """Refuse machine temperatures whose Ising temperature ``t / coupling`` is outside :data:`ISING_RANGE`."""
    lo, hi = ISING_RANGE
    for t in temperatures:
        if not lo <= t / coupling <= hi:
            raise InputError.about(
                "temperatures",
                f"{{argument}} must give Ising temperatures T/J in [{lo:g}, {hi:g}] (T in [{lo * coupling:g}, "
                f"{hi * coupling:g}] for this lattice's coupling {coupling:g}); "
                f"received {t!r} (T/J = {t / coupling:g})",
            )


def check_energy(
    model,
    sampler=None,
    *,
    rng,
    schedule=None,
    temperatures=None,
    n=None,
    alpha=0.01,
    init="ordered",
) -> CheckResult:
    """Mean energy per site of the sampler's chains vs the exact value, at each temperature (Holm).

    model : a lattice (:func:`bmexp.zoo.lattice`, either convention); anything else is refused.
    temperatures : the machine's temperatures (default: Ising T/J = 2.0, T_c, 3.0; module notes).
    schedule : run on the model with weights W / t at each t (default: :func:`equilibration_sweeps`
        sweeps at T = 1).  n : chains per temperature (default: :func:`planned_chains`).
    init : "ordered" (all up, default) or "random" (random starts get trapped below T_c).
    """
    arguments.model(model)
    arguments.generator(rng)
    alpha = check_alpha(alpha)
    arguments.schedule(schedule, optional=True)
    sampler = GibbsSampler() if sampler is None else sampler_argument(sampler)
    params = lattice_parameters(model)
    if params is None:
        raise InputError(
            "check 'energy' needs a 2D Ising lattice (bmexp.zoo.lattice, model=lattice); "
            f"received a model of {model.n_units} units that is not one"
        )
    L, k0 = params
    kernel = kernel_of(sampler)
    arguments.one_of(init, "init", ("ordered", "random"))
    if temperatures is None:
        temps = [k0 * t for t in DEFAULT_ISING_TEMPERATURES]
    else:
        if isinstance(temperatures, (str, bytes)) or not hasattr(temperatures, "__len__") or len(temperatures) == 0:
            raise InputError.bad("temperatures", "a non-empty list of numbers > 0", temperatures)
        temps = [arguments.number(t, "temperatures", low=0, low_open=True) for t in temperatures]
    check_temperatures(temps, k0)
    if n is not None:
        n = arguments.integer(n, "n", low=MIN_N)
    on = model.convention.values[1]
    rows = []
    for t in temps:
        t_ising = t / k0
        exact = thermo(L, t_ising)
        chains = n if n is not None else planned_chains(L, t_ising, alpha=alpha, tests=len(temps))
        scaled = lattice(L, k0 / t).to(model.convention)
        if schedule is not None:
            segments = [schedule]
        else:  # the default sweeps in segments: a sampler's memory may grow with the sweeps of one call
            total = equilibration_sweeps(L, t_ising, kernel)
            segments = [Schedule.constant(min(SEGMENT, total - k)) for k in range(0, total, SEGMENT)]
        # one start state per chain (the contract's (n_chains, n_units) form)
        states = np.full((chains, model.n_units), float(on)) if init == "ordered" else "random"
        for sched in segments:  # each segment continues the chains where the last one left them
            states = states_of(
                sampler(scaled, rng=rng, n_chains=chains, schedule=sched, init=states, clamp=None),
                n_chains=chains,
                n_units=model.n_units,
            )
        u = _energy_per_site(states, L, model.convention)
        se = math.sqrt(exact.energy_variance / chains) / (L * L)
        z = (float(u.mean()) - exact.energy_per_site) / se
        rows.append(
            (t, t_ising, chains, sum(sg.total_sweeps for sg in segments), exact.energy_per_site, float(u.mean()), se, z)
        )
    p = np.array([2.0 * stats.norm.sf(abs(r[-1])) for r in rows])
    p_holm, reject = holm(p, alpha)
    verdict = EnergyVerdict(
        float(max(abs(r[-1]) for r in rows)),
        float(p_holm.min()),
        sum(r[2] for r in rows),
        len(rows),
        alpha,
        bool(reject.any()),
    )
    tests = {"energy": verdict} | {
        f"T/J={r[1]:.4g}": EnergyTest(*r, float(pi), float(ph), alpha, bool(rj))
        for r, pi, ph, rj in zip(rows, p, p_holm, reject)
    }
    table = pd.DataFrame(
        {
            "T": [r[0] for r in rows],
            "T/J": [r[1] for r in rows],
            "chains": [r[2] for r in rows],
            "sweeps": [r[3] for r in rows],
            "exact_e": [r[4] for r in rows],
            "observed_e": [r[5] for r in rows],
            "se": [r[6] for r in rows],
            "z": [r[7] for r in rows],
            "p_holm": p_holm,
        }
    )
    passed = not bool(reject.any())
    bad = [f"T/J = {r[1]:.4g} (z = {r[7]:.1f})" for r, rj in zip(rows, reject) if rj]
    msg = (
        f"the mean energy per site matches the exact value (Kaufman) at every temperature on the {L} x {L} torus."
        if passed
        else f"the mean energy per site differs from the exact value (Kaufman) at {', '.join(bad)} on the "
        f"{L} x {L} torus: the sampler is wrong, runs at another temperature, or is not at equilibrium."
    )
    return CheckResult(
        "energy",
        int(sum(r[2] for r in rows)),
        tests,
        table,
        passed,
        msg,
        model.unit_names,
        {"L": L, "coupling": k0, "temperatures": [r[0] for r in rows], "init": init},
    )
