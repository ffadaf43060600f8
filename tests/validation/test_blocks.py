"""check=blocks: exact block conditionals at any size -- correctness, calibration, power at n = 1,000."""

import numpy as np
import pytest
from scipy import stats

from bmexp import zoo
from bmexp.errors import InputError
from bmexp.exact import ExactDistribution
from bmexp.samplers import GibbsSampler
from bmexp.schedules import Schedule
from bmexp.states import states_from_indices
from bmexp.testing.mutants import FieldMutant
from bmexp.validation.blocks import check_blocks, choose_blocks, conditional_pit
from tests.conftest import assert_calibrated


class ExactConditionalSampler:
    """Draws exactly from p(free | clamped) for every chain (enumeration; small models): the null."""

    def __init__(self, model):
        self.exact = ExactDistribution.of(model)

    def __call__(self, model, *, rng, n_chains, schedule, init="random", clamp=None):
        from bmexp.samplers.gibbs import normalize_clamp

        n = model.n_units
        idx, vals = normalize_clamp(model, clamp, n_chains)
        if idx.size == 0:
            return states_from_indices(rng.choice(2**n, size=n_chains, p=self.exact.p), n, model.convention)
        out = np.empty((n_chains, n))
        groups, inverse = np.unique(vals, axis=0, return_inverse=True)
        free = np.setdiff1d(np.arange(n), idx)
        for g, values in enumerate(groups):
            rows = np.flatnonzero(inverse.reshape(-1) == g)
            p = self.exact.conditional_p(dict(zip(idx.tolist(), values)))
            out[np.ix_(rows, free)] = states_from_indices(
                rng.choice(p.size, size=rows.size, p=p), free.size, model.convention
            )
            out[np.ix_(rows, idx)] = values
        return out


@pytest.mark.parametrize("convention", ["binary", "spin"])
def test_pit_is_exactly_the_conditional_cdf(convention):
    """For one context, the exact per-unit frequencies equal ExactDistribution's conditional marginals,
    and the PIT of exact conditional draws is uniform."""
    model = zoo.random_model(4, 3, rng=np.random.default_rng(0), convention=convention)
    exact = ExactDistribution.of(model)
    rng = np.random.default_rng(1)
    block = np.array([1, 4, 6])
    context = states_from_indices(np.array([37]), 7, convention)
    rest = [0, 2, 3, 5]
    p = exact.conditional_p({u: context[0, u] for u in rest})
    draws = states_from_indices(rng.choice(p.size, size=40_000, p=p), 3, convention)
    u, expected_on, observed_on = conditional_pit(model, block, context, np.zeros(40_000, dtype=int), draws, rng)
    on = model.convention.values[1]
    marg = [(states_from_indices(np.arange(8), 3, convention)[:, k] == on) @ p for k in range(3)]
    np.testing.assert_allclose(expected_on, marg, atol=1e-12)
    assert stats.kstest(u, "uniform").pvalue > 0.001


def test_correct_samplers_pass_and_clamps_are_held():
    model = zoo.random_model(20, 20, rng=np.random.default_rng(2), weight_scale=0.3)
    for sampler in (GibbsSampler(), GibbsSampler(rule="metropolis", scan="random")):
        r = check_blocks(model, sampler, rng=np.random.default_rng(3), n_blocks=3, block_size=6)
        assert r.passed, r.report()
        assert r.n > 1000 and len(r.extra["blocks"]) == 3


def test_a_sampler_that_moves_clamped_units_fails():
    def leaky(model, *, rng, n_chains, schedule, init="random", clamp=None):
        s = GibbsSampler()(model, rng=rng, n_chains=n_chains, schedule=schedule, init=init, clamp=clamp).states.copy()
        s[::10, 0] = -s[::10, 0] if model.convention.value == "spin" else 1.0 - s[::10, 0]
        return s

    model = zoo.random_model(6, 6, rng=np.random.default_rng(4))
    r = check_blocks(model, leaky, rng=np.random.default_rng(5), blocks=[[3, 4, 5]], n=200)
    assert not r.passed and "changed clamped units in 20 chains: clamps are not held" in r.message


@pytest.mark.slow
def test_blocks_check_is_calibrated():
    """200 seeded replicates with exact conditional draws: each block's PIT p-values are uniform and
    the Holm verdict rejects inside the 99% Clopper-Pearson interval around alpha (or below: Holm
    across blocks is conservative)."""
    model = zoo.random_model(4, 4, rng=np.random.default_rng(6))
    sampler = ExactConditionalSampler(model)
    rng = np.random.default_rng(7)
    reps, rejections, block_p = 200, 0, []
    for _ in range(reps):
        r = check_blocks(model, sampler, rng=rng, blocks=[[0, 1, 2], [5, 6]], contexts=8, n=500)
        rejections += not r.passed
        block_p.extend(r.table["p_value"])
    ci = stats.binomtest(rejections, reps, 0.01).proportion_ci(confidence_level=0.99)
    assert ci.low <= 0.01, (rejections, ci)
    block_p = np.array(block_p)
    assert_calibrated(int(np.sum(block_p < 0.01)), block_p, block_p.size)


