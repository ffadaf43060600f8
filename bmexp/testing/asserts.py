"""A validation kit for sampler authors: drop these assertions into your own pytest suite.

In the spirit of ``dimod.testing.asserts``::

    import numpy as np
    from bmexp import random_model, slide35
    from bmexp.testing import assert_sampler_api, assert_samples_boltzmann

    def test_my_sampler_follows_the_contract():
        assert_sampler_api(MySampler())

    def test_my_sampler_samples_the_boltzmann_distribution():
        assert_samples_boltzmann(MySampler(), slide35())                       # seed 0, planned n
        assert_samples_boltzmann(MySampler(), random_model(4, 2, rng=np.random.default_rng(11), bias_scale=0.7))

Every statistical assertion is seeded (the same verdict on every run) and uses the planned
sample size (detects a total variation of 0.02 with power 0.9).  A correct sampler whose
schedule reaches equilibrium fails :func:`assert_samples_boltzmann` with probability at most
``alpha`` (Holm across its tests), and each per-check assertion with probability ``alpha``:
that is the false-alarm rate, proven in tests/testing/test_asserts.py by seeded replicates.
A failing assertion prints the check's table (observed vs expected per state, with 95% bands).
"""

from __future__ import annotations

import numpy as np

from .. import arguments
from ..errors import InputError
from ..model import BoltzmannMachine
from ..samplers.contract import Kernel, kernel_of, states_of
from ..schedules import Schedule
from ..validation.checks import CHECKS, REGISTRY, SHORTFALL_TV, CheckResult, default_checks, run_check
from ..validation.multiple import holm
from ..zoo import random_model

__all__ = [
    "assert_conditional",
    "assert_joint",
    "assert_random_hidden",
    "assert_sampler_api",
    "assert_samples_boltzmann",
    "assert_schedule",
]


def _fail(message: str, result: CheckResult | None = None):
    __tracebackhide__ = True  # pytest shows the caller's line, not the kit's
    raise AssertionError(message + ("\n" + result.report() if result is not None else ""))


