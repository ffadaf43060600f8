"""Per-chain Philox streams: the generator's known answers, the compiled and NumPy streams equal, the
thresholds, and kernels that draw their own numbers giving what the explicit kernels give on the same
numbers -- whatever the number of chains, threads or buffer refills."""

import numba
import numpy as np
import pytest
from numba import njit

from bmexp import _kernels, random_model, streams
from bmexp.samplers import ParallelTempering, gibbs_sample, set_threads
from bmexp.samplers.gibbs import _recording
from bmexp.samplers.pt import geometric_ladder
from bmexp.schedules import Schedule
from bmexp.streams import thresholds_inplace
from tests.test_pt import _run_kernel


def _ulps(got, exact):
    """|got - exact| in units of got's last place (exact in long double: 64-bit mantissa on x86)."""
    return np.abs(got.astype(np.longdouble) - exact) / np.spacing(np.abs(got))


@pytest.mark.parametrize("logistic", [True, False])
def test_compiled_thresholds_are_within_one_ulp_and_touch_only_their_block(logistic):
    # fdlibm's log has error < 1 ulp: over 10^6 of numpy's uniforms and the extreme ones
    # (2**-53, 1 - 2**-53, either side of the sqrt(2)/2 reduction boundary), every threshold is
    # within one ulp of log of the same float64 argument computed in long double, as numpy's is.
    if np.finfo(np.longdouble).nmant < 63:
        pytest.skip("needs x87 long double for the reference")
    rng = np.random.default_rng(11)
    buf = rng.random((500, 2_010))
    buf[0, 5:10] = [2**-53, 0.5, 1 - 2**-53, 0.7071067811865476, 0.7071067811865475]
    before = buf.copy()
    block = buf[:, 5:2_005]  # rows contiguous, row stride longer than the block
    thresholds_inplace(block, logistic=logistic)
    u = before[:, 5:2_005]
    arg = u / (1 - u) if logistic else u
    assert _ulps(block, np.log(arg.astype(np.longdouble))).max() < 1.0
    assert _ulps(np.log(arg), np.log(arg.astype(np.longdouble))).max() < 1.0  # numpy's, the reference
    np.testing.assert_array_equal(buf[:, :5], before[:, :5])
    np.testing.assert_array_equal(buf[:, 2_005:], before[:, 2_005:])


def test_compiled_thresholds_refuse_what_they_cannot_address():
    with pytest.raises(ValueError, match="contiguous"):
        thresholds_inplace(np.zeros((3, 8))[:, ::2])
    with pytest.raises(ValueError, match="2-D"):
        thresholds_inplace(np.zeros(4))


def test_logit_thresholds():
    u = np.array([[0.0, 0.25, 0.5, 0.75]])
    thresholds_inplace(u)
    np.testing.assert_allclose(u[0, 1:], [np.log(1 / 3), 0.0, np.log(3)], rtol=1e-15)
    assert u[0, 0] == -np.inf


# Random123's kat_vectors for philox4x32_10: (counter, key) -> output
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]


@njit
def _philox(c0, c1, c2, c3, k0, k1):
    return _kernels.philox4x32(c0, c1, c2, c3, k0, k1)


@pytest.mark.parametrize("counter, key, expected", KAT)
def test_philox_gives_the_known_answers_in_numba_and_numpy(counter, key, expected):
    got = _philox(*(np.uint64(x) for x in counter), *(np.uint64(x) for x in key))
    assert tuple(int(x) for x in got) == expected
    assert tuple(int(x) for x in streams.philox4x32(counter, key)) == expected


