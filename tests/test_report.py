import numpy as np
import pandas as pd

from bmexp.report import _answers, add_verdicts, build_report


def frame():
    # 4 jobs: one sampler bug (schedule_sampler p tiny), one short schedule (joint vs Boltzmann rejected,
    # exact schedule TV large), two fine.
    return pd.DataFrame(
        {
            "run_id": list("abcd"),
            "status": ["FINISHED"] * 4,
            "diverged": ["false"] * 4,
            "convention": ["binary", "binary", "spin", "spin"],
            "schedule.T0": [5.0, 20.0, 5.0, 20.0],
            "schedule.step": [1.0] * 4,
            "schedule.sweeps_per_temperature": [5.0, 5.0, 40.0, 40.0],
            "training.eta": [0.01] * 4,
            "check.schedule_sampler.p_value": [1e-12, 0.5, 0.4, 0.7],
            "check.schedule_boltzmann.p_value": [0.3, 1e-9, 0.5, 0.6],
            "check.joint.p_value": [0.2, 1e-8, 0.6, 0.3],
            "check.schedule.tv": [1e-6, 0.2, 1e-6, 1e-6],
            "schedule.total_sweeps": [30.0, 30.0, 240.0, 240.0],
        }
    )


def test_families_separate_sampler_bugs_from_short_schedules():
    df = add_verdicts(frame(), alpha=0.01)
    assert df["implementation_ok"].tolist() == [False, True, True, True]
    assert df["equilibrium_ok"].tolist() == [True, False, True, True]
    assert df["schedule_adequate"].tolist() == [True, False, True, True]
    # Holm over one test x 4 jobs: the smallest p-value times 4
    assert df["check.schedule_sampler.p_holm"].iloc[0] == 4e-12


def test_a_run_without_tests_has_no_verdict_and_the_answers_still_count_the_others():
    """A KILLED run has no p-values: its verdicts are NA, not a pass (it showed implementation_ok True)."""
    df = frame()
    df.loc[1, "status"] = "KILLED"
    df.loc[1, [c for c in df if c.startswith("check.")]] = np.nan
    verdicts = add_verdicts(df, alpha=0.01)
    assert verdicts["implementation_ok"].tolist() == [False, pd.NA, True, True]
    assert verdicts["equilibrium_ok"].tolist() == [True, pd.NA, True, True]
    answers = _answers(verdicts, {})
    assert (
        "3 of the 4 configurations that started finished (each counted once, however often it ran): 1 started and "
        "did not finish (1 KILLED; see the bmexp.error tags)." in answers
    )
    assert any("in 1 job(s) the samples differ from the exact output" in a for a in answers)


def test_the_answers_tell_the_exact_shortfall_that_the_tests_cannot_see():
    """check.lumped.tv is the exact TV from Boltzmann: a job whose statistical tests pass (too few samples)
    while it ends beyond TV 0.01 is counted apart (the report said "10 of 14 pass every test" next to jobs
    that printed "lumped FAIL"; an outside tester)."""
    df = frame()
    df["check.lumped.tv"] = [0.5, 0.3, 0.004, 0.02]  # jobs b (rejected) and d (passing) too short; a: a bug
    answers = _answers(add_verdicts(df, alpha=0.01), {})
    assert (
        "Exactly (check.lumped.tv): 3 of 4 jobs end beyond TV 0.01 from Boltzmann, 2 of them among those that "
        "pass the tests above (their samples are too few to tell; checks.n)." in answers
    )


