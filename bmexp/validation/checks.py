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
from ..exact import MAX_UNITS, ExactDistribution
from ..model import BoltzmannMachine
from ..samplers import GibbsSampler, kernel_of, sampler_argument, states_of
from ..schedules import Schedule
from ..states import indices_from_states
from ..transitions import MAX_UNITS_SCHEDULE, schedule_output
from .gof import GofResult, check_alpha, gof_test
from .planning import required_samples
from .summaries import MAX_CELLS, planned_summary_n, summary_test

__all__ = [
    "CHECKS",
    "REGISTRY",
    "SHORTFALL_TV",
    "CheckResult",
    "CheckSpec",
    "default_checks",
    "metric_keys",
    "planned_chains",
    "run_check",
    "check_conditional",
    "check_joint",
    "check_random_hidden",
    "check_schedule",
]


def _draw(sampler, model, *, rng, n, schedule, clamp, init="random") -> np.ndarray:
    """Run the sampler and check what it returned (shape, and values in the model's convention)."""
    from ..conventions import check_states

    states = states_of(
        sampler(model, rng=rng, n_chains=n, schedule=schedule, init=init, clamp=clamp),
        n_chains=n,
        n_units=model.n_units,
    )
    return check_states(states, model.convention, name="sampler output")


def _counts(states: np.ndarray, n_cells: int, convention) -> np.ndarray:
    return np.bincount(indices_from_states(states, convention), minlength=n_cells)


#: Most rows of a check's state table (the most probable states; the test uses every state).
MAX_TABLE_ROWS = 4096


