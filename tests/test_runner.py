"""The main job end to end: sweep -> MLflow store -> report -> UI, in a temporary directory."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

QUICK = ["sweep", "sweep=quick", "training.epochs=8", "checks.n=800"]


def bmexp(args, cwd, timeout=600):
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.run(
        [sys.executable, "-m", "bmexp", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )


def store_runs(cwd):
    from bmexp import tracking

    store = tracking.Store.default(root=cwd)
    parent = tracking.find_sweep(store)
    return store, parent, tracking.child_runs(store, parent) if parent else []


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("sweep")
    proc = bmexp(QUICK, cwd)
    assert proc.returncode == 0, proc.stderr
    return cwd, proc


@pytest.mark.slow
def test_quick_sweep_logs_one_finished_child_run_per_configuration(swept):
    cwd, proc = swept
    assert "8 jobs, every configuration validated" in proc.stderr
    store, parent, children = store_runs(cwd)
    assert parent["status"] == "FINISHED" and parent["tags"]["bmexp.sweep"] == "quick"
    assert len(children) == 8 and {c["status"] for c in children} == {"FINISHED"}
    assert all(c["tags"]["mlflow.parentRunId"] == parent["run_id"] for c in children)
    configs = {(c["params"]["convention"], c["params"]["schedule.T0"], c["params"]["training.eta"]) for c in children}
    assert len(configs) == 8
    assert len({c["tags"]["bmexp.config_hash"] for c in children}) == 8
    for c in children:
        m = c["metrics"]
        for key in (
            "check.joint.p_value",
            "check.conditional.statistic",
            "check.random_hidden_mixture.tv",
            "check.schedule_sampler.kl",
            "check.schedule.tv",
            "train.final_kl_teacher",
            "train.diverged",
            "wall_time_s",
            "sampler.updates_per_s",
            "train.epochs_to_kl_teacher_0.01",
        ):
            assert key in m, key
        assert c["tags"]["bmexp.version"] and c["params"]["model.name"] == "seed_target"
    from bmexp import tracking

    history = tracking.metric_history(store, children[0]["run_id"], "train.kl_teacher")
    assert [s for s, _ in history] == list(range(9))
    art = Path(cwd, "mlruns", "artifacts", "bmexp-quick", children[0]["run_id"], "artifacts")
    # one file per kind, no per-job plots unless checks.plot (the report draws the sweep's)
    assert {p.name for p in art.iterdir()} == {"config.yaml", "checks.csv", "training_metrics.csv"}
    checks = pd.read_csv(art / "checks.csv")
    assert list(checks["check"].unique()) == ["conditional", "joint", "random_hidden", "schedule"]
    assert checks.groupby("check")["observed"].sum().tolist() == [800] * 4
    for c in children:
        assert 0 <= c["metrics"]["tracking.overhead_fraction"] < 1
    # the sweep dir holds the parent-run hand-off for remote jobs
    handoff = list(Path(cwd, "multirun", "quick").glob("*/parent_run.json"))
    assert len(handoff) == 1 and json.loads(handoff[0].read_text())["run_id"] == parent["run_id"]


@pytest.mark.slow
def test_report_on_the_sweep(swept):
    cwd, _ = swept
    proc = bmexp(["report"], cwd)
    assert proc.returncode == 0, proc.stderr
    assert "What the sweep says:" in proc.stdout and "Convention: median epochs" in proc.stdout
    out = Path(cwd, "reports", "quick")
    for name in (
        "summary.csv",
        "heatmap_joint_p_value.png",
        "heatmap_schedule_tv.png",
        "training_kl_by_convention.png",
        "final_kl_vs_eta.png",
        "answers.txt",
    ):
        assert (out / name).is_file(), name
    import pandas as pd

    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 8 and "check.schedule_sampler.p_holm" in summary and "check.joint.p_bh" in summary
    assert "schedule_adequate" in summary and summary["implementation_ok"].all()
    _, parent, _ = store_runs(cwd)
    logged = Path(cwd, "mlruns", "artifacts", "bmexp-quick", parent["run_id"], "artifacts", "report")
    assert (logged / "summary.csv").is_file()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_ui_serves_the_sweep_runs_over_rest_and_stops(swept):
    cwd, _ = swept
    port = free_port()
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bmexp", "ui", f"ui.port={port}"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        first = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in first
        deadline, body = time.time() + 90, None
        while time.time() < deadline:
            try:
                req = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/search",
                    data=json.dumps({"max_results": 10}).encode(),
                    headers={"Content-Type": "application/json"},
                )
                exps = json.loads(urllib.request.urlopen(req, timeout=5).read())["experiments"]
                exp_id = next(e["experiment_id"] for e in exps if e["name"] == "bmexp-quick")
                req = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/2.0/mlflow/runs/search",
                    data=json.dumps({"experiment_ids": [exp_id], "max_results": 100}).encode(),
                    headers={"Content-Type": "application/json"},
                )
                body = json.loads(urllib.request.urlopen(req, timeout=5).read())
                break
            except (OSError, StopIteration):
                time.sleep(0.5)
        assert body is not None, "the UI did not answer"
        assert len(body["runs"]) == 9  # 8 jobs + the parent
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.poll() is not None


@pytest.mark.slow
def test_single_run_and_bad_input_writes_nothing(tmp_path):
    bad = bmexp(["run", "training.eta=-1"], tmp_path)
    assert bad.returncode == 2 and "training.eta must be a finite number > 0; received -1.0" in bad.stderr
    assert "Traceback" not in bad.stderr and not (tmp_path / "mlruns").exists()
    bad = bmexp(["sweep", "sweep=quick", "training.eta=0.1,-1"], tmp_path)
    assert bad.returncode == 2 and "training.eta must be a finite number > 0; received -1.0" in bad.stderr
    assert not (tmp_path / "mlruns").exists() and not (tmp_path / "multirun").exists()
    ok = bmexp(["run", "training.epochs=3", "checks.n=500", "checks.names=[joint]", "checks.plot=true"], tmp_path)
    assert ok.returncode == 0, ok.stderr
    _, parent, _ = store_runs(tmp_path)
    assert parent is None  # a single run has no sweep parent
    (art,) = Path(tmp_path, "mlruns", "artifacts").glob("*/*/artifacts")
    assert (art / "check_joint.png").read_bytes()[:4] == (art / "training_kl.png").read_bytes()[:4] == b"\x89PNG"


def test_help_lists_the_config_groups(tmp_path):
    out = bmexp(["run", "--help"], tmp_path)
    assert out.returncode == 0
    for group in ("model:", "convention:", "schedule:", "sampler:", "training:", "data:", "tracking:", "experiment:"):
        assert group in out.stdout, group


def test_cfg_job_prints_the_config_without_running(tmp_path):
    out = bmexp(["sweep", "--cfg", "job"], tmp_path)
    assert out.returncode == 0 and "training:" in out.stdout and "eta:" in out.stdout
    assert not (tmp_path / "mlruns").exists()


def _metrics_by_config(cwd):
    _, parent, children = store_runs(cwd)
    keys = ("check.joint.p_value", "check.conditional.statistic", "train.final_kl_teacher")
    return {c["tags"]["bmexp.config_hash"]: tuple(c["metrics"][k] for k in keys) for c in children}, children


@pytest.mark.slow
def test_basic_launcher_and_joblib_give_identical_metrics(swept, tmp_path):
    # the same seed gives the same numbers whichever launcher ran the job
    cwd, _ = swept
    proc = bmexp([*QUICK, "sweep=basic", "tracking.sweep_name=quick"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    basic, _ = _metrics_by_config(tmp_path)
    joblib_runs, _ = _metrics_by_config(cwd)
    assert basic.keys() == joblib_runs.keys() and len(basic) == 8
    assert basic == joblib_runs


@pytest.mark.slow
def test_submitit_local_launcher_nests_jobs_under_the_parent(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    proc = bmexp(
        [
            "sweep",
            "sweep=quick",
            "hydra/launcher=submitit_local",
            "convention=binary",
            "schedule.T0=5",
            "training.epochs=3",
            "checks.n=500",
        ],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    _, parent, children = store_runs(tmp_path)
    assert parent["status"] == "FINISHED"
    assert len(children) == 2 and all(c["status"] == "FINISHED" for c in children)
    assert all(c["tags"]["mlflow.parentRunId"] == parent["run_id"] for c in children)


@pytest.mark.slow
def test_a_failing_job_ends_failed_and_the_sweep_goes_on(tmp_path, monkeypatch, capsys):
    import bmexp.experiment as experiment
    from bmexp.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    real = experiment.run_experiment

    def flaky(model, **kwargs):
        if kwargs["training"]["eta"] == 0.1:
            raise RuntimeError("injected failure")
        return real(model, **kwargs)

    monkeypatch.setattr(experiment, "run_experiment", flaky)
    args = ["sweep", "sweep=basic", "convention=binary", "schedule.T0=5", "training.epochs=3", "checks.n=300"]
    assert main(args) == 1  # the sweep went on, and its end says that a configuration failed
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("bmexp sweep: 1 of 2 configurations FAILED (each run's error is in its tag bmexp.error")
    assert last.endswith("run them again with: python -m bmexp sweep " + " ".join(args[1:]))
    _, parent, children = store_runs(tmp_path)
    assert parent["status"] == "FINISHED"
    by_eta = {c["params"]["training.eta"]: c for c in children}
    assert by_eta["0.1"]["status"] == "FAILED" and "injected failure" in by_eta["0.1"]["tags"]["bmexp.error"]
    assert by_eta["0.01"]["status"] == "FINISHED"
    assert parent["tags"]["bmexp.configurations"] == "2"  # what the CLI planned: the report's "k of N"
    assert main(["report"]) == 0
    assert (
        (tmp_path / "reports" / "quick_basic" / "answers.txt")
        .read_text()
        .startswith(
            "1 of 2 configurations finished (each counted once, however often it ran): 1 started and did not finish "
            "(1 FAILED; see the bmexp.error tags).\n"
        )
    )


@pytest.mark.slow
def test_schedules_sweep_finds_which_schedules_suffice(tmp_path):
    # on the metastable ferromagnet the sweep answers the post's question with data
    proc = bmexp(["sweep", "sweep=schedules", "schedule.T0=5", "schedule.step=1"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = bmexp(["report"], tmp_path)
    assert report.returncode == 0, report.stderr
    assert (
        "1 of 3 (T0, step, sweeps) settings end within TV 0.01 of Boltzmann; the cheapest is T0 = 5, "
        "step = 1, 40 sweeps per temperature" in report.stdout
    )
    assert "in every job the samples match the exact output of their schedule" in report.stdout


def test_a_model_beyond_enumeration_runs_the_checks_that_apply(tmp_path):
    """30 units: blocks runs and passes; the exact checks are skipped with the reason, on stderr and in
    the run's tags; nothing is left RUNNING."""
    from bmexp import tracking

    res = bmexp(["run", "model=random", "model.n_visible=20", "model.n_hidden=10", "train=false"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert "checks: blocks pass" in res.stdout
    assert "check joint skipped: it needs exact enumeration (n_units <= 24) (the model has 30 units)" in res.stderr
    assert "energy" not in res.stderr  # applies to lattices only: not listed for a random model
    client = tracking.Store.default(root=tmp_path).client()
    ids = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(ids, max_results=10)
    assert [r.info.status for r in runs] == ["FINISHED"]
    run = runs[0]
    assert run.data.metrics["check.blocks.passed"] == 1.0 and "check.joint.p_value" not in run.data.metrics
    assert "joint (needs exact enumeration (n_units <= 24))" in run.data.tags["bmexp.skipped_checks"]


def test_a_run_whose_training_diverged_says_so_in_its_line(tmp_path):
    """The run's one line showed the last finite epoch's KL with no word of the divergence (an outside tester)."""
    proc = bmexp(["run", "training.eta=1e308", "checks.names=[joint]", "checks.n=500"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    line = proc.stdout.strip().splitlines()[-1]
    assert "; training DIVERGED: max |W| = " in line and "at epoch 1" in line
