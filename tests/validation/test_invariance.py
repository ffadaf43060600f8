"""check=invariance: exact Boltzmann samples through k sweeps at T = 1 must stay Boltzmann."""

import numpy as np
import pytest
from scipy import stats

from bmexp import zoo
from bmexp.errors import InputError
from bmexp.samplers import GibbsSampler
from bmexp.testing.mutants import MUTANTS
from bmexp.validation.checks import check_joint
from bmexp.validation.invariance import check_invariance
from tests.conftest import assert_calibrated


def test_a_correct_sampler_passes():
    model = zoo.random_model(3, 3, rng=np.random.default_rng(0))
    r = check_invariance(model, GibbsSampler(), rng=np.random.default_rng(1))
    assert r.passed, r.report()
    assert r.extra["sweeps"] == [1, 2, 8] and len(r.extra["family"]["test"]) == 3


@pytest.mark.slow
@pytest.mark.parametrize("rule", ["heat_bath", "flip", "metropolis"])
@pytest.mark.parametrize("scan", ["sequential", "random"])
def test_every_bmexp_kernel_leaves_boltzmann_invariant(rule, scan):
    model = zoo.random_model(3, 3, rng=np.random.default_rng(2), convention="spin")
    assert check_invariance(model, GibbsSampler(rule=rule, scan=scan), rng=np.random.default_rng(3)).passed


@pytest.mark.parametrize("name", ["synchronous", "metropolis_sqrt_ratio"])
def test_wrong_kernels_are_rejected_after_one_sweep(name):
    model = zoo.random_model(3, 3, rng=np.random.default_rng(4))
    r = check_invariance(model, MUTANTS[name], rng=np.random.default_rng(5), sweeps=[1])
    assert not r.passed and "MOVED" in r.message


def test_a_metastable_model_fails_joint_but_passes_invariance():
    """The 10-unit ferromagnet (J = 0.3): the default schedule leaves chains in one well (joint fails:
    TV 0.17), yet the sampler is right -- and the invariance check says so (the README shows both)."""
    model = zoo.ferromagnet(5, 5, coupling=0.3)
    joint = check_joint(model, GibbsSampler(), rng=np.random.default_rng(0))
    inv = check_invariance(model, GibbsSampler(), rng=np.random.default_rng(0))
    assert not joint.passed and joint.tests["joint"].tv > 0.1
    assert inv.passed


def test_parallel_tempering_with_an_adaptive_ladder_passes_at_a_large_n():
    """The adaptive ladder is tuned before the check starts each replica at its own temperature.  Started
    all from the T = 1 draw (before), the output moved (TV 0.009 after one round on slide35): an outside
    tester saw p = 8e-05 at n = 60,000, a false alarm for a correct sampler.  Seeded; a correct sampler
    fails this Holm family with probability at most alpha = 0.01."""
    from bmexp.samplers import ParallelTempering

    result = check_invariance(
        zoo.slide35(), ParallelTempering(ladder="adaptive"), rng=np.random.default_rng(31), n=60_000
    )
    assert result.passed, result.message


def test_summary_mode_beyond_2_to_16_states():
    model = zoo.random_model(9, 8, rng=np.random.default_rng(6), weight_scale=0.3)
    r = check_invariance(model, GibbsSampler(), rng=np.random.default_rng(7), sweeps=[1], n=20_000)
    assert r.passed and r.tests["invariance"].method == "holm"
    assert "pair v1 h8" in set(r.table["test"])  # the summary family (histogram, units, pairs)


@pytest.mark.slow
def test_invariance_check_is_calibrated():
    """200 seeded replicates with bmexp's (exact-kernel) sampler: each sweep count's p-values are
    uniform and Holm's verdict rejects at most at alpha (99% Clopper-Pearson)."""
    model = zoo.random_model(2, 2, rng=np.random.default_rng(8))
    rng = np.random.default_rng(9)
    reps, rejections, raw = 200, 0, []
    for _ in range(reps):
        r = check_invariance(model, GibbsSampler(), rng=rng, n=1000)
        rejections += not r.passed
        raw.extend(r.extra["family"]["p_value"])
    ci = stats.binomtest(rejections, reps, 0.01).proportion_ci(confidence_level=0.99)
    assert ci.low <= 0.01, (rejections, ci)
    raw = np.array(raw)
    assert_calibrated(int(np.sum(raw < 0.01)), raw, raw.size)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(sweeps=[]), "sweeps must be a non-empty list"),
        (dict(sweeps=[0]), "sweeps must be"),
        (dict(sweeps=[1, 1]), "sweeps must be distinct numbers of sweeps"),
    ],
)
def test_bad_sweeps_are_named(kwargs, message):
    model = zoo.random_model(2, 2, rng=np.random.default_rng(0))
    with pytest.raises(InputError, match=message):
        check_invariance(model, rng=np.random.default_rng(0), **kwargs)


def test_beyond_enumeration_is_refused():
    model = zoo.random_model(13, 12, rng=np.random.default_rng(0))
    with pytest.raises(InputError, match="n_units = 25 but exact enumeration is limited to max_units = 24"):
        check_invariance(model, rng=np.random.default_rng(0))


def test_too_few_samples_are_refused_with_the_minimum():
    from bmexp.validation.invariance import MIN_N

    assert MIN_N == 100
    with pytest.raises(InputError, match=r"^n must be an integer >= 100; received 1$"):
        check_invariance(zoo.random_model(1, 0, rng=np.random.default_rng(0)), rng=np.random.default_rng(1), n=1)