def test_a_partial_sweep_counts_the_configurations_that_finished_once_each(tmp_path):
    """A sweep of 6 configurations (its parent's bmexp.configurations tag), killed and resumed: a is KILLED then
    FINISHED, b FINISHED, c FAILED, d KILLED twice, e and f never started.  It said "4 of 6 jobs did not
    finish", counting runs; now: 2 of the 6 configurations finished.  Resumed to the end: nothing to say."""
    sweep = {"run_id": "p", "tags": {"bmexp.sweep": "t", "bmexp.configurations": "6"}}
    history = [("a", "FINISHED"), ("b", "FINISHED"), ("c", "FAILED"), ("d", "KILLED"), ("a", "KILLED"), ("d", "KILLED")]
    runs = [
        {"run_id": f"r{k}", "status": status, "tags": {"bmexp.config_hash": config}, "params": {}, "metrics": {}}
        for k, (config, status) in enumerate(history)  # newest first, as bmexp.tracking lists them
    ]
    answers = build_report(sweep, runs, {}, tmp_path).answers
    assert answers[0] == (
        "2 of 6 configurations finished (each counted once, however often it ran): 2 started and did not finish "
        "(1 FAILED, 1 KILLED; see the bmexp.error tags) and 2 never started."
    )
    resumed = [{**runs[0], "run_id": f"s{c}", "tags": {"bmexp.config_hash": c}} for c in "cdef"] + runs
    assert not any("configurations" in a for a in build_report(sweep, resumed, {}, tmp_path).answers)


def test_report_files_and_answers(tmp_path):
    sweep = {"run_id": "p", "tags": {"bmexp.sweep": "t"}}
    axes = ("convention", "schedule.T0", "schedule.step", "schedule.sweeps_per_temperature", "training.eta")
    runs = [
        {
            "run_id": row["run_id"],
            "status": row["status"],
            "tags": {"bmexp.diverged": "false"},
            "params": {k: str(row[k]) for k in axes},
            "metrics": {k: v for k, v in row.items() if k.startswith(("check.", "schedule.total"))},
        }
        for row in frame().to_dict("records")
    ]
    report = build_report(sweep, runs, {}, tmp_path)
    text = report.text()
    assert "a sampler bug" in text and "too short a schedule" in text
    assert (tmp_path / "summary.csv").is_file() and (tmp_path / "heatmap_schedule_tv.png").is_file()


def test_sampler_table_gives_each_sampler_and_model_its_verdicts():
    from bmexp.report import sampler_table

    df = frame().assign(
        **{
            "sampler.name": ["gibbs", "gibbs", "dwave", "dwave"],
            "sampler.rule": ["heat_bath", "heat_bath", "metropolis", "metropolis"],
            "sampler.scan": ["sequential"] * 4,
            "sampler.backend": ["numba"] * 4,
            "model.name": ["slide35", "ferromagnet", "slide35", "ferromagnet"],
            "sampler.updates_per_s": [1e7, 2e7, 3e7, 5e7],
        }
    )
    table = sampler_table(add_verdicts(df, alpha=0.01)).set_index(["sampler.name", "model.name"])
    assert len(table) == 4 and table.loc[("dwave", "slide35"), "sampler.backend"] == "-"  # numba/numpy: Gibbs only
    assert not table.loc[("gibbs", "slide35"), "implementation_ok"]  # the sampler bug of job a
    assert not table.loc[("gibbs", "ferromagnet"), "equilibrium_ok"]  # the short schedule of job b
    assert table.loc[("gibbs", "ferromagnet"), "exact_shortfall_tv"] == 0.2
    assert table.loc[("dwave", "ferromagnet"), "updates_per_s"] == 5e7
    assert sampler_table(add_verdicts(frame())) is None  # one sampler: no table


def test_digit_samples_and_held_out_curve_are_drawn(tmp_path):
    from bmexp.report import plot_digit_samples, plot_held_out_curve
    from bmexp.zoo import random_rbm

    model = random_rbm(64, 4, rng=np.random.default_rng(0))
    out = plot_digit_samples(model, tmp_path / "s.png", rng=np.random.default_rng(1), n=9, sweeps=2)
    assert out.stat().st_size > 0
    m = pd.DataFrame(
        {
            "epoch": [0, 1, 2],
            "ais_log_likelihood": [-30.0, np.nan, -25.0],
            "ais_ci_low": [-30.1, np.nan, -25.1],
            "ais_ci_high": [-29.9, np.nan, -24.9],
            "pll_heldout": [-29.0, np.nan, -20.0],
        }
    )
    assert plot_held_out_curve(m, tmp_path / "c.png").stat().st_size > 0
