import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bmexp import BoltzmannMachine, Convention, InputError, convert_model, convert_states, slide35, zoo
from bmexp.model import SYMMETRY_RTOL
from bmexp.states import all_states
from bmexp.testing.strategies import model_and_states, models


def double_sum_energy(w, b, s):
    n = len(s)
    return -0.5 * sum(w[i, j] * s[i] * s[j] for i in range(n) for j in range(n)) - sum(b[i] * s[i] for i in range(n))


# ------------------------------------------------------------------ examples
def test_slide35_energies_match_the_post():
    m = slide35()
    assert m.energy([1, 1, 1, 1]) == -2.0
    assert m.energy([1, 0, 1, 1]) == -1.0
    assert m.energy([0, 1, 1, 1]) == 0.0
    assert m.energy([0, 0, 1, 1]) == 1.0


def test_model_is_frozen_and_arrays_read_only():
    m = slide35()
    with pytest.raises(AttributeError):
        m.n_visible = 3
    with pytest.raises(ValueError):
        m.weights[0, 2] = 5.0
    assert m.unit_names == ("v1", "v2", "h1", "h2")
    assert (m.n_units, m.n_visible, m.n_hidden) == (4, 2, 2)


def test_batch_shapes():
    m = slide35()
    s = all_states(4).reshape(2, 8, 4)
    assert m.energy(s).shape == (2, 8)
    assert m.local_fields(s).shape == (2, 8, 4)


# ----------------------------------------------------------------- bad input
W = np.zeros((3, 3))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(weights=np.zeros((3, 2)), biases=np.zeros(3)), r"weights must be a square \(n, n\) array.*\(3, 2\)"),
        (dict(weights=np.full((2, 2), np.nan), biases=np.zeros(2)), r"weights must be finite; received nan"),
        (
            dict(weights=np.array([[0, 1.0], [2.0, 0]]), biases=np.zeros(2)),
            r"weights must be symmetric within 2e-10; weights\[\d, \d\] = ",
        ),
        (dict(weights=np.eye(2), biases=np.zeros(2)), r"zero diagonal; weights\[0, 0\] = 1.0"),
        (dict(weights=W, biases=np.zeros(4)), r"biases must have shape \(3,\) to match weights; received shape \(4,\)"),
        (dict(weights=W, biases=[0, np.inf, 0]), r"biases must be finite; received inf"),
        (dict(weights=W, biases=np.zeros(3), n_visible=4), r"n_visible must be an integer in \[0, 3\]; received 4"),
        (dict(weights=W, biases=np.zeros(3), n_visible=-1), r"n_visible must be an integer in \[0, 3\]; received -1"),
        (dict(weights=W, biases=np.zeros(3), n_visible=1.5), r"n_visible must be an integer.*received 1.5"),
        (dict(weights=W, biases=np.zeros(3), convention="ising3"), r"convention must be one of.*received 'ising3'"),
        (dict(weights=[["a"]], biases=[0]), r"weights must be a numeric"),
    ],
)
def test_bad_construction_names_argument_and_value(kwargs, message):
    kwargs.setdefault("n_visible", 1)
    with pytest.raises(InputError, match=message):
        BoltzmannMachine(**kwargs)


def test_asymmetry_below_tolerance_is_symmetrised_exactly():
    w = np.array([[0, 1.0], [1.0 + SYMMETRY_RTOL / 2, 0]])
    m = BoltzmannMachine(w, np.zeros(2), n_visible=1)
    assert m.weights[0, 1] == m.weights[1, 0]


@pytest.mark.parametrize(
    "state, message",
    [
        ([1, 0, 2, 1], r"states must contain only binary values \{0, 1\}; found 2"),
        ([1, 0, -1, 1], r"found -1"),
        ([1, 0, 1], r"last axis of length n_units = 4; received shape \(3,\)"),
    ],
)
def test_energy_of_a_state_outside_the_convention_is_an_error(state, message):
    with pytest.raises(InputError, match=message):
        slide35().energy(state)


def test_spin_model_refuses_binary_zero():
    with pytest.raises(InputError, match=r"spin values \{-1, 1\}; found 0"):
        slide35("spin").energy([0, 1, 1, 1])


