"""sweep=metastable and its report (bmexp.metastable): the verdict from hand-made numbers, the two
grids of the sweep, and a tiny sweep end to end into a temporary store."""

import numpy as np
import pandas as pd
import pytest

from bmexp.metastable import answers, cost_table


def _frame(annealing_tv: list[float]) -> pd.DataFrame:
    """Two annealing jobs (costs 300 and 3,000) and two PT jobs (R = 3 reaching TV 0.01 after
    1,590 updates, R = 4 after 1,800), as the report's runs frame has them."""
    rows = []
    for spt, cost, tv in zip((10, 100), (300.0, 3000.0), annealing_tv):
        rows.append(
            {
                "status": "FINISHED",
                "sampler.name": "gibbs",
                "schedule.T0": 2.0,
                "schedule.step": 1.0,
                "schedule.sweeps_per_temperature": spt,
                "schedule.total_sweeps": cost / 10,
                "check.lumped.tv": tv,
                "check.lumped.cost": cost,
                "check.lumped.cost_to_tv": cost if tv <= 0.01 else np.nan,
                "check.lumped.majority_on": 0.6,
                "check.lumped.majority_on_boltzmann": 0.729,
            }
        )
    for R, hit in ((3, 1590.0), (4, 1800.0)):
        rows.append(
            {
                "status": "FINISHED",
                "sampler.name": "pt",
                "sampler.replicas": R,
                "sampler.ladder": "geometric",
                f"pt.temperature.{R}": 5.0,
                "pt.swap_acceptance.min": 0.3,
                "pt.swap_acceptance.max": 0.4,
                "pt.round_trips_per_1000_sweeps": 66.0,
                "pt.tune_updates": 0.0,
                "schedule.total_sweeps": 200.0,
                "check.lumped.tv": 1e-6,
                "check.lumped.cost": 200.0 * R * 10,
                "check.lumped.cost_to_tv": hit,
                "check.lumped.majority_on": 0.729,
                "check.lumped.majority_on_boltzmann": 0.729,
            }
        )
    rows.append({"status": "FAILED", "sampler.name": "pt", "check.lumped.tv": np.nan, "check.lumped.cost": np.nan})
    return pd.DataFrame(rows)


def test_the_verdict_when_annealing_never_reaches_tv_0_01():
    said = answers(_frame([0.17, 0.13]))
    assert said[0].startswith(
        "Cost: annealing never reaches TV 0.01 within the sweep's budget: its largest setting (annealing T0 = 2, "
        "step 1, 100 sweeps per temperature: 3,000 spin updates per chain) ends at TV 0.130"
    )
    assert said[1] == (
        "Cost: the cheapest parallel tempering setting to reach TV 0.01 is PT R = 3, geometric ladder to T = 5 "
        "(after 53 rounds): 1,590 spin updates per chain (every replica counted)."
    )
    assert said[2] == (
        "Annealing vs parallel tempering: PT reaches TV 0.01 at 1,590 updates; annealing does not within 3,000 "
        "(> 2x as many)."
    )
    table = cost_table(_frame([0.17, 0.13]))
    assert table["method"].tolist() == ["PT", "PT", "annealing", "annealing"]  # the failed job is left out
    assert table["cost"].tolist() == [6000, 8000, 300, 3000]
    assert table["cost_to_tv_0.01"].isna().tolist() == [False, False, True, True]
    assert table["swap_acceptance"].tolist() == ["0.30-0.40", "0.30-0.40", "", ""]
    assert table["round_trips_per_1000"].tolist() == [66.0, 66.0, "", ""]  # annealing: no swaps, no NaN


def test_the_verdict_when_both_reach_it_is_the_cost_ratio_of_the_cheapest():
    said = answers(_frame([0.17, 0.005]))
    assert said[0] == (
        "Cost: the cheapest annealing setting to reach TV 0.01 is annealing T0 = 2, step 1, 100 sweeps per "
        "temperature: 3,000 spin updates per chain (every replica counted)."
    )
    assert said[2] == (
        "Annealing vs parallel tempering: annealing needs 1.9x the spin updates of PT to reach TV 0.01 "
        "(3,000 vs 1,590)."
    )


