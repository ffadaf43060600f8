"""AIS, reverse AIS, free energies and held-out log-likelihood against exact enumeration."""

import math

import numpy as np
import pytest
from scipy import stats

from bmexp import BoltzmannMachine, ExactDistribution, InputError, log_partition, zoo
from bmexp.estimate import (
    AISResult,
    ais,
    base_from_data,
    chain_samples,
    exact_samples,
    free_energy,
    log_likelihood,
    reverse_ais,
)
from bmexp.states import all_states

REPLICATES = 200  # seeded AIS estimates per calibration (one vectorised call, cut with split)
CHAINS = 50  # chains per estimate


def _metastable_ferromagnet():
    # 8 units all coupled with J = 1 (spin): single-site Gibbs chains stay in one well for many sweeps
    return zoo.ferromagnet(4, 4, coupling=1.0, convention="spin")


def _semi_restricted(rng):
    m = zoo.random_model(5, 4, rng=rng)
    w = np.array(m.weights)
    w[5:, 5:] = 0.0  # no hidden-hidden couplings; visible-visible kept
    return m.replace(weights=w)


# ------------------------------------------------------------------ free energy (exact)
@pytest.mark.parametrize(
    "make",
    [
        lambda rng: zoo.random_model(4, 5, rng=rng),  # hidden units coupled: enumerated
        lambda rng: zoo.random_rbm(5, 6, rng=rng),  # restricted: factorised
        lambda rng: zoo.random_rbm(5, 6, rng=rng, convention="spin"),
        _semi_restricted,  # visible-visible couplings, hidden factorised
        lambda rng: zoo.random_model(6, 0, rng=rng),  # no hidden units
    ],
    ids=["general", "rbm", "rbm-spin", "semi-restricted", "visible-only"],
)
def test_free_energy_gives_exact_visible_probabilities(make):
    model = make(np.random.default_rng(3))
    exact = ExactDistribution.of(model)
    v = all_states(model.n_visible, model.convention)
    np.testing.assert_allclose(-free_energy(model, v) - exact.log_z, np.log(exact.visible_p()), rtol=0, atol=1e-10)


def test_log_likelihood_with_exact_log_z_is_the_mean_log_probability():
    model = zoo.random_rbm(6, 4, rng=np.random.default_rng(0))
    exact = ExactDistribution.of(model)
    data = exact_samples(model, 300, rng=np.random.default_rng(1))
    ll = log_likelihood(model, data, exact_log_z=exact.log_z)
    idx = data @ (2 ** np.arange(5, -1, -1))
    assert ll.mean == pytest.approx(np.mean(np.log(exact.visible_p()[idx.astype(int)])), abs=1e-10)
    assert ll.stderr == 0 and ll.ci == (ll.mean, ll.mean) and ll.n_vectors == 300


def test_log_likelihood_carries_the_ais_interval():
    model = zoo.random_rbm(6, 4, rng=np.random.default_rng(0))
    data = exact_samples(model, 50, rng=np.random.default_rng(1))
    est = ais(model, rng=np.random.default_rng(2), n_chains=100, betas=50)
    ll = log_likelihood(model, data, est)
    mean_neg_f = float(np.mean(-free_energy(model, data)))
    assert ll.mean == pytest.approx(mean_neg_f - est.log_z)
    assert ll.stderr == est.stderr
    assert ll.ci == pytest.approx((mean_neg_f - est.ci[1], mean_neg_f - est.ci[0]))


# ------------------------------------------------------------------ deterministic AIS facts
def test_ais_is_exact_when_the_model_is_its_own_base():
    # zero weights: every intermediate distribution is the base, every log weight 0
    model = BoltzmannMachine(np.zeros((5, 5)), np.array([0.3, -1.0, 2.0, 0.0, 0.5]), n_visible=3)
    est = ais(model, rng=np.random.default_rng(0), n_chains=10, betas=5)
    assert np.max(np.abs(est.log_weights)) < 1e-12  # 0 up to rounding
    assert est.log_z == pytest.approx(log_partition(model), abs=1e-12)
    assert est.stderr < 1e-12 and est.ess == pytest.approx(10)


def test_same_seed_same_estimate_and_split_cuts_chains_in_blocks():
    model = zoo.random_model(3, 3, rng=np.random.default_rng(0))
    a = ais(model, rng=np.random.default_rng(5), n_chains=40, betas=20)
    b = ais(model, rng=np.random.default_rng(5), n_chains=40, betas=20)
    np.testing.assert_array_equal(a.log_weights, b.log_weights)
    parts = a.split(4)
    assert [p.n_chains for p in parts] == [10] * 4
    np.testing.assert_array_equal(parts[1].log_weights, a.log_weights[10:20])


