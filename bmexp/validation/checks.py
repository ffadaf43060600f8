"""The post's sampling checks as measured tests, for any model, convention, schedule and sampler.

* ``conditional`` -- hidden units clamped to a given state (default: all on), visible units
  sampled; compared with the exact ``p(v | h)``.
* ``joint`` -- free sampling from random starts; compared with the exact joint.
* ``random_hidden`` -- the post's third way: each chain clamps a uniformly random hidden
  state.  That samples the mixture ``sum_h U(h) p(v | h)``, not ``p(v)``: both are tested and
  the result says which one the samples match.
* ``schedule`` (n <= 12) -- the exact output of the schedule *for the sampler's declared
  kernel* against the Boltzmann distribution (how far the schedule falls short) and the samples
  against that exact output (whether the sampler is right).  A sampler that declares no kernel
  gets the equilibrium test only, and the message says so.

A sampler is any callable following :mod:`bmexp.samplers.contract`
(``sampler(model, *, rng, n_chains, schedule, init, clamp)`` returning states
``(n_chains, n)`` or an object with ``.states``), optionally declaring its ``kernel``.
Sample sizes default to the planned ``n`` that detects a total variation of 0.02 with power
0.9 at ``alpha`` (:func:`bmexp.validation.planning.required_samples`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

from .. import arguments
from ..errors import InputError
from ..exact import ExactDistribution
from ..model import BoltzmannMachine
from ..samplers import GibbsSampler, kernel_of, states_of
from ..schedules import Schedule
from ..states import indices_from_states, state_labels
from ..transitions import MAX_UNITS_SCHEDULE, schedule_output
from .gof import GofResult, check_alpha, gof_test
from .planning import required_samples

__all__ = [
    "CHECKS",
    "REGISTRY",
    "SHORTFALL_TV",
    "CheckResult",
    "CheckSpec",
    "metric_keys",
    "run_check",
    "check_conditional",
    "check_joint",
    "check_random_hidden",
    "check_schedule",
]


def _draw(sampler, model, *, rng, n, schedule, clamp) -> np.ndarray:
    """Run the sampler and check what it returned (shape, and values in the model's convention)."""
    from ..conventions import check_states

    states = states_of(
        sampler(model, rng=rng, n_chains=n, schedule=schedule, init="random", clamp=clamp),
        n_chains=n,
        n_units=model.n_units,
    )
    return check_states(states, model.convention, name="sampler output")


def _counts(states: np.ndarray, n_cells: int, convention) -> np.ndarray:
    return np.bincount(indices_from_states(states, convention), minlength=n_cells)


def _table(labels, counts, expected: dict[str, np.ndarray]) -> pd.DataFrame:
    n = int(counts.sum())
    df = pd.DataFrame({"state": labels, "observed": counts, "observed_p": counts / n})
    for name, p in expected.items():
        lo, hi = stats.binom.interval(0.95, n, p)
        df[f"p_{name}"] = p
        df[f"lo95_{name}"] = lo / n  # where observed_p falls with 95% probability if p is right
        df[f"hi95_{name}"] = hi / n
    return df


@dataclass(frozen=True, eq=False)
class CheckResult:
    """Outcome of one check: the per-state table, the tests and the verdict."""

    check: str
    n: int
    tests: dict[str, GofResult]
    table: pd.DataFrame
    passed: bool
    message: str
    units: tuple[str, ...]
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "check": self.check,
            "n": self.n,
            "passed": self.passed,
            "message": self.message,
            "units": list(self.units),
            "tests": {k: v.to_dict() for k, v in self.tests.items()},
            **self.extra,
        }

    def to_json(self) -> dict:
        """Everything, as JSON types (floats round-trip exactly): :meth:`from_json` rebuilds it."""
        table = {"columns": list(self.table.columns), "dtypes": [str(t) for t in self.table.dtypes]}
        table["data"] = [self.table[c].tolist() for c in self.table.columns]
        return {
            "check": self.check,
            "n": self.n,
            "tests": {k: v.to_dict() for k, v in self.tests.items()},
            "table": table,
            "passed": bool(self.passed),
            "message": self.message,
            "units": list(self.units),
            "extra": self.extra,
        }

    @classmethod
    def from_json(cls, d: dict) -> "CheckResult":
        t = d["table"]
        table = pd.DataFrame(
            {c: pd.Series(v, dtype=dt) for c, dt, v in zip(t["columns"], t["dtypes"], t["data"])}, columns=t["columns"]
        )
        tests = {k: GofResult(**v) for k, v in d["tests"].items()}
        return cls(d["check"], d["n"], tests, table, d["passed"], d["message"], tuple(d["units"]), d["extra"])

    def report(self) -> str:
        lines = [f"check {self.check}: n = {self.n}, units {' '.join(self.units)}"]
        lines.append(self.table.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
        for name, res in self.tests.items():
            lines.append(f"  vs {name}: {res.summary()}")
        lines.append(("PASS: " if self.passed else "FAIL: ") + self.message)
        return "\n".join(lines)

    def plot(self, path) -> None:
        from .plots import bar_plot

        bar_plot(self, path)


def _prepare(model, sampler, rng, schedule, alpha):
    arguments.model(model)
    arguments.generator(rng)
    check_alpha(alpha)
    if schedule is not None and not isinstance(schedule, Schedule):
        raise InputError.bad("schedule", "a bmexp Schedule or None", schedule, shown=type(schedule).__name__)
    if sampler is not None and not callable(sampler):
        raise InputError.bad(
            "sampler", "a callable sampler (see bmexp.samplers.Sampler) or None", sampler, shown=type(sampler).__name__
        )
    return (sampler or GibbsSampler()), (schedule or Schedule.default())


def _planned(n, p, alpha):
    if n is None:
        return required_samples(p, alpha=alpha)
    return arguments.integer(n, "n", low=1)


def check_conditional(model, sampler=None, *, rng, schedule=None, hidden=None, n=None, alpha=0.01) -> CheckResult:
    """Clamp the hidden units to ``hidden`` (default all on) and test ``p(v | h)``."""
    sampler, schedule = _prepare(model, sampler, rng, schedule, alpha)
    if model.n_visible == 0 or model.n_hidden == 0:
        raise InputError("check 'conditional' needs visible and hidden units")
    on = model.convention.values[1]
    h = [on] * model.n_hidden if hidden is None else list(hidden)
    exact = ExactDistribution.of(model)
    clamp = exact.block_clamp(h, model.n_visible, model.n_hidden, "hidden")
    p = exact.conditional_p(clamp)
    n = _planned(n, p, alpha)
    states = _draw(sampler, model, rng=rng, n=n, schedule=schedule, clamp=clamp)
    counts = _counts(states[:, : model.n_visible], p.size, model.convention)
    res = gof_test(counts, p, alpha=alpha, rng=rng)
    units = model.unit_names[: model.n_visible]
    msg = f"visible samples with h = {h} {'match' if not res.reject else 'do not match'} the exact p(v | h)."
    return CheckResult(
        "conditional",
        n,
        {"p(v|h)": res},
        _table(state_labels(model.n_visible), counts, {"p(v|h)": p}),
        not res.reject,
        msg,
        units,
        {"hidden": [float(x) for x in h]},
    )


def check_joint(model, sampler=None, *, rng, schedule=None, n=None, alpha=0.01) -> CheckResult:
    """Free chains from random starts against the exact joint."""
    sampler, schedule = _prepare(model, sampler, rng, schedule, alpha)
    p = ExactDistribution.of(model).p
    n = _planned(n, p, alpha)
    states = _draw(sampler, model, rng=rng, n=n, schedule=schedule, clamp=None)
    counts = _counts(states, p.size, model.convention)
    res = gof_test(counts, p, alpha=alpha, rng=rng)
    msg = f"free samples {'match' if not res.reject else 'do not match'} the exact joint distribution."
    return CheckResult(
        "joint",
        n,
        {"joint": res},
        _table(state_labels(model.n_units), counts, {"joint": p}),
        not res.reject,
        msg,
        model.unit_names,
    )


def check_random_hidden(model, sampler=None, *, rng, schedule=None, n=None, alpha=0.01) -> CheckResult:
    """Each chain clamps a uniformly random hidden state; test ``p(v)`` and ``sum_h U(h) p(v | h)``.

    Passes when the samples match the mixture, which is what this procedure samples.
    """
    sampler, schedule = _prepare(model, sampler, rng, schedule, alpha)
    if model.n_visible == 0 or model.n_hidden == 0:
        raise InputError("check 'random_hidden' needs visible and hidden units")
    exact = ExactDistribution.of(model)
    p_v = exact.visible_p()
    mixture = exact.p.reshape(2**model.n_visible, 2**model.n_hidden)
    mixture = (mixture / mixture.sum(axis=0, keepdims=True)).mean(axis=1)  # sum_h U(h) p(v | h)
    n = _planned(n, mixture, alpha)
    off, on = model.convention.values
    hidden = np.where(rng.random((n, model.n_hidden)) < 0.5, float(on), float(off))
    clamp = {model.n_visible + k: hidden[:, k] for k in range(model.n_hidden)}  # one value per chain
    states = _draw(sampler, model, rng=rng, n=n, schedule=schedule, clamp=clamp)
    counts = _counts(states[:, : model.n_visible], p_v.size, model.convention)
    r_mix = gof_test(counts, mixture, alpha=alpha, rng=rng)
    r_pv = gof_test(counts, p_v, alpha=alpha, rng=rng)
    gap = 0.5 * float(np.abs(mixture - p_v).sum())
    if not r_mix.reject and r_pv.reject:
        msg = (
            f"the samples follow the mixture sum_h U(h) p(v|h), not p(v) (they differ by TV {gap:.3f}): "
            "clamping a uniform hidden state assumes p(h) is uniform."
        )
    elif not r_mix.reject:
        msg = (
            f"the samples follow the mixture; p(v) is not rejected either (the two differ by TV {gap:.3f}, "
            "too little for n = {n})".replace("{n}", str(n))
        )
    else:
        msg = "the samples do not follow the mixture sum_h U(h) p(v|h): the sampler is wrong."
    return CheckResult(
        "random_hidden",
        n,
        {"mixture": r_mix, "p(v)": r_pv},
        _table(state_labels(model.n_visible), counts, {"mixture": mixture, "p(v)": p_v}),
        not r_mix.reject,
        msg,
        model.unit_names[: model.n_visible],
        {"tv_mixture_vs_pv": gap},
    )


def _sweeps(schedule) -> str:
    return f"{schedule.total_sweeps} sweep{'s' if schedule.total_sweeps != 1 else ''}"


#: The one adequacy threshold: a schedule whose exact output ends within this total variation of
#: Boltzmann is long enough (the schedule check, the report and the testing kit).
SHORTFALL_TV = 0.01


def check_schedule(
    model, sampler=None, *, rng, schedule=None, n=None, alpha=0.01, shortfall_tv: float = SHORTFALL_TV
) -> CheckResult:
    """Samples vs the exact output of the schedule for the sampler's declared kernel (is the
    sampler right?) and that output vs Boltzmann (``shortfall_tv`` allowed: is the schedule long
    enough?).  A sampler without a declared kernel (:func:`bmexp.samplers.kernel_of`) is tested
    against Boltzmann only: passing then means its samples are at equilibrium."""
    sampler, schedule = _prepare(model, sampler, rng, schedule, alpha)
    if model.n_units > MAX_UNITS_SCHEDULE:
        raise InputError(f"check 'schedule' needs n_units <= {MAX_UNITS_SCHEDULE}; received {model.n_units}")
    kernel = kernel_of(sampler)
    p = ExactDistribution.of(model).p
    if not kernel.known:
        n = _planned(n, p, alpha)
        states = _draw(sampler, model, rng=rng, n=n, schedule=schedule, clamp=None)
        counts = _counts(states, p.size, model.convention)
        r_boltz = gof_test(counts, p, alpha=alpha, rng=rng)
        msg = (
            f"samples {'match' if not r_boltz.reject else 'do NOT match'} the Boltzmann distribution "
            f"after the schedule ({_sweeps(schedule)}). The sampler declares no kernel, so its exact "
            "schedule output (and the implementation test and the schedule's shortfall) cannot be computed: "
            "give it a `kernel` attribute (bmexp.samplers.Kernel) for those."
        )
        return CheckResult(
            "schedule",
            n,
            {"boltzmann": r_boltz},
            _table(state_labels(model.n_units), counts, {"boltzmann": p}),
            not r_boltz.reject,
            msg,
            model.unit_names,
            {"kernel": str(kernel), "sampler_ok": None, "schedule_ok": None},
        )
    out = schedule_output(model, schedule, kernel=kernel)
    shortfall = 0.5 * float(np.abs(out - p).sum())
    n = _planned(n, out, alpha)
    states = _draw(sampler, model, rng=rng, n=n, schedule=schedule, clamp=None)
    counts = _counts(states, p.size, model.convention)
    r_out = gof_test(counts, out, alpha=alpha, rng=rng)
    r_boltz = gof_test(counts, p, alpha=alpha, rng=rng)
    sampler_ok = not r_out.reject
    schedule_ok = shortfall <= shortfall_tv
    verdict = "adequate" if schedule_ok else "too short"
    if not schedule_ok and schedule.final_temperature != 1.0:
        verdict = (
            f"it ends at T = {schedule.final_temperature:g}, not 1: its samples follow exp(-E / "
            f"{schedule.final_temperature:g}), which no number of sweeps turns into the model's distribution"
        )
    msg = (
        f"sampler {'agrees with' if sampler_ok else 'DIFFERS from'} the exact output of its kernel ({kernel}) "
        f"after the schedule; for that kernel the schedule ({_sweeps(schedule)}) ends at TV "
        f"{shortfall:.2e} from Boltzmann ({verdict}{'' if verdict.startswith('it ends') else f' at {shortfall_tv:g}'})."
    )
    return CheckResult(
        "schedule",
        n,
        {"schedule_output": r_out, "boltzmann": r_boltz},
        _table(state_labels(model.n_units), counts, {"schedule_output": out, "boltzmann": p}),
        sampler_ok and schedule_ok,
        msg,
        model.unit_names,
        {"schedule_tv": shortfall, "sampler_ok": sampler_ok, "schedule_ok": schedule_ok, "kernel": str(kernel)},
    )


@dataclass(frozen=True)
class CheckSpec:
    """Everything the rest of bmexp needs to know about a check: adding a check is one entry here.

    tests : test name in ``CheckResult.tests`` -> (metric key, family).  Metrics are logged as
        ``check.<metric key>.p_value | statistic | tv | kl | reject``.  Families: ``implementation``
        (samples vs the exact output of the sampler's kernel: is the sampler right? Holm),
        ``equilibrium`` (samples vs a Boltzmann distribution: also needs a long enough schedule; BH),
        ``diagnostic`` (reported, never a verdict).
    decides : the tests, in order of preference, whose rejection fails the check (the first present).
    """

    name: str
    run: Callable[..., CheckResult]
    tests: dict[str, tuple[str, str]]
    decides: tuple[str, ...]
    needs: str = "any"  # "any" | "visible_and_hidden" | "schedule_size"

    def skip_reason(self, model: BoltzmannMachine) -> str | None:
        """Why the check does not apply to ``model`` (None: it applies)."""
        if self.needs == "visible_and_hidden" and (model.n_visible == 0 or model.n_hidden == 0):
            return "needs visible and hidden units"
        if self.needs == "schedule_size" and model.n_units > MAX_UNITS_SCHEDULE:
            return f"needs n_units <= {MAX_UNITS_SCHEDULE}"
        return None


REGISTRY: dict[str, CheckSpec] = {
    spec.name: spec
    for spec in [
        CheckSpec(
            "conditional",
            check_conditional,
            {"p(v|h)": ("conditional", "equilibrium")},
            ("p(v|h)",),
            "visible_and_hidden",
        ),
        CheckSpec("joint", check_joint, {"joint": ("joint", "equilibrium")}, ("joint",)),
        CheckSpec(
            "random_hidden",
            check_random_hidden,
            {"mixture": ("random_hidden_mixture", "equilibrium"), "p(v)": ("random_hidden_pv", "diagnostic")},
            ("mixture",),
            "visible_and_hidden",
        ),
        CheckSpec(
            "schedule",
            check_schedule,
            {
                "schedule_output": ("schedule_sampler", "implementation"),
                "boltzmann": ("schedule_boltzmann", "equilibrium"),
            },
            ("schedule_output", "boltzmann"),
            "schedule_size",
        ),
    ]
}
#: name -> check function
CHECKS: dict[str, Callable[..., CheckResult]] = {name: spec.run for name, spec in REGISTRY.items()}


def metric_keys(family: str) -> tuple[str, ...]:
    """The metric keys of every test in ``family`` ("implementation", "equilibrium", "diagnostic")."""
    return tuple(key for spec in REGISTRY.values() for key, fam in spec.tests.values() if fam == family)


def run_check(name: str, model, sampler=None, **kwargs) -> CheckResult:
    """Run a check by name (one of :data:`CHECKS`)."""
    if name not in CHECKS:
        raise InputError(f"check must be one of {list(CHECKS)}; received {name!r}")
    return CHECKS[name](model, sampler, **kwargs)
