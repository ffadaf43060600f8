"""Parallel tempering's diagnostics: round trips counted by the standard definition, swap
acceptance and round trips per 1,000 sweeps summed over a job's calls and logged on its run."""

import numpy as np
import pytest

from bmexp import InputError
from bmexp.samplers import ParallelTempering
from bmexp.samplers.pt import PTDiagnostics, count_round_trips
from bmexp.schedules import Schedule
from bmexp.zoo import random_model


def test_round_trips_of_a_scripted_index_trajectory():
    # temperature index of three walkers over 10 steps (0 coldest, 2 hottest):
    # walker 0 starts cold: 0 -> 2 -> 0 twice                                   -> 2 trips
    # walker 1 starts in the middle, goes hot, then cold: not a trip (never cold before it was hot);
    #   then cold -> hot -> cold                                                 -> 1 trip
    # walker 2 starts hot, goes cold (no trip), hot, cold, and stays cold        -> 1 trip
    path = np.array(
        [
            [0, 1, 2, 1, 0, 1, 2, 2, 1, 0],
            [1, 2, 1, 0, 1, 2, 1, 0, 0, 1],
            [2, 1, 0, 1, 2, 1, 0, 0, 0, 0],
        ]
    ).T
    np.testing.assert_array_equal(count_round_trips(path), [2, 1, 1])
    np.testing.assert_array_equal(count_round_trips(path[:4]), [0, 0, 0])  # a trip ends back at the coldest
    with pytest.raises(InputError):
        count_round_trips(np.zeros(5))


def _deo_path(R: int, sweeps: int) -> np.ndarray:
    """Temperature index of each walker when every swap is accepted: after sweep t the pairs (k, k+1)
    with k of the parity of t exchange their walkers (deterministic even/odd)."""
    at = np.arange(R)  # at[w]: temperature of walker w
    rows = [at.copy()]
    for t in range(sweeps):
        for k in range(t % 2, R - 1, 2):
            lo, hi = np.flatnonzero(at == k)[0], np.flatnonzero(at == k + 1)[0]
            at[lo], at[hi] = k + 1, k
        rows.append(at.copy())
    return np.array(rows)


def test_the_compiled_kernel_counts_the_round_trips_of_the_deo_trajectory():
    # a model with zero energy accepts every swap, so each chain follows _deo_path exactly: the
    # kernel's count per chain equals the reference count of that trajectory (at R = 4, 22 in 50
    # sweeps: derived by hand in tests/test_pt.py)
    zero = random_model(2, 2, rng=np.random.default_rng(0), weight_scale=0.0, bias_scale=0.0)
    for R, sweeps in ((4, 50), (5, 70), (3, 9)):
        r = ParallelTempering(replicas=R)(
            zero, rng=np.random.default_rng(R), n_chains=4, schedule=Schedule.constant(sweeps)
        )
        expected = count_round_trips(_deo_path(R, sweeps)).sum()
        np.testing.assert_array_equal(r.round_trips, np.full(4, expected))
    assert count_round_trips(_deo_path(4, 50)).sum() == 22


def test_diagnostics_add_the_counts_of_every_call():
    # two calls of 10 and 30 chains over 20 and 40 sweeps: acceptance = all accepts / all attempts,
    # round trips per 1,000 sweeps = all trips / (10 x 20 + 30 x 40) chain-sweeps
    model = random_model(3, 1, rng=np.random.default_rng(4), weight_scale=0.5)
    pt = ParallelTempering(replicas=3)
    a = pt(model, rng=np.random.default_rng(5), n_chains=10, schedule=Schedule.constant(20))
    b = pt(model, rng=np.random.default_rng(6), n_chains=30, schedule=Schedule.constant(40))
    d = PTDiagnostics()
    d.add(a)
    d.add(object())  # not parallel tempering: ignored
    d.add(b)
    m = d.metrics()
    for k in (1, 2):
        want = (a.swap_accepts[k - 1] + b.swap_accepts[k - 1]) / (a.swap_attempts[k - 1] + b.swap_attempts[k - 1])
        assert m[f"pt.swap_acceptance.{k}"] == pytest.approx(want)
    assert m["pt.swap_acceptance.min"] == pytest.approx(min(m["pt.swap_acceptance.1"], m["pt.swap_acceptance.2"]))
    trips = a.round_trips.sum() + b.round_trips.sum()
    assert m["pt.round_trips_per_1000_sweeps"] == pytest.approx(1000 * trips / (10 * 20 + 30 * 40))
    assert [m[f"pt.temperature.{k}"] for k in (1, 2, 3)] == pytest.approx([1.0, 5**0.5, 5.0])
    assert m["pt.tune_updates"] == 0 and PTDiagnostics().metrics() == {}
    again = PTDiagnostics()
    again.merge(d.state())  # a cached check's share restores the same numbers
    assert again.metrics() == m


def test_a_job_with_parallel_tempering_reports_its_diagnostics_as_metrics():
    # what `run` logs (ExperimentResult.metrics): zero energy, the joint check's one call of 200
    # chains x 50 sweeps at R = 4 -- every swap accepted, 22 round trips per chain: 440 per 1,000
    # sweeps; a Gibbs job has no pt.* metrics.  (On the MLflow runs: tests/test_metastable.py.)
    from bmexp.experiment import run_experiment
    from bmexp.samplers import GibbsSampler

    zero = random_model(2, 2, rng=np.random.default_rng(0), weight_scale=0.0, bias_scale=0.0)
    kwargs = dict(rng=np.random.default_rng(1), schedule=Schedule.constant(50), checks=("joint",), check_n=200)
    m = run_experiment(zero, sampler=ParallelTempering(), **kwargs).metrics()
    assert [m[f"pt.swap_acceptance.{k}"] for k in (1, 2, 3)] == [1.0, 1.0, 1.0]
    assert m["pt.round_trips_per_1000_sweeps"] == pytest.approx(440.0)
    assert m["pt.temperature.1"] == 1.0 and m["pt.temperature.4"] == pytest.approx(5.0)
    assert not any(k.startswith("pt.") for k in run_experiment(zero, sampler=GibbsSampler(), **kwargs).metrics())
