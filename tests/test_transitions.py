import numpy as np
import pytest

from bmexp import ExactDistribution, InputError, random_model, slide35
from bmexp.samplers import GibbsSampler, Kernel, gibbs_sample
from bmexp.schedules import Schedule
from bmexp.states import indices_from_states
from bmexp.transitions import schedule_output, start_distribution
from bmexp.validation import gof_test


def tv(a, b):
    return 0.5 * np.abs(a - b).sum()


def six():
    return random_model(4, 2, rng=np.random.default_rng(11), bias_scale=0.7)


KERNELS = [Kernel(rule, scan) for rule in ("heat_bath", "metropolis") for scan in ("sequential", "random")]


@pytest.mark.parametrize("kernel", KERNELS, ids=str)
@pytest.mark.parametrize("convention", ["binary", "spin"])
def test_long_schedule_output_is_the_boltzmann_distribution(kernel, convention):
    m = six().to(convention)
    out = schedule_output(m, Schedule.constant(300), kernel=kernel)
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


# ------------------------------------------------------------------ every kernel, brute force
def _dense_site_matrix(model, i, temperature, rule):
    """K_i as a dense 2**n x 2**n matrix, from full energies (no local fields, no gaps)."""
    from bmexp.states import all_states

    states = all_states(model.n_units, model.convention)
    energy = model.energy(states)
    size, bit = 2**model.n_units, 1 << (model.n_units - 1 - i)
    k = np.zeros((size, size))
    for x in range(size):
        y = x ^ bit  # x with unit i flipped
        d_e = energy[y] - energy[x]
        if rule == "heat_bath":
            p_move = 1.0 / (1.0 + np.exp(d_e / temperature))
        else:
            p_move = min(1.0, np.exp(-d_e / temperature))
        k[x, y], k[x, x] = p_move, 1.0 - p_move
    return k


def _brute_force_output(model, schedule, kernel, free):
    n = model.n_units
    p = np.full(2**n, 1.0 / 2**n)
    for temperature, sweeps in schedule.steps:
        site = [_dense_site_matrix(model, i, temperature, kernel.rule) for i in range(n)]
        if kernel.scan == "sequential":
            sweep = np.eye(2**n)
            for i in free:
                sweep = sweep @ site[i]
        else:  # n updates, each at a uniformly chosen unit; a held unit chosen stays
            one = sum(site[i] if i in free else np.eye(2**n) for i in range(n)) / n
            sweep = np.linalg.matrix_power(one, n)
        p = p @ np.linalg.matrix_power(sweep, sweeps)
    return p