# ---------------------------------------------------------------- properties
@given(model_and_states())
def test_energy_equals_explicit_double_sum(ms):
    m, s = ms
    expected = [double_sum_energy(m.weights, m.biases, row) for row in s]
    np.testing.assert_allclose(m.energy(s), expected, rtol=1e-12, atol=1e-12)


@given(model_and_states(), st.randoms(use_true_random=False))
def test_relabelling_units_leaves_energies_unchanged(ms, rnd):
    m, s = ms
    perm = list(range(m.n_units))
    rnd.shuffle(perm)
    permuted = BoltzmannMachine(m.weights[np.ix_(perm, perm)], m.biases[perm], n_visible=0, convention=m.convention)
    np.testing.assert_allclose(permuted.energy(s[:, perm]), m.energy(s), rtol=1e-12, atol=1e-12)


@given(model_and_states())
def test_flip_gap_equals_energy_difference_and_local_field_formula(ms):
    m, s = ms
    off, on = m.convention.values
    gaps = m.flip_gaps(s)
    fields = m.local_fields(s)
    for i in range(m.n_units):
        flipped = s.copy()
        flipped[:, i] = on + off - s[:, i]
        np.testing.assert_allclose(gaps[:, i], m.energy(flipped) - m.energy(s), rtol=1e-9, atol=1e-9)
        # local-field formula: dE = -(s'_i - s_i) * (W s + b)_i
        np.testing.assert_allclose(gaps[:, i], -(flipped[:, i] - s[:, i]) * fields[:, i], rtol=1e-12, atol=1e-12)


@given(model_and_states())
def test_activation_gap_is_energy_off_minus_energy_on(ms):
    m, s = ms
    off, on = m.convention.values
    gaps = m.activation_gaps(s)
    for i in range(m.n_units):
        s_on, s_off = s.copy(), s.copy()
        s_on[:, i], s_off[:, i] = on, off
        np.testing.assert_allclose(gaps[:, i], m.energy(s_off) - m.energy(s_on), rtol=1e-9, atol=1e-9)


@given(model_and_states())
def test_conversion_shifts_every_energy_by_the_constant(ms):
    m, s = ms
    other = Convention.SPIN if m.convention is Convention.BINARY else Convention.BINARY
    converted, c = convert_model(m, other)
    assert converted.convention is other and converted.n_visible == m.n_visible
    s2 = convert_states(s, m.convention, other)
    np.testing.assert_allclose(m.energy(s), converted.energy(s2) + c, rtol=1e-9, atol=1e-9)


@given(models())
def test_conversion_round_trip_is_identity(m):
    other = Convention.SPIN if m.convention is Convention.BINARY else Convention.BINARY
    back = m.to(other).to(m.convention)
    np.testing.assert_allclose(back.weights, m.weights, rtol=0, atol=1e-12)
    np.testing.assert_allclose(back.biases, m.biases, rtol=0, atol=1e-12)


def test_conversion_formulas_on_an_example():
    w = np.array([[0, 2.0], [2.0, 0]])
    b = np.array([1.0, -1.0])
    spin, c = convert_model(BoltzmannMachine(w, b, n_visible=1), "spin")
    np.testing.assert_array_equal(spin.weights, w / 4)
    np.testing.assert_array_equal(spin.biases, b / 2 + w.sum(1) / 4)
    assert c == -w.sum() / 8 - b.sum() / 2
    assert convert_model(spin, "spin") == (spin, 0.0)


# ------------------------------------------------------------------ connectivity
def test_named_connectivities_allow_exactly_their_pairs():
    from bmexp.model import connectivity_mask

    vv, vh, hh = (slice(0, 2), slice(0, 2)), (slice(0, 2), slice(2, 5)), (slice(2, 5), slice(2, 5))
    off_diagonal = ~np.eye(5, dtype=bool)
    for name, allowed in (("full", (1, 1, 1)), ("restricted", (0, 1, 0)), ("semi_restricted", (1, 1, 0))):
        got, mask = connectivity_mask(name, 5, 2)
        assert got == name and not np.any(np.diag(mask)) and np.array_equal(mask, mask.T)
        for block, a in zip((vv, vh, hh), allowed):
            assert np.array_equal(mask[block], off_diagonal[block] if a else np.zeros_like(mask[block])), name


