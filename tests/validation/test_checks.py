import numpy as np
import pytest

from bmexp import ExactDistribution, InputError, random_model, slide35
from bmexp.cli import main
from bmexp.schedules import Schedule
from bmexp.testing.mutants import MUTANTS
from bmexp.validation import gof_test, required_samples
from bmexp.validation.checks import CHECKS, check_schedule, run_check


def test_conditional_check_matches_the_post_table():
    r = run_check("conditional", slide35(), rng=np.random.default_rng(0))
    assert r.passed and r.n == 12030  # planned n for the 4 visible states
    np.testing.assert_allclose(r.table["p_p(v|h)"][::-1], [0.6439, 0.2369, 0.0871, 0.0321], atol=1e-4)
    assert r.table["observed"].sum() == r.n


def test_conditional_check_catches_a_wrong_sampler():
    def frozen_visible(model, *, rng, n_chains, schedule, init, clamp):
        return np.zeros((n_chains, model.n_units)) + np.array([1, 0, 1, 1])  # always v = 10

    r = run_check("conditional", slide35(), frozen_visible, rng=np.random.default_rng(0))
    assert not r.passed and r.tests["p(v|h)"].reject


def test_random_hidden_samples_the_mixture_not_p_v():
    r = run_check("random_hidden", slide35(), rng=np.random.default_rng(0))
    assert r.passed
    assert not r.tests["mixture"].reject and r.tests["p(v)"].reject
    assert "not p(v)" in r.message and r.extra["tv_mixture_vs_pv"] == pytest.approx(0.0805, abs=1e-3)


def test_schedule_check_separates_sampler_bugs_from_short_schedules():
    m = random_model(4, 2, rng=np.random.default_rng(11), bias_scale=0.7)
    short = run_check("schedule", m, rng=np.random.default_rng(0), schedule=Schedule.constant(1))
    assert short.extra["sampler_ok"] and not short.extra["schedule_ok"] and not short.passed
    long = run_check("schedule", m, rng=np.random.default_rng(0), schedule=Schedule.constant(30))
    assert long.passed and long.extra["schedule_tv"] < 1e-6
    bug = run_check(
        "schedule", m, MUTANTS["dropped_bias"], rng=np.random.default_rng(0), schedule=Schedule.constant(30)
    )
    assert not bug.extra["sampler_ok"]


def test_joint_check_and_plot(tmp_path):
    r = run_check("joint", slide35("spin"), rng=np.random.default_rng(1))
    assert r.passed and len(r.table) == 16
    path = tmp_path / "joint.png"
    r.plot(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    d = r.to_dict()
    assert d["check"] == "joint" and d["tests"]["joint"]["n"] == r.n
    assert "PASS" in r.report()


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: run_check("histogram", slide35(), rng=np.random.default_rng(0)),
            r"check must be one of \['conditional', 'joint', 'random_hidden', 'schedule', 'invariance', 'blocks', "
            r"'energy', 'lumped'\]; received 'histogram'",
        ),
        (
            lambda: run_check("joint", slide35(), rng=np.random.default_rng(0), alpha=1.0),
            r"alpha must be a number in \(0, 1\)",
        ),
        (
            lambda: run_check("joint", slide35(), rng=np.random.default_rng(0), n=0),
            r"n must be an integer >= 1; received 0",
        ),
        (lambda: run_check("joint", slide35(), rng=3), r"rng must be a numpy.random.Generator"),
        (
            lambda: run_check("conditional", slide35(), rng=np.random.default_rng(0), hidden=[1, 2]),
            r"hidden must contain only binary values \{0, 1\}; found 2",
        ),
        (
            lambda: run_check(
                "schedule", random_model(7, 6, rng=np.random.default_rng(0)), rng=np.random.default_rng(0)
            ),
            r"check 'schedule' needs n_units <= 12; received 13",
        ),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_cli_check_prints_table_verdict_and_writes_the_plot(tmp_path, capsys):
    plot = tmp_path / "c.png"
    assert main(["check", "check=random_hidden", f"check.plot={plot}"]) == 0
    out = capsys.readouterr().out
    assert "vs mixture: pass" in out and "vs p(v): REJECT" in out and "PASS:" in out
    assert plot.exists()


def test_cli_failed_check_exits_1(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["check", "check=schedule", "schedule=constant", "schedule.sweeps=1", "check.plot=null"])
    assert exc.value.code == 1
    assert "too short" in capsys.readouterr().out


def test_cli_unknown_check_exits_2(capsys):
    assert main(["check", "check=histogram"]) == 2
    assert (
        "Available options in 'check': blocks conditional energy invariance joint lumped random_hidden schedule"
        in capsys.readouterr().err
    )


