"""bmexp.lumped: exact outputs on the ferromagnet by the number of units up, checked against the
enumerated chains and against the samplers."""

import numpy as np

from bmexp.lumped import annealing_counts, boltzmann_counts, majority_on, pt_counts
from bmexp.samplers import Kernel, ParallelTempering
from bmexp.schedules import Schedule
from bmexp.states import all_states
from bmexp.transitions import pt_output, schedule_output
from bmexp.validation import gof_test
from bmexp.zoo import ferromagnet

RANDOM_HEAT_BATH = Kernel("heat_bath", "random")


def _by_count(p, n):
    """A distribution over all 2**n spin states, summed by the number of units up."""
    k = (all_states(n, "spin") > 0).sum(axis=1)
    return np.bincount(k, weights=p, minlength=n + 1)


def test_annealing_counts_equal_the_enumerated_schedule_output():
    # 10 units: the 1,024-state chain summed by count, against the 11-state chain
    n, J, h = 10, 0.3, 0.05
    schedule = Schedule.explicit([3.0, 2.0, 1.0], sweeps_per_temperature=4)
    full = schedule_output(ferromagnet(5, 5, coupling=J, bias=h, convention="spin"), schedule, kernel=RANDOM_HEAT_BATH)
    np.testing.assert_allclose(annealing_counts(n, J, h, schedule), _by_count(full, n), atol=1e-12)


def test_pt_counts_equal_the_enumerated_joint_output():
    # 4 units x 3 replicas: the 4,096-state joint chain, T = 1 marginal summed by count
    n, J, h, ladder = 4, 0.6, 0.1, [1.0, 2.0, 4.0]
    model = ferromagnet(2, 2, coupling=J, bias=h, convention="spin")
    for swap in ("deo", "seo"):
        lumped = pt_counts(n, J, h, ladder, 5, swap=swap)
        for sweeps in (1, 5):
            joint = pt_output(model, Schedule.constant(sweeps), ladder, kernel=RANDOM_HEAT_BATH, swap=swap)
            cold = joint.reshape(2**n, -1).sum(axis=1)
            np.testing.assert_allclose(lumped[sweeps - 1], _by_count(cold, n), atol=1e-12)


def test_the_pt_sampler_matches_the_lumped_output_on_ten_units():
    # 20,000 chains of the compiled sampler (random scan, R = 4, T_max = 5) after 12 rounds on the
    # metastable ferromagnet (J = 0.25): counts against the exact 11-state output (seeded, alpha
    # 0.01), which is still TV 0.075 from Boltzmann (so the test tells them apart: asserted).
    n, J, h, ladder = 10, 0.25, 0.05, 5.0 ** (np.arange(4) / 3)
    exact = pt_counts(n, J, h, ladder, 12)[-1]
    sampler = ParallelTempering(scan="random", ladder=list(ladder))
    model = ferromagnet(5, 5, coupling=J, bias=h, convention="spin")
    states = sampler(model, rng=np.random.default_rng(0), n_chains=20_000, schedule=Schedule.constant(12)).states
    counts = np.bincount((states > 0).sum(axis=1), minlength=n + 1)
    boltzmann = boltzmann_counts(n, J, h)
    assert 0.5 * np.abs(exact - boltzmann).sum() > 0.05
    assert not gof_test(counts, exact).reject
    assert gof_test(counts, boltzmann).reject


def test_majority_on_and_boltzmann_counts():
    p = boltzmann_counts(10, 0.0, 0.0)  # independent fair units
    np.testing.assert_allclose(p, [1, 10, 45, 120, 210, 252, 210, 120, 45, 10, 1] / np.float64(1024))
    assert majority_on(p) == np.sum([210, 120, 45, 10, 1]) / 1024
