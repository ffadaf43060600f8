import numpy as np
import pytest

from bmexp import BoltzmannMachine, ExactDistribution, InputError, slide35
from bmexp.samplers import sample_chain
from bmexp.states import indices_from_states
from bmexp.validation.correlation import CorrelatedDrawsError, chain_gof_test, integrated_autocorrelation_time, thin
from bmexp.validation.gof import gof_test


def ferromagnet(j):
    w = np.full((6, 6), j)
    np.fill_diagonal(w, 0)
    return BoltzmannMachine(w, np.full(6, 0.05), n_visible=3, convention="spin")


def test_tau_of_an_ar1_series():
    # AR(1) with rho = 0.8: tau_int = (1 + rho) / (1 - rho) = 9
    rng = np.random.default_rng(0)
    x = np.zeros(200_000)
    e = rng.normal(size=x.size)
    for t in range(1, x.size):
        x[t] = 0.8 * x[t - 1] + e[t]
    assert integrated_autocorrelation_time(x)[0] == pytest.approx(9.0, rel=0.1)
    assert integrated_autocorrelation_time(rng.normal(size=50_000))[0] == pytest.approx(1.0, abs=0.1)


def test_naive_tests_on_one_chain_raise_false_alarms_thinned_tests_do_not():
    # 40 seeded chains of a correlated model (tau ~ 30 sweeps).  Treating the draws as
    # independent rejects far more often than alpha = 1% (P(>= 8 of 40) < 1e-9 if calibrated);
    # after thinning (or refusing) the rejections stay at the alpha level (<= 3 of 40: P < 1e-3).
    model = ferromagnet(0.35)
    p = ExactDistribution.of(model).p
    naive = thinned = refused = 0
    for seed in range(40):
        chain = sample_chain(model, rng=np.random.default_rng(seed), n_draws=50_000)
        naive += gof_test(np.bincount(indices_from_states(chain, "spin"), minlength=64), p).reject
        try:
            thinned += chain_gof_test(chain, p, "spin", rng=np.random.default_rng(seed))[0].reject
        except CorrelatedDrawsError:
            refused += 1
    assert naive >= 8
    assert thinned <= 3
    assert refused < 40  # it does test when it can


def test_a_sticky_chain_is_refused_with_advice():
    chain = sample_chain(ferromagnet(0.6), rng=np.random.default_rng(1), n_draws=20_000)
    with pytest.raises(CorrelatedDrawsError, match=r"run (it|the chain) .*longer or use independent chains"):
        thin(chain, "spin")


def test_thinning_keeps_every_kth_draw():
    chain = sample_chain(slide35(), rng=np.random.default_rng(2), n_draws=20_000)
    t = thin(chain, "binary")
    assert t.interval >= 1 and t.tau_thinned <= 1.5
    np.testing.assert_array_equal(t.states, chain[:: t.interval])


def test_bad_chain_shapes():
    with pytest.raises(InputError, match=r"states must be a \(draws, n_units\) array from one chain"):
        thin(np.zeros(10), "binary")
    with pytest.raises(InputError, match="at least 4 draws"):
        integrated_autocorrelation_time(np.zeros(3))
