"""Parallel tempering (bmexp.samplers.pt): its exact transition, invariance, the checks, a mutant
that swaps with the wrong acceptance, random streams, clamps and its diagnostics.

Every statistical test here is one seeded chi-square test at alpha = 0.01: a correct sampler
fails one with probability 1% (never retried); the power of each comes from an exact effect size
asserted beside it.
"""

import os
import re

import numba
import numpy as np
import pytest

from bmexp import ExactDistribution, random_model, slide35
from bmexp.errors import InputError
from bmexp.samplers import Kernel, ParallelTempering, set_threads
from bmexp.samplers.pt import PTResult, equalised_ladder, geometric_ladder
from bmexp.schedules import Schedule
from bmexp.states import all_states, indices_from_states
from bmexp.testing.mutants import SwapMutant
from bmexp.transitions import pt_output, schedule_output
from bmexp.validation import gof_test
from bmexp.validation.checks import run_check
from bmexp.zoo import ferromagnet

#: 3 units with biases, strongly coupled (|W_01| = 5.1): 3 replicas give 2**9 = 512 joint states
MODEL = random_model(2, 1, rng=np.random.default_rng(3), weight_scale=2, bias_scale=1)
LADDER = [1.0, 2.0, 4.0]
CHAINS = 40_000


def _tv(p, q):
    return 0.5 * float(np.abs(np.ravel(p) - np.ravel(q)).sum())


def _boltzmann(model, temperature):
    e = model.energy(all_states(model.n_units, model.convention))
    p = np.exp(-(e - e.min()) / temperature)
    return p / p.sum()


def _product(model, ladder):
    joint = _boltzmann(model, ladder[0])
    for t in ladder[1:]:
        joint = np.multiply.outer(joint, _boltzmann(model, t))
    return joint


def _joint_counts(result, model):
    idx = indices_from_states(result.replica_states, model.convention)  # chains x R
    flat = np.zeros(idx.shape[0], dtype=np.int64)
    for k in range(idx.shape[1]):
        flat = flat * 2**model.n_units + idx[:, k]
    return np.bincount(flat, minlength=2 ** (model.n_units * idx.shape[1]))


@pytest.mark.parametrize(
    "rule, scan, swap",
    [
        ("heat_bath", "sequential", "deo"),
        ("heat_bath", "random", "deo"),
        ("metropolis", "sequential", "deo"),
        ("metropolis", "random", "deo"),
        ("flip", "sequential", "seo"),
        ("heat_bath", "sequential", "random_pair"),
    ],
)
def test_replicas_match_the_exact_joint_output_of_three_pt_rounds(rule, scan, swap):
    # 3 rounds (sweep every replica, then the swap round) from random starts: the 512-state joint
    # distribution of the replicas, computed by transition matrices, against 40,000 chains.
    schedule = Schedule.constant(3)
    pt = ParallelTempering(rule=rule, scan=scan, ladder=LADDER, swap=swap)
    exact = pt_output(MODEL, schedule, LADDER, kernel=pt.kernel, swap=swap)
    result = pt(MODEL, rng=np.random.default_rng(1), n_chains=CHAINS, schedule=schedule)
    counts = _joint_counts(result, MODEL)
    assert not gof_test(counts, exact.ravel(), alpha=0.01).reject
    # power: the exact output is not the equilibrium one (3 rounds are short), and the test sees it
    product = _product(MODEL, LADDER)
    assert _tv(exact, product) > 0.02
    assert gof_test(counts, product.ravel(), alpha=0.01).reject


def test_the_exact_output_tells_a_wrong_swap_acceptance_apart():
    # SwapMutant accepts with min(1, exp(E_k - E_k+1)): TV 0.074 from the right joint output after
    # 3 rounds; 40,000 chains of the right sampler reject the mutant's output, and vice versa.
    schedule = Schedule.constant(3)
    mutant = SwapMutant(ladder=LADDER)
    right = pt_output(MODEL, schedule, LADDER)
    wrong = pt_output(MODEL, schedule, LADDER, swap_betas=mutant.swap_betas)
    assert _tv(right, wrong) > 0.07
    counts = _joint_counts(mutant(MODEL, rng=np.random.default_rng(2), n_chains=CHAINS, schedule=schedule), MODEL)
    assert not gof_test(counts, wrong.ravel()).reject
    assert gof_test(counts, right.ravel()).reject


