"""The dimod / dwave-samplers adapter: the right BQM, the right kernel, judged by the same checks."""

import numpy as np
import pytest

dimod = pytest.importorskip("dimod", reason="the dimod adapter needs the [ocean] extra")
pytest.importorskip("dwave.samplers", reason="the dimod adapter needs the [ocean] extra")

from dwave.samplers import SimulatedAnnealingSampler  # noqa: E402

from bmexp import InputError, random_model, slide35  # noqa: E402
from bmexp.adapters import DimodSampler, dwave_sampler  # noqa: E402
from bmexp.adapters.ocean import to_bqm  # noqa: E402
from bmexp.samplers import Kernel  # noqa: E402
from bmexp.schedules import Schedule  # noqa: E402
from bmexp.states import all_states  # noqa: E402
from bmexp.testing import assert_sampler_api  # noqa: E402
from bmexp.transitions import schedule_output  # noqa: E402
from bmexp.validation import gof_test  # noqa: E402
from bmexp.validation.checks import run_check  # noqa: E402
from tests.conftest import assert_calibrated, calibration_counts  # noqa: E402

KINDS = [(a, o) for a in ("gibbs", "metropolis") for o in ("sequential", "random")]


def six():
    return random_model(4, 2, rng=np.random.default_rng(11), bias_scale=0.7)


@pytest.mark.parametrize("convention", ["binary", "spin"])
def test_bqm_energies_are_the_models(convention):
    m = six().to(convention)
    states = all_states(m.n_units, m.convention)
    bqm = to_bqm(m)
    assert bqm.vartype is (dimod.BINARY if convention == "binary" else dimod.SPIN)
    assert list(bqm.variables) == list(range(m.n_units))
    np.testing.assert_allclose(bqm.energies((states, list(range(m.n_units)))), m.energy(states), atol=1e-12)
    # the clamped BQM: energies of the free units given the rest, up to one constant
    free, values = np.array([0, 2, 3]), states[5][[1, 4, 5]]
    full = states[np.all(states[:, [1, 4, 5]] == values, axis=1)]
    sub = to_bqm(m, free=free, clamp_values=values)
    diff = sub.energies((full[:, free], [0, 1, 2])) - m.energy(full)
    np.testing.assert_allclose(diff, diff[0], atol=1e-12)


@pytest.mark.parametrize("acceptance,order", KINDS)
def test_dwave_declares_its_kernel_and_follows_the_contract(acceptance, order):
    s = dwave_sampler(acceptance, order)
    assert s.kernel == Kernel({"gibbs": "heat_bath", "metropolis": "metropolis"}[acceptance], order)
    assert_sampler_api(s)


@pytest.mark.slow
@pytest.mark.parametrize("acceptance,order", KINDS)
def test_dwave_samples_its_kernels_exact_output_calibrated(acceptance, order):
    # 2 sweeps from random starts: the four kernels' outputs differ, so the sweep order, the
    # acceptance rule, the betas and the signs must all be right.  300 seeded replicates of
    # n = 2,000: the test against the declared kernel's exact output rejects at rate alpha.
    m = six()
    sched = Schedule.explicit([2.0, 1.0], sweeps_per_temperature=1)
    s = dwave_sampler(acceptance, order)
    rejections, pvalues, pooled, _ = calibration_counts(s, m, sched, replicates=300, n=2000)
    assert_calibrated(rejections, pvalues, 300)
    others = [
        k
        for k in (Kernel(r, sc) for r in ("heat_bath", "metropolis") for sc in ("sequential", "random"))
        if k != s.kernel
    ]
    for k in others:  # 600,000 chains: any other kernel (TV >= 0.01 from this one) is rejected
        other = schedule_output(m, sched, kernel=k)
        assert 0.5 * np.abs(other - schedule_output(m, sched, kernel=s.kernel)).sum() >= 0.01
        assert gof_test(pooled, other).reject


@pytest.mark.slow
@pytest.mark.parametrize("convention", ["binary", "spin"])
@pytest.mark.parametrize("acceptance,order", KINDS)
@pytest.mark.parametrize("check", ["joint", "conditional", "random_hidden", "schedule"])
def test_dwave_passes_every_check(check, acceptance, order, convention):
    r = run_check(check, six().to(convention), dwave_sampler(acceptance, order), rng=np.random.default_rng(0))
    assert r.passed, r.report()


class SignFlipped(DimodSampler):
    """A classic wrapping bug: dimod's h and J taken as +b and +W."""

    def bqm(self, model, *, free=None, clamp_values=None):
        bqm = super().bqm(model, free=free, clamp_values=clamp_values)
        bqm.scale(-1.0)
        return bqm


class HalfBetas(DimodSampler):
    """Another: the schedule passed as beta = 1 / (2T) (all temperatures doubled)."""

    def betas(self, schedule):
        return 0.5 * super().betas(schedule)


@pytest.mark.parametrize("wrapper", [SignFlipped, HalfBetas])
@pytest.mark.parametrize("model", ["slide35", "random6"])
def test_a_miswrapped_dwave_sampler_is_rejected(wrapper, model):
    m = slide35() if model == "slide35" else six()
    s = wrapper(SimulatedAnnealingSampler(), proposal_acceptance_criteria="Gibbs")
    for check in ("joint", "schedule"):
        r = run_check(check, m, s, rng=np.random.default_rng(0))
        assert not r.passed, r.report()