def test_interval_is_the_delta_method_with_students_t():
    lw = np.log(np.array([1.0, 2.0, 3.0, 6.0]))
    est = AISResult(lw, log_z_base=1.5, direction="forward", n_temperatures=2)
    w = np.exp(lw)
    assert est.log_z == pytest.approx(1.5 + math.log(3.0))
    se = np.std(w, ddof=1) / (np.mean(w) * 2.0)
    assert est.stderr == pytest.approx(se)
    assert est.ci[1] - est.log_z == pytest.approx(stats.t.ppf(0.975, 3) * se)
    assert est.ess == pytest.approx(12.0**2 / 50.0)
    rev = AISResult(lw, log_z_base=1.5, direction="reverse", n_temperatures=2)
    assert rev.log_z == pytest.approx(1.5 - math.log(3.0))


def test_base_from_data_is_the_smoothed_on_frequency():
    data = np.array([[1, 0, 0], [1, 1, 0], [1, 0, 0]])
    np.testing.assert_allclose(base_from_data(data), [4 / 5, 2 / 5, 1 / 5])
    np.testing.assert_allclose(base_from_data(2 * data - 1, convention="spin"), [4 / 5, 2 / 5, 1 / 5])


def test_a_data_base_gives_the_same_log_z_as_the_zero_weight_base():
    model = zoo.random_rbm(6, 4, rng=np.random.default_rng(0))
    exact = log_partition(model)
    base = base_from_data(exact_samples(model, 500, rng=np.random.default_rng(1)))
    est = ais(model, rng=np.random.default_rng(2), n_chains=2000, betas=100, base=base)
    # one 99.9% interval (t quantile at 0.9995) covers the truth: fails wrongly with probability 0.001
    half = stats.t.ppf(0.9995, est.n_chains - 1) * est.stderr
    assert abs(est.log_z - exact) < half, (est.log_z, exact, est.stderr)


# ------------------------------------------------------------------ calibration
def _coverage(results, truth):
    return int(sum(r.ci[0] <= truth <= r.ci[1] for r in results))


def _assert_covers_95(hits, n=REPLICATES):
    # a calibrated 95% interval covers in Binomial(n, 0.95) replicates: 0.95 is inside the 99%
    # Clopper-Pearson interval of the observed rate except with probability about 1%
    ci = stats.binomtest(hits, n).proportion_ci(confidence_level=0.99)
    assert ci.low <= 0.95 <= ci.high, (hits, n, ci)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, make, betas",
    [
        ("random 5+5, biases", lambda: zoo.random_model(5, 5, rng=np.random.default_rng(1)), 200),
        ("metastable ferromagnet 8", _metastable_ferromagnet, 400),
        ("rbm 14+10", lambda: zoo.random_rbm(14, 10, rng=np.random.default_rng(2)), 200),
    ],
)
def test_ais_95_percent_intervals_cover_the_exact_log_z_95_percent_of_the_time(name, make, betas):
    model = make()
    truth = log_partition(model)
    est = ais(model, rng=np.random.default_rng(17), n_chains=REPLICATES * CHAINS, betas=betas)
    _assert_covers_95(_coverage(est.split(REPLICATES), truth))


@pytest.mark.slow
def test_reverse_ais_from_exact_samples_is_calibrated_on_an_rbm():
    model = zoo.random_rbm(10, 8, rng=np.random.default_rng(2))
    truth = log_partition(model)
    samples = exact_samples(model, REPLICATES * CHAINS, rng=np.random.default_rng(3))
    est = reverse_ais(model, samples, rng=np.random.default_rng(4), betas=200)
    _assert_covers_95(_coverage(est.split(REPLICATES), truth))


def test_doubling_the_chains_halves_the_variance_of_log_z():
    model = zoo.random_rbm(8, 6, rng=np.random.default_rng(2))
    est = [
        np.array(
            [
                r.log_z
                for r in ais(model, rng=np.random.default_rng(s), n_chains=REPLICATES * n, betas=30).split(REPLICATES)
            ]
        )
        for s, n in ((1, 10), (2, 20))
    ]
    ratio = np.var(est[0], ddof=1) / np.var(est[1], ddof=1)
    # the ratio of two independent sample variances of 200 near-normal estimates is 2 F(199, 199):
    # its central 99% interval
    f = stats.f(REPLICATES - 1, REPLICATES - 1)
    assert 2 * f.ppf(0.005) < ratio < 2 * f.ppf(0.995), ratio