def test_a_tie_goes_to_the_setting_without_tuning_and_names_the_others():
    """An adaptive ladder listed first at the same cost to TV 0.01 as a geometric one: the verdict names the
    geometric one (its tuning is paid besides the cost) and the tie (it named the adaptive one, an outside tester)."""
    df = _frame([0.17, 0.13])
    adaptive = df.iloc[[2]].assign(**{"sampler.ladder": "adaptive", "pt.tune_updates": 967_680.0})
    said = answers(pd.concat([adaptive, df], ignore_index=True))
    assert said[1] == (
        "Cost: the cheapest parallel tempering setting to reach TV 0.01 is PT R = 3, geometric ladder to T = 5 "
        "(after 53 rounds): 1,590 spin updates per chain (every replica counted); as cheap, with as much tuning "
        "or more: PT R = 3, adaptive ladder to T = 5."
    )


def test_the_sweep_is_an_annealing_grid_and_a_pt_grid(tmp_path, monkeypatch):
    from bmexp import cli

    monkeypatch.chdir(tmp_path)  # planning checks the store it would write to: mlruns/ here
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)

    jobs = cli.plan_sweep("sweep", ["sweep=metastable"])
    annealing = [j for j in jobs if "sampler=gibbs" in j]
    pt = [j for j in jobs if "sampler=pt" in j]
    assert len(jobs) == 14 and len(annealing) == 8 and len(pt) == 6
    assert all("schedule=linear" in j for j in annealing) and all("schedule=constant" in j for j in pt)
    assert {j[-1] for j in pt} == {"sampler.ladder=geometric", "sampler.ladder=adaptive"}
    # (a fixed value on the command line replaces a grid's axis: the slow sweep below runs 2 + 6 jobs)


def test_grids_add_their_axes_to_the_params():
    from bmexp.config import grid_params

    assert grid_params({"a": "1,2"}, None) == [{"a": "1,2"}]
    assert grid_params({"a": "1,2", "b": "3"}, [{"b": "4,5"}, {"c": "6"}]) == [
        {"a": "1,2", "b": "4,5"},
        {"a": "1,2", "b": "3", "c": "6"},
    ]


@pytest.mark.slow
def test_a_tiny_metastable_sweep_runs_and_the_report_answers(tmp_path, monkeypatch, capsys):
    """The sweep on a 4-unit ferromagnet with zero energy, in this process (8 jobs: 2 annealing, 6 PT
    of 20 rounds).  Every value is known: a random start is already Boltzmann (uniform), so annealing
    T0 = 2 (10 + 20 sweeps of 4 updates) reaches TV 0.01 at 120 updates and PT with R = 3 after one
    round at 12: the verdict's ratio is 10.0x.  Every swap is accepted and deo moves each walker
    deterministically: 8, 7 and 6 round trips per chain in 20 sweeps for R = 3, 4, 5 (the reference
    count of tests/test_pt_diagnostics.py), logged as pt.* on every PT run."""
    from bmexp import tracking
    from bmexp.cli import main
    from bmexp.samplers.pt import count_round_trips
    from tests.test_pt_diagnostics import _deo_path

    monkeypatch.chdir(tmp_path)
    tiny = [
        "model.n_visible=2", "model.n_hidden=2", "model.coupling=0", "model.bias=0", "checks.n=100",
        "schedule.sweeps=20", "schedule.sweeps_per_temperature=10", "hydra/launcher=basic",
    ]  # fmt: skip
    assert main(["sweep", "sweep=metastable", *tiny]) == 0
    store = tracking.Store.default(root=tmp_path)
    runs = tracking.child_runs(store, tracking.find_sweep(store, "metastable"))
    assert len(runs) == 8 and all(r["status"] == "FINISHED" for r in runs)
    for r in runs:
        m = r["metrics"]
        if r["params"]["sampler.name"] != "pt":
            assert not any(k.startswith("pt.") for k in m)
            continue
        R = int(r["params"]["sampler.replicas"])
        assert [m[f"pt.swap_acceptance.{k}"] for k in range(1, R)] == [1.0] * (R - 1)
        trips = count_round_trips(_deo_path(R, 20)).sum()
        assert trips == {3: 8, 4: 7, 5: 6}[R]
        assert m["pt.round_trips_per_1000_sweeps"] == pytest.approx(1000 * trips / 20)
        assert m["check.lumped.cost"] == 20 * R * 4 and m["check.lumped.cost_to_tv"] == R * 4
    capsys.readouterr()
    assert main(["report"]) == 0
    out = capsys.readouterr().out
    folder = tmp_path / "reports" / "metastable"
    table = pd.read_csv(folder / "costs.csv")
    assert len(table) == 8 and set(table["method"]) == {"annealing", "PT"}
    assert "Annealing vs parallel tempering (exact TV from Boltzmann" in out
    assert (
        "Annealing vs parallel tempering: annealing needs 10.0x the spin updates of PT to reach TV 0.01 (120 vs 12)."
        in out
    )
    assert (folder / "tv_vs_cost.png").stat().st_size > 10_000


