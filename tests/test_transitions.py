import numpy as np
import pytest

from bmexp import ExactDistribution, InputError, random_model, slide35
from bmexp.samplers import gibbs_sample
from bmexp.schedules import Schedule
from bmexp.states import indices_from_states
from bmexp.transitions import schedule_output, start_distribution
from bmexp.validation import gof_test


def tv(a, b):
    return 0.5 * np.abs(a - b).sum()


def six():
    return random_model(4, 2, rng=np.random.default_rng(11), bias_scale=0.7)


@pytest.mark.parametrize("scan", ["sequential", "random"])
@pytest.mark.parametrize("convention", ["binary", "spin"])
def test_long_schedule_output_is_the_boltzmann_distribution(scan, convention):
    m = six().to(convention)
    out = schedule_output(m, Schedule.constant(300), scan=scan)
    np.testing.assert_allclose(out, ExactDistribution.of(m).p, atol=1e-12)
    assert out.sum() == pytest.approx(1.0, abs=1e-12)


def test_one_sweep_falls_measurably_short():
    m = six()
    out = schedule_output(m, Schedule.constant(1))
    assert tv(out, ExactDistribution.of(m).p) > 0.05


def test_single_site_update_by_hand():
    # one unit, field b: after one update from anywhere, p(on) = sigmoid(b / T)
    from bmexp import BoltzmannMachine
    m = BoltzmannMachine(np.zeros((1, 1)), np.array([0.7]), n_visible=1)
    out = schedule_output(m, Schedule.constant(1, T=2.0), start="off")
    assert out[1] == pytest.approx(1 / (1 + np.exp(-0.35)), rel=1e-14)


def test_samples_match_the_exact_schedule_output_not_boltzmann():
    # a sampler bug vs a short schedule: 1-sweep samples follow the exact 1-sweep output
    m = six()
    sched = Schedule.constant(1)
    out = schedule_output(m, sched)
    res = gibbs_sample(m, rng=np.random.default_rng(8), n_chains=40000, schedule=sched)
    counts = np.bincount(indices_from_states(res.states), minlength=64)
    assert not gof_test(counts, out).reject
    assert gof_test(counts, ExactDistribution.of(m).p).reject


def test_clamped_schedule_output_is_the_conditional_when_long():
    m = slide35()
    out = schedule_output(m, Schedule.constant(200), clamp={2: 1, 3: 1})
    cond = ExactDistribution.of(m).conditional_p({2: 1, 3: 1})
    np.testing.assert_allclose(out.reshape(4, 4)[:, 3], cond, atol=1e-12)  # h = 11 is the last column
    assert out.reshape(4, 4)[:, :3].sum() == 0.0


def test_start_distribution_errors_and_limit():
    m = slide35()
    with pytest.raises(InputError, match=r"start must be 'random', 'off' or a probability vector"):
        start_distribution(m, "hot")
    with pytest.raises(InputError, match=r"start must be a probability vector of length 16"):
        start_distribution(m, np.ones(8) / 8)
    big = random_model(7, 6, rng=np.random.default_rng(0))
    with pytest.raises(InputError, match=r"n_units <= max_units = 12"):
        schedule_output(big, Schedule.constant(1))
