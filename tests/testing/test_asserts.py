"""The sampler-author kit: the contract assertion catches broken samplers, the statistical
assertions pass correct samplers at their stated false-alarm rate and fail wrong ones."""

import numpy as np
import pytest
from scipy import stats

from bmexp import BoltzmannMachine, random_model, slide35
from bmexp.samplers import GibbsSampler, Kernel, gibbs_sample
from bmexp.schedules import Schedule
from bmexp.testing import (
    assert_conditional,
    assert_joint,
    assert_random_hidden,
    assert_sampler_api,
    assert_samples_boltzmann,
    assert_schedule,
)


def six():
    return random_model(4, 2, rng=np.random.default_rng(11), bias_scale=0.7)


def _name(sampler):
    """A test id that is the same in every process (xdist workers compare their collections)."""
    return getattr(sampler, "__name__", None) or repr(sampler)


def plain(model, *, rng, n_chains, schedule, init="random", clamp=None):
    """A correct sampler without a declared kernel (returns a bare array)."""
    return gibbs_sample(model, rng=rng, n_chains=n_chains, schedule=schedule, init=init, clamp=clamp).states


def typo(model, *, rng, n_chains, schedule, init="random", clamp=None):
    """A wrong sampler: one coupling typed as 1.8 instead of 2 (follows the contract otherwise)."""
    w = model.weights.copy()
    w[0, 2] = w[2, 0] = 0.9 * w[0, 2]
    wrong = BoltzmannMachine(w, model.biases, n_visible=model.n_visible, convention=model.convention)
    return GibbsSampler()(wrong, rng=rng, n_chains=n_chains, schedule=schedule, init=init, clamp=clamp)


# ------------------------------------------------------------------------ the contract
@pytest.mark.parametrize(
    "sampler",
    [GibbsSampler(), GibbsSampler(rule="metropolis", scan="random", backend="numpy"), GibbsSampler(rule="flip"), plain],
    ids=_name,
)
def test_correct_samplers_follow_the_contract(sampler):
    assert_sampler_api(sampler)
    assert_sampler_api(sampler, slide35(), n_chains=5, seed=3)


def _broken(kind):
    def sampler(model, *, rng, n_chains, schedule, init="random", clamp=None):
        if kind == "global_seed":  # ignores rng
            res = gibbs_sample(
                model, rng=np.random.default_rng(), n_chains=n_chains, schedule=schedule, init=init, clamp=clamp
            )
            return res.states
        res = gibbs_sample(
            model,
            rng=rng,
            n_chains=n_chains,
            schedule=schedule,
            init=init,
            clamp=None if kind == "drops_clamp" else clamp,
        )
        if kind == "transposed":
            return res.states.T
        if kind == "binary_always":
            return (res.states > 0).astype(float)
        if kind == "one_chain_short":
            return res.states[1:]
        return res

    return sampler


@pytest.mark.parametrize(
    "kind,message",
    [
        ("global_seed", r"the same seed must give the same states"),
        ("drops_clamp", r"clamped units must keep their values"),
        ("transposed", r"states of shape \(n_chains, n_units\) = \(64, 6\); received shape \(6, 64\)"),
        ("binary_always", r"spin model: states must contain only \{-1, 1\}; received values \[0.0\]"),
        ("one_chain_short", r"= \(64, 6\); received shape \(63, 6\)"),
    ],
)
def test_broken_samplers_are_named(kind, message):
    with pytest.raises(AssertionError, match=message):
        assert_sampler_api(_broken(kind))


def test_a_sampler_that_cannot_take_init_or_a_bad_kernel_is_named():
    def no_init(model, *, rng, n_chains, schedule, clamp=None):
        return gibbs_sample(model, rng=rng, n_chains=n_chains, schedule=schedule, clamp=clamp)

    with pytest.raises(AssertionError, match=r"calling it with n_chains=64, \{'init': 'off'\} raised TypeError"):
        assert_sampler_api(no_init)

    class Declares:
        kernel = "heat_bath"

        def __call__(self, model, **kw):
            return plain(model, **kw)

    with pytest.raises(AssertionError, match=r"sampler.kernel must be a bmexp.samplers.Kernel or None"):
        assert_sampler_api(Declares())


# ------------------------------------------------------------------ statistical checks
@pytest.mark.parametrize("sampler", [GibbsSampler(), GibbsSampler(rule="metropolis", scan="random"), plain], ids=_name)
def test_correct_samplers_pass(sampler):
    for model in (slide35(), six().to("spin")):
        results = assert_samples_boltzmann(sampler, model)
        assert set(results) == {"joint", "conditional", "random_hidden", "schedule"}


def test_a_wrong_sampler_fails_with_the_table():
    with pytest.raises(AssertionError) as info:
        assert_samples_boltzmann(typo, slide35())
    text = str(info.value)
    assert "joint (joint: p = " in text and "Holm over 4 tests" in text
    assert "state  observed  observed_p  p_joint" in text  # the check's table is printed
    for single in (assert_joint, assert_conditional):
        with pytest.raises(AssertionError, match=r"check failed: .* do not match"):
            single(typo, slide35())


