"""Does the sampler's kernel leave the Boltzmann distribution where it is?  (``check=invariance``)

Exact samples are drawn from the enumeration (n <= 24), handed to the sampler as its starting
states, and ``k`` sweeps at T = 1 are applied (k in ``sweeps``, default 1, 2 and 8, each from its
own exact draw).  For a kernel that leaves Boltzmann invariant the output is again exactly
Boltzmann -- however slowly the kernel mixes -- so the test is exact at any sample size, needs no
schedule and no shortfall, and tells a broken sampler from a metastable model, which end-to-end
checks cannot.  The output is tested cell by cell while the states are few enough, otherwise on
the exact probability histogram and unit and pair marginals; Holm across ``sweeps``.

A sampler that ignores its starting states, or runs hotter than asked, fails; a sampler that does
nothing passes this check (it is an invariance test): the joint, schedule and blocks checks see that.
A sampler with replicas at temperatures ``sampler.temperatures()`` (parallel tempering) starts every
replica from its own exact draw at its temperature (init of shape ``(n, R, n_units)``): only that
product is invariant under its swaps.  An adaptive ladder is tuned first (``sampler.tuned``); before,
its replicas all started from the T = 1 draw, which is not invariant, and a large enough ``n``
rejected a correct sampler (an outside tester: p = 8e-05 at n = 60,000).
"""

from __future__ import annotations

import numpy as np

from .. import arguments
from ..errors import InputError
from ..exact import ExactDistribution
from ..schedules import Schedule
from ..states import states_from_indices
from .checks import CheckResult, _draw, _fit, _planned, _prepare, fixed_ladder
from .summaries import combine

__all__ = ["DEFAULT_SWEEPS", "MIN_N", "check_invariance"]

#: Sweeps at T = 1 applied to exact samples: one (the kernel itself) and a few more.
DEFAULT_SWEEPS = (1, 2, 8)
#: Fewest exact samples per run: 20 pooled cells expecting 5 each (Cochran's rule, as
#: bmexp.validation.gof pools); fewer fall back to Monte Carlo p-values and detect almost nothing.
MIN_N = 100


def _sweeps(sweeps) -> tuple[int, ...]:
    if isinstance(sweeps, (str, bytes)) or not hasattr(sweeps, "__iter__") or not list(sweeps):
        raise InputError.bad("sweeps", "a non-empty list of positive whole numbers of sweeps", sweeps)
    out = tuple(arguments.integer(k, "sweeps", low=1, high=10**6) for k in sweeps)
    if len(set(out)) != len(out):
        raise InputError.bad("sweeps", "distinct numbers of sweeps", list(sweeps))
    return out


def _ladder(sampler):
    """The temperatures of a sampler that runs replicas (parallel tempering with a fixed ladder), else None."""
    temperatures = getattr(sampler, "temperatures", None)
    return temperatures() if callable(temperatures) else None


def _exact_start(p, ladder, n, model, rng) -> np.ndarray:
    """``n`` exact draws from ``p`` (n x units); with a ladder, one per replica from exp(-E / T_k)
    (n x R x units): parallel tempering leaves only that product invariant."""
    if ladder is None:
        return states_from_indices(rng.choice(p.size, size=n, p=p), model.n_units, model.convention)
    log_p = np.log(p)
    starts = []
    for t in ladder:
        q = np.exp((log_p - log_p.max()) / t)
        starts.append(states_from_indices(rng.choice(p.size, size=n, p=q / q.sum()), model.n_units, model.convention))
    return np.stack(starts, axis=1)


def check_invariance(
    model, sampler=None, *, rng, schedule=None, sweeps=DEFAULT_SWEEPS, n=None, alpha=0.01
) -> CheckResult:
    """Start the sampler from exact Boltzmann samples, apply ``k`` sweeps at T = 1, test that the
    distribution has not moved.  ``schedule`` is not used (each run is ``k`` sweeps at T = 1)."""
    sampler, _ = _prepare(model, sampler, rng, schedule, alpha)
    sweeps = _sweeps(sweeps)
    exact = ExactDistribution.of(model)
    p = exact.p
    level = alpha / len(sweeps)  # planned for Holm's first threshold
    if n is not None:
        arguments.integer(n, "n", low=MIN_N)
    n = _planned(n, p, level)
    tests, tables = {}, []
    sampler = fixed_ladder(sampler, model, rng)
    ladder = _ladder(sampler)
    for k in sweeps:
        start = _exact_start(p, ladder, n, model, rng)
        states = _draw(sampler, model, rng=rng, n=n, schedule=Schedule.constant(k), clamp=None, init=start)
        name = f"after {k} sweep{'s' if k != 1 else ''}"
        res, table = _fit(states, {name: p}, model, range(model.n_units), alpha=alpha, rng=rng)
        tests[name] = res[name]
        tables.append(table)
    combined, family = combine(tests, alpha, "holm")
    moved = [name for name, r in zip(family["test"], family["reject"]) if r]
    msg = (
        f"exact Boltzmann samples stay Boltzmann after {', '.join(str(k) for k in sweeps)} sweeps at T = 1: "
        "the kernel leaves the distribution invariant."
        if not combined.reject
        else f"exact Boltzmann samples MOVED ({', '.join(moved)}): the sampler's kernel does not leave "
        "the Boltzmann distribution invariant -- an implementation error, whatever the schedule."
    )
    table = tables[int(np.argmin([r.p_value for r in tests.values()]))]  # the states where it moved most
    return CheckResult(
        "invariance",
        n,
        {"invariance": combined},
        table,
        not combined.reject,
        msg,
        model.unit_names,
        {"sweeps": list(sweeps), "family": family.to_dict(orient="list")},
    )
