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
    pvalues = np.array([gof_test(c, p, alpha=ALPHA, rng=rng).p_value
                        for c in rng.multinomial(n, p, size=REPLICATES)])
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
    pvalues = [stats.power_divergence([c[g].sum() for g in groups], expected, lambda_="cressie-read").pvalue
               for c in rng.multinomial(20, p, size=REPLICATES)]
    assert stats.ks_1samp(pvalues, stats.uniform.cdf).pvalue < 0.001
