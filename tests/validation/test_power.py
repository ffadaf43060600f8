"""The test has power: deliberately wrong samplers are rejected.

Each mutant's exact output is computed (bmexp.testing.mutants), so its effect -- TV and
Cohen's w against the Boltzmann distribution -- is known.  Where the asymptotic power at the
planned n (TV 0.02, power 0.9, alpha 0.01) is at least 0.99, the seeded run at the planned n
must reject; where it is lower (the subtle mutants), n is planned from the mutant's exact w
for power 0.999 and the run at that n must reject.  Mutants that make no difference on a
model (a dropped bias when b = 0) are checked to make exactly none.  Every mutation is tested
inside both kernels: heat bath (bmexp's default) and Metropolis.
"""

import numpy as np
import pytest

from bmexp import ExactDistribution, random_model, slide35
from bmexp.samplers import GibbsSampler
from bmexp.schedules import Schedule
from bmexp.testing.mutants import MUTANTS
from bmexp.transitions import schedule_output
from bmexp.validation.checks import check_joint
from bmexp.validation.planning import noncentrality, power_at, required_samples

SCHEDULE = Schedule.default()
RULES = ["heat_bath", "metropolis"]
ALPHA = 0.01


def _models():
    return {"slide35": slide35(), "random6": random_model(4, 2, rng=np.random.default_rng(11), bias_scale=0.7)}


def effect(mutant, model):
    p = ExactDistribution.of(model).p
    q = mutant.exact_output(model, SCHEDULE)
    return 0.5 * np.abs(q - p).sum(), float(np.sqrt(np.sum((q - p) ** 2 / p))), p


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("model_name", ["slide35", "random6"])
@pytest.mark.parametrize("mutant_name", list(MUTANTS))
def test_mutant_is_rejected(mutant_name, model_name, rule):
    model, mutant = _models()[model_name], MUTANTS[mutant_name].with_rule(rule)
    tv, w, p = effect(mutant, model)
    correct = schedule_output(model, SCHEDULE, kernel=mutant.kernel)
    if 0.5 * np.abs(mutant.exact_output(model, SCHEDULE) - correct).sum() < 1e-12:
        assert model_name == "slide35" and mutant_name == "dropped_bias"  # b = 0: nothing to see
        return
    dof = p.size - 1
    n = required_samples(p)
    if power_at(w, n, dof, ALPHA) < 0.99:
        n = int(np.ceil(noncentrality(dof, ALPHA, 0.999) / w**2))
    result = check_joint(model, mutant, rng=np.random.default_rng(7), schedule=SCHEDULE, n=n, alpha=ALPHA)
    assert not result.passed, result.tests["joint"].summary()


@pytest.mark.parametrize("rule", RULES)
def test_the_correct_sampler_passes_the_same_check(rule):
    for model in _models().values():
        assert check_joint(model, GibbsSampler(rule=rule), rng=np.random.default_rng(7), schedule=SCHEDULE).passed


def test_exact_effects_match_the_design_numbers():
    # DESIGN section 4: exact TV on the 4-unit binary model
    m = slide35()
    expected = {
        "sign_error": 0.650,
        "missing_half": 0.281,
        "upper_triangle": 0.379,
        "hidden_uniform": 0.212,
        "synchronous": 0.192,
        "last_unit_frozen": 0.0235,
        "final_temperature_1.05": 0.018,
    }
    for name, tv in expected.items():
        assert effect(MUTANTS[name], m)[0] == pytest.approx(tv, abs=6e-4), name


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("mutant_name", list(MUTANTS))
def test_each_mutant_samples_its_own_exact_output(mutant_name, rule):
    # the exact TVs quoted for the mutants are right only if their exact outputs are
    from bmexp.states import indices_from_states
    from bmexp.validation.gof import gof_test

    model = _models()["random6"]
    mutant = MUTANTS[mutant_name].with_rule(rule)
    q = mutant.exact_output(model, SCHEDULE)
    states = mutant(model, rng=np.random.default_rng(3), n_chains=20000, schedule=SCHEDULE)
    counts = np.bincount(indices_from_states(states, model.convention), minlength=q.size)
    assert not gof_test(counts, q, alpha=ALPHA).reject