@pytest.mark.parametrize("sweeps", [1, 2])
def test_exact_boltzmann_samples_in_every_replica_stay_boltzmann(sweeps):
    # Start: replica k drawn exactly from exp(-E / T_k); one round (even pairs) and two (both
    # parities) keep the joint at the product of Boltzmann distributions.  The mutant's swaps
    # move it (TV 0.064 and 0.179 from the product: asserted), and the same test rejects that.
    rng = np.random.default_rng(3)
    product = _product(MODEL, LADDER)
    flat = rng.choice(product.size, size=CHAINS, p=product.ravel())
    n = MODEL.n_units
    idx = np.stack([(flat >> (n * (2 - k))) % 2**n for k in range(3)], axis=1)
    init = all_states(n, MODEL.convention)[idx]  # chains x R x n
    schedule = Schedule.constant(sweeps)
    for sampler, moves in ((ParallelTempering(ladder=LADDER), False), (SwapMutant(ladder=LADDER), True)):
        result = sampler(MODEL, rng=rng, n_chains=CHAINS, schedule=schedule, init=init)
        assert gof_test(_joint_counts(result, MODEL), product.ravel()).reject == moves, sampler
    wrong = pt_output(MODEL, schedule, LADDER, start=product, swap_betas=SwapMutant().swap_betas)
    assert _tv(wrong, product) > 0.06
    assert _tv(pt_output(MODEL, schedule, LADDER, start=product), product) < 1e-12


def test_the_cold_replica_passes_the_joint_check_and_the_swap_mutant_fails_it():
    # slide35, default schedule, geometric ladder (R = 4, T_max = 5), planned n = 19,202 (detects
    # TV 0.02 with power 0.9).  The mutant's exact T = 1 output is TV 0.026 from Boltzmann.
    model = slide35()
    good = run_check("joint", model, ParallelTempering(), rng=np.random.default_rng(4))
    assert good.passed and good.n == 19_202
    mutant = SwapMutant()
    wrong = mutant.schedule_output(model, Schedule.default())
    assert _tv(wrong, ExactDistribution.of(model).p) > 0.025
    bad = run_check("joint", model, mutant, rng=np.random.default_rng(4))
    assert not bad.passed and bad.n == 19_202


def test_the_schedule_check_uses_pts_own_exact_output():
    # The check compares the samples with PT's exact output, not a single Gibbs chain's: after 2
    # sweeps the two differ by TV 0.073 on MODEL.  It accepts the samples against the former and
    # its table's counts reject the latter.
    schedule = Schedule.constant(2)
    pt = ParallelTempering(ladder=LADDER)
    gibbs = schedule_output(MODEL, schedule, kernel=pt.kernel)
    assert _tv(pt.schedule_output(MODEL, schedule), gibbs) > 0.07
    result = run_check("schedule", MODEL, pt, rng=np.random.default_rng(5), schedule=schedule)
    assert result.extra["sampler_ok"] and "parallel tempering" in result.message
    assert gof_test(result.table["observed"].to_numpy(), gibbs).reject


def test_same_seed_same_states_whatever_the_number_of_chains_or_threads():
    model = slide35()
    pt = ParallelTempering(scan="random", swap="seo")
    schedule = Schedule.constant(50)
    big = pt(model, rng=np.random.default_rng(6), n_chains=1000, schedule=schedule)  # parallel kernel
    small = pt(model, rng=np.random.default_rng(6), n_chains=7, schedule=schedule)  # serial kernel
    set_threads(1)
    try:
        one = pt(model, rng=np.random.default_rng(6), n_chains=1000, schedule=schedule)
    finally:
        set_threads(numba.config.NUMBA_NUM_THREADS)
    np.testing.assert_array_equal(big.replica_states[:7], small.replica_states)
    np.testing.assert_array_equal(big.replica_states, one.replica_states)
    np.testing.assert_array_equal(big.states, big.replica_states[:, 0])