def test_every_check_is_registered():
    assert set(CHECKS) == {
        *("conditional", "joint", "random_hidden", "schedule"),
        *("invariance", "blocks", "energy", "lumped"),
    }


# ------------------------------------------------- kernel-aware schedule check (issue: any sampler)
@pytest.mark.parametrize("rule", ["heat_bath", "metropolis"])
@pytest.mark.parametrize("scan", ["sequential", "random"])
def test_schedule_check_uses_the_samplers_declared_kernel(rule, scan):
    # 12 sweeps: short enough that the four kernels' exact outputs differ (random scan is 0.03
    # from Boltzmann here), so comparing with the sequential heat-bath output would be wrong.
    from bmexp.samplers import GibbsSampler, Kernel
    from bmexp.transitions import schedule_output

    model = random_model(4, 2, rng=np.random.default_rng(11), bias_scale=0.7)
    sched = Schedule.linear(5, 1, sweeps_per_temperature=2)
    sampler = GibbsSampler(rule=rule, scan=scan)
    res = check_schedule(model, sampler, rng=np.random.default_rng(0), schedule=sched)  # planned n
    own = schedule_output(model, sched, kernel=Kernel(rule, scan))
    p = ExactDistribution.of(model).p
    assert res.n == required_samples(own)
    assert res.extra["sampler_ok"], res.report()
    assert res.extra["kernel"] == f"{rule}/{scan}"
    assert res.extra["schedule_tv"] == pytest.approx(0.5 * np.abs(own - p).sum(), rel=1e-12)
    assert f"({rule}/{scan})" in res.message and f"{res.extra['schedule_tv']:.2e}" in res.message
    wrong = schedule_output(model, sched)  # what the check compared with before kernels were declared
    gap = 0.5 * np.abs(wrong - own).sum()
    if (rule, scan) == ("heat_bath", "random"):  # the case that was reported as a bug
        assert gap > 0.02
    if gap > 0.02:  # above the planned effect size: the old comparison would have cried wolf
        assert gof_test(res.table["observed"].to_numpy(), wrong).reject


def test_schedule_check_without_a_declared_kernel_tests_equilibrium_only():
    model = slide35()

    def plain(model, *, rng, n_chains, schedule, init="random", clamp=None):  # a bare function: no kernel
        from bmexp.samplers import gibbs_sample

        return gibbs_sample(model, rng=rng, n_chains=n_chains, schedule=schedule, init=init, clamp=clamp).states

    res = check_schedule(model, plain, rng=np.random.default_rng(0))
    assert res.passed and list(res.tests) == ["boltzmann"]
    assert res.extra["kernel"] == "unknown" and res.extra["sampler_ok"] is None
    assert "declares no kernel" in res.message and "schedule_tv" not in res.extra


@pytest.mark.parametrize("module", ["blocks", "invariance", "energy", "compare", "summaries", "checks"])
def test_every_check_module_imports_on_its_own(module):
    # the registry in checks.py and the checks built on it import each other: a fresh interpreter
    # importing any one of them first must work (it did not, for blocks, invariance and energy)
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-c", f"import bmexp.validation.{module}"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize(
    "convert, dtype",
    [(lambda s: s.astype(int).astype(str), "<U"), (lambda s: s.astype(complex), "complex128")],
    ids=["text", "complex"],
)
def test_a_sampler_returning_text_or_complex_numbers_is_refused_naming_the_dtype(convert, dtype):
    """States that would parse as numbers ("0", "1", 1+0j) are still not unit values: the check refuses
    them instead of testing what a conversion made of them."""
    from bmexp.samplers import GibbsSampler

    def sampler(model, **kwargs):
        return convert(GibbsSampler()(model, **kwargs).states)

    with pytest.raises(InputError, match=rf"a sampler must return states \(an array of numbers .*dtype {dtype}"):
        run_check("joint", slide35(), sampler, rng=np.random.default_rng(0), n=200)


def test_a_sampler_with_the_wrong_signature_is_refused_before_any_work():
    """Not a bare TypeError from inside the check: the message names the argument, the contract's
    signature and what the sampler's own signature lacks."""

    from bmexp.samplers import GibbsSampler
    from bmexp.validation.compare import compare_samplers

    def positional(model, rng, n):
        raise AssertionError("never called")

    with pytest.raises(InputError, match=r"^sampler must be callable as sampler\(model, \*, rng, n_chains, .*"):
        run_check("joint", slide35(), positional, rng=np.random.default_rng(0), n=200)
    with pytest.raises(InputError, match=r"^sampler_b must be callable as .*unexpected keyword argument 'rng'"):
        compare_samplers(slide35(), GibbsSampler(), print, rng=np.random.default_rng(0), n=200)