def test_doubling_the_temperatures_halves_the_variance_of_the_log_weights():
    model = zoo.random_model(4, 4, rng=np.random.default_rng(1))
    n = 4000
    lw = [ais(model, rng=np.random.default_rng(k), n_chains=n, betas=k).log_weights for k in (100, 200)]
    ratio = np.var(lw[0], ddof=1) / np.var(lw[1], ddof=1)
    # Var(log w) ~ c / K once the path is well followed (ESS / n > 0.95 here).  Each sample variance
    # has relative variance 2 / (n - 1) + (excess kurtosis) / n; the log ratio's sd is the root of the
    # sum of both, and 2.576 of them bound it with 99% probability
    rel = [2 / (n - 1) + stats.kurtosis(x) / n for x in lw]
    half = 2.576 * math.sqrt(sum(rel))
    assert abs(math.log(ratio / 2)) < half, (ratio, half)


# ------------------------------------------------------------------ where AIS fails, and how to see it
@pytest.mark.slow
def test_too_few_temperatures_on_a_metastable_model_bias_ais_and_reverse_ais_disagrees():
    model = zoo.ferromagnet(6, 6, coupling=1.0, convention="spin")
    truth = log_partition(model)
    fwd = ais(model, rng=np.random.default_rng(1), n_chains=REPLICATES * CHAINS, betas=10).split(REPLICATES)
    samples = exact_samples(model, REPLICATES * CHAINS, rng=np.random.default_rng(2))
    rev = reverse_ais(model, samples, rng=np.random.default_rng(3), betas=10).split(REPLICATES)
    f = np.array([r.log_z for r in fwd]) - truth
    r = np.array([x.log_z for x in rev]) - truth
    # forward biased low, reverse high: one-sided t-tests at 0.001 over 200 replicates
    assert stats.ttest_1samp(f, 0.0, alternative="less").pvalue < 1e-3, f.mean()
    assert stats.ttest_1samp(r, 0.0, alternative="greater").pvalue < 1e-3, r.mean()
    # the 95% intervals undercover: the whole 99% Clopper-Pearson interval is below 0.95
    assert stats.binomtest(_coverage(fwd, truth), REPLICATES).proportion_ci(0.99).high < 0.95
    # and the symptom a user can see without the truth: forward and reverse intervals that do not
    # overlap, in more than a quarter of the pairs (measured: 59%)
    apart = sum(a.ci[1] < b.ci[0] for a, b in zip(fwd, rev))
    assert stats.binomtest(apart, REPLICATES).proportion_ci(0.99).low > 0.25, apart


def test_a_base_stuck_in_one_well_gives_a_confident_wrong_answer_that_reverse_ais_exposes():
    # binary ferromagnet: the zero-weight base has biases -10.9, so every chain starts all-off and
    # stays there; the all-on well (as probable, e^1.2 times) is never visited.  Forward AIS reports
    # log Z ~ 0 with a tiny error bar and a perfect ESS: the weights cannot show what was never seen.
    model = zoo.ferromagnet(6, 6, coupling=0.5)
    truth = log_partition(model)  # log(1 + e^1.2) + tiny = 1.463
    fwd = ais(model, rng=np.random.default_rng(0), n_chains=500, betas=100)
    assert fwd.ess == pytest.approx(500, rel=1e-6) and fwd.ci[1] < truth - 1.0
    rev = reverse_ais(
        model, exact_samples(model, 500, rng=np.random.default_rng(1)), rng=np.random.default_rng(2), betas=100
    )
    assert rev.ci[0] > fwd.ci[1]


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(betas=1), r"^betas must be at least 2 inverse temperatures .*; received 1$"),
        (dict(betas=[0.0]), r"^betas must be a sequence of at least 2 numbers from 0 to 1; received \[0.0\]$"),
        (
            dict(betas=[0.0, 0.7, 0.5, 1.0]),
            r"^betas must be strictly increasing from 0 to 1; received \[0.  0.7 0.5 1. \]$",
        ),
        (dict(betas=[0.1, 1.0]), r"^betas must be strictly increasing from 0 to 1"),
        (dict(betas="many"), r"^betas must be a sequence of at least 2 numbers; received 'many'$"),
        (dict(n_chains=1), r"^n_chains must be an integer >= 2; received 1$"),
        (dict(sweeps=0), r"^sweeps must be an integer >= 1; received 0$"),
        (dict(confidence=1.0), r"^confidence must be a number in \(0, 1\); received 1.0$"),
        (dict(base=[0.5, 1.0, 0.5]), r"^base must be None \(zero weights\) or 3 probabilities in \(0, 1\)"),
        (dict(base=[0.5, 0.5]), r"^base must be None \(zero weights\) or 3 probabilities in \(0, 1\)"),
        (
            dict(base=[0.5, [0.5, 0.1], 0.5]),
            r"^base must be None \(zero weights\) or 3 probabilities .*; received \[0.5",
        ),
        (dict(base="half"), r"^base must be None \(zero weights\) or 3 probabilities .*; received 'half'$"),
        (dict(rng=0), r"^rng must be a numpy.random.Generator; received int$"),
    ],
)
def test_ais_refuses_bad_input_with_one_clear_error(kwargs, match):
    model = zoo.random_rbm(3, 2, rng=np.random.default_rng(0))
    args = dict(rng=np.random.default_rng(0), n_chains=10, betas=10) | kwargs
    with pytest.raises(InputError, match=match):
        ais(model, **args)