def test_bmexp_rule_names_and_any_case_select_dwaves_criteria():
    assert dwave_sampler("heat_bath").kernel == dwave_sampler("Gibbs").kernel == Kernel("heat_bath", "sequential")
    assert dwave_sampler("METROPOLIS", "random").kernel == Kernel("metropolis", "random")


def test_same_seed_same_states_and_clamps_per_chain_are_held():
    m = six().to("spin")
    s = dwave_sampler("metropolis", "random")
    hidden = np.where(np.random.default_rng(1).random((500, 2)) < 0.5, 1.0, -1.0)
    kw = dict(n_chains=500, schedule=Schedule.constant(5), clamp=([4, 5], hidden))
    a = s(m, rng=np.random.default_rng(3), **kw).states
    np.testing.assert_array_equal(a, s(m, rng=np.random.default_rng(3), **kw).states)
    assert not np.array_equal(a, s(m, rng=np.random.default_rng(4), **kw).states)
    np.testing.assert_array_equal(a[:, 4:], hidden)
    every = s(
        m, rng=np.random.default_rng(3), n_chains=20, schedule=Schedule.constant(1), clamp={u: 1.0 for u in range(6)}
    ).states
    assert np.all(every == 1.0)


def test_a_dimod_sampler_without_a_declared_kernel_is_unknown_and_judged_on_equilibrium():
    class MySA(dimod.Sampler):  # a user's own dimod sampler, delegating to dwave's
        parameters = SimulatedAnnealingSampler().parameters
        properties = {}

        def sample(self, bqm, **kw):
            return SimulatedAnnealingSampler().sample(bqm, proposal_acceptance_criteria="Gibbs", **kw)

    s = DimodSampler(MySA())
    assert not s.kernel.known
    r = run_check("schedule", slide35(), s, rng=np.random.default_rng(0))
    assert r.passed and list(r.tests) == ["boltzmann"] and "declares no kernel" in r.message
    declared = DimodSampler(MySA(), kernel=Kernel("heat_bath", "sequential"))
    assert run_check("schedule", slide35(), declared, rng=np.random.default_rng(0)).extra["sampler_ok"]


def test_a_wrongly_declared_kernel_is_caught():
    # dwave in random order declared as sequential: the implementation test says so
    s = DimodSampler(
        SimulatedAnnealingSampler(),
        kernel=Kernel("heat_bath", "sequential"),
        proposal_acceptance_criteria="Gibbs",
        randomize_order=True,
    )
    r = run_check(
        "schedule", six(), s, rng=np.random.default_rng(0), schedule=Schedule.linear(5, 1, sweeps_per_temperature=2)
    )
    assert r.extra["sampler_ok"] is False, r.report()


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: DimodSampler(object()), r"sampler must be a dimod.Sampler .*; received object"),
        (
            lambda: DimodSampler(SimulatedAnnealingSampler),
            r"sampler must be a dimod.Sampler instance; received the class SimulatedAnnealingSampler: pass "
            r"SimulatedAnnealingSampler\(\)",
        ),
        (
            lambda: DimodSampler(dimod.ExactSolver()),
            r"sampler must take a beta schedule and initial states .*; ExactSolver does not take \['beta_schedule', "
            r"'initial_states'\]",
        ),
        (
            lambda: DimodSampler(SimulatedAnnealingSampler(), num_reads=5),
            r"num_reads is set by the adapter from the schedule, n_chains, rng and init; received num_reads=5",
        ),
        (
            lambda: DimodSampler(SimulatedAnnealingSampler(), temperature=2),
            r"temperature is not a parameter of SimulatedAnnealingSampler; allowed: \[",
        ),
        (
            lambda: DimodSampler(SimulatedAnnealingSampler(), proposal_acceptance_criteria="Glauber"),
            r"proposal_acceptance_criteria must be one of \['Gibbs', 'Metropolis'\]; received 'Glauber'",
        ),
        (
            lambda: DimodSampler(SimulatedAnnealingSampler(), kernel="heat_bath"),
            r"kernel must be a bmexp.samplers.Kernel or None; received 'heat_bath'",
        ),
        (
            lambda: dwave_sampler("glauber"),
            r"acceptance must be one of \['gibbs', 'metropolis', 'heat_bath'\] \(any case\); received 'glauber'",
        ),
        (
            lambda: DimodSampler(SimulatedAnnealingSampler(), randomize_order="no"),
            r"randomize_order must be True or False; received 'no'",
        ),
        (
            lambda: dwave_sampler("gibbs", "checkerboard"),
            r"order must be one of \['sequential', 'random'\]; received 'checkerboard'",
        ),
    ],
)
def test_bad_adapter_input_is_named(make, message):
    with pytest.raises(InputError, match=message):
        make()


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(schedule=[1.0, 1.0]), r"schedule must be a bmexp Schedule; received list"),
        (dict(clamp={"h1": 0.5}), r"clamp values must contain only binary values \{0, 1\}; found 0.5"),
        (dict(clamp={"h9": 1}), r"clamp units must be indices in \[0, 4\) or names in"),
        (dict(n_chains=0), r"n_chains must be an integer >= 1; received 0"),
        (dict(init=np.ones(3)), r"init must have shape \(4,\) or \(10, 4\); received \(3,\)"),
    ],
)
def test_bad_call_input_is_named(kwargs, message):
    args = {**dict(rng=np.random.default_rng(0), n_chains=10, schedule=Schedule.constant(1)), **kwargs}
    with pytest.raises(InputError, match=message):
        dwave_sampler()(slide35(), **args)