def test_the_kernels_streams_are_numpys_and_uniforms_have_53_bits():
    assert (int(_kernels._START), int(_kernels._UPDATES), int(_kernels._SWAPS)) == (
        streams.START,
        streams.UPDATES,
        streams.SWAPS,
    )
    key = streams.draw_key(np.random.default_rng(4))
    # blocks past 2**32 too: the block counter's high word
    for block0 in (0, 2**32 - 150):
        got = _kernels.philox_uniforms(key & 0xFFFFFFFF, key >> 32, 1000, 5, streams.UPDATES, block0, 300)
        want = streams.philox_uniforms(key, np.arange(1000, 1005), streams.UPDATES, 300, block0)
        np.testing.assert_array_equal(got, want)
    assert np.all((want >= 0) & (want < 1)) and np.all(want * 2.0**53 == np.floor(want * 2.0**53))
    assert len(np.unique(want)) == want.size
    other = streams.philox_uniforms(key, np.arange(1000, 1005), streams.START, 300, block0)
    assert not np.any(other == want)  # the start and the updates are different streams
    # the exact conversion keeps the 53rd bit: odd multiples of 2**-53 are about half
    odd = np.mod(want * 2.0**53, 2) == 1
    assert 0.45 < odd.mean() < 0.55  # 3,000 values: sd 0.009, so +-0.05 is > 5 sd


def test_the_streams_are_uniform():
    # 2 x 10^6 uniforms of 20 chains: a chi-square test of 100 equal bins and the lag-1 correlation
    # within each chain, at alpha = 1e-3 each (a correct generator fails 0.1% of seeds; this seed is fixed)
    from scipy import stats

    u = streams.philox_uniforms(streams.draw_key(np.random.default_rng(8)), np.arange(20), streams.UPDATES, 50_000)
    counts = np.bincount((u.ravel() * 100).astype(int), minlength=100)
    assert stats.chisquare(counts).pvalue > 1e-3
    r = np.mean([np.corrcoef(row[:-1], row[1:])[0, 1] for row in u])
    assert abs(r) < 3.3 / np.sqrt(u.size)  # the mean of 20 correlations of 10^5 pairs: sd 1 / sqrt(2 x 10^6)


@pytest.mark.parametrize("logistic", [True, False])
def test_the_kernels_thresholds_are_the_numpy_paths_bit_for_bit(logistic):
    @njit
    def draw(count, logistic):
        thr, site = np.empty(count + 1), np.empty(count)
        _kernels._draw(thr, site, np.uint64(3), 0, count, 5, 7, False, logistic)
        return thr[:count]

    want = streams.philox_uniforms(5 + (7 << 32), [3], streams.UPDATES, 501)[:, :1001]
    thresholds_inplace(want, logistic)
    np.testing.assert_array_equal(draw(1001, logistic), want[0])


def _gibbs(kind, philox, model, start, noise, key, sched, rule, scan, clamped, chain0=0):
    n, chains = model.n_units, start.shape[0]
    free = np.flatnonzero(~clamped)
    states = start.copy()
    betas, record_at, energy, trace_at, trace = _recording(sched, chains, n, True, 3)
    _kernels.KERNELS[(kind, chains > 40, True, philox)](
        states,
        model.weights,
        model.biases,
        *(float(v) for v in model.convention.values),
        betas,
        record_at,
        clamped,
        free,
        np.arange(free.size),
        n if scan == "random" else free.size,
        noise,
        key & 0xFFFFFFFF,
        key >> 32,
        chain0,
        rule != "metropolis",
        _kernels.HEAT_BATH if rule == "heat_bath" else _kernels.FLIP,
        scan == "random",
        energy,
        trace_at,
        trace,
    )
    return states, energy, trace


