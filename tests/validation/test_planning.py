import numpy as np
import pytest
from scipy import stats

from bmexp import InputError
from bmexp.validation.planning import noncentrality, power_at, required_samples


def test_design_number_16_states():
    assert required_samples(np.ones(16) / 16, tv=0.02, alpha=0.01, power=0.9) == 19202


def test_noncentrality_gives_the_requested_power():
    lam = noncentrality(15, 0.01, 0.9)
    assert stats.ncx2.sf(stats.chi2.isf(0.01, 15), 15, lam) == pytest.approx(0.9, abs=1e-9)


def test_power_at_the_planned_n_for_w_equal_2tv():
    n = required_samples(np.ones(16) / 16)
    assert power_at(2 * 0.02, n, 15, 0.01) == pytest.approx(0.9, abs=1e-3)


def test_only_cells_with_positive_probability_count():
    assert required_samples([0.5, 0.5, 0.0]) == required_samples([0.5, 0.5])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(tv=0), r"tv must be a finite number in \[1e-09, 1\]; received 0"),
        (dict(tv="0.1"), r"tv must be a finite number in \[1e-09, 1\]; received '0.1'"),
        (dict(power=0.005), r"power = 0.005 must exceed alpha = 0.01"),
        (dict(alpha=1), r"alpha must be a number in \(0, 1\)"),
        (dict(power=1.0), r"power must be a finite number in \(0, 1\); received 1.0"),
    ],
)
def test_bad_input(kwargs, message):
    with pytest.raises(InputError, match=message):
        required_samples(np.ones(4) / 4, **kwargs)


def test_one_cell_cannot_be_planned():
    with pytest.raises(InputError, match="at least two cells"):
        required_samples([1.0, 0.0])


def test_power_at_a_huge_noncentrality_is_one_not_nan():
    # scipy's ncx2.sf gave nan at n = 1e30 (outside tester); the power there is 1 to double precision
    assert power_at(0.1, 10**30, 3, 0.01) == 1.0
    assert power_at(0.1, 10**6, 3, 0.01) == pytest.approx(1.0)
    assert 0.5 < power_at(0.1, 1000, 3, 0.01) < 0.6  # (an ordinary value, unchanged)


def test_float32_probabilities_are_taken_within_their_rounding():
    """np.full(3, 1/3, float32) sums to 1 + 3e-8: refused by the float64 tolerance (1e-9) before."""
    p32 = np.full(3, 1 / 3, np.float32)
    assert required_samples(p32) == required_samples(np.full(3, 1 / 3))
    with pytest.raises(InputError, match="must sum to 1"):
        required_samples(np.array([0.4, 0.4, 0.4], np.float32))
