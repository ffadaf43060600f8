"""check=lumped (bmexp.validation.lumped): exact TV, P(majority on) and cost of annealing and of
parallel tempering on the ferromagnet, and the sampled counts tested against them."""

import numpy as np
import pytest

from bmexp import InputError
from bmexp.lumped import annealing_counts, boltzmann_counts, majority_on, pt_counts
from bmexp.samplers import GibbsSampler, ParallelTempering
from bmexp.samplers.pt import geometric_ladder
from bmexp.schedules import Schedule
from bmexp.testing.mutants import SwapMutant
from bmexp.validation.checks import run_check
from bmexp.zoo import ferromagnet, slide35

N, J, H = 10, 0.3, 0.05
METASTABLE = ferromagnet(5, 5, coupling=J, bias=H, convention="spin")


def _tv(p, q):
    return 0.5 * np.abs(p - q).sum()


def test_pt_job_measures_exact_tv_cost_and_the_first_round_within_0_01():
    # R = 3 on the geometric ladder to T = 5, 100 rounds of random-scan heat bath: the exact TV
    # after each round is pt_counts'; the first round within 0.01 is 53 (README, benchmarks/
    # metastable.py), so 53 x 3 replicas x 10 units = 1,590 spin updates; the run costs 3,000.
    sampler = ParallelTempering(scan="random", replicas=3)
    r = run_check("lumped", METASTABLE, sampler, rng=np.random.default_rng(0), schedule=Schedule.constant(100), n=2000)
    rounds = pt_counts(N, J, H, geometric_ladder(3, 5.0), 100)
    boltz = boltzmann_counts(N, J, H)
    m = r.extra["metrics"]
    first = 1 + int(np.flatnonzero([_tv(p, boltz) <= 0.01 for p in rounds])[0])
    assert first == 53 and m["cost_to_tv"] == 3 * N * first == 1590
    assert m["cost"] == 3 * N * 100
    assert m["tv"] == pytest.approx(_tv(rounds[-1], boltz), abs=1e-15)
    assert m["majority_on"] == pytest.approx(majority_on(rounds[-1])) and m["majority_on_boltzmann"] == pytest.approx(
        0.7290, abs=1e-4
    )
    assert r.extra["tv_by_sweep"] == pytest.approx([_tv(p, boltz) for p in rounds])
    assert r.passed and not r.tests["lumped_output"].reject  # 2,000 seeded chains, alpha 0.01
    assert r.table["state"].tolist() == [f"{k} up" for k in range(N + 1)]


def test_annealing_job_cost_and_a_schedule_too_short_for_the_well():
    # T0 = 2, step 1, 20 sweeps per temperature (40 at T = 1): 60 sweeps of 10 updates.  Its exact
    # output is TV > 0.1 from Boltzmann (chains stay in the well they fell into): no cost to TV 0.01,
    # the check fails on the schedule while the samples agree with the exact annealing output.
    schedule = Schedule.linear(2.0, 1.0, sweeps_per_temperature=20, final_sweeps=None)
    r = run_check(
        "lumped", METASTABLE, GibbsSampler(scan="random"), rng=np.random.default_rng(1), schedule=schedule, n=2000
    )
    m = r.extra["metrics"]
    assert m["cost"] == 600.0 and np.isnan(m["cost_to_tv"])
    assert (
        m["tv"] == pytest.approx(_tv(annealing_counts(N, J, H, schedule), boltzmann_counts(N, J, H))) and m["tv"] > 0.1
    )
    assert not r.passed and not r.tests["lumped_output"].reject and r.tests["boltzmann"].reject
    assert "tv_by_sweep" not in r.extra


def test_the_adaptive_ladder_is_read_from_the_run_and_a_wrong_swap_is_caught():
    # the tuned ladder comes from the sampler's result (binary convention: counted by units on);
    # the swap mutant (temperature difference missing) after 30 rounds at R = 3: its samples differ
    # from the exact PT output at the planned n (16,864; seeded): its own exact output is TV 0.058 from it.
    binary = ferromagnet(5, 5, coupling=J, bias=H, convention="binary")
    r = run_check(
        "lumped",
        binary,
        ParallelTempering(scan="random", replicas=3, ladder="adaptive"),
        rng=np.random.default_rng(2),
        schedule=Schedule.constant(30),
        n=2000,
    )
    assert "ladder [1.0, " in r.message and "2.236" not in r.message  # tuned, not the geometric start
    assert not r.tests["lumped_output"].reject
    bad = run_check(
        "lumped",
        METASTABLE,
        SwapMutant(scan="random", replicas=3),
        rng=np.random.default_rng(3),
        schedule=Schedule.constant(30),
    )
    assert bad.tests["lumped_output"].reject and not bad.passed


@pytest.mark.parametrize(
    "model, sampler, schedule, key",
    [
        (slide35(), GibbsSampler(scan="random"), Schedule.constant(5), None),
        (METASTABLE, GibbsSampler(), Schedule.constant(5), "sampler.scan"),
        (METASTABLE, GibbsSampler(scan="random", rule="metropolis"), Schedule.constant(5), "sampler.scan"),
        (
            METASTABLE,
            ParallelTempering(scan="random"),
            Schedule.linear(2.0, 1.0, sweeps_per_temperature=2),
            "schedule.kind",
        ),
        (METASTABLE, ParallelTempering(scan="random", replicas=7), Schedule.constant(5), "sampler.replicas"),
    ],
)
def test_what_the_exact_output_cannot_be_computed_for_is_refused(model, sampler, schedule, key):
    with pytest.raises(InputError) as err:
        run_check("lumped", model, sampler, rng=np.random.default_rng(0), schedule=schedule, n=10)
    assert err.value.argument == key


def test_the_message_says_when_pt_never_reached_the_tv_instead_of_nan():
    """An outside tester saw "(TV 0.01 first after nan)" in the check's message."""
    from bmexp.validation.lumped import _first

    assert _first(0.01, float("nan")) == "TV 0.01 not reached"
    assert _first(0.01, 12345.0) == "TV 0.01 first after 12,345"
