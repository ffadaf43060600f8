"""Two-sample comparison of samplers where nothing is exact."""

import numpy as np
import pytest
from scipy import stats

from bmexp import zoo
from bmexp.errors import InputError
from bmexp.exact import ExactDistribution
from bmexp.model import BoltzmannMachine
from bmexp.samplers import GibbsSampler
from bmexp.states import states_from_indices
from bmexp.validation.compare import compare_samplers, compare_samples


def _exact(model, n, rng):
    p = ExactDistribution.of(model).p
    return states_from_indices(rng.choice(p.size, size=n, p=p), model.n_units, model.convention)


def test_two_correct_samplers_agree_on_a_large_model():
    model = zoo.random_model(60, 40, rng=np.random.default_rng(0), weight_scale=0.1)
    r = compare_samplers(model, GibbsSampler(), GibbsSampler(rule="metropolis"), rng=np.random.default_rng(1), n=3000)
    assert r.passed, r.report()
    assert {"energy", "magnetisation", "unit v1", "unit h40"} <= set(r.table["test"])
    assert r.extra["pairs"] == 200


def test_a_sampler_at_the_wrong_temperature_differs():
    model = zoo.random_model(6, 6, rng=np.random.default_rng(2))
    hot = BoltzmannMachine(model.weights / 1.2, model.biases / 1.2, n_visible=6)
    rng = np.random.default_rng(3)
    r = compare_samples(model, _exact(model, 5000, rng), _exact(hot, 5000, rng))
    assert not r.passed and "DIFFER" in r.message


@pytest.mark.slow
def test_compare_is_calibrated():
    """200 seeded pairs of exact samples from one model: Holm's verdict rejects at most alpha of the
    time (99% Clopper-Pearson) and the energy test's p-values are uniform (KS)."""
    model = zoo.random_model(2, 2, rng=np.random.default_rng(4))  # 1 + 1 + 4 + 6 tests a replicate
    rng = np.random.default_rng(5)
    reps, rejections, energy_p = 200, 0, []
    for _ in range(reps):
        r = compare_samples(model, _exact(model, 2000, rng), _exact(model, 2000, rng), rng=rng)
        rejections += not r.passed
        energy_p.append(float(r.table.set_index("test").loc["energy", "p_value"]))
    ci = stats.binomtest(rejections, reps, 0.01).proportion_ci(confidence_level=0.99)
    assert ci.low <= 0.01, (rejections, ci)
    assert stats.ks_1samp(energy_p, stats.uniform.cdf).pvalue > 0.001


def test_one_long_chain_is_thinned_before_it_is_compared():
    model = zoo.random_model(3, 3, rng=np.random.default_rng(6))
    rng = np.random.default_rng(7)
    sticky = np.repeat(_exact(model, 400, rng), 25, axis=0)  # each state held 25 draws
    from bmexp.validation.correlation import CorrelatedDrawsError

    with pytest.raises(CorrelatedDrawsError):
        compare_samples(model, sticky, _exact(model, 10_000, rng), chain=True)


@pytest.mark.parametrize(
    "a, message",
    [
        (np.zeros((10, 3)), r"a must be states of shape \(draws >= 2, 12\)"),
        (np.full((10, 12), 0.5), "a must contain only binary values"),
        ("abc", r"a must be states of shape \(draws >= 2, 12\)"),
    ],
)
def test_bad_samples_are_named(a, message):
    model = zoo.random_model(6, 6, rng=np.random.default_rng(8))
    with pytest.raises(InputError, match=message):
        compare_samples(model, a, np.zeros((10, 12)))