@pytest.mark.parametrize("n_units", [4, 40])
def test_pt_runs_numbas_threads_in_the_workqueue_layer(n_units):
    """PT, the first sampler a process runs, launches numba's threads in the workqueue layer, as Gibbs does:
    the OpenMP layer's threads spin after a kernel returns and starved the BLAS call after it (a 64-unit
    model's energies took 6-8 ms instead of 0.05).  Its kernels' warm-up run once launched them first."""
    import subprocess
    import sys

    code = (
        "import numba, numpy as np\n"
        "from bmexp import random_model\n"
        "from bmexp.samplers import ParallelTempering\n"
        "from bmexp.schedules import Schedule\n"
        f"m = random_model({n_units // 2}, {n_units - n_units // 2}, rng=np.random.default_rng(0))\n"
        "ParallelTempering()(m, rng=np.random.default_rng(0), n_chains=2000, schedule=Schedule.constant(5))\n"
        "print(numba.threading_layer())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_THREADING_LAYER"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["workqueue"]


def test_clamps_hold_in_every_replica():
    model = slide35()
    values = np.array([0.0, 1.0] * 50)
    r = ParallelTempering()(
        model, rng=np.random.default_rng(7), n_chains=100, schedule=Schedule.constant(20), clamp={2: 1.0, 3: values}
    )
    assert np.all(r.replica_states[:, :, 2] == 1.0)
    assert np.all(r.replica_states[:, :, 3] == values[:, None])


def test_swaps_and_round_trips_are_counted():
    # A model with zero energy accepts every swap.  Deterministic even/odd with R = 4 then moves
    # each walker one step per round (it waits one round at either end): a round trip every 2R = 8
    # sweeps once it has been at the bottom.  Walkers starting at T_1, T_2, T_3, T_4 first reach
    # the bottom after sweeps -1, 0, 4, 2 and complete trips after sweeps 6 + 8j, 8 + 8j, 12 + 8j,
    # 10 + 8j: in 50 sweeps 6 + 6 + 5 + 5 = 22 per chain.
    zero = random_model(2, 2, rng=np.random.default_rng(0), weight_scale=0.0, bias_scale=0.0)
    r = ParallelTempering()(zero, rng=np.random.default_rng(8), n_chains=10, schedule=Schedule.constant(50))
    np.testing.assert_array_equal(r.swap_attempts, [250, 250, 250])  # each pair every other sweep
    np.testing.assert_array_equal(r.swap_accepts, r.swap_attempts)
    np.testing.assert_array_equal(r.round_trips, np.full(10, 22))
    assert r.round_trips_per_1000_sweeps == pytest.approx(440.0)
    assert r.n_updates == 10 * 4 * 50 * 4  # every replica counted


def test_adaptive_ladder_equalises_swap_acceptance_and_ignores_the_number_of_chains():
    # 8-unit ferromagnet (J = 0.25), 6 replicas up to T = 10: the geometric ladder's acceptance
    # runs from 0.49 to 0.95 (measured); after tuning every pair is within 0.1 of every other (the
    # issue's criterion; measured 0.760-0.770) on the sampling phase: 1,000 chains x 200 sweeps,
    # 100,000 attempts per pair, standard error < 0.002.
    model = ferromagnet(4, 4)
    schedule = Schedule.constant(200)
    geo = ParallelTempering(replicas=6, T_max=10.0)(
        model, rng=np.random.default_rng(9), n_chains=1000, schedule=schedule
    )
    assert np.ptp(geo.swap_acceptance) > 0.1
    adaptive = ParallelTempering(replicas=6, T_max=10.0, ladder="adaptive")
    r = adaptive(model, rng=np.random.default_rng(9), n_chains=1000, schedule=schedule)
    assert np.ptp(r.swap_acceptance) < 0.1, r.swap_acceptance
    assert r.temperatures[0] == 1.0 and r.temperatures[-1] == pytest.approx(10.0)
    assert np.all(np.diff(r.temperatures) > 0) and r.tune_updates == 16 * 6 * 8 * 2016
    few = adaptive(model, rng=np.random.default_rng(9), n_chains=3, schedule=schedule)
    np.testing.assert_array_equal(few.temperatures, r.temperatures)
    np.testing.assert_array_equal(few.replica_states, r.replica_states[:3])


@pytest.mark.parametrize("R", [3, 4, 5])
@pytest.mark.parametrize("lengths", [[1] * 61, [7, 13, 1, 40]], ids=["one-sweep-calls", "odd-calls"])
def test_chains_carried_on_from_a_result_swap_and_count_as_one_run(R, lengths):
    """init = the last PTResult carries every chain on: on a zero-energy model (every swap accepted, deo moves
    walkers deterministically) calls of one sweep, or of odd lengths, attempt every pair and complete the
    same round trips as one run of the total length -- deo's rounds alternate across calls, and a trip
    under way at a call's end completes in the next.  (Before: every call started with an even round, so
    one-sweep calls never attempted the odd pairs and no walker ever made a round trip.)"""
    zero = random_model(2, 2, rng=np.random.default_rng(0), weight_scale=0.0, bias_scale=0.0)
    pt = ParallelTempering(replicas=R)
    whole = pt(zero, rng=np.random.default_rng(1), n_chains=6, schedule=Schedule.constant(sum(lengths)))
    r, trips, attempts = None, 0, 0
    for k, sweeps in enumerate(lengths):
        r = pt(zero, rng=np.random.default_rng(k), n_chains=6, schedule=Schedule.constant(sweeps), init=r or "random")
        trips, attempts = trips + r.round_trips, attempts + r.swap_attempts
    np.testing.assert_array_equal(attempts, whole.swap_attempts)
    np.testing.assert_array_equal(trips, whole.round_trips)
    assert whole.round_trips.min() > 0 and r.sweeps_done == sum(lengths)


def test_a_carried_on_adaptive_sampler_keeps_its_ladder_and_its_clamps_tune_it():
    """An adaptive ladder is tuned once: a call carried on from its result samples on the same ladder with no
    tuning.  The tuning holds the clamped units as sampling does: with every unit clamped all replicas have
    the same energy and every swap is accepted (the tuning on the free model measured 0.53)."""
    model = ferromagnet(5, 5, coupling=0.3)
    pt = ParallelTempering(ladder="adaptive", tune_sweeps=224)
    first = pt(model, rng=np.random.default_rng(2), n_chains=8, schedule=Schedule.constant(10))
    assert first.tune_updates > 0
    more = pt(model, rng=np.random.default_rng(3), n_chains=8, schedule=Schedule.constant(10), init=first)
    assert more.tune_updates == 0 and more.tuned_acceptance is None
    np.testing.assert_array_equal(more.temperatures, first.temperatures)
    every = {i: 1.0 for i in range(model.n_units)}
    held = pt(model, rng=np.random.default_rng(2), n_chains=8, schedule=Schedule.constant(10), clamp=every)
    np.testing.assert_array_equal(held.tuned_acceptance, np.ones(3))
    np.testing.assert_array_equal(held.swap_acceptance, np.ones(3))


@pytest.mark.parametrize(
    "tune_sweeps, rounds",
    [(32, [32]), (63, [63]), (2016, [32, 64, 128, 256, 512, 1024]), (3000, [32, 64, 128, 256, 512, 2008])],
)
def test_the_tuning_runs_tune_sweeps_exactly(tune_sweeps, rounds):
    """Rounds of 32, 64, ... while the next fits; the last takes what is left over (outside tester: 63 and 32,
    or 4063 and 2016, tuned the same ladder: up to 2,047 of the sweeps asked for were dropped)."""
    pt = ParallelTempering(ladder="adaptive", tune_sweeps=tune_sweeps)
    assert pt._tuning_schedule() == rounds and sum(rounds) == tune_sweeps
    model = ferromagnet(4, 4)
    r = pt(model, rng=np.random.default_rng(0), n_chains=2, schedule=Schedule.constant(1))
    assert r.tune_updates == 16 * tune_sweeps * 4 * model.n_units == pt.tuning_updates(model.n_units)
    if tune_sweeps != 2016:  # a different tuning run: a different ladder
        default = ParallelTempering(ladder="adaptive")(
            model, rng=np.random.default_rng(0), n_chains=2, schedule=Schedule.constant(1)
        )
        assert not np.array_equal(r.temperatures, default.temperatures)


def test_numpy_integers_of_any_width_are_taken_as_integers():
    # np.int8(3) replicas overflowed in the memory estimate (3 x 1024 in int8), np.int16(16) tuning chains
    # gave -8192 tuning updates (outside tester): the sampler keeps Python numbers.
    pt = ParallelTempering(replicas=np.int8(3))
    assert type(pt.replicas) is int
    r = pt(slide35(), rng=np.random.default_rng(0), n_chains=np.uint8(5), schedule=Schedule.constant(3))
    assert r.replica_states.shape == (5, 3, 4)
    adaptive = ParallelTempering(ladder="adaptive", tune_chains=np.int16(16), tune_sweeps=np.int16(2016))
    assert adaptive.tuning_updates(4) == 16 * 2016 * 4 * 4 > 0


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(n_chains=9), r"init \(a PTResult\) must come from a call with n_chains = 9, R = 4 replicas and 4 units"),
        (dict(sampler=ParallelTempering(replicas=3)), r"R = 3 replicas"),
        (dict(sampler=ParallelTempering(T_max=3.0)), r"init \(a PTResult\) ran on the ladder \[1\.0, .*; this sampler"),
        (dict(convention="binary"), r"init \(a PTResult\) holds spin states; the model's convention is binary"),
    ],
)
def test_a_result_from_another_run_is_refused_as_init(change, message):
    model = slide35().to("spin")
    r = ParallelTempering()(model, rng=np.random.default_rng(4), n_chains=8, schedule=Schedule.constant(3))
    sampler = change.get("sampler", ParallelTempering())
    target = model.to(change["convention"]) if "convention" in change else model
    n_chains = change.get("n_chains", 8)
    with pytest.raises(InputError, match=message):
        sampler(target, rng=np.random.default_rng(5), n_chains=n_chains, schedule=Schedule.constant(3), init=r)