@pytest.mark.parametrize(
    "connectivity, message",
    [
        (
            np.array([[0, 1, 0], [0, 0, 0], [0, 0, 0]]),
            "connectivity must be symmetric (a coupling is shared by both units); mask[0, 1] = True but mask[1, 0] = False",  # noqa: E501
        ),
        (
            np.eye(3),
            "connectivity must have a False (zero) diagonal: no unit couples to itself; mask[0, 0] = True",
        ),
        (
            np.ones((2, 2)),
            "connectivity must be one of ['full', 'restricted', 'semi_restricted'] or a boolean (3, 3) mask; received shape (2, 2)",  # noqa: E501
        ),
        ("rbm", "connectivity must be one of ['full', 'restricted', 'semi_restricted']; received 'rbm'"),
    ],
)
def test_a_bad_connectivity_is_one_clear_error(connectivity, message):
    with pytest.raises(InputError) as err:
        BoltzmannMachine(np.zeros((3, 3)), np.zeros(3), n_visible=1, connectivity=connectivity)
    assert str(err.value) == message and err.value.argument == "connectivity"


def test_a_weight_where_the_mask_allows_no_coupling_is_refused():
    w = np.zeros((3, 3))
    w[0, 1] = w[1, 0] = 0.5  # visible-hidden: allowed in an RBM
    BoltzmannMachine(w, np.zeros(3), n_visible=1, connectivity="restricted")
    w[1, 2] = w[2, 1] = 0.25  # hidden-hidden
    with pytest.raises(
        InputError,
        match=r"^weights must be 0 where connectivity = 'restricted' allows no coupling; weights\[1, 2\] = 0.25$",
    ):
        BoltzmannMachine(w, np.zeros(3), n_visible=1, connectivity="restricted")


def test_connectivity_survives_conversion_and_replace_and_only_a_restricted_model_says_so():
    rbm = BoltzmannMachine.rbm([[1.0, -2.0], [0.5, 0.0], [0.0, 3.0]], [0.1, 0.2, 0.3], [-1.0, 1.0])
    assert rbm.connectivity == "restricted" and rbm.hidden_factorise
    spin = rbm.to("spin")
    assert spin.connectivity == "restricted" and np.array_equal(spin.mask, rbm.mask)
    assert rbm.replace(biases=np.zeros(5)).connectivity == "restricted"
    assert rbm.to_dict()["connectivity"] == "restricted"
    custom = BoltzmannMachine(
        np.zeros((3, 3)), np.zeros(3), 1, connectivity=np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    )
    assert custom.connectivity == "custom" and custom.to("spin").mask[0, 1] and not custom.to("spin").mask[0, 2]
    full = slide35()
    assert "connectivity" not in full.to_dict() and not full.hidden_factorise  # fully connected dicts unchanged
    with pytest.raises(InputError, match=r"^weights must have shape \(n_visible, n_hidden\) = \(2, 1\)"):
        BoltzmannMachine.rbm(np.zeros((1, 2)), np.zeros(2), np.zeros(1))


def test_an_unchecked_update_stores_what_replace_would():
    # training's mini-batch updates skip re-validation; what they store must be what replace stores
    m = zoo.random_rbm(3, 2, rng=np.random.default_rng(0))
    w = np.array(m.weights) * 1.5
    b = np.array(m.biases) + 0.25
    fast, checked = m._updated(w, b), m.replace(weights=w, biases=b)
    for name in ("weights", "biases", "mask"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(checked, name))
    assert (fast.n_visible, fast.convention, fast.connectivity, fast.unit_names) == (
        checked.n_visible,
        checked.convention,
        checked.connectivity,
        checked.unit_names,
    )
    assert not fast.weights.flags.writeable and not fast.biases.flags.writeable
    w[0, 3] = 99.0  # a copy: the caller's array does not reach the model
    assert fast.weights[0, 3] != 99.0