def test_the_job_table_shows_each_method_its_own_settings_and_blanks_the_others():
    """The report's job table (summary.csv and the text): parallel tempering's jobs logged the linear
    schedule's unused defaults (T0 = 5, 2 sweeps per temperature) and showed them as if they had annealed;
    annealing's jobs showed PT's null keys as 'None'.  Each row now shows what its job read, '-' elsewhere."""
    from bmexp.report import SweepReport, runs_frame

    def run(i, **params):
        common = {
            "convention": "spin",
            "sampler.rule": "heat_bath",
            "sampler.scan": "random",
            "model.name": "metastable",
        }
        common |= {"schedule.T0": "5.0", "schedule.step": "1.0", "schedule.sweeps_per_temperature": "2"}
        common |= {"schedule.sweeps": "20", "training.eta": "0.01"}
        pt = {"sampler.replicas": "None", "sampler.ladder": "None", "sampler.T_max": "None"}
        metrics = {"check.lumped.tv": 0.1, "check.lumped.cost": 1000.0}
        return {"run_id": f"r{i}", "status": "FINISHED", "tags": {}, "params": common | pt | params, "metrics": metrics}

    runs = [
        run(0, **{"sampler.name": "gibbs", "schedule.kind": "linear", "schedule.T0": "2.0"}),
        run(1, **{"sampler.name": "gibbs", "schedule.kind": "linear", "schedule.sweeps_per_temperature": "100"}),
        run(2, **{"sampler.name": "pt", "schedule.kind": "constant", "schedule.sweeps": "200"}, **{
            "sampler.replicas": "3", "sampler.ladder": "geometric", "sampler.T_max": "5.0"}),
    ]  # fmt: skip
    df = runs_frame(runs)
    assert df["schedule.T0"].tolist()[:2] == [2.0, 5.0] and np.isnan(df["schedule.T0"][2])
    assert np.isnan(df["schedule.sweeps_per_temperature"][2]) and np.isnan(df["schedule.step"][2])
    assert np.isnan(df["schedule.sweeps"][0]) and df["schedule.sweeps"][2] == 200
    assert df["sampler.replicas"].isna().tolist() == [True, True, False]
    lines = SweepReport({"run_id": "p", "tags": {"bmexp.sweep": "metastable"}}, df, [], []).text().splitlines()
    header, *rows = [line.split() for line in lines[1:5]]
    assert header == [
        "status", "schedule.T0", "schedule.step", "schedule.sweeps_per_temperature", "sampler.name",
        "sampler.replicas", "sampler.ladder", "sampler.T_max", "schedule.kind", "schedule.sweeps",
    ]  # fmt: skip
    assert rows == [
        ["FINISHED", "2", "1", "2", "gibbs", "-", "-", "-", "linear", "-"],
        ["FINISHED", "5", "1", "100", "gibbs", "-", "-", "-", "linear", "-"],
        ["FINISHED", "-", "-", "-", "pt", "3", "geometric", "5", "constant", "200"],
    ]