@pytest.mark.parametrize(
    "n_visible, scan, rule, clamp",
    [
        (3, "sequential", "heat_bath", []),
        (3, "sequential", "flip", [1, 4]),  # 3 free units a sweep: odd, blocks of two straddle sweeps
        (3, "random", "metropolis", [2]),
        (9, "sequential", "metropolis", [0]),  # 18 units: the narrow and wide kernels only
        (9, "random", "heat_bath", []),
    ],
)
def test_kernels_that_draw_their_numbers_run_what_the_explicit_kernels_run_on_them(n_visible, scan, rule, clamp):
    """Every Gibbs kernel that draws its own numbers (refilling its buffer many times: 60 sweeps) gives
    the states, energies and traces the explicit kernels give on the same streams laid out by NumPy."""
    model = random_model(n_visible, n_visible, rng=np.random.default_rng(5), weight_scale=0.6, bias_scale=0.4)
    n, chains = model.n_units, 133  # the row kernel: 16 groups of 8 chains side by side and one of 5
    sched = Schedule.linear(8, 1, sweeps_per_temperature=5) if rule != "metropolis" else Schedule.constant(60)
    clamped = np.isin(np.arange(n), clamp)
    key = streams.draw_key(np.random.default_rng(6))
    n_free = n if scan == "random" else n - len(clamp)
    noise = streams.explicit_uniforms(key, np.arange(chains), n, sched.total_sweeps * n_free, scan == "random")
    thresholds_inplace(noise[:, n : n + sched.total_sweeps * n_free], rule != "metropolis")
    start = np.where(noise[:, :n] < 0.5, 1.0, 0.0)
    kinds = ("table", "narrow", "wide") if n <= _kernels.TABLE_MAX_UNITS else ("narrow", "wide")
    want = _gibbs(kinds[0], False, model, start, noise, key, sched, rule, scan, clamped)
    assert not np.array_equal(want[0], start)
    for kind in kinds:
        got = _gibbs(kind, True, model, start, np.zeros((1, 1)), key, sched, rule, scan, clamped)
        np.testing.assert_array_equal(got[0], want[0], err_msg=kind)  # states
        np.testing.assert_array_equal(got[2], want[2], err_msg=kind)  # traces
        # energies: the table kernel sums them in another order
        np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-12, err_msg=kind)
    # the last 10 chains alone (streams 123..132; one chain a group): the same states
    for kind in kinds:
        alone = _gibbs(kind, True, model, start[123:], np.zeros((1, 1)), key, sched, rule, scan, clamped, chain0=123)
        np.testing.assert_array_equal(alone[0], want[0][123:], err_msg=kind)


def _pt_noise(key, chains, R, n, sweeps, rule, scan, swap):
    """The explicit PT kernels' input on the chains' streams: thresholds and log-uniforms as the kernels make them."""
    noise = streams.pt_explicit_uniforms(key, np.arange(chains), R, n, sweeps, scan == "random", swap)
    n_upd = sweeps * R * n
    thresholds_inplace(noise[:, R * n : R * n + n_upd], rule != "metropolis")
    swaps = noise[:, R * n + n_upd * (2 if scan == "random" else 1) :]
    choosers = swaps.reshape(chains, sweeps, R)[:, :, 0].copy() if swap != "deo" else None
    thresholds_inplace(swaps, logistic=False)
    if choosers is not None:  # the first of each sweep's R chooses the pairs: a uniform
        swaps.reshape(chains, sweeps, R)[:, :, 0] = choosers
    return noise


def _pt(kernel, model, start, noise, key, betas, rule, scan, swap, clamped, chain0=0, parity0=0):
    code = {"deo": _kernels.DEO, "seo": _kernels.SEO, "random_pair": _kernels.RANDOM_PAIR}[swap]
    rule_code = _kernels.HEAT_BATH if rule == "heat_bath" else _kernels.FLIP
    args = (rule_code, scan == "random", code, clamped, key, chain0, rule != "metropolis", parity0)
    return _run_kernel(kernel, model, start, noise, betas, *args)