def test_a_schedule_too_short_for_the_kernel_fails_as_a_finding():
    # random scan after 12 sweeps is 0.03 from Boltzmann on this model: not a sampler bug, a short schedule
    sched = Schedule.linear(5, 1, sweeps_per_temperature=2)
    sampler = GibbsSampler(scan="random")
    with pytest.raises(
        AssertionError,
        match=r"kernel's exact output after the schedule is TV 0.0295 from "
        r"Boltzmann > 0.01: too short for this kernel",
    ):
        assert_samples_boltzmann(sampler, six(), schedule=sched, checks=["schedule"])
    assert assert_schedule(sampler, six(), schedule=sched, shortfall_tv=0.05).extra["sampler_ok"]
    assert assert_random_hidden(sampler, six()).passed


@pytest.mark.slow
def test_false_alarm_rate_is_at_most_alpha():
    # 300 seeded replicates of the whole assertion (4 checks, n = 1,000 each) on a correct
    # sampler at alpha = 0.05: Holm keeps the family-wise rate at most alpha (about 0.049 for 4
    # independent tests), so alpha must lie inside the 99% Clopper-Pearson interval of the rate.
    alpha, replicates = 0.05, 300
    failures = 0
    for seed in range(replicates):
        try:
            assert_samples_boltzmann(GibbsSampler(), six(), seed=4 * seed, alpha=alpha, n=1000)
        except AssertionError:
            failures += 1
    ci = stats.binomtest(failures, replicates, alpha).proportion_ci(confidence_level=0.99)
    assert ci.low <= alpha <= ci.high, (failures, ci)


def test_kernel_declared_or_not_changes_what_the_schedule_check_can_say():
    declared = assert_schedule(GibbsSampler(), slide35())
    assert declared.extra["kernel"] == str(Kernel("heat_bath", "sequential")) and "schedule_output" in declared.tests
    undeclared = assert_schedule(plain, slide35())
    assert list(undeclared.tests) == ["boltzmann"]


# ------------------------------------------ what an outside tester found (regressions)
class MappingOnly:
    """A sampler that accepts clamps only in the documented mapping form {unit: value(s)}."""

    kernel = Kernel("heat_bath", "sequential")

    def __call__(self, model, *, rng, n_chains, schedule, init="random", clamp=None):
        if clamp is not None:
            clamp = {k: v for k, v in clamp.items()}  # a tuple would fail here
        return gibbs_sample(model, rng=rng, n_chains=n_chains, schedule=schedule, init=init, clamp=clamp)


def test_the_checks_clamp_in_the_documented_mapping_form():
    assert_sampler_api(MappingOnly())
    assert_samples_boltzmann(MappingOnly(), six())


def test_no_sampler_is_a_failure_not_bmexps_sampler():
    for fn in (assert_samples_boltzmann, assert_joint, assert_schedule):
        with pytest.raises(AssertionError, match=r"sampler must be a callable sampler .*; received NoneType"):
            fn(None, slide35())


def test_the_contract_check_fits_one_unit_and_one_chain():
    one = BoltzmannMachine(np.zeros((1, 1)), np.array([0.3]), n_visible=1)
    assert_sampler_api(GibbsSampler(), one)
    assert_sampler_api(GibbsSampler(), n_chains=1)


def test_a_sampler_that_ignores_init_breaks_the_contract():
    def ignores_init(model, *, rng, n_chains, schedule, init="random", clamp=None):
        return gibbs_sample(model, rng=rng, n_chains=n_chains, schedule=schedule, clamp=None)

    with pytest.raises(AssertionError, match=r"clamped units must keep their values"):
        assert_sampler_api(ignores_init)


def test_a_schedule_ending_above_t1_is_named_as_such_not_too_short():
    with pytest.raises(AssertionError, match=r"it ends at T = 2, not 1: its samples follow exp\(-E / 2\)"):
        assert_schedule(GibbsSampler(), six(), schedule=Schedule.constant(50, T=2.0))


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(model=None), r"model must be a BoltzmannMachine; received NoneType"),
        (dict(checks="joint"), r"checks must be a non-empty list of check names"),
        (dict(checks=[]), r"checks must be a non-empty list of check names"),
        (
            dict(checks=["histogram"]),
            r"checks must be one of \['conditional', 'joint', 'random_hidden', 'schedule', 'invariance', 'blocks', "
            r"'energy', 'lumped'\]",
        ),
        (dict(seed=-1), r"seed must be an integer in \[0, 2\*\*64 - 1\]; received -1"),
        (dict(seed=1.5), r"seed must be an integer in \[0, 2\*\*64 - 1\]; received 1.5"),
        (dict(shortfall_tv=-1), r"shortfall_tv must be a finite number in \(0, 1\]; received -1"),
    ],
)
def test_bad_kit_arguments_are_named(kwargs, message):
    from bmexp import InputError

    args = {"model": slide35(), **kwargs}
    with pytest.raises(InputError, match=message):
        assert_samples_boltzmann(GibbsSampler(), **args)


def test_training_takes_any_contract_sampler():
    from bmexp.training import train

    teacher = slide35()
    data = np.array([[1.0, 1.0], [0.0, 1.0]] * 20)
    res = train(
        random_model(2, 2, rng=np.random.default_rng(0), bias_scale=0.0),
        rng=np.random.default_rng(1),
        data=data,
        teacher=teacher,
        sampler=plain,
        epochs=3,
        variant="annealed",
    )
    assert len(res.metrics) == 4 and np.isfinite(res.metrics["kl_data"]).all()