def test_equalised_ladder_places_inverse_temperatures_at_equal_barrier_steps():
    # rejection 0.6 on the first pair, 0.2 on the second: the barrier is 0 at beta = 1, 0.6 at
    # beta = 1/2, 0.8 at 1/4; its midpoint 0.4 lies 2/3 of the way to 1/2: beta = 1 - (2/3)(1/2).
    new = equalised_ladder(np.array([1.0, 2.0, 4.0]), np.array([0.6, 0.2]))
    np.testing.assert_allclose(1 / new, [1.0, 1 - 1 / 3, 0.25])
    np.testing.assert_allclose(geometric_ladder(3, 4.0), [1.0, 2.0, 4.0])


def test_declares_its_replicas_kernel_and_refuses_energy_recording():
    assert ParallelTempering(rule="flip", scan="random").kernel == Kernel("heat_bath", "random")
    with pytest.raises(InputError, match="record_energy"):
        ParallelTempering()(
            slide35(), rng=np.random.default_rng(0), n_chains=2, schedule=Schedule.constant(1), record_energy=True
        )


@pytest.mark.slow
@pytest.mark.parametrize("rule, scan, swap", [("heat_bath", "sequential", "deo"), ("metropolis", "random", "seo")])
def test_the_exact_joint_output_test_is_calibrated_for_pt(rule, scan, swap):
    # 200 seeded null replicates of n = 3,000 chains each, drawn in one sampler call (replicate r =
    # chains [r n, (r + 1) n), independent chains), each tested against the exact 512-state joint
    # output of 3 rounds: rejection rate at alpha = 0.01 inside the 99% Clopper-Pearson interval,
    # p-values uniform (KS at 0.001).  A calibrated test fails this with probability about 1%.
    from tests.conftest import assert_calibrated

    replicates, n = 200, 3000  # n >= 5 x 512: the asymptotic test (not Monte Carlo)
    schedule = Schedule.constant(3)
    pt = ParallelTempering(rule=rule, scan=scan, ladder=LADDER, swap=swap)
    exact = pt_output(MODEL, schedule, LADDER, kernel=pt.kernel, swap=swap).ravel()
    rng = np.random.default_rng(10)
    result = pt(MODEL, rng=rng, n_chains=replicates * n, schedule=schedule)
    idx = indices_from_states(result.replica_states, MODEL.convention)
    flat = (idx[:, 0] * 8 + idx[:, 1]) * 8 + idx[:, 2]
    counts = [np.bincount(row, minlength=exact.size) for row in flat.reshape(replicates, n)]
    pvalues = np.array([gof_test(c, exact, alpha=0.01, rng=rng).p_value for c in counts])
    assert_calibrated(int(np.sum(pvalues < 0.01)), pvalues, replicates)