def test_reverse_ais_and_free_energy_refuse_bad_shapes():
    rbm = zoo.random_rbm(3, 2, rng=np.random.default_rng(0))
    with pytest.raises(
        InputError, match=r"^samples must be at least 2 visible vectors .*shape \(n, 3\); received shape \(4, 5\)$"
    ):
        reverse_ais(rbm, np.zeros((4, 5)), rng=np.random.default_rng(0), betas=5)
    general = zoo.random_model(2, 2, rng=np.random.default_rng(0))
    with pytest.raises(InputError, match=r"^samples must be at least 2 full states, shape \(n, 4\)"):
        reverse_ais(general, np.zeros((4, 2)), rng=np.random.default_rng(0), betas=5)
    with pytest.raises(InputError, match=r"^visible must have shape \(n, 3\)"):
        free_energy(rbm, np.zeros((2, 4)))
    wide = zoo.random_model(1, 21, rng=np.random.default_rng(0), weight_scale=0.01)
    with pytest.raises(InputError, match=r"^model has 21 mutually coupled hidden units"):
        free_energy(wide, np.zeros((1, 1)))


def test_chain_samples_start_where_told_and_reach_the_model_s_distribution():
    rbm = zoo.random_rbm(3, 2, rng=np.random.default_rng(0), weight_scale=1.0, bias_scale=1.0)
    start = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(chain_samples(rbm, start, rng=np.random.default_rng(0), sweeps=0), start)
    general = zoo.random_model(3, 2, rng=np.random.default_rng(0))
    full = chain_samples(general, start, rng=np.random.default_rng(0), sweeps=0)  # hidden units drawn uniform
    assert full.shape == (2, 5) and np.array_equal(full[:, :3], start) and set(np.unique(full[:, 3:])) <= {0.0, 1.0}
    # 4,000 chains all started at one vector, 30 block-Gibbs sweeps: the visible histogram is p(v).
    # Chi-square goodness of fit at alpha = 0.001 (8 cells, all expected counts > 5): fails wrongly
    # with probability 0.001 if the chains have mixed (30 sweeps of a 5-unit RBM: far past its mixing time)
    v = chain_samples(rbm, np.ones((4000, 3)), rng=np.random.default_rng(1), sweeps=30)
    counts = np.bincount((v @ [4, 2, 1]).astype(int), minlength=8)
    p = ExactDistribution.of(rbm).visible_p()
    assert stats.chisquare(counts, 4000 * p).pvalue > 0.001
    with pytest.raises(InputError, match=r"^start must be visible vectors, shape \(n, 3\); received shape \(2, 4\)$"):
        chain_samples(rbm, np.zeros((2, 4)), rng=np.random.default_rng(0))
    # 10**12 sweeps x (2 chains x 5 units + 1e4 per-sweep overhead) = 1e16 spin updates, past the 1e12 limit
    with pytest.raises(InputError, match=r"^sweeps = 1000000000000 would take 1e\+16 spin updates for the chains"):
        chain_samples(rbm, np.zeros((2, 3)), rng=np.random.default_rng(0), sweeps=10**12)
