"""The summary tests used beyond 2**16 states: exact cells, calibration, power."""

import numpy as np
import pytest
from scipy import stats

from bmexp import zoo
from bmexp.exact import ExactDistribution
from bmexp.validation.gof import _tv_null95_cached, _tv_null95_normal
from bmexp.validation.summaries import BINS, combine, probability_bins, summary_test, summary_tests
from tests.conftest import assert_calibrated


def test_probability_bins_partition_the_states_evenly():
    p = np.random.default_rng(0).dirichlet(np.full(4096, 0.3))
    of_state, bin_p = probability_bins(p)
    assert bin_p.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.allclose(np.bincount(of_state, weights=p, minlength=BINS), bin_p)
    # each bin holds at most 1/BINS plus the one state that crosses its edge
    assert bin_p.max() <= 1.0 / BINS + p.max() + 1e-12
    # ordered by probability: every state of bin k is at least as probable as every state of bin k + 1
    for k in range(BINS - 1):
        a, b = p[of_state == k], p[of_state == k + 1]
        if a.size and b.size:
            assert a.min() >= b.max()


@pytest.mark.parametrize("convention", ["binary", "spin"])
def test_unit_and_pair_cells_are_the_exact_marginals(convention):
    model = zoo.random_model(3, 3, rng=np.random.default_rng(1), convention=convention)
    exact = ExactDistribution.of(model)
    idx = np.random.default_rng(2).choice(exact.p.size, size=50_000, p=exact.p)
    tests = summary_tests(idx, exact.p, 6, convention, alpha=0.01, rng=np.random.default_rng(3))
    # the tests' effect sizes are computed against their cells: recompute them from marginal_p
    for i in range(6):
        q = exact.marginal_p([i])
        res = tests[f"unit u{i}"]
        counts = np.bincount(np.asarray([(k >> (5 - i)) & 1 for k in idx]), minlength=2)
        assert res.tv == pytest.approx(0.5 * np.abs(counts / idx.size - q).sum(), abs=1e-12)
    pair = exact.marginal_p([1, 4])  # cells 00, 01, 10, 11 of (u1, u4)
    bits = np.stack([(idx >> 4) & 1, (idx >> 1) & 1], axis=1)
    counts = np.bincount(2 * bits[:, 0] + bits[:, 1], minlength=4)
    assert tests["pair u1 u4"].tv == pytest.approx(0.5 * np.abs(counts / idx.size - pair).sum(), abs=1e-12)


def test_tv_null_quantile_normal_approximation_matches_simulation():
    # the approximation replaces simulation beyond 2**22 simulated counts; where both run they agree
    rng = np.random.default_rng(4)
    for k, n in [(256, 1_000), (256, 100_000), (2_048, 5_000)]:
        p = rng.dirichlet(np.ones(k))
        assert _tv_null95_normal(p, n) == pytest.approx(_tv_null95_cached(p.tobytes(), n), rel=0.01)


def _hotter(model, factor):
    from bmexp.model import BoltzmannMachine

    return BoltzmannMachine(
        model.weights / factor, model.biases / factor, n_visible=model.n_visible, convention=model.convention
    )


def test_summary_test_rejects_a_distribution_at_the_wrong_temperature():
    model = zoo.random_model(4, 4, rng=np.random.default_rng(5))
    p = ExactDistribution.of(model).p
    q = ExactDistribution.of(_hotter(model, 1.2)).p
    tv = 0.5 * np.abs(p - q).sum()
    assert tv > 0.02  # the planned effect size
    idx = np.random.default_rng(6).choice(q.size, size=50_000, p=q)
    res, table = summary_test(idx, p, 8, "binary", alpha=0.01, rng=np.random.default_rng(7))
    assert res.reject and res.method == "summary"
    assert len(table) == 1 + 8 + 28


@pytest.mark.slow
def test_summary_test_is_calibrated():
    """200 seeded replicates of exact samples: Holm's combined verdict rejects at most alpha of the
    time (its 99% Clopper-Pearson interval holds alpha, or lies below it: Holm is conservative), and
    the probability-histogram component's p-values are uniform (KS)."""
    model = zoo.random_model(4, 4, rng=np.random.default_rng(8))
    p = ExactDistribution.of(model).p
    rng = np.random.default_rng(9)
    reps, n = 200, 5_000
    rejections, hist_p = 0, []
    for _ in range(reps):
        idx = rng.choice(p.size, size=n, p=p)
        tests = summary_tests(idx, p, 8, "binary", alpha=0.01, rng=rng)
        hist_p.append(tests["probability histogram"].p_value)
        rejections += combine(tests, 0.01)[0].reject  # what summary_test returns
    ci = stats.binomtest(rejections, reps, 0.01).proportion_ci(confidence_level=0.99)
    assert ci.low <= 0.01, (rejections, ci)
    hist_p = np.array(hist_p)
    assert_calibrated(int(np.sum(hist_p < 0.01)), hist_p, reps)