# ------------------------------------------------------------------------ the contract
def assert_sampler_api(sampler, model: BoltzmannMachine | None = None, *, n_chains: int = 64, seed: int = 0) -> None:
    """Check that ``sampler`` follows bmexp's sampler contract (:mod:`bmexp.samplers.contract`).

    On ``model`` (default: a 6-unit model with biases) in both conventions: the call signature,
    the shape ``(n_chains, n_units)`` of the returned states and their values (the model's
    convention), ``n_chains = 1``, ``init="off"`` and an array of initial states, clamps held
    (a scalar clamp by unit name and by index, and a different clamp per chain), the same seed
    giving the same states and another seed other states, and a ``kernel`` attribute, if any,
    that is a :class:`bmexp.samplers.Kernel`.
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not the kit's
    _require_sampler(sampler)
    kernel = getattr(sampler, "kernel", None)
    if kernel is not None and not isinstance(kernel, Kernel):
        _fail(f"sampler.kernel must be a bmexp.samplers.Kernel or None; received {kernel!r}")
    base = (
        arguments.model(model)
        if model is not None
        else random_model(4, 2, rng=np.random.default_rng(11), bias_scale=0.7)
    )
    n_chains = arguments.integer(n_chains, "n_chains", low=1)
    seed = arguments.seed(seed)
    schedule = Schedule.constant(3)
    for convention in ("binary", "spin"):
        m = base.to(convention)
        off, on = m.convention.values

        def draw(n=n_chains, s=seed, **kw):
            try:
                out = sampler(m, rng=np.random.default_rng(s), n_chains=n, schedule=schedule, **kw)
            except Exception as exc:  # the contract is broken, whatever the sampler raised
                shown = {k: (v if isinstance(v, str) else f"<{type(v).__name__}>") for k, v in kw.items()}
                _fail(
                    f"{convention} model: sampler must accept (model, *, rng, n_chains, schedule, init, clamp); "
                    f"calling it with n_chains={n}, {shown} raised {type(exc).__name__}: {exc}"
                )
            try:
                states = states_of(out, n_chains=n, n_units=m.n_units)
            except ValueError as exc:
                _fail(f"{convention} model: {exc}")
            if not np.all((states == off) | (states == on)):
                _fail(
                    f"{convention} model: states must contain only {{{off}, {on}}}; received values "
                    f"{[float(v) for v in np.unique(states) if v not in (off, on)][:5]}"
                )
            return states

        a = draw()
        draw(n=1)
        draw(init="off")
        draw(init=np.full((n_chains, m.n_units), on))
        if not np.array_equal(a, draw()):
            _fail(f"{convention} model: the same seed must give the same states")
        # another seed, other states: only asked where a correct sampler could hardly repeat itself
        if n_chains * m.n_units >= 64 and np.array_equal(a, draw(s=seed + 1)):
            _fail(f"{convention} model: another seed gave identical states for all {n_chains} chains")
        names = m.unit_names
        clamp = {names[0]: on} if m.n_units == 1 else {names[0]: on, m.n_units - 1: off}
        held = draw(clamp=clamp)
        if not (np.all(held[:, 0] == on) and (m.n_units == 1 or np.all(held[:, -1] == off))):
            _fail(f"{convention} model: clamped units must keep their values (clamp {clamp})")
        per_chain = np.where(np.arange(n_chains) % 2 == 0, on, off)
        unit = min(1, m.n_units - 1)
        held = draw(clamp={unit: per_chain})
        if not np.array_equal(held[:, unit], per_chain):
            _fail(f"{convention} model: a clamp with one value per chain must be held in every chain")
        start = np.where(np.arange(n_chains * m.n_units).reshape(n_chains, m.n_units) % 3 == 0, on, off)
        frozen = draw(init=start, clamp={u: start[:, u] for u in range(m.n_units)})
        if not np.array_equal(frozen, start):
            _fail(
                f"{convention} model: with every unit clamped to its initial state, the states must come back unchanged"
            )


# ------------------------------------------------------------------ statistical checks
def _require_sampler(sampler) -> None:
    __tracebackhide__ = True
    if sampler is None or not callable(sampler):
        _fail(f"sampler must be a callable sampler (see bmexp.samplers.Sampler); received {type(sampler).__name__}")


def _run(name, sampler, model, *, seed, alpha, schedule, n, **kw) -> CheckResult:
    __tracebackhide__ = True
    _require_sampler(sampler)
    seed = arguments.seed(seed)
    return run_check(name, model, sampler, rng=np.random.default_rng(seed), schedule=schedule, n=n, alpha=alpha, **kw)


def assert_joint(
    sampler,
    model: BoltzmannMachine,
    *,
    seed: int = 0,
    alpha: float = 0.01,
    schedule: Schedule | None = None,
    n: int | None = None,
) -> CheckResult:
    """Free chains from random starts match the exact joint distribution (false alarms: ``alpha``)."""
    __tracebackhide__ = True  # pytest shows the caller's line, not the kit's
    r = _run("joint", sampler, model, seed=seed, alpha=alpha, schedule=schedule, n=n)
    if not r.passed:
        _fail(f"joint check failed: {r.message}", r)
    return r


def assert_conditional(
    sampler,
    model: BoltzmannMachine,
    *,
    hidden=None,
    seed: int = 0,
    alpha: float = 0.01,
    schedule: Schedule | None = None,
    n: int | None = None,
) -> CheckResult:
    """Visible units with the hidden ones clamped match the exact ``p(v | h)`` (false alarms: ``alpha``)."""
    __tracebackhide__ = True  # pytest shows the caller's line, not the kit's
    r = _run("conditional", sampler, model, seed=seed, alpha=alpha, schedule=schedule, n=n, hidden=hidden)
    if not r.passed:
        _fail(f"conditional check failed: {r.message}", r)
    return r


def assert_random_hidden(
    sampler,
    model: BoltzmannMachine,
    *,
    seed: int = 0,
    alpha: float = 0.01,
    schedule: Schedule | None = None,
    n: int | None = None,
) -> CheckResult:
    """A different clamp per chain: visible units match ``sum_h U(h) p(v | h)`` (false alarms: ``alpha``)."""
    __tracebackhide__ = True  # pytest shows the caller's line, not the kit's
    r = _run("random_hidden", sampler, model, seed=seed, alpha=alpha, schedule=schedule, n=n)
    if not r.passed:
        _fail(f"random_hidden check failed: {r.message}", r)
    return r


def assert_schedule(
    sampler,
    model: BoltzmannMachine,
    *,
    seed: int = 0,
    alpha: float = 0.01,
    schedule: Schedule | None = None,
    n: int | None = None,
    shortfall_tv: float = SHORTFALL_TV,
) -> CheckResult:
    """With a declared kernel: samples match the kernel's exact output after ``schedule`` (false
    alarms: ``alpha``) and that output is within ``shortfall_tv`` of Boltzmann (exact: no
    randomness).  Without one: samples match Boltzmann (false alarms: ``alpha``)."""
    __tracebackhide__ = True  # pytest shows the caller's line, not the kit's
    r = _run("schedule", sampler, model, seed=seed, alpha=alpha, schedule=schedule, n=n, shortfall_tv=shortfall_tv)
    if not r.passed:
        _fail(f"schedule check failed: {r.message}", r)
    return r


def assert_samples_boltzmann(
    sampler,
    model: BoltzmannMachine,
    *,
    checks=None,
    seed: int = 0,
    alpha: float = 0.01,
    schedule: Schedule | None = None,
    n: int | None = None,
    shortfall_tv: float = SHORTFALL_TV,
) -> dict[str, CheckResult]:
    """The sampler's samples follow the Boltzmann distribution of ``model``, by every check that applies.

    checks : default all that apply: ``joint``; ``conditional`` and ``random_hidden`` when the
        model has visible and hidden units; ``schedule`` when it has at most 12 units; beyond 24
        units (no enumeration) ``blocks``.  ``invariance`` and ``blocks`` on request.
    Deciding tests: the joint, p(v | h) and mixture tests, and the schedule check's test against
    the kernel's exact output (or against Boltzmann for an undeclared kernel); the sampler fails
    when Holm's method rejects any of them at ``alpha`` -- so a correct sampler fails with
    probability at most ``alpha`` -- or when, for a declared kernel, the exact output of the
    schedule is more than ``shortfall_tv`` from Boltzmann (then the schedule is too short for
    the kernel: a finding, not a false alarm).  Each check draws from its own seed
    (``seed``, ``seed + 1``, ...).  Returns the check results.
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not the kit's
    _require_sampler(sampler)
    model = arguments.model(model)
    seed = arguments.seed(seed)
    shortfall_tv = arguments.number(shortfall_tv, "shortfall_tv", low=0, high=1, low_open=True)
    if checks is None:  # the exact checks up to 24 units (the broadest first), beyond them blocks
        order = sorted(default_checks(model), key=lambda c: c != "joint")
        checks = [name for name in order if REGISTRY[name].skip_reason(model) is None]
    elif isinstance(checks, str) or not hasattr(checks, "__iter__") or not list(checks):
        raise InputError.bad("checks", f"a non-empty list of check names from {list(CHECKS)} or None", checks)
    checks = [arguments.one_of(c, "checks", list(CHECKS)) for c in checks]
    results = {
        name: _run(
            name,
            sampler,
            model,
            seed=seed + k,
            alpha=alpha,
            schedule=schedule,
            n=n,
            **({"shortfall_tv": shortfall_tv} if name == "schedule" else {}),
        )
        for k, name in enumerate(checks)
    }
    deciding = []
    for name, r in results.items():
        test = next(t for t in REGISTRY[name].decides if t in r.tests)
        deciding.append((name, test, r.tests[test].p_value))
    adjusted, reject = holm([p for _, _, p in deciding], alpha=alpha)
    failed = [
        f"{name} ({test}: p = {p:.3g}, Holm-adjusted {adj:.3g})"
        for (name, test, p), adj, rej in zip(deciding, adjusted, reject)
        if rej
    ]
    short = results.get("schedule")
    if short is not None and short.extra.get("schedule_ok") is False:
        failed.append(
            f"schedule (the {kernel_of(sampler)} kernel's exact output after the schedule is TV "
            f"{short.extra['schedule_tv']:.3g} from Boltzmann > {shortfall_tv:g}: too short for this kernel)"
        )
    if failed:
        tables = "\n".join(results[name].report() for name in dict.fromkeys(f.split(" ")[0] for f in failed))
        raise AssertionError(
            f"samples do not follow the Boltzmann distribution of the model at alpha = {alpha:g} "
            f"(Holm over {len(deciding)} tests): " + "; ".join(failed) + "\n" + tables
        )
    return results
