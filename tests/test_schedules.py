import numpy as np
import pytest

from bmexp import InputError
from bmexp.schedules import Schedule


def test_linear_follows_the_post_with_double_final_sweeps():
    s = Schedule.linear(20, 5, sweeps_per_temperature=20)
    assert s.steps == [(20, 20), (15, 20), (10, 20), (5, 20), (1, 40)]
    assert s.total_sweeps == 120 and s.final_temperature == 1


def test_linear_step_that_does_not_divide():
    s = Schedule.linear(5, 3, sweeps_per_temperature=2, final_sweeps=1)
    assert s.steps == [(5, 2), (2, 2), (1, 1)]


def test_t0_equal_to_t_end_is_only_final_sweeps():
    assert Schedule.linear(1, 1, sweeps_per_temperature=3).steps == [(1, 6)]


def test_geometric():
    s = Schedule.geometric(8, 0.5, sweeps_per_temperature=1)
    assert s.steps == [(8, 1), (4, 1), (2, 1), (1, 2)]


def test_explicit_with_repeats_is_the_post_schedule():
    s = Schedule.explicit([20, 15, 10, 5, 1, 1], sweeps_per_temperature=2)
    assert s == Schedule.post()
    assert s.total_sweeps == 12
    assert list(s.sweep_temperatures()) == [20, 20, 15, 15, 10, 10, 5, 5, 1, 1, 1, 1]


def test_constant():
    assert Schedule.constant(2).steps == [(1.0, 2)]
    assert Schedule.constant(3, T=2).to_dict() == {
        "kind": "constant",
        "temperatures": [2.0],
        "sweeps": [3],
        "total_sweeps": 3,
    }


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Schedule.linear(0.5, 1, sweeps_per_temperature=1), r"T0 must be >= T_end = 1; received T0 = 0.5"),
        (lambda: Schedule.linear(10, 0, sweeps_per_temperature=1), r"step must be a finite number > 0; received 0"),
        (lambda: Schedule.linear(10, -2, sweeps_per_temperature=1), r"step must be .* received -2"),
        (
            lambda: Schedule.linear(10, 1, sweeps_per_temperature=0),
            r"sweeps_per_temperature must be an integer >= 1; received 0",
        ),
        (
            lambda: Schedule.linear(10, 1, sweeps_per_temperature=2, final_sweeps=0),
            r"final_sweeps must be an integer >= 1",
        ),
        (
            lambda: Schedule.linear(10, 1, sweeps_per_temperature=2, T_end=0),
            r"T_end must be a finite number >= 1e-300; received 0",
        ),
        (
            lambda: Schedule.geometric(10, 1.0, sweeps_per_temperature=1),
            r"factor must be a number in \(0, 1\); received 1.0",
        ),
        (
            lambda: Schedule.geometric(10, 0, sweeps_per_temperature=1),
            r"factor must be a number in \(0, 1\); received 0",
        ),
        (lambda: Schedule.explicit([]), r"temperatures must be a non-empty list of numbers > 0; received \[\]"),
        (lambda: Schedule.explicit([5, -1]), r"temperatures must be a finite number >= 1e-300; received -1"),
        (
            lambda: Schedule.explicit([5, 1], sweeps_per_temperature=[1]),
            r"sweeps must have one entry per temperature \(2\)",
        ),
        (lambda: Schedule.constant(0), r"sweeps must be an integer >= 1; received 0"),
        (lambda: Schedule.constant(2, T=float("inf")), r"T must be a finite number >= 1e-300; received inf"),
        # 1 / T overflows below about 1e-308 (times a spin gap of 2): refused, not sampled wrongly
        (lambda: Schedule.constant(2, T=1e-310), r"T must be a finite number >= 1e-300; received 1e-310"),
        (lambda: Schedule.explicit([1, 5e-324]), r"temperatures must be a finite number >= 1e-300; received 5e-324"),
    ],
)
def test_schedule_errors(make, message):
    with pytest.raises(InputError, match=message):
        make()


@pytest.mark.parametrize("rule", ["heat_bath", "metropolis"])
def test_the_lowest_temperature_still_samples_a_unit_with_no_field_correctly(rule):
    # At T = 1e-300 (the lowest allowed), 1 / T times a spin gap is still finite, so a unit with
    # zero field is on with probability 1/2 under heat bath (and flips every time under Metropolis,
    # exp(0) = 1, from random starts: also 1/2 on).  Before the bound, T = 1e-310 gave every chain off.
    # 20,000 chains: the on-fraction's sd is 0.0035; 5 sd = 0.018.
    from bmexp import random_model
    from bmexp.samplers import gibbs_sample

    model = random_model(1, 0, rng=np.random.default_rng(0), convention="spin", bias_scale=0.0)
    result = gibbs_sample(
        model, rng=np.random.default_rng(1), n_chains=20_000, schedule=Schedule.constant(5, T=1e-300), rule=rule
    )
    assert abs((np.asarray(result.states) == 1).mean() - 0.5) < 0.018