def _run_kernel(
    kernel, model, start, noise, betas, rule, random_scan, swap, clamped, key=0, chain0=0, logistic=True, parity0=0
):
    """A PT kernel run on copies: (states, temperature indices, last extremes, counts).  ``key``, ``chain0``,
    ``logistic``: for the kernels that draw their numbers (the explicit ones read ``noise``); ``parity0``: deo's
    rounds start odd (a chain carried on after an odd number of sweeps)."""
    chains, R, n = start.shape
    states, tidx = start.copy(), np.tile(np.arange(R), (chains, 1))
    last, counts = np.where(tidx == 0, 0, -1), np.zeros((chains, 2 * R - 1), dtype=np.int64)
    kernel(
        states,
        model.weights,
        model.biases,
        *(float(v) for v in model.convention.values),
        betas,
        betas.copy(),
        clamped,
        noise.copy(),
        key & 0xFFFFFFFF,
        key >> 32,
        chain0,
        logistic,
        rule,
        random_scan,
        swap,
        parity0,
        tidx,
        last,
        counts,
    )
    return states, tidx, last, counts


@pytest.mark.parametrize(
    "n_visible, convention, rule, scan, swap",
    [
        (10, "binary", "heat_bath", "sequential", "deo"),  # 20 units: the branching / branchless / view kernels
        (3, "binary", "heat_bath", "sequential", "deo"),  # 6 units: and the table kernel
        (3, "spin", "flip", "sequential", "seo"),
        (3, "binary", "heat_bath", "random", "random_pair"),
        (5, "spin", "flip", "random", "deo"),
    ],
)
def test_the_compiled_variants_give_the_same_states(n_visible, convention, rule, scan, swap):
    # The exact tests run one kernel per model size; every other one, serial or parallel, must turn the
    # same uniforms into the same states, swaps and round trips (the table kernel: up to TABLE_MAX_UNITS).
    from bmexp._kernels import DEO, FLIP, HEAT_BATH, PT_KERNELS, PT_TABLE_KERNELS, RANDOM_PAIR, SEO, TABLE_MAX_UNITS

    model = random_model(
        n_visible, n_visible, rng=np.random.default_rng(12), weight_scale=0.3, bias_scale=0.5, convention=convention
    )
    rng = np.random.default_rng(13)
    chains, R, n, sweeps = 37, 4, model.n_units, 30  # (the row kernel: chains side by side in groups of 2)
    random_scan = scan == "random"
    code = {"deo": DEO, "seo": SEO, "random_pair": RANDOM_PAIR}[swap]
    betas = np.tile(1 / geometric_ladder(R, 5.0), (sweeps, 1))
    n_upd = sweeps * R * n
    noise = rng.random((chains, R * n + n_upd * (2 if random_scan else 1) + sweeps * R))
    noise[:, R * n : R * n + n_upd] = np.log(noise[:, R * n : R * n + n_upd])  # (any thresholds will do)
    swaps = noise[:, R * n + n_upd * (2 if random_scan else 1) :]
    swaps[:] = np.log(swaps)
    if swap != "deo":  # the first uniform of each sweep chooses the pairs
        swaps.reshape(chains, sweeps, R)[:, :, 0] = rng.random((chains, sweeps))
    start = np.asarray(model.convention.values, float)[(rng.random((chains, R, n)) < 0.5).astype(int)]
    clamped = np.zeros(n, np.bool_)
    clamped[1] = n <= TABLE_MAX_UNITS  # (a clamped unit in the narrow models)
    kernels = {v: k for v, k in PT_KERNELS.items() if not v[-1]}  # the explicit ones: they read noise
    if n <= TABLE_MAX_UNITS:
        kernels.update({("table", p): k for (p, x), k in PT_TABLE_KERNELS.items() if not x})
    rule_code = HEAT_BATH if rule == "heat_bath" else FLIP
    outs = {
        v: _run_kernel(k, model, start, noise, betas, rule_code, random_scan, code, clamped) for v, k in kernels.items()
    }
    first = next(iter(outs.values()))
    for variant, out in outs.items():
        for got, want in zip(out, first):
            np.testing.assert_array_equal(got, want, err_msg=str(variant))
    assert first[3][:, R - 1 : 2 * (R - 1)].sum() > 0  # swaps happened
    assert (first[0] != start).any()
    assert (first[0][:, :, 1] == start[:, :, 1]).all() or not clamped[1]  # the clamp holds
    if n <= TABLE_MAX_UNITS:
        assert ("table", False) in outs


