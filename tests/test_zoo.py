import numpy as np
import pytest

from bmexp import ExactDistribution, InputError, random_model, seed_target, slide35
from bmexp.zoo import SLIDE35_WEIGHTS, build


def test_slide35_and_seed_target():
    np.testing.assert_array_equal(slide35().weights, SLIDE35_WEIGHTS)
    np.testing.assert_array_equal(seed_target().weights, 0.3 * SLIDE35_WEIGHTS)
    assert not seed_target().biases.any() and seed_target().n_visible == 2


def test_builtin_in_spin_is_the_same_distribution():
    for make in (slide35, seed_target):
        np.testing.assert_allclose(ExactDistribution.of(make("spin")).p, ExactDistribution.of(make()).p, rtol=1e-12)


def test_random_model_is_seeded_and_has_nonzero_biases():
    a = random_model(4, 2, rng=np.random.default_rng(7))
    b = random_model(4, 2, rng=np.random.default_rng(7))
    c = random_model(4, 2, rng=np.random.default_rng(8))
    np.testing.assert_array_equal(a.weights, b.weights)
    assert not np.array_equal(a.weights, c.weights)
    assert np.all(a.biases != 0)
    assert (a.n_visible, a.n_hidden) == (4, 2)


def test_build_by_name():
    assert build("random", n_visible=3, n_hidden=1, seed=1).n_units == 4
    assert build("lattice", L=3, J=0.5, convention="binary").convention.value == "binary"
    with pytest.raises(
        InputError,
        match=r"name must be one of \['slide35', 'seed_target', 'random', 'rbm', 'ferromagnet', 'lattice'\]; received 'x'",  # noqa: E501
    ):
        build("x")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n_visible=-1, n_hidden=2), r"n_visible must be an integer >= 0; received -1"),
        (dict(n_visible=0, n_hidden=0), r"n_visible \+ n_hidden must be >= 1"),
        (
            dict(n_visible=2, n_hidden=2, weight_scale=-1.0),
            r"weight_scale must be a finite number in \[0, 1e\+06\]; received -1.0",
        ),
        (
            dict(n_visible=2, n_hidden=2, bias_scale=float("nan")),
            r"bias_scale must be a finite number in \[0, 1e\+06\]; received nan",
        ),
    ],
)
def test_random_model_bad_input(kwargs, message):
    with pytest.raises(InputError, match=message):
        random_model(rng=np.random.default_rng(0), **kwargs)


def test_random_model_needs_a_generator():
    with pytest.raises(InputError, match=r"rng must be a numpy.random.Generator; received int"):
        random_model(2, 2, rng=3)


def test_ferromagnet_is_metastable_and_converts_exactly():
    from bmexp.schedules import Schedule
    from bmexp.transitions import schedule_output
    from bmexp.zoo import ferromagnet

    f = ferromagnet()
    spin = f.to("spin")
    np.testing.assert_allclose(spin.weights[0, 1:], 0.25)
    np.testing.assert_allclose(spin.biases, 0.05)
    p = ExactDistribution.of(f).p
    tv = {
        spt: 0.5 * np.abs(schedule_output(f, Schedule.linear(5, 1, sweeps_per_temperature=spt)) - p).sum()
        for spt in (5, 40)
    }
    assert tv[5] > 0.05 and tv[40] < 0.01  # the schedule matters here
    with pytest.raises(InputError, match=r"coupling must be a finite number in \[-1e\+06, 1e\+06\]; received nan"):
        ferromagnet(coupling=float("nan"))
    assert build("ferromagnet", coupling=0.1, n_visible=2, n_hidden=2).n_units == 4


def test_build_rbm_is_restricted_with_the_random_models_weights():
    rbm = build("rbm", n_visible=3, n_hidden=2, seed=1)
    assert rbm.connectivity == "restricted" and rbm.hidden_factorise
    full = build("random", n_visible=3, n_hidden=2, seed=1)
    np.testing.assert_array_equal(rbm.weights[:3, 3:], full.weights[:3, 3:])  # same draw, masked
    assert not rbm.weights[:3, :3].any() and not rbm.weights[3:, 3:].any()


def test_random_model_takes_an_explicit_mask_as_it_takes_a_name():
    # found by an outside tester: an array mask crashed with "truth value of an array is ambiguous"
    mask = np.zeros((5, 5), bool)
    mask[:3, 3:] = mask[3:, :3] = True  # visible-hidden pairs only: the restricted mask
    custom = random_model(3, 2, rng=np.random.default_rng(0), connectivity=mask)
    named = random_model(3, 2, rng=np.random.default_rng(0), connectivity="restricted")
    np.testing.assert_array_equal(custom.weights, named.weights)
    with pytest.raises(InputError, match="diagonal"):
        random_model(3, 2, rng=np.random.default_rng(0), connectivity=np.ones((5, 5), bool))


def test_a_parameter_the_model_does_not_use_is_refused_not_ignored():
    from bmexp.zoo import PARAMETERS, build

    changed = dict(n_visible=3, n_hidden=3, weight_scale=0.5, bias_scale=0.1, seed=7, coupling=0.1, bias=0.2)
    changed.update(L=2, J=0.5, temperature=2.0)
    for name, used in PARAMETERS.items():
        assert build(name, **{k: v for k, v in changed.items() if k in used}).n_units > 0
        for key in set(changed) - set(used):
            with pytest.raises(InputError) as err:
                build(name, **{key: changed[key]})
            assert err.value.argument == key and f"does not apply to model {name!r}" in str(err.value)
