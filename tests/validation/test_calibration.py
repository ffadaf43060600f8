"""The goodness-of-fit test is calibrated: under exact i.i.d. sampling it rejects at rate alpha.

For each model and n, 1,000 seeded replicates of multinomial counts drawn from the exact
distribution.  The number of rejections at alpha = 0.01 is Binomial(1000, 0.01) if the test
is calibrated; we require 0.01 inside the 99% Clopper-Pearson interval of the observed rate
(a calibrated test fails this with probability about 1%, and the seed is fixed), and the
p-values to pass a KS test against uniform at level 0.001.
"""

import numpy as np
import pytest
from scipy import stats

from bmexp import ExactDistribution, random_model, slide35
from bmexp.validation.gof import gof_test, pool_cells
from bmexp.validation.planning import required_samples

REPLICATES = 1000
ALPHA = 0.01


def _models():
    return {"slide35": slide35(), "random6": random_model(4, 2, rng=np.random.default_rng(11), bias_scale=0.7)}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["slide35", "random6"])
@pytest.mark.parametrize("size", ["tiny", "planned"])
def test_rejection_rate_and_uniform_p_values_under_the_null(name, size):
    p = ExactDistribution.of(_models()[name]).p
    n = 20 if size == "tiny" else required_samples(p)
    rng = np.random.default_rng(1)
    pvalues = np.array([gof_test(c, p, alpha=ALPHA, rng=rng).p_value for c in rng.multinomial(n, p, size=REPLICATES)])
    rejections = int(np.sum(pvalues < ALPHA))
    ci = stats.binomtest(rejections, REPLICATES, ALPHA).proportion_ci(confidence_level=0.99)
    assert ci.low <= ALPHA <= ci.high, (rejections, ci)
    assert stats.ks_1samp(pvalues, stats.uniform.cdf).pvalue > 0.001


def test_asymptotic_p_values_at_tiny_n_are_not_uniform():
    # Why tiny n uses a Monte Carlo p-value: the pooled asymptotic test at n = 20 gives
    # p-values that a KS test rejects as non-uniform.
    p = ExactDistribution.of(slide35()).p
    groups = pool_cells(20 * p, 5.0)
    expected = np.array([20 * p[g].sum() for g in groups])
    rng = np.random.default_rng(1)
    pvalues = [
        stats.power_divergence([c[g].sum() for g in groups], expected, lambda_="cressie-read").pvalue
        for c in rng.multinomial(20, p, size=REPLICATES)
    ]
    assert stats.ks_1samp(pvalues, stats.uniform.cdf).pvalue < 0.001


@pytest.mark.slow
@pytest.mark.parametrize("rule", ["heat_bath", "flip", "metropolis"])
@pytest.mark.parametrize("scan", ["sequential", "random"])
def test_each_kernels_exact_output_is_calibrated_against_its_own_sampler(rule, scan):
    # 2 sweeps from random starts on a 6-unit model with biases (far from Boltzmann; the four
    # kernels' outputs differ): 300 seeded replicates of n = 2,000 against the declared
    # kernel's exact output reject at rate alpha, and the pooled 600,000 chains reject the others.
    from bmexp.samplers import GibbsSampler, Kernel
    from bmexp.schedules import Schedule
    from bmexp.transitions import schedule_output
    from tests.conftest import assert_calibrated, calibration_counts

    model = _models()["random6"]
    sched = Schedule.explicit([2.0, 1.0], sweeps_per_temperature=1)
    sampler = GibbsSampler(rule=rule, scan=scan)
    rejections, pvalues, pooled, own = calibration_counts(sampler, model, sched, replicates=300, n=2000)
    assert_calibrated(rejections, pvalues, 300)
    for other in (Kernel(r, s) for r in ("heat_bath", "metropolis") for s in ("sequential", "random")):
        if other != sampler.kernel:
            assert gof_test(pooled, schedule_output(model, sched, kernel=other)).reject