def test_the_invariance_check_starts_every_replica_at_its_own_temperature():
    # check=invariance hands PT one exact draw per replica (its ladder is fixed): the right sampler
    # passes; the swap mutant moves the T = 1 marginal (exact TV 0.049 after one round, 0.015
    # after two, on MODEL) and fails at the planned n (17,472).
    product = _product(MODEL, LADDER)
    for k in (1, 2):
        moved = pt_output(MODEL, Schedule.constant(k), LADDER, start=product, swap_betas=SwapMutant().swap_betas)
        assert _tv(moved.reshape(8, -1).sum(axis=1), product.reshape(8, -1).sum(axis=1)) > 0.01
    assert run_check("invariance", MODEL, ParallelTempering(ladder=LADDER), rng=np.random.default_rng(14)).passed
    assert not run_check("invariance", MODEL, SwapMutant(ladder=LADDER), rng=np.random.default_rng(14)).passed


def test_pt_follows_the_sampler_contract():
    # the sampler-author kit: shapes, convention, init forms, clamps (both forms), seeds
    from bmexp.testing import assert_sampler_api

    assert_sampler_api(ParallelTempering(scan="random", swap="random_pair"))


def _pt_training_job(sampler, **kw):
    """A run job on MODEL: 2-sweep checks and training=pt of a 3-unit student for 3 epochs."""
    from bmexp.experiment import run_experiment

    data = all_states(3, MODEL.convention)[:, :2][np.random.default_rng(15).integers(0, 8, 40)]
    student = random_model(2, 1, rng=np.random.default_rng(16), weight_scale=0.5)
    training = {"student": student, "data": data, "variant": "pt", "epochs": 3, "n_negative": 10}
    return run_experiment(
        MODEL, rng=np.random.default_rng(17), schedule=Schedule.constant(2), sampler=sampler, training=training, **kw
    )


