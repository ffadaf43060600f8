"""Annealing or parallel tempering on the fully connected ferromagnet, exactly (``check=lumped``).

On :func:`bmexp.zoo.ferromagnet` the number of units up is itself a Markov chain under
random-scan heat bath (:mod:`bmexp.lumped`), so the exact output of an annealing schedule, or of
parallel tempering's T = 1 replica after every round, is known at sizes no enumeration reaches.
The check draws the sampler's chains once and tests their counts of units up against that exact
output (is the sampler right? implementation, Holm) and against Boltzmann's (was it run long
enough? equilibrium, BH); a random start and Boltzmann are both uniform within each count, so the
exact TV between the counts is the TV over all ``2**n`` states.

Besides the tests it measures, exactly, what ``sweep=metastable`` compares: ``tv`` (the exact
output's distance from Boltzmann), ``majority_on`` (its probability that more than half of the
units are on; ``majority_on_boltzmann`` for the model), ``cost`` (spin updates of one chain, every
replica counted) and ``cost_to_tv`` (the least cost at which the run was within
:data:`~bmexp.validation.checks.SHORTFALL_TV` of Boltzmann: for parallel tempering the first
round that is, for annealing the whole schedule or NaN).  Parallel tempering's ladder is read
from the sampler's result, so an adaptive ladder's tuned temperatures are the ones computed.
"""

from __future__ import annotations

import numpy as np

from ..conventions import check_states
from ..errors import InputError
from ..lumped import MAX_JOINT_STATES, annealing_counts, boltzmann_counts, check_pt_counts_cost, majority_on, pt_counts
from ..samplers.contract import Kernel
from ..schedules import Schedule
from ..zoo import ferromagnet_parameters
from .checks import SHORTFALL_TV, CheckResult, _planned, _prepare, _table, kernel_of, states_of
from .gof import gof_test

__all__ = ["check_lumped", "lumped_requirements", "METRICS"]

#: the exact measurements logged as ``check.lumped.<name>``
METRICS = ("tv", "majority_on", "majority_on_boltzmann", "cost", "cost_to_tv")
_KERNEL = Kernel("heat_bath", "random")


def _first(shortfall_tv: float, cost_to_tv: float) -> str:
    """When PT's rounds first reached TV ``shortfall_tv`` (spin updates per chain), or that they never did."""
    if np.isnan(cost_to_tv):
        return f"TV {shortfall_tv:g} not reached"
    return f"TV {shortfall_tv:g} first after {cost_to_tv:,.0f}"


def lumped_requirements(model, sampler, schedule: Schedule) -> tuple[int, float, float]:
    """``(n, J, h)`` of ``model``, or InputError when the check cannot compute the exact output:
    the model must be the ferromagnet, the kernel random-scan heat bath, parallel tempering must
    run at T = 1 (``schedule=constant``) with ``(n + 1)**R <= 2**22`` joint count states, and the
    exact count chain's rounds (one a sweep) within the memory and operation limits
    (:func:`bmexp.lumped.check_pt_counts_cost`, naming ``schedule.sweeps``)."""
    params = ferromagnet_parameters(model)
    if params is None:
        raise InputError(
            "check 'lumped' needs the fully connected ferromagnet (model=ferromagnet or model=metastable): "
            "its exact output is computed from the number of units up"
        )
    kernel = kernel_of(sampler)
    if kernel != _KERNEL:
        raise InputError(
            "sampler.scan must be random, with sampler.rule heat_bath or flip, for check 'lumped' (only then is "
            f"the number of units up a Markov chain); received the kernel {kernel}",
            argument="sampler.scan",
        )
    replicas = getattr(sampler, "replicas", None)
    if replicas is not None:
        if any(t != 1.0 for t, _ in schedule.steps):
            raise InputError(
                "schedule.kind must be constant with parallel tempering for check 'lumped' (its exact output is "
                f"computed at T = 1); received a schedule through T = {sorted({float(t) for t, _ in schedule.steps})}",
                argument="schedule.kind",
            )
        n = params[0]
        if (n + 1) ** replicas > MAX_JOINT_STATES:
            most = int(np.floor(np.log(MAX_JOINT_STATES) / np.log(n + 1)))
            raise InputError(
                f"sampler.replicas must be at most {most} for check 'lumped' on {n} units ((n + 1)**R <= "
                f"{MAX_JOINT_STATES:,} joint count states); received {replicas}",
                argument="sampler.replicas",
            )
        check_pt_counts_cost(n, replicas, schedule.total_sweeps, name="schedule.sweeps")  # constant: its sweeps
    return params


