import numpy as np
import pytest

from bmexp import BoltzmannMachine, ExactDistribution, InputError, random_model
from bmexp.likelihood import _sampled_hidden_term, _visible_part, pseudo_log_likelihood, reconstruction_error
from bmexp.samplers import GibbsSampler
from bmexp.schedules import Schedule
from bmexp.states import all_states, indices_from_states


def brute_pll(model, v):
    """sum_i log p(v_i | v_-i) from the enumerated visible marginal, averaged over vectors."""
    p_v = ExactDistribution.of(model).visible_p()
    off, on = model.convention.values
    total = 0.0
    for x in v:
        here = p_v[indices_from_states(x[None], model.convention)[0]]
        for i in range(len(x)):
            y = x.copy()
            y[i] = off + on - y[i]
            there = p_v[indices_from_states(y[None], model.convention)[0]]
            total += np.log(here / (here + there))
    return total / len(v)


def model_with(nv, nh, convention, *, hidden_coupled=True, seed=0):
    m = random_model(nv, nh, rng=np.random.default_rng(seed), weight_scale=0.8, convention=convention)
    if not hidden_coupled:
        w = np.array(m.weights)
        w[nv:, nv:] = 0.0
        m = m.replace(weights=w)
    return m


@pytest.mark.parametrize("convention", ["binary", "spin"])
@pytest.mark.parametrize(
    "nv, nh, coupled, method",
    [
        (5, 0, True, "no hidden units"),
        (4, 3, False, "independent hidden units"),
        (4, 4, True, "hidden units summed"),
    ],
)
def test_pll_equals_enumeration(convention, nv, nh, coupled, method):
    m = model_with(nv, nh, convention, hidden_coupled=coupled)
    v = all_states(nv, convention)  # every visible state, each once
    got = pseudo_log_likelihood(m, v)
    assert got.exact and got.method == method
    assert got.value == pytest.approx(brute_pll(m, v), rel=1e-10, abs=1e-10)


def test_pll_takes_data_in_the_other_convention():
    m = model_with(3, 2, "spin")
    v = all_states(3, "binary")
    assert pseudo_log_likelihood(m, v).value == pytest.approx(brute_pll(m, all_states(3, "spin")), rel=1e-10)


def test_pll_estimate_is_labelled_and_close():
    m = model_with(3, 3, "binary", seed=3)
    v = all_states(3, "binary")
    exact = pseudo_log_likelihood(m, v)
    est = pseudo_log_likelihood(m, v, rng=np.random.default_rng(0), max_exact_hidden=0, n_samples=400)
    assert not est.exact and est.method.startswith("estimate")
    # the log of an average: biased by O(1/n_samples), so only a coarse agreement is asserted here
    # (the sampled ratio itself is tested against its exact mean and variance below)
    assert abs(est.value - exact.value) < 0.1


def test_sampled_ratio_matches_its_exact_expectation():
    """exp of the sampled term is the mean of exp(d_i (W_vh h)_i) over S draws of h ~ p(h | v):
    compared with the exact mean, within 5 exact standard errors (each of 12 comparisons
    two-sided p = 5.7e-7; 7e-6 for all), after 30 sweeps at T = 1 (3 hidden units: at equilibrium)."""
    m = model_with(3, 3, "spin", seed=4)
    v = all_states(3, "spin")[[0, 3, 5, 6]]
    d, _ = _visible_part(m, v)
    S = 2000
    got = np.exp(
        _sampled_hidden_term(
            m, v, d, rng=np.random.default_rng(1), n_samples=S, schedule=Schedule.constant(30), sampler=GibbsSampler()
        )
    )
    joint = ExactDistribution.of(m).p.reshape(2**3, 2**3)
    h = all_states(3, "spin")
    w_vh = m.weights[:3, 3:]
    for b, x in enumerate(v):
        p_h = joint[indices_from_states(x[None], "spin")[0]]
        p_h = p_h / p_h.sum()
        vals = np.exp(d[b][None, :] * (h @ w_vh.T))  # (K, nv)
        mean = p_h @ vals
        sd = np.sqrt(p_h @ vals**2 - mean**2)
        assert np.all(np.abs(got[b] - mean) < 5 * sd / np.sqrt(S))


def copy_model(nv, J, convention):
    """Hidden unit i coupled to visible unit i only, with strength J: a model that copies its data."""
    n = 2 * nv
    w = np.zeros((n, n))
    for i in range(nv):
        w[i, nv + i] = w[nv + i, i] = J
    b = np.zeros(n)
    if convention == "binary":  # the same model in binary units: fields -J/2 make the copy symmetric
        b[:] = -J / 2
    return BoltzmannMachine(w, b, nv, convention)