def test_a_run_job_hands_the_checks_and_training_the_pt_sampler_itself():
    # run_experiment wraps the sampler to count its updates: the schedule check must still find
    # PT's own exact output (a single Gibbs chain's is TV 0.073 away after 2 sweeps: it would
    # fail), and training=pt must use this PT sampler for its persistent chains.

    shapes = []

    class Spy(ParallelTempering):
        def __call__(self, model, **kwargs):
            if kwargs.get("clamp") is None and isinstance(kwargs.get("init"), PTResult):  # carried on
                shapes.append(np.shape(kwargs["init"].replica_states))
            return super().__call__(model, **kwargs)

    result = _pt_training_job(Spy(ladder=LADDER), checks=("schedule",))
    check = result.checks["schedule"]
    assert check.extra["sampler_ok"] and "parallel tempering" in check.message
    assert shapes and all(s == (10, 3, 3) for s in shapes)


def test_training_pts_own_sampler_reports_its_swaps_and_round_trips():
    """training=pt with a Gibbs sampler runs its own PT for the negative phase: the job's metrics hold its
    swap acceptance and round trips (they were missing), and only its calls (no check ran PT)."""
    from bmexp.samplers import GibbsSampler

    result = _pt_training_job(GibbsSampler(), checks=("joint",), check_n=500)
    metrics = result.metrics()
    assert result.training.pt.calls == 3  # one negative phase an epoch
    assert metrics["pt.round_trips_per_1000_sweeps"] == pytest.approx(
        1000.0 * result.training.pt.trips / result.training.pt.chain_sweeps
    )
    assert 0.0 < metrics["pt.swap_acceptance.min"] <= metrics["pt.swap_acceptance.max"] <= 1.0


def test_checks_that_need_the_ladder_tune_an_adaptive_one_first_and_count_it():
    """The schedule check computes PT's exact output on the tuned ladder (before: no implementation test with
    an adaptive ladder) and the invariance check starts each replica at its tuned temperature; in a job both
    tunings are counted (pt.tune_updates) and so are the tuned copy's sampling calls."""
    from bmexp.experiment import _CountingSampler

    adaptive = ParallelTempering(ladder="adaptive", tune_sweeps=224)
    counting = _CountingSampler(adaptive)
    rng = np.random.default_rng(3)
    schedule = run_check("schedule", slide35(), counting, rng=rng, schedule=Schedule.constant(2), n=3000)
    assert "schedule_output" in schedule.tests and schedule.passed
    invariance = run_check("invariance", slide35(), counting, rng=rng, n=3000)
    assert invariance.passed
    assert counting.updates == 3000 * 4 * 4 * (2 + 1 + 2 + 8)  # 2 sweeps, then 1, 2 and 8; R = 4 of 4 units
    metrics = counting.diagnostics.metrics()
    assert metrics["pt.tune_updates"] == 2 * adaptive.tuning_updates(4) and counting.diagnostics.calls == 4