def _tv(p, q) -> float:
    return 0.5 * float(np.abs(p - q).sum())


def check_lumped(
    model, sampler=None, *, rng, schedule=None, n=None, alpha=0.01, shortfall_tv: float = SHORTFALL_TV
) -> CheckResult:
    """The sampler's counts of units up against the exact output of its schedule (or PT rounds) and
    against Boltzmann, with the exact TV, P(majority on) and costs (module notes)."""
    sampler, schedule = _prepare(model, sampler, rng, schedule, alpha)
    units, J, h = lumped_requirements(model, sampler, schedule)
    boltz = boltzmann_counts(units, J, h)
    n = _planned(n, boltz, alpha)  # planned before the run: an adaptive ladder is known after it
    result = sampler(model, rng=rng, n_chains=n, schedule=schedule)
    states = check_states(states_of(result, n_chains=n, n_units=model.n_units), model.convention, name="sampler output")
    ladder = getattr(result, "temperatures", None)
    if ladder is None:
        replicas, out = 1, annealing_counts(units, J, h, schedule)
        per_round = None
    else:
        ladder = np.asarray(ladder, dtype=float)
        replicas = ladder.size
        rounds = pt_counts(units, J, h, ladder, schedule.total_sweeps, swap=sampler.swap)
        out, per_round = rounds[-1], [_tv(p, boltz) for p in rounds]
    sweep_cost = replicas * units  # random scan: n updates per sweep and replica
    cost = float(sweep_cost * schedule.total_sweeps)
    tv = _tv(out, boltz)
    if per_round is None:
        cost_to_tv = cost if tv <= shortfall_tv else float("nan")
    else:
        hit = np.flatnonzero(np.asarray(per_round) <= shortfall_tv)
        cost_to_tv = float(sweep_cost * (hit[0] + 1)) if hit.size else float("nan")
    on = model.convention.values[1]
    counts = np.bincount((states == on).sum(axis=1), minlength=units + 1)
    r_out = gof_test(counts, out, alpha=alpha, rng=rng)
    r_boltz = gof_test(counts, boltz, alpha=alpha, rng=rng)
    table = _table(units, counts, {"lumped_output": out, "boltzmann": boltz})
    table["state"] = [f"{k} up" for k in range(units + 1)]
    sampler_ok, schedule_ok = not r_out.reject, tv <= shortfall_tv
    what = f"parallel tempering, ladder {np.round(ladder, 3).tolist()}" if ladder is not None else "annealing"
    message = (
        f"sampler {'agrees with' if sampler_ok else 'DIFFERS from'} the exact output of {what} (random-scan heat "
        f"bath, counted by units up); it ends at TV {tv:.2e} from Boltzmann "
        f"({'adequate' if schedule_ok else 'too short'} at {shortfall_tv:g}), P(majority on) {majority_on(out):.4f} "
        f"(Boltzmann {majority_on(boltz):.4f}), after {cost:,.0f} spin updates per chain"
        + (f" (every replica counted; {_first(shortfall_tv, cost_to_tv)})" if ladder is not None else "")
        + "."
    )
    metrics = {
        "tv": tv,
        "majority_on": majority_on(out),
        "majority_on_boltzmann": majority_on(boltz),
        "cost": cost,
        "cost_to_tv": cost_to_tv,
    }
    extra = {"metrics": metrics, "sampler_ok": sampler_ok, "schedule_ok": schedule_ok, "kernel": str(_KERNEL)}
    if per_round is not None:
        extra["tv_by_sweep"] = per_round
    return CheckResult(
        "lumped",
        n,
        {"lumped_output": r_out, "boltzmann": r_boltz},
        table,
        sampler_ok and schedule_ok,
        message,
        model.unit_names,
        extra,
    )