@pytest.mark.parametrize("convention", ["binary", "spin"])
def test_reconstruction_of_a_copying_model_is_near_zero(convention):
    # spin, J = 5: a hidden unit disagrees with its visible unit with probability sigmoid(-10) = 4.5e-5
    # per step, so about 9.1e-5 per unit for both steps; binary, J = 20 with fields -J/2: sigmoid(-10)
    # again.  200 vectors x 8 units = 1600 draws: expected 0.15 wrong; P(>= 4 wrong) ~ 0.15^4 / 24 = 2e-5
    J = 5.0 if convention == "spin" else 20.0
    m = copy_model(8, J, convention)
    v = np.random.default_rng(0).integers(0, 2, size=(200, 8))
    err = reconstruction_error(m, v, rng=np.random.default_rng(1), schedule=Schedule.constant(1))
    assert err <= 3 / 1600


@pytest.mark.parametrize("convention", ["binary", "spin"])
def test_reconstruction_of_a_zero_model_is_one_half(convention):
    # every unit a fair coin: wrong count ~ Binomial(1600, 1/2), sd 20, i.e. 0.0125 in the fraction;
    # 4.4 sd (two-sided p = 1e-5) is 0.055
    m = BoltzmannMachine(np.zeros((12, 12)), np.zeros(12), 8, convention)
    v = np.random.default_rng(0).integers(0, 2, size=(200, 8))
    err = reconstruction_error(m, v, rng=np.random.default_rng(2), schedule=Schedule.constant(1))
    assert abs(err - 0.5) < 0.055


def test_reconstruction_is_seeded():
    m = model_with(4, 3, "binary")
    v = all_states(4, "binary")
    a = reconstruction_error(m, v, rng=np.random.default_rng(5))
    assert a == reconstruction_error(m, v, rng=np.random.default_rng(5))


def test_bad_vectors_are_refused():
    m = model_with(4, 3, "binary")
    with pytest.raises(InputError, match=r"vectors must have shape \(n_vectors, 4\)"):
        pseudo_log_likelihood(m, np.zeros((3, 5)))
    with pytest.raises(InputError, match="rng must be a numpy.random.Generator"):
        pseudo_log_likelihood(m, np.zeros((3, 4)), max_exact_hidden=0)


@pytest.mark.parametrize("coupled", [True, False])
def test_chunked_sums_equal_the_whole(monkeypatch, coupled):
    """Arrays stay within _CHUNK floats by splitting vectors, then units: the same numbers."""
    import bmexp.likelihood as lik

    m = model_with(5, 4, "spin", hidden_coupled=coupled)
    v = all_states(5, "spin")
    whole = pseudo_log_likelihood(m, v).value
    monkeypatch.setattr(lik, "_CHUNK", 8)  # one vector, two units at a time
    assert pseudo_log_likelihood(m, v).value == pytest.approx(whole, rel=1e-13)


@pytest.mark.parametrize("connectivity", ["full", "restricted", "semi_restricted"])
def test_pll_of_a_restricted_model_is_the_exact_sum_of_one_unit_conditionals(connectivity):
    # (moved from bmexp.evaluation's former pseudo_log_likelihood, which this one replaces)
    from bmexp import zoo

    model = zoo.random_model(5, 3, rng=np.random.default_rng(0), connectivity=connectivity)
    p_v = ExactDistribution.of(model).visible_p()
    v = all_states(5)
    expected = np.zeros(len(v))
    for i in range(5):
        flipped = v.copy()
        flipped[:, i] = 1 - flipped[:, i]
        p, q = p_v[indices_from_states(v)], p_v[indices_from_states(flipped)]
        expected += np.log(p / (p + q))
    got = pseudo_log_likelihood(model, v)
    assert got.exact and got.value == pytest.approx(expected.mean(), rel=1e-12)
    # the same sum from free energies, log sigmoid(F(v^i) - F(v)): what sklearn's score_samples
    # estimates from one random unit (tests/adapters/test_sklearn.py reproduces that exactly)
    from bmexp.estimate import free_energy

    by_free_energy = sum(
        -np.logaddexp(0.0, -(free_energy(model, np.where(np.arange(5) == i, 1 - v, v)) - free_energy(model, v)))
        for i in range(5)
    )
    assert got.value == pytest.approx(np.mean(by_free_energy), rel=1e-12)
