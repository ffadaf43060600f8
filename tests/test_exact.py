import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bmexp import BoltzmannMachine, ExactDistribution, InputError, convert_model, log_partition, slide35
from bmexp.exact import boltzmann, energies, expectations
from bmexp.states import all_states
from bmexp.testing.strategies import models

E = math.e


# ------------------------------------------------------------ the post's numbers
def test_slide35_partition_function_and_top_state():
    d = ExactDistribution.of(slide35())
    # -E over the 16 states: three 2s, three 1s, nine 0s and one -1
    z = 3 * E**2 + 3 * E + 9 + E**-1
    assert d.z == pytest.approx(z, rel=1e-12)
    assert round(d.z, 2) == 39.69
    assert d.p[15] == pytest.approx(E**2 / z, rel=1e-12)
    assert round(d.p[15], 3) == 0.186


def test_slide35_conditional_given_h11_matches_the_post():
    table = ExactDistribution.of(slide35()).p_visible_given_hidden([1, 1])
    z_given = E**2 + E + 1 + E**-1  # the post's 11.48
    expected = np.array([E**-1, 1, E, E**2]) / z_given  # v = 00, 01, 10, 11
    np.testing.assert_allclose(table["p"].to_numpy(), expected, rtol=1e-12)
    # The post prints 0.643, 0.237, 0.087, 0.032 (it truncates 0.64391 to 0.643).
    np.testing.assert_allclose(table["p"].to_numpy()[::-1], [0.643, 0.237, 0.087, 0.032], atol=1e-3)
    assert list(table.columns) == ["v1", "v2", "p"]


def test_table_columns_and_values():
    t = ExactDistribution.of(slide35()).table()
    assert list(t.columns) == ["v1", "v2", "h1", "h2", "-E", "exp(-E)", "p"]
    row = t.loc[15]
    assert (row["-E"], row["exp(-E)"]) == (2.0, pytest.approx(E**2))
    assert len(t) == 16 and t.index.name == "state"


# ----------------------------------------------------------------- properties
@given(models(max_units=8))
def test_exact_probabilities_sum_to_one(m):
    assert ExactDistribution.of(m).p.sum() == pytest.approx(1.0, abs=1e-12)


@given(models(max_units=8))
def test_chunked_energies_equal_the_direct_formula(m):
    np.testing.assert_allclose(
        energies(m, block_bits=2), m.energy(all_states(m.n_units, m.convention)), rtol=1e-12, atol=1e-12
    )


@given(models(max_units=8))
def test_log_z_equals_brute_force_sum(m):
    brute = math.log(sum(math.exp(-m.energy(s)) for s in all_states(m.n_units, m.convention)))
    assert log_partition(m) == pytest.approx(brute, rel=1e-12, abs=1e-12)


@given(models(max_units=7), st.floats(-500, 500))
def test_probabilities_invariant_to_an_energy_constant(m, c):
    # the function that turns energies into probabilities (used by ExactDistribution.of)
    d = ExactDistribution.of(m)
    log_z, p = boltzmann(d.energies + c)
    np.testing.assert_allclose(p, d.p, rtol=1e-9, atol=1e-15)
    assert log_z == pytest.approx(d.log_z - c, abs=1e-9)


@given(models(max_units=7))
def test_conversion_preserves_every_state_probability(m):
    other = "spin" if m.convention.value == "binary" else "binary"
    conv, c = convert_model(m, other)
    d, d2 = ExactDistribution.of(m), ExactDistribution.of(conv)
    np.testing.assert_allclose(d2.p, d.p, rtol=1e-9, atol=1e-14)
    # log Z shifts by the energy constant: Z = sum exp(-E2 - c) = Z2 e^-c
    assert d.log_z == pytest.approx(d2.log_z - c, abs=1e-9)


@given(models(min_units=2, max_units=7), st.data())
def test_marginals_agree_with_the_joint(m, data):
    d = ExactDistribution.of(m)
    units = data.draw(st.lists(st.integers(0, m.n_units - 1), min_size=1, max_size=m.n_units, unique=True))
    states = all_states(m.n_units, m.convention)
    expected = np.zeros(2 ** len(units))
    on = m.convention.values[1]
    for s, p in zip(states, d.p):
        k = int("".join("1" if s[u] == on else "0" for u in units), 2)
        expected[k] += p
    np.testing.assert_allclose(d.marginal_p(units), expected, rtol=1e-12, atol=1e-15)
    if m.n_visible:
        np.testing.assert_allclose(d.visible_p(), d.marginal_p(range(m.n_visible)), rtol=1e-12, atol=1e-15)