def _table(n_units, counts, expected: dict[str, np.ndarray]) -> pd.DataFrame:
    n = int(counts.sum())
    rows = np.arange(counts.size)
    if counts.size > MAX_TABLE_ROWS:
        first = next(iter(expected.values()))
        rows = np.sort(np.argsort(-first, kind="stable")[:MAX_TABLE_ROWS])
        counts, expected = counts[rows], {k: v[rows] for k, v in expected.items()}
    labels = [format(int(k), f"0{n_units}b") if n_units else "" for k in rows]  # as bmexp.states.state_labels
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
        units = list(self.units)
        shown = " ".join(units) if len(units) <= 16 else f"{' '.join(units[:8])} ... ({len(units)} units)"
        lines = [f"check {self.check}: n = {self.n}, units {shown}"]
        lines.append(self.table.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
        for name, res in self.tests.items():
            lines.append(f"  vs {name}: {res.summary()}")
        lines.append(("PASS: " if self.passed else "FAIL: ") + self.message)
        return "\n".join(lines)

    def plot(self, path) -> None:
        """A bar plot of the table (observed against each exact distribution) written to ``path`` (its
        suffix names the format: :data:`bmexp.arguments.PLOT_SUFFIXES`)."""
        from .plots import bar_plot

        bar_plot(self, arguments.path(path, "path", kind="out_file", suffixes=arguments.PLOT_SUFFIXES))


def _prepare(model, sampler, rng, schedule, alpha):
    arguments.model(model)
    arguments.generator(rng)
    check_alpha(alpha)
    arguments.schedule(schedule, optional=True)
    if sampler is not None:
        sampler_argument(sampler)
    return (sampler or GibbsSampler()), (schedule or Schedule.default())


def fixed_ladder(sampler, model, rng):
    """A parallel-tempering sampler whose adaptive ladder is tuned first (its ``tuned`` copy), for checks
    that need the ladder before sampling; any other sampler as it is."""
    temperatures = getattr(sampler, "temperatures", None)
    if callable(temperatures) and temperatures() is None and callable(getattr(sampler, "tuned", None)):
        return sampler.tuned(model, rng)
    return sampler


def _planned(n, p, alpha):
    if n is None:
        if p.size > MAX_CELLS:
            return planned_summary_n(int(np.log2(p.size)), alpha=alpha)
        return required_samples(p, alpha=alpha)
    return arguments.integer(n, "n", low=1)


def _fit(states, expected: dict[str, np.ndarray], model, units, *, alpha, rng):
    """Test ``states`` (of ``units``) against each distribution in ``expected``: cell by cell up to
    :data:`~bmexp.validation.summaries.MAX_CELLS` states, else on the exact summaries (probability
    histogram, unit and pair marginals; :mod:`bmexp.validation.summaries`).  Returns the tests and
    the table (states, or the summary tests)."""
    k = states.shape[1]
    idx = indices_from_states(states, model.convention)
    cells = 2**k
    if cells <= MAX_CELLS:
        counts = np.bincount(idx, minlength=cells)
        tests = {name: gof_test(counts, p, alpha=alpha, rng=rng) for name, p in expected.items()}
        return tests, _table(k, counts, expected)
    names = [model.unit_names[u] for u in units]
    tests, tables = {}, []
    for name, p in expected.items():
        tests[name], table = summary_test(idx, p, k, model.convention, alpha=alpha, rng=rng, names=names)
        tables.append(table.assign(against=name))
    return tests, pd.concat(tables, ignore_index=True)


def _how(tests) -> str:
    res = next(iter(tests.values()))
    return " (tested on the exact probability histogram and unit and pair marginals)" if res.method == "summary" else ""


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
    visible = range(model.n_visible)
    tests, table = _fit(states[:, : model.n_visible], {"p(v|h)": p}, model, visible, alpha=alpha, rng=rng)
    res = tests["p(v|h)"]
    units = model.unit_names[: model.n_visible]
    msg = (
        f"visible samples with h = {h} {'match' if not res.reject else 'do not match'} the exact p(v | h){_how(tests)}."
    )
    return CheckResult(
        "conditional",
        n,
        tests,
        table,
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
    tests, table = _fit(states, {"joint": p}, model, range(model.n_units), alpha=alpha, rng=rng)
    res = tests["joint"]
    msg = f"free samples {'match' if not res.reject else 'do not match'} the exact joint distribution{_how(tests)}."
    return CheckResult(
        "joint",
        n,
        tests,
        table,
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
    expected = {"mixture": mixture, "p(v)": p_v}
    tests, table = _fit(states[:, : model.n_visible], expected, model, range(model.n_visible), alpha=alpha, rng=rng)
    r_mix, r_pv = tests["mixture"], tests["p(v)"]
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
        tests,
        table,
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
    against Boltzmann only: passing then means its samples are at equilibrium.  A sampler with its
    own ``schedule_output(model, schedule)`` method (parallel tempering: its chain is not a single
    kernel's) is compared with what that returns (None: Boltzmann only)."""
    sampler, schedule = _prepare(model, sampler, rng, schedule, alpha)
    if model.n_units > MAX_UNITS_SCHEDULE:
        raise InputError(f"check 'schedule' needs n_units <= {MAX_UNITS_SCHEDULE}; received {model.n_units}")
    sampler = fixed_ladder(sampler, model, rng)  # (an adaptive ladder: its exact output needs the tuned one)
    kernel = kernel_of(sampler)
    p = ExactDistribution.of(model).p
    own = getattr(sampler, "schedule_output", None)  # a sampler whose chain is not one kernel's (PT)
    out = own(model, schedule) if callable(own) else None
    if out is None and not callable(own) and kernel.known:
        out = schedule_output(model, schedule, kernel=kernel)
    if out is None:
        n = _planned(n, p, alpha)
        states = _draw(sampler, model, rng=rng, n=n, schedule=schedule, clamp=None)
        counts = _counts(states, p.size, model.convention)
        r_boltz = gof_test(counts, p, alpha=alpha, rng=rng)
        msg = (
            f"samples {'match' if not r_boltz.reject else 'do NOT match'} the Boltzmann distribution "
            f"after the schedule ({_sweeps(schedule)}). "
            + (
                "Its exact schedule output is too large to compute (or not yet known), so the implementation "
                "test and the schedule's shortfall are not computed."
                if callable(own)
                else "The sampler declares no kernel, so its exact "
                "schedule output (and the implementation test and the schedule's shortfall) cannot be computed: "
                "give it a `kernel` attribute (bmexp.samplers.Kernel) for those."
            )
        )
        return CheckResult(
            "schedule",
            n,
            {"boltzmann": r_boltz},
            _table(model.n_units, counts, {"boltzmann": p}),
            not r_boltz.reject,
            msg,
            model.unit_names,
            {"kernel": str(kernel), "sampler_ok": None, "schedule_ok": None},
        )
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
        f"sampler {'agrees with' if sampler_ok else 'DIFFERS from'} the exact output of its kernel "
        f"({kernel}{' in every replica of parallel tempering' if callable(own) else ''}) "
        f"after the schedule; for that kernel the schedule ({_sweeps(schedule)}) ends at TV "
        f"{shortfall:.2e} from Boltzmann ({verdict}{'' if verdict.startswith('it ends') else f' at {shortfall_tv:g}'})."
    )
    return CheckResult(
        "schedule",
        n,
        {"schedule_output": r_out, "boltzmann": r_boltz},
        _table(model.n_units, counts, {"schedule_output": out, "boltzmann": p}),
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
    needs: str = "enumeration"  # any | enumeration | visible_and_hidden | schedule_size | lattice | ferromagnet

    def skip_reason(self, model: BoltzmannMachine) -> str | None:
        """Why the check does not apply to ``model`` (None: it applies)."""
        if self.needs == "lattice":
            from ..zoo import lattice_parameters

            return None if lattice_parameters(model) is not None else "needs a 2D Ising lattice (model=lattice)"
        if self.needs == "ferromagnet":
            from ..zoo import ferromagnet_parameters

            if ferromagnet_parameters(model) is None:
                return "needs the fully connected ferromagnet (model=ferromagnet or model=metastable)"
            return None
        if self.needs != "any" and model.n_units > MAX_UNITS:
            return f"needs exact enumeration (n_units <= {MAX_UNITS})"
        if self.needs == "visible_and_hidden" and (model.n_visible == 0 or model.n_hidden == 0):
            return "needs visible and hidden units"
        if self.needs == "schedule_size" and model.n_units > MAX_UNITS_SCHEDULE:
            return f"needs n_units <= {MAX_UNITS_SCHEDULE}"
        return None


from .blocks import check_blocks  # noqa: E402  (they build on the helpers above)
from .energy import check_energy  # noqa: E402
from .invariance import check_invariance  # noqa: E402
from .lumped import check_lumped  # noqa: E402

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
        CheckSpec("invariance", check_invariance, {"invariance": ("invariance", "implementation")}, ("invariance",)),
        CheckSpec("blocks", check_blocks, {"blocks": ("blocks", "implementation")}, ("blocks",), "any"),
        CheckSpec("energy", check_energy, {"energy": ("energy", "equilibrium")}, ("energy",), "lattice"),
        CheckSpec(
            "lumped",
            check_lumped,
            {"lumped_output": ("lumped_sampler", "implementation"), "boltzmann": ("lumped_boltzmann", "equilibrium")},
            ("lumped_output", "boltzmann"),
            "ferromagnet",
        ),
    ]
}
#: name -> check function
CHECKS: dict[str, Callable[..., CheckResult]] = {name: spec.run for name, spec in REGISTRY.items()}


def metric_keys(family: str) -> tuple[str, ...]:
    """The metric keys of every test in ``family`` ("implementation", "equilibrium", "diagnostic")."""
    return tuple(key for spec in REGISTRY.values() for key, fam in spec.tests.values() if fam == family)


#: What ``checks.names: [auto]`` runs: the exact checks while the model can be enumerated.
EXACT_CHECKS = ("conditional", "joint", "random_hidden", "schedule")


def default_checks(model: BoltzmannMachine) -> tuple[str, ...]:
    """The exact checks up to 24 units (each skipped where it does not apply); beyond, the same
    (reported as skipped: they need enumeration) and the checks that need none."""
    if model.n_units <= MAX_UNITS:
        return EXACT_CHECKS
    return EXACT_CHECKS + tuple(
        name for name, spec in REGISTRY.items() if spec.needs in ("any", "lattice") and spec.skip_reason(model) is None
    )


def _planned_cells(cells: int, alpha: float) -> int:
    if cells > MAX_CELLS:
        return planned_summary_n(int(np.log2(cells)), alpha=alpha)
    return required_samples(np.full(cells, 1.0 / cells), alpha=alpha)


def planned_chains(name: str, model: BoltzmannMachine, *, n=None, alpha: float = 0.01, **options) -> list[int]:
    """The chains of every sampler call check ``name`` makes on ``model`` (``n``: the check's ``n``;
    ``options``: its other arguments) -- for resource estimates before any work (uniform cells stand
    in for the exact distribution the check will plan from)."""
    from .blocks import PIT_BINS, PLANNED_TV, random_block_shape
    from .invariance import DEFAULT_SWEEPS

    if name in ("conditional", "random_hidden"):
        return [n or _planned_cells(2**model.n_visible, alpha)]
    if name in ("joint", "schedule"):
        return [n or _planned_cells(2**model.n_units, alpha)]
    if name == "lumped":  # counts of units up: n_units + 1 cells
        return [n or _planned_cells(model.n_units + 1, alpha)]
    if name == "invariance":
        runs = len(list(options.get("sweeps") or DEFAULT_SWEEPS))
        return [n or _planned_cells(2**model.n_units, alpha / runs)] * runs
    if name == "blocks":
        given = options.get("blocks")
        shape = random_block_shape(model, options.get("n_blocks"), options.get("block_size"))
        count = len(given) if given else shape[0]
        per = n or required_samples(np.full(PIT_BINS, 1.0 / PIT_BINS), tv=PLANNED_TV, alpha=alpha / max(count, 1))
        return [int(options.get("contexts") or 64)] + [per] * count
    if name == "energy":
        from ..zoo import lattice_parameters
        from .energy import DEFAULT_ISING_TEMPERATURES
        from .energy import planned_chains as energy_chains

        params = lattice_parameters(model)
        if params is None:
            return [n or 0]
        temps = options.get("temperatures") or [params[1] * t for t in DEFAULT_ISING_TEMPERATURES]
        if n:
            return [n] * len(temps)
        each = {t: energy_chains(params[0], t / params[1], alpha=alpha, tests=len(temps)) for t in set(temps)}
        return [each[t] for t in temps]
    return [n or 0]


def run_check(name: str, model, sampler=None, **kwargs) -> CheckResult:
    """Run a check by name (one of :data:`CHECKS`)."""
    arguments.one_of(name, "check", CHECKS)
    import inspect

    params = inspect.signature(CHECKS[name]).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        allowed = [k for k, p in params.items() if p.kind is p.KEYWORD_ONLY]
        for key in kwargs:
            if key not in allowed:
                raise InputError.about(
                    key, f"{{argument}} is not an option of the {name} check; its options are: {', '.join(allowed)}"
                )
    for key, p in params.items():  # (rng: a raw TypeError before)
        if p.kind is p.KEYWORD_ONLY and p.default is p.empty and key not in kwargs:
            raise InputError(f"{key} is required by the {name} check (run_check({name!r}, model, {key}=...))")
    return CHECKS[name](model, sampler, **kwargs)
