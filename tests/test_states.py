import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from bmexp.states import all_states, indices_from_states, state_labels, states_from_indices


def test_bit_order_unit0_is_most_significant():
    # Pinned: index 1 = only the last unit on; index 8 = only v1 on (4 units).
    s = all_states(4)
    np.testing.assert_array_equal(s[0], [0, 0, 0, 0])
    np.testing.assert_array_equal(s[1], [0, 0, 0, 1])
    np.testing.assert_array_equal(s[8], [1, 0, 0, 0])
    np.testing.assert_array_equal(s[15], [1, 1, 1, 1])
    assert state_labels(4)[1] == "0001"


def test_spin_states_share_the_order():
    np.testing.assert_array_equal(all_states(3, "spin"), 2 * all_states(3, "binary") - 1)


@given(st.integers(1, 12), st.data())
def test_index_round_trip(n, data):
    idx = data.draw(st.lists(st.integers(0, 2**n - 1), min_size=1, max_size=20))
    for conv in ("binary", "spin"):
        np.testing.assert_array_equal(indices_from_states(states_from_indices(idx, n, conv), conv), idx)
