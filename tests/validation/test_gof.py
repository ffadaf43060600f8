import numpy as np
import pytest
from scipy import stats

from bmexp import InputError
from bmexp.validation.gof import gof_test, pool_cells


def test_matches_scipy_power_divergence_when_no_pooling_is_needed():
    p = np.array([0.1, 0.2, 0.3, 0.4])
    counts = np.array([90, 210, 310, 390])
    r = gof_test(counts, p)
    ref = stats.power_divergence(counts, 1000 * p, lambda_="cressie-read")
    assert r.statistic == pytest.approx(ref.statistic) and r.p_value == pytest.approx(ref.pvalue)
    assert (r.dof, r.cells, r.cells_pooled, r.method, r.test) == (3, 4, 4, "asymptotic", "cressie-read")
    for test, lam in (("pearson", "pearson"), ("g", "log-likelihood")):
        r2 = gof_test(counts, p, test=test)
        assert r2.statistic == pytest.approx(stats.power_divergence(counts, 1000 * p, lambda_=lam).statistic)


def test_effect_sizes_by_formula():
    p = np.array([0.5, 0.25, 0.25])
    counts = np.array([60, 20, 20])
    q = counts / 100
    r = gof_test(counts, p)
    assert r.tv == pytest.approx(0.5 * np.abs(q - p).sum())
    assert r.kl == pytest.approx(np.sum(q * np.log(q / p)) - 2 / 200)
    assert r.hellinger == pytest.approx(np.sqrt(0.5 * np.sum((np.sqrt(q) - np.sqrt(p)) ** 2)))
    assert r.cohen_w == pytest.approx(np.sqrt(np.sum((q - p) ** 2 / p)))
    assert 0 < r.tv_null95 < 0.2
    assert set(r.to_dict()) >= {"statistic", "p_value", "dof", "tv", "tv_null95", "kl", "reject"}


def test_pooling_uses_expected_counts_only():
    expected = np.array([1.0, 2.0, 3.0, 10.0, 20.0])
    groups = pool_cells(expected, 5.0)
    assert all(expected[g].sum() >= 5 for g in groups)
    assert sorted(np.concatenate(groups).tolist()) == [0, 1, 2, 3, 4]
    # same expected counts, wildly different observed counts: same pooling (never by observed)
    p = expected / expected.sum()
    a, b = gof_test([0, 0, 0, 12, 24], p), gof_test([6, 0, 0, 10, 20], p)
    assert a.cells_pooled == b.cells_pooled == len(groups) and a.dof == len(groups) - 1


def test_small_cells_pool_into_several_cells():
    p = np.array([0.01] * 10 + [0.9 / 6] * 6)  # n = 200: ten cells expect 2, six expect 30
    r = gof_test(np.round(200 * p).astype(int), p)
    assert r.method == "asymptotic" and r.cells_pooled == 6 + 3 and r.min_expected >= 5


def test_tiny_n_uses_monte_carlo():
    # 20 samples over 16 cells: fewer than 5 expected per cell on average
    r = gof_test(np.bincount(np.arange(20) % 16, minlength=16), np.ones(16) / 16, rng=np.random.default_rng(0))
    assert r.method == "monte-carlo" and r.dof == 15


def test_sample_in_a_zero_probability_cell_is_an_explained_failure():
    r = gof_test([5, 5, 1], [0.5, 0.5, 0.0])
    assert r.reject and r.p_value == 0.0 and r.method == "support"
    assert "1 sample(s) fell in states with p = 0" in r.reason
    ok = gof_test([50, 50, 0], [0.5, 0.5, 0.0])  # p = 0 cells are dropped
    assert ok.cells == 2 and not ok.reject


def test_monte_carlo_p_value_for_tiny_n_needs_an_rng():
    p = np.ones(16) / 16
    with pytest.raises(InputError, match="rng must be a numpy.random.Generator for a Monte Carlo p-value"):
        gof_test(np.bincount([0, 1, 2], minlength=16), p)
    r = gof_test(np.bincount([0, 1, 2], minlength=16), p, rng=np.random.default_rng(0))
    assert r.method == "monte-carlo" and 0 < r.p_value <= 1
    # p-value formula: (1 + #{T_b >= T}) / (B + 1) is never 0
    far = gof_test(np.array([3] + [0] * 15), p, rng=np.random.default_rng(0), monte_carlo=99)
    assert far.p_value >= 1 / 100


@pytest.mark.parametrize(
    "counts, p, kwargs, message",
    [
        ([1, 2], [0.5, 0.6], {}, r"p must sum to 1 \(within 1e-9\); sums to 1.1"),
        ([1, 2], [1.5, -0.5], {}, r"p must be non-negative; received -0.5"),
        ([1, 2], [np.nan, 0.5], {}, r"p must be finite; received nan"),
        ([1, 2, 3], [0.5, 0.5], {}, r"counts must be a 1-D array with one entry per cell \(2\); received shape \(3,\)"),
        ([0, 0], [0.5, 0.5], {}, r"counts must contain at least one sample; received n = 0"),
        ([1.5, 2], [0.5, 0.5], {}, r"counts must be non-negative whole numbers"),
        ([1, 2], [0.5, 0.5], {"alpha": 0}, r"alpha must be a number in \(0, 1\); received 0"),
        ([1, 2], [0.5, 0.5], {"alpha": 1.5}, r"alpha must be a number in \(0, 1\); received 1.5"),
        ([1, 2], [0.5, 0.5], {"test": "kolmogorov"}, r"test must be one of \['cressie-read', 'pearson', 'g'\]"),
    ],
)
def test_bad_input(counts, p, kwargs, message):
    with pytest.raises(InputError, match=message):
        gof_test(counts, p, **kwargs)