@pytest.mark.parametrize("kernel", KERNELS, ids=str)
@pytest.mark.parametrize("convention", ["binary", "spin"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_kernels_exact_output_is_the_markov_matrix_product(kernel, convention, seed):
    rng = np.random.default_rng(seed)
    m = random_model(2, 2, rng=rng, weight_scale=1.5, bias_scale=0.8).to(convention)
    sched = Schedule.explicit([3.0, 1.7, 1.0], sweeps_per_temperature=[1, 2, 3])
    out = schedule_output(m, sched, kernel=kernel)
    np.testing.assert_allclose(out, _brute_force_output(m, sched, kernel, range(4)), rtol=0, atol=1e-14)
    held = schedule_output(m, sched, kernel=kernel, fixed=[1])  # unit 1 never updated
    np.testing.assert_allclose(held, _brute_force_output(m, sched, kernel, [0, 2, 3]), rtol=0, atol=1e-14)


def test_metropolis_single_site_update_by_hand():
    # one unit, field b > 0 at T: from off it always turns on; from on it leaves with exp(-b / T)
    from bmexp import BoltzmannMachine

    m = BoltzmannMachine(np.zeros((1, 1)), np.array([0.7]), n_visible=1)
    met = Kernel("metropolis", "sequential")
    assert schedule_output(m, Schedule.constant(1, T=2.0), start="off", kernel=met)[1] == 1.0
    one = schedule_output(m, Schedule.constant(1, T=2.0), start=np.array([0.0, 1.0]), kernel=met)
    assert one[0] == pytest.approx(np.exp(-0.35), rel=1e-14)
    # zero field: Metropolis flips every time (period 2), heat bath mixes at once
    z = BoltzmannMachine(np.zeros((1, 1)), np.zeros(1), n_visible=1)
    assert schedule_output(z, Schedule.constant(3), start="off", kernel=met).tolist() == [0.0, 1.0]


def test_an_unknown_kernel_has_no_exact_output():
    with pytest.raises(InputError, match=r"kernel must be a declared bmexp.samplers.Kernel"):
        schedule_output(slide35(), Schedule.constant(1), kernel=Kernel("unknown", "unknown"))
    with pytest.raises(InputError, match=r"kernel rule must be one of \['heat_bath', 'metropolis'\]; received 'gibbs'"):
        Kernel("gibbs", "sequential")


@pytest.mark.parametrize("rule", ["heat_bath", "flip", "metropolis"])
@pytest.mark.parametrize("scan", ["sequential", "random"])
def test_each_rule_samples_its_own_kernels_output_not_the_others(rule, scan):
    # 2 sweeps from random starts: far from Boltzmann, and the four kernels' outputs differ
    m = six()
    sched = Schedule.constant(2)
    sampler = GibbsSampler(rule=rule, scan=scan)
    res = sampler(m, rng=np.random.default_rng(3), n_chains=60_000, schedule=sched)
    counts = np.bincount(indices_from_states(res.states), minlength=64)
    own = schedule_output(m, sched, kernel=sampler.kernel)
    assert not gof_test(counts, own).reject
    for other in KERNELS:
        if other != sampler.kernel:
            assert tv(schedule_output(m, sched, kernel=other), own) > 0.02
            assert gof_test(counts, schedule_output(m, sched, kernel=other)).reject


def test_a_start_off_with_a_unit_clamped_on_is_what_the_samplers_do():
    """The samplers set a clamped unit whatever the start gave it; the exact reference refused start "off" with
    a unit clamped on ("probability 0 to the clamp", an outside tester).  One sweep of 20,000 chains against
    the exact output, chi-square at alpha = 0.01 (a correct sampler fails it 1% of the time; this seed does
    not); its power: the output of one sweep is far from the clamped start itself."""
    m = six()
    start = start_distribution(m, "off", {1: 1})
    only = np.zeros(m.n_units)
    only[1] = 1
    assert start[indices_from_states(only[None], m.convention)[0]] == 1.0
    schedule = Schedule.constant(1)
    exact = schedule_output(m, schedule, start="off", clamp={1: 1})
    out = GibbsSampler()(m, rng=np.random.default_rng(5), n_chains=20_000, schedule=schedule, init="off", clamp={1: 1})
    counts = np.bincount(indices_from_states(out.states, m.convention), minlength=2**m.n_units)
    assert not gof_test(counts, exact, alpha=0.01).reject
    assert tv(exact, start) > 0.5


def test_exact_outputs_take_clamps_as_the_samplers_do():
    """Unit names and numpy values, as the samplers take them (outside tester: a name was a TypeError, and
    a value of 2 was silently read as 'off')."""
    from bmexp.samplers import ParallelTempering
    from bmexp.transitions import pt_output

    m, schedule = slide35(), Schedule.constant(2)
    by_index = schedule_output(m, schedule, clamp={3: 1})
    np.testing.assert_array_equal(schedule_output(m, schedule, clamp={"h2": np.float32(1)}), by_index)
    np.testing.assert_array_equal(schedule_output(m, schedule, clamp=([3], [1])), by_index)
    assert by_index.reshape(2, 2, 2, 2)[..., 0].sum() == 0  # h2 held on
    pt = ParallelTempering(ladder=[1, 2])
    np.testing.assert_array_equal(
        pt.schedule_output(m, schedule, clamp={"h2": 1}), pt.schedule_output(m, schedule, clamp={3: 1})
    )
    np.testing.assert_array_equal(
        pt_output(m, schedule, [1, 2], clamp={"v1": 0}), pt_output(m, schedule, [1, 2], clamp={0: 0})
    )
    for clamp in ({0: 2}, {"x": 1}, {0: np.array([1, 0])}):
        with pytest.raises(InputError, match="clamp"):
            schedule_output(m, schedule, clamp=clamp)