def test_a_tuned_copy_is_the_same_sampler_so_an_adaptive_mutant_still_fails():
    """tuned() copies the sampler, its class kept: an adaptive SwapMutant stays a mutant and the invariance
    and schedule checks reject it (a plain ParallelTempering copy passed both; an outside tester)."""
    from bmexp.validation.invariance import check_invariance

    mutant = SwapMutant(replicas=3, ladder="adaptive", T_max=10.0, tune_sweeps=224)
    copy = mutant.tuned(slide35(), np.random.default_rng(0))
    assert type(copy) is SwapMutant and copy.temperatures()[-1] == pytest.approx(10.0) and copy.replicas == 3
    assert not check_invariance(slide35(), mutant, rng=np.random.default_rng(1), n=60_000).passed
    schedule = run_check("schedule", slide35(), mutant, rng=np.random.default_rng(2), schedule=Schedule.constant(30))
    assert "schedule_output" in schedule.tests and not schedule.passed


def test_a_result_edited_by_hand_or_from_another_sampler_is_refused_as_init():
    from dataclasses import replace

    from bmexp.samplers import GibbsSampler

    model = slide35()
    pt = ParallelTempering()
    r = pt(model, rng=np.random.default_rng(4), n_chains=8, schedule=Schedule.constant(3))
    kw = dict(rng=np.random.default_rng(5), n_chains=8, schedule=Schedule.constant(3))
    bad = {
        "init.replica_states": replace(r, replica_states=np.full((8, 4, 4), 2.0)),
        "init.walker_last must be": replace(r, walker_last=np.full((8, 4), 7)),
        "init.sweeps_done must be an integer >= 0": replace(r, sweeps_done=-1),
        "init.temperatures": replace(r, temperatures=np.array([1.0, 3.0, 2.0, 5.0])),
    }
    for message, edited in bad.items():
        with pytest.raises(InputError, match=re.escape(message)):
            pt(model, init=edited, **kw)
    adaptive = ParallelTempering(ladder="adaptive", tune_sweeps=224)
    with pytest.raises(InputError, match=r"ran on a geometric ladder up to T = 5; this sampler tunes an adaptive"):
        adaptive(model, init=r, **kw)
    tuned = adaptive(model, **{**kw, "schedule": Schedule.constant(1)})
    with pytest.raises(InputError, match=r"ran on an adaptive ladder up to T = 5; this sampler tunes .* T_max = 9"):
        replace(adaptive, T_max=9.0)(model, init=tuned, **kw)
    gibbs = GibbsSampler()(model, **kw)
    for sampler, result in ((pt, gibbs), (GibbsSampler(), r)):
        with pytest.raises(InputError, match=r"init is a (SampleResult|PTResult) \(a sampler's result\): pass its"):
            sampler(model, init=result, **kw)


def test_the_config_defaults_are_the_samplers_so_an_ignored_key_is_told_from_its_default():
    # an explicit ladder refuses T_max, tune_chains and tune_sweeps only when they differ from
    # ParallelTempering's defaults: conf/sampler/pt.yaml must hold exactly those defaults, or a
    # plain sampler.ladder=[1, 2] would be refused (or an ignored value let through)
    from dataclasses import fields
    from pathlib import Path

    from omegaconf import OmegaConf

    conf = OmegaConf.load(Path(__file__).resolve().parent.parent / "conf" / "sampler" / "pt.yaml")
    defaults = {f.name: f.default for f in fields(ParallelTempering)}
    for key in ("T_max", "tune_chains", "tune_sweeps"):
        assert conf[key] == defaults[key], key
    assert ParallelTempering(ladder=[1, 2], T_max=5.0, tune_chains=16, tune_sweeps=2016).replicas == 2
    assert ParallelTempering(ladder="adaptive", T_max=3.0, tune_chains=4, tune_sweeps=64).tune_chains == 4
