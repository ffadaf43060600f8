import numpy as np
import pytest
from hypothesis import given

from bmexp import Convention, InputError, as_convention, convert_states
from bmexp.testing.strategies import states


@pytest.mark.parametrize(
    "spelling, expected",
    [
        ("binary", Convention.BINARY),
        ("SPIN", Convention.SPIN),
        ({0, 1}, Convention.BINARY),
        (frozenset({-1, 1}), Convention.SPIN),
        (Convention.SPIN, Convention.SPIN),
    ],
)
def test_accepted_spellings(spelling, expected):
    assert as_convention(spelling) is expected


@pytest.mark.parametrize("bad", ["boolean", {0, 2}, 1, None])
def test_unknown_convention_is_named(bad):
    with pytest.raises(InputError, match=r"convention must be one of 'binary'.*'spin'.*received"):
        as_convention(bad)


def test_values():
    assert Convention.BINARY.values == (0, 1)
    assert Convention.SPIN.values == (-1, 1)


def test_convert_states_formula():
    s = np.array([[0, 1, 1, 0]])
    np.testing.assert_array_equal(convert_states(s, "binary", "spin"), 2 * s - 1)
    np.testing.assert_array_equal(convert_states(2 * s - 1, "spin", "binary"), s)


@given(states(5, "binary"))
def test_state_round_trip_is_identity(s):
    np.testing.assert_array_equal(convert_states(convert_states(s, "binary", "spin"), "spin", "binary"), s)


def test_values_outside_the_convention_are_refused():
    with pytest.raises(InputError, match=r"states must contain only spin values \{-1, 1\}; found 0"):
        convert_states([[0, 1]], "spin", "binary")