def _lattice_1024():
    return zoo.lattice(32, 1.0, temperature=2.5)  # couplings 0.4: fields and couplings of order 1


@pytest.mark.slow
@pytest.mark.parametrize("bug", ["stale_beyond_64", "wrong_row_above", "stale_between_sweeps"])
def test_large_model_mutants_are_rejected_at_1024_units(bug):
    """Bugs no model of a few units can show, each rejected at n = 1,024 (blocks: 12 neighbours in a
    row of the torus, beyond unit 64 and beyond n / 2); the same sampler without the bug passes."""
    model = _lattice_1024()
    blocks = [list(range(r * 32 + 4, r * 32 + 16)) for r in (9, 25)]
    kwargs = dict(blocks=blocks, contexts=16, n=1000, schedule=Schedule.default())
    assert not check_blocks(model, FieldMutant(bug), rng=np.random.default_rng(8), **kwargs).passed
    if bug == "stale_beyond_64":  # one control run is enough (the three bugs share the sampler)
        assert check_blocks(model, FieldMutant("none"), rng=np.random.default_rng(8), **kwargs).passed


@pytest.mark.parametrize(
    "blocks, message",
    [
        ([list(range(13))], r"blocks\[0\] has 13 units; a block must have 1 to 12 units"),
        ([[0, 1], [1, 2]], r"blocks must not overlap: unit 1 is in block 0 and block 1"),
        ([[0, "h99"]], r"blocks\[0\] names unit 'h99', which is not a unit of the model"),
        ([[]], r"blocks\[0\] has 0 units"),
        ([[0, 0]], r"blocks\[0\] repeats unit 0: a block lists each unit once"),
        ("v1", r"blocks must be a non-empty list of blocks"),
    ],
)
def test_bad_blocks_are_named(blocks, message):
    model = zoo.random_model(20, 20, rng=np.random.default_rng(9))
    with pytest.raises(InputError, match=message):
        choose_blocks(model, blocks)


def test_random_blocks_are_disjoint_and_sized():
    model = zoo.random_model(30, 0, rng=np.random.default_rng(10))
    blocks = choose_blocks(model, n_blocks=4, block_size=7, rng=np.random.default_rng(11))
    units = np.concatenate(blocks)
    assert len(blocks) == 4 and all(b.size == 7 for b in blocks) and np.unique(units).size == 28
    # blocks that do not fit are refused (they ran silently fewer); left None, the defaults are cut to fit
    with pytest.raises(
        InputError, match=r"^n_blocks = 9 disjoint blocks of 12 units need 108 units; the model has 30: "
    ):
        choose_blocks(model, n_blocks=9, block_size=12, rng=np.random.default_rng(1))
    assert len(choose_blocks(model, block_size=12, rng=np.random.default_rng(1))) == 2  # 30 // 12
    assert [b.size for b in choose_blocks(model, rng=np.random.default_rng(1))] == [10, 10, 10]  # 8 of 10 do not fit
    tiny = zoo.random_model(2, 2, rng=np.random.default_rng(10))
    assert [b.size for b in choose_blocks(tiny, rng=np.random.default_rng(1))] == [4]
    with pytest.raises(InputError, match=r"^block_size = 5 is more than the model's 4 units$"):
        choose_blocks(tiny, block_size=5, rng=np.random.default_rng(1))
    with pytest.raises(InputError, match="block_size"):
        choose_blocks(model, n_blocks=2, block_size=13, rng=np.random.default_rng(1))


def test_a_sampler_written_from_the_readme_contract_passes():
    """A plain numpy heat-bath sampler that knows only the documented forms (clamp: a mapping unit ->
    value or one value per chain; init: "random" or (n_chains, n_units) states)."""
    from scipy.special import expit

    def plain(model, *, rng, n_chains, schedule, init="random", clamp=None):
        off, on = model.convention.values
        s = np.where(rng.random((n_chains, model.n_units)) < 0.5, on, off) if isinstance(init, str) else init.copy()
        held = dict(clamp or {})
        for unit, value in held.items():
            s[:, unit] = value
        for temperature, sweeps in schedule.steps:
            for _ in range(sweeps):
                for i in range(model.n_units):
                    if i not in held:
                        gap = (on - off) * (s @ model.weights[:, i] + model.biases[i])
                        s[:, i] = np.where(rng.random(n_chains) < expit(gap / temperature), on, off)
        return s

    model = zoo.random_model(10, 10, rng=np.random.default_rng(12), weight_scale=0.3)
    assert check_blocks(model, plain, rng=np.random.default_rng(13), n_blocks=2, block_size=5, n=1500).passed


def test_too_few_chains_are_refused_with_the_minimum():
    """n = 1 ran a test that cannot reject: at least MIN_N = 100 chains (every PIT bin expecting 5)."""
    from bmexp.validation.blocks import MIN_N

    assert MIN_N == 100
    model = zoo.random_model(6, 0, rng=np.random.default_rng(10))
    with pytest.raises(InputError, match=r"^n must be an integer >= 100; received 99$"):
        check_blocks(model, rng=np.random.default_rng(1), n=99)