@given(models(min_units=2, max_units=7), st.data())
def test_conditional_equals_joint_over_marginal(m, data):
    d = ExactDistribution.of(m)
    off, on = m.convention.values
    clamped = data.draw(st.lists(st.integers(0, m.n_units - 1), min_size=1, max_size=m.n_units - 1, unique=True))
    values = data.draw(st.lists(st.sampled_from([off, on]), min_size=len(clamped), max_size=len(clamped)))
    cond = d.conditional_p(dict(zip(clamped, values)))
    free = [u for u in range(m.n_units) if u not in clamped]
    k_clamp = int("".join("1" if v == on else "0" for v in values), 2)
    p_clamp = d.marginal_p(clamped)[k_clamp]
    states = all_states(m.n_units, m.convention)
    joint = np.zeros(2 ** len(free))
    for s, p in zip(states, d.p):
        if all(s[u] == v for u, v in zip(clamped, values)):
            joint[int("".join("1" if s[u] == on else "0" for u in free), 2)] += p
    np.testing.assert_allclose(cond, joint / p_clamp, rtol=1e-9, atol=1e-15)


@given(models(max_units=6))
def test_moments_equal_weighted_sums(m):
    d = ExactDistribution.of(m)
    s = all_states(m.n_units, m.convention)
    mean, second = d.moments()
    np.testing.assert_allclose(mean, d.p @ s, atol=1e-12)
    np.testing.assert_allclose(second, np.einsum("k,ki,kj->ij", d.p, s, s), atol=1e-12)
    table = d.moments_table()
    assert list(table.index) == list(m.unit_names)


# ----------------------------------------------------------------- tables & errors
def test_conditional_tables_by_name_and_block():
    d = ExactDistribution.of(slide35())
    by_name = d.conditional({"h1": 1, "h2": 1})
    np.testing.assert_array_equal(by_name["p"], d.p_visible_given_hidden([1, 1])["p"])
    hv = d.p_hidden_given_visible([1, 0])
    assert list(hv.columns) == ["h1", "h2", "p"]
    np.testing.assert_allclose(d.hidden_given_visible_p()[2], hv["p"], rtol=1e-12)


def test_size_limit_is_configurable_and_named():
    m = BoltzmannMachine(np.zeros((25, 25)), np.zeros(25), n_visible=5)
    with pytest.raises(InputError, match=r"n_units = 25 .* max_units = 24"):
        ExactDistribution.of(m)
    with pytest.raises(InputError, match=r"max_units = 3"):
        ExactDistribution.of(slide35(), max_units=3)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda d: d.conditional({"h3": 1}), r"clamp must name units among .*received 'h3'"),
        (lambda d: d.conditional({2: 2}), r"clamp values must contain only binary values"),
        (lambda d: d.conditional({2: 1, "h1": 0}), r"clamp must not repeat a unit"),
        (lambda d: d.p_visible_given_hidden([1]), r"h must have 2 values; received \[1\]"),
        (lambda d: d.marginal([7]), r"units must be unit indices in \[0, 4\) or names; received 7"),
    ],
)
def test_bad_clamps_are_named(call, message):
    with pytest.raises(InputError, match=message):
        call(ExactDistribution.of(slide35()))


def test_expectations_shape_check():
    with pytest.raises(InputError, match=r"probs must have shape \(16,\)"):
        expectations(np.ones(8) / 8, 4, "binary")


@pytest.mark.slow
def test_n20_enumeration_matches_a_direct_chunk():
    rng = np.random.default_rng(3)
    from bmexp import random_model

    m = random_model(10, 10, rng=rng)
    e = energies(m)
    idx = rng.integers(0, 2**20, size=500)
    from bmexp.states import states_from_indices

    np.testing.assert_allclose(e[idx], m.energy(states_from_indices(idx, 20)), rtol=1e-10, atol=1e-10)
