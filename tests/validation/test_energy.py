"""check_energy: a sampler's mean energy on the Ising torus against Kaufman's exact value."""

from functools import lru_cache

import numpy as np
import pytest

from bmexp import lattice as lat
from bmexp import zoo
from bmexp.errors import InputError
from bmexp.exact import ExactDistribution
from bmexp.model import BoltzmannMachine
from bmexp.samplers import GibbsSampler, Kernel
from bmexp.schedules import Schedule
from bmexp.states import states_from_indices
from bmexp.validation.energy import check_energy, equilibration_sweeps, planned_chains
from tests.conftest import assert_calibrated


@lru_cache(maxsize=32)
def _exact_p(weights_bytes, biases_bytes, convention):
    b = np.frombuffer(biases_bytes)
    w = np.frombuffer(weights_bytes).reshape(b.size, b.size)
    return ExactDistribution.of(BoltzmannMachine(w, b, n_visible=b.size, convention=convention)).p


def exact_sampler(model, *, rng, n_chains, schedule, init="random", clamp=None):
    """Exact Boltzmann samples of ``model`` (at T = 1) from its enumeration: the null hypothesis itself."""
    assert clamp is None
    p = _exact_p(model.weights.tobytes(), model.biases.tobytes(), model.convention.value)
    return states_from_indices(rng.choice(p.size, size=n_chains, p=p), model.n_units, model.convention)


def per_temperature(result):
    return [t for name, t in result.tests.items() if name != "energy"]


class Hotter:
    """A sampler at ``factor`` times the temperature it was asked for (weights divided by ``factor``)."""

    def __init__(self, sampler, factor):
        self.sampler, self.factor = sampler, factor

    def __call__(self, model, **kwargs):
        hot = BoltzmannMachine(
            model.weights / self.factor, model.biases / self.factor, model.n_visible, model.convention
        )
        return self.sampler(hot, **kwargs)


def test_exact_samples_pass_and_a_two_percent_hotter_sampler_fails():
    rng = np.random.default_rng(1)
    ok = check_energy(zoo.lattice(4), exact_sampler, rng=rng)
    assert ok.passed, ok.report()
    assert [round(t.ising_temperature, 3) for t in per_temperature(ok)] == [2.0, 2.269, 3.0]
    # planned n: power 0.9 at each temperature for a 2% temperature error, so missing all three ~1e-3
    bad = check_energy(zoo.lattice(4), Hotter(exact_sampler, 1.02), rng=rng)
    assert not bad.passed, bad.report()
    assert "differs from the exact value" in bad.message
    assert bad.tests["energy"].reject and bad.tests["energy"].p_value == min(t.p_holm for t in per_temperature(bad))


def test_temperatures_are_the_machines_and_binary_models_work():
    # the machine at temperature 2.269 with J = 1 is the Ising model at T_c; sampled at t, it is T/J = 2.269 t
    model = zoo.lattice(3, 1.0, temperature=lat.CRITICAL_TEMPERATURE).to("binary")
    res = check_energy(model, exact_sampler, rng=np.random.default_rng(2), temperatures=[1.0, 1.5], n=4000)
    assert res.passed, res.report()
    t_ising = [t.ising_temperature for t in per_temperature(res)]
    assert t_ising == pytest.approx([lat.CRITICAL_TEMPERATURE, 1.5 * lat.CRITICAL_TEMPERATURE])
    exact = [lat.thermo(3, t).energy_per_site for t in t_ising]
    assert [t.exact for t in per_temperature(res)] == pytest.approx(exact, rel=1e-14)
    assert res.n == 8000 and list(res.table["chains"]) == [4000, 4000]


def test_calibrated_under_the_null():
    """200 replicates of the whole check with exact Boltzmann samples (L = 3, planned n at each of
    the three temperatures): the check rejects at rate alpha = 0.01 (Holm over three independent
    z-tests: 1 - (1 - 0.01/3)^3 = 0.00997), and the per-temperature p-values are uniform."""
    rng = np.random.default_rng(3)
    replicates = 200
    results = [check_energy(zoo.lattice(3), exact_sampler, rng=rng) for _ in range(replicates)]
    rejections = sum(not r.passed for r in results)
    pvalues = np.array([t.p_value for r in results for t in per_temperature(r)])
    assert_calibrated(rejections, pvalues, replicates)


