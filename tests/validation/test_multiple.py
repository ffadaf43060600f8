import numpy as np
import pytest
from scipy import stats

from bmexp import InputError
from bmexp.validation.multiple import benjamini_hochberg, holm


def test_holm_by_hand():
    p = [0.01, 0.04, 0.03, 0.005]
    adj, reject = holm(p, alpha=0.05)
    # sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1 -> cummax 0.06
    np.testing.assert_allclose(adj, [0.03, 0.06, 0.06, 0.02])
    assert reject.tolist() == [True, False, False, True]


def test_holm_is_never_below_the_raw_p_and_caps_at_one():
    adj, _ = holm([0.5, 0.9, 0.2])
    assert np.all(adj >= [0.5, 0.9, 0.2]) and adj.max() == 1.0


def test_bh_matches_scipy():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.2])
    adj, reject = benjamini_hochberg(p, alpha=0.05)
    np.testing.assert_allclose(adj, stats.false_discovery_control(p))
    assert reject.tolist() == [True, True, True, True, False]


def test_bad_pvalues():
    with pytest.raises(InputError, match=r"pvalues must be a 1-D array of numbers in \[0, 1\]"):
        holm([0.1, 1.2])
    with pytest.raises(InputError, match=r"alpha must be a number in \(0, 1\)"):
        benjamini_hochberg([0.1], alpha=0)