@pytest.mark.parametrize(
    "n_visible, rule, scan, swap, parity0",
    [
        (3, "heat_bath", "sequential", "deo", 0),
        (3, "flip", "random", "seo", 0),
        (3, "metropolis", "sequential", "random_pair", 0),
        (3, "heat_bath", "random", "deo", 1),  # rounds starting odd: the last (odd) sweep reads its pair's second part
        (10, "heat_bath", "sequential", "deo", 0),  # 20 units: the branching / branchless / view kernels
        (10, "flip", "sequential", "deo", 1),
        (10, "flip", "random", "random_pair", 0),
        (48, "heat_bath", "sequential", "deo", 1),  # 96 units: groups of 2 chains (of 4 below 96 units)
    ],
)
def test_pt_kernels_that_draw_their_numbers_run_what_the_explicit_kernels_run_on_them(
    n_visible, rule, scan, swap, parity0
):
    model = random_model(n_visible, n_visible, rng=np.random.default_rng(7), weight_scale=0.4, bias_scale=0.5)
    chains, R, n, sweeps = 70, 5, model.n_units, 41  # odd R and sweeps: swap numbers straddle blocks and refills
    # (70 chains: the row kernel's groups of 4 chains side by side below 96 units, the last of 2; from 96, of 2)
    key = streams.draw_key(np.random.default_rng(8))
    betas = np.tile(1 / geometric_ladder(R, 5.0), (sweeps, 1))
    noise = _pt_noise(key, chains, R, n, sweeps, rule, scan, swap)
    start = np.where(noise[:, : R * n] < 0.5, 1.0, 0.0).reshape(chains, R, n)
    clamped = np.isin(np.arange(n), [1])
    explicit = _kernels.PT_KERNELS[(False, False, False, False)]
    want = _pt(explicit, model, start, noise, key, betas, rule, scan, swap, clamped, parity0=parity0)
    assert want[3][:, R - 1 : 2 * (R - 1)].sum() > 0 and (want[0] != start).any()
    kernels = {v: k for v, k in _kernels.PT_KERNELS.items() if v[-1]}
    if n <= _kernels.TABLE_MAX_UNITS:
        kernels.update({("table", p): k for (p, x), k in _kernels.PT_TABLE_KERNELS.items() if x})
    for variant, kernel in kernels.items():
        got = _pt(kernel, model, start, np.zeros((1, 1)), key, betas, rule, scan, swap, clamped, parity0=parity0)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w, err_msg=str(variant))
    # the last 65 chains (groups of 4 below 96 units, the last alone), 32 (groups of 2) and 4 (one chain a group)
    for variant, kernel in kernels.items():
        for c0 in (5, 38, 66):
            alone = _pt(kernel, model, start[c0:], np.zeros((1, 1)), key, betas, rule, scan, swap, clamped, c0, parity0)
            np.testing.assert_array_equal(alone[0], want[0][c0:], err_msg=str(variant))


@pytest.mark.parametrize("scan", ["sequential", "random"])
def test_a_chains_trajectory_ignores_threads_and_chain_count(scan):
    m = random_model(6, 4, rng=np.random.default_rng(1), weight_scale=0.5, bias_scale=0.3)
    kw = dict(n_chains=1000, schedule=Schedule.constant(40), scan=scan, clamp={0: 1.0, 3: 0.0})
    ref = gibbs_sample(m, rng=np.random.default_rng(2), **kw).states  # 1000 x 40 x 10 >= 2**18: the parallel kernel
    set_threads(1)
    try:
        np.testing.assert_array_equal(gibbs_sample(m, rng=np.random.default_rng(2), **kw).states, ref)
        pt = ParallelTempering(replicas=3)
        a = pt(m, rng=np.random.default_rng(3), n_chains=2000, schedule=Schedule.constant(50)).replica_states
    finally:
        set_threads(numba.config.NUMBA_NUM_THREADS)
    few = {**kw, "n_chains": 5}  # the serial kernel
    np.testing.assert_array_equal(gibbs_sample(m, rng=np.random.default_rng(2), **few).states, ref[:5])
    np.testing.assert_array_equal(gibbs_sample(m, rng=np.random.default_rng(2), backend="numpy", **few).states, ref[:5])
    b = pt(m, rng=np.random.default_rng(3), n_chains=7, schedule=Schedule.constant(50)).replica_states
    np.testing.assert_array_equal(b, a[:7])


def test_any_bit_generator_serves_and_the_caller_advances_by_one_draw():
    m = random_model(3, 2, rng=np.random.default_rng(1))
    kw = dict(n_chains=20, schedule=Schedule.constant(5))
    for bg in (np.random.MT19937, np.random.SFC64, np.random.PCG64):
        rng, twin = np.random.Generator(bg(9)), np.random.Generator(bg(9))
        a = gibbs_sample(m, rng=rng, **kw).states
        twin.integers(0, 2**64, dtype=np.uint64)
        assert rng.random() == twin.random()
        np.testing.assert_array_equal(gibbs_sample(m, rng=np.random.Generator(bg(9)), **kw).states, a)