def test_planned_chains_and_sweeps():
    # (z_{0.01/6} + z_{0.1})^2 / (N c 0.02^2) at L = 32, at least 50; 1,200 sweeps at T_c, 200 away
    chains = [planned_chains(32, t, tests=3) for t in (2.0, lat.CRITICAL_TEMPERATURE, 3.0)]
    assert chains == [60, 50, 109]
    assert equilibration_sweeps(32, lat.CRITICAL_TEMPERATURE) == 1200
    assert equilibration_sweeps(32, lat.CRITICAL_TEMPERATURE, Kernel("heat_bath", "random")) == 2400
    assert equilibration_sweeps(32, 2.0) == equilibration_sweeps(32, 3.0) == 200
    assert equilibration_sweeps(64, lat.CRITICAL_TEMPERATURE) > 4 * 1200  # tau ~ L^2.17


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"temperatures": [2.0, 0.0]}, r"temperatures must be a finite number > 0; received 0.0"),
        ({"temperatures": [-1.0]}, r"temperatures must be a finite number > 0; received -1.0"),
        ({"temperatures": []}, r"temperatures must be a non-empty list of numbers > 0; received \[\]"),
        ({"n": 0}, r"n must be an integer >= 50; received 0"),
        ({"alpha": 1.5}, r"alpha must be"),
        ({"init": "off"}, r"init must be one of \['ordered', 'random'\]; received 'off'"),
        ({"schedule": 5}, r"schedule must be a bmexp Schedule or None; received int"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(InputError, match=match):
        check_energy(zoo.lattice(3), exact_sampler, rng=np.random.default_rng(0), **kwargs)


def test_refuses_a_model_that_is_not_a_lattice():
    with pytest.raises(InputError, match="check 'energy' needs a 2D Ising lattice"):
        check_energy(zoo.ferromagnet(8, 8, coupling=1.0, bias=0.0), rng=np.random.default_rng(0))


@pytest.mark.slow
def test_bmexp_sampler_passes_at_L32_and_fails_two_percent_hot():
    """L = 32 (1,024 units), T/J = 2.0, T_c, 3.0, default chains and sweeps (module notes)."""
    model = zoo.lattice(32)
    ok = check_energy(model, GibbsSampler(), rng=np.random.default_rng(4))
    assert ok.passed, ok.report()
    # 2% too hot, at the two temperatures where it is hardest to see (c smallest; at T_c the energy
    # shift is ~6 standard errors): power 0.9 at each, so the seeded miss chance is ~1e-2
    bad = check_energy(model, Hotter(GibbsSampler(), 1.02), rng=np.random.default_rng(5), temperatures=[2.0, 3.0])
    assert not bad.passed, bad.report()


@pytest.mark.slow
@pytest.mark.parametrize("rule,scan", [("metropolis", "sequential"), ("heat_bath", "random")])
def test_other_kernels_pass(rule, scan):
    """Metropolis and random scan, at L = 16 (256 units; 100 chains a temperature, to keep the suite
    short): they reach the exact energy from all-up with the default sweeps."""
    res = check_energy(zoo.lattice(16), GibbsSampler(rule=rule, scan=scan), rng=np.random.default_rng(6), n=100)
    assert res.passed, res.report()
    assert per_temperature(res)[0].sweeps == (200 if scan == "sequential" else 400)


def test_a_sampler_stuck_at_its_start_fails():
    """A sampler that returns its initial states (all up) is far from equilibrium at every T."""

    def frozen(model, *, rng, n_chains, schedule, init="random", clamp=None):
        return np.broadcast_to(np.asarray(init, dtype=float), (n_chains, model.n_units)).copy()

    res = check_energy(zoo.lattice(8), frozen, rng=np.random.default_rng(0), n=50, schedule=Schedule.constant(1))
    assert not res.passed and all(t.reject for t in res.tests.values()) and len(res.tests) == 4


@pytest.mark.slow
def test_dwave_adapter_passes_at_L32():
    """Any sampler following the contract: dwave-samplers' Gibbs simulated annealing (sparse, fast)."""
    pytest.importorskip("dwave.samplers")
    from bmexp.adapters.ocean import dwave_sampler

    res = check_energy(zoo.lattice(32), dwave_sampler("gibbs", "sequential"), rng=np.random.default_rng(7))
    assert res.passed, res.report()
