"""Sweeps on a real SLURM cluster logging to a real MLflow tracking server: the one-node cluster and
the servers (SQLite and, where PostgreSQL is installed, PostgreSQL backends) of scripts/local-cluster.sh,
which .ci/run starts before the suite.  Where it cannot start (not root, no apt-get) every test here
skips with the script's reason, shown in the summary (conftest.py).

Each sweep is the smallest that takes the path: 4 configurations (2 T0 x 2 eta) as one SLURM array on a
2-CPU node.  Faults are real: scancel of an array task, kill -9 of the tracking server.  Asserted: the
counts (configurations, FINISHED, duplicates, RUNNING), the lines the user sees, the exit codes."""

import os
import re
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from bmexp import tracking

pytestmark = [pytest.mark.cluster, pytest.mark.slow, pytest.mark.xdist_group("cluster")]  # one set of servers

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "local-cluster.sh"
CONFIGURATIONS = 4
AXES = ["convention=binary", "schedule.step=5", "schedule.sweeps_per_temperature=5", "schedule.T0=5,20"]
SWEEP = [
    "sweep",
    "sweep=slurm",
    "tracking=server",
    *AXES,
    "training.eta=0.01,0.1",
    "checks.n=500",
    "checks.names=[joint]",
]
RETRY_S = 5  # how long a job waits for a server that is gone (BMEXP_SERVER_RETRY_S)


def env():
    """The jobs run in this environment (sbatch exports it): this checkout's bmexp, a short server wait."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    out = {**os.environ, "PYTHONPATH": path, "MLFLOW_DISABLE_TELEMETRY": "true", "BMEXP_SERVER_RETRY_S": str(RETRY_S)}
    out.pop("MLFLOW_TRACKING_URI", None)
    out.pop(tracking.PARENT_ENV, None)
    return out


@pytest.fixture()
def cluster(cluster_settings):
    return cluster_settings  # (conftest.py: started once per session)


def args_for(uri, name, *extra):
    return [*SWEEP, f"tracking.uri={uri}", f"tracking.sweep_name={name}", *extra]


def bmexp(args, cwd, timeout=400):
    return subprocess.run(
        [sys.executable, "-m", "bmexp", *args], cwd=cwd, env=env(), capture_output=True, text=True, timeout=timeout
    )


def start(args, cwd):
    return subprocess.Popen(
        [sys.executable, "-m", "bmexp", *args],
        cwd=cwd,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def name_of(test):
    return f"cl-{test}-{uuid.uuid4().hex[:8]}"  # the servers outlive a test run: a new sweep name each time


def job_runs(uri, name, status=None):
    store = tracking.Store.default(uri=uri)
    exp = store.client().get_experiment_by_name(f"bmexp-{name}")
    if exp is None:
        return []
    filt = "tags.`bmexp.role` = 'job'" + (f" and attributes.status = '{status}'" if status else "")
    return store.client().search_runs([exp.experiment_id], filter_string=filt, max_results=1000)


def parent_runs(uri, name):
    store = tracking.Store.default(uri=uri)
    exp = store.client().get_experiment_by_name(f"bmexp-{name}")
    return store.client().search_runs([exp.experiment_id], filter_string="tags.`bmexp.role` = 'sweep'")


def assert_complete(uri, name):
    """finished runs = configurations, no duplicates, nothing RUNNING."""
    hashes = [r.data.tags["bmexp.config_hash"] for r in job_runs(uri, name, "FINISHED")]
    assert len(hashes) == CONFIGURATIONS and len(set(hashes)) == CONFIGURATIONS, sorted(hashes)
    assert job_runs(uri, name, "RUNNING") == []
    assert [r for r in parent_runs(uri, name) if r.info.status == "RUNNING"] == []


def array_id(cwd):
    """The SLURM array job of the sweep in ``cwd`` (submitit's folder per task: <array>_<task>)."""
    # (pathlib's * matches hidden names too: submitit's .submission_file_*.sh must not be taken for a job)
    folders = [p.name for p in Path(cwd).glob("multirun/*/*/.submitit/*_*") if p.name.split("_")[0].isdigit()]
    return folders[0].split("_")[0] if folders else None


def job_log(cwd):
    """What the jobs of the latest sweep in ``cwd`` printed (submitit's log of each array task)."""
    latest = max(Path(cwd).glob("multirun/*/*/"), key=lambda p: p.name)
    return "".join(p.read_text() for p in latest.glob(".submitit/*/*_log.out"))


def sacct_states(array):
    out = subprocess.run(
        ["sacct", "-n", "-P", "-X", "-j", array, "-o", "JobID,State"], capture_output=True, text=True, check=True
    )
    return dict(line.split("|", 1) for line in out.stdout.split())


def wait_until(predicate, proc, timeout=240, what="the condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the sweep ended before {what}: {proc.communicate()}")
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def lines(text):
    return [line for line in text.splitlines() if line.strip()]


# ------------------------------------------------------------------------ a sweep on SLURM, every backend
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_sweep_on_slurm_logs_every_job_to_the_tracking_server(cluster, backend, tmp_path):
    uri = cluster.uri(backend)
    name = name_of(backend)
    r = bmexp(args_for(uri, name, "training.epochs=5"), tmp_path)
    assert r.returncode == 0, r.stderr
    assert lines(r.stderr) == [f"bmexp sweep: {CONFIGURATIONS} jobs, every configuration validated"]  # no sacct noise
    array = array_id(tmp_path)
    # it ran on SLURM: every array task COMPLETED (a task may still be exiting when its result is in)
    expected = {f"{array}_{i}": "COMPLETED" for i in range(CONFIGURATIONS)}
    deadline = time.time() + 60
    while sacct_states(array) != expected and time.time() < deadline:
        time.sleep(1)
    assert sacct_states(array) == expected

    store = tracking.Store.default(uri=uri)
    parent = tracking.find_sweep(store, name)
    children = [r for r in job_runs(uri, name) if r.data.tags.get("mlflow.parentRunId") == parent["run_id"]]
    assert parent["status"] == "FINISHED"
    assert len(children) == CONFIGURATIONS and {c.info.status for c in children} == {"FINISHED"}
    assert len({c.data.tags["bmexp.config_hash"] for c in children}) == CONFIGURATIONS
    assert parent["end_time"] >= max(c.info.end_time for c in children)  # the parent ends after its last child
    client = store.client()
    for c in children:
        assert {"check.joint.p_value", "train.final_kl_teacher", "wall_time_s"} <= c.data.metrics.keys()
        curve = tracking.metric_history(store, c.info.run_id, "train.kl_teacher")
        assert [step for step, _ in curve] == list(range(6))  # epochs 0..5, one point each
        # three files a job (per-job plots are opt-in, checks.plot; the report draws the sweep's)
        assert {a.path for a in client.list_artifacts(c.info.run_id)} == {
            "config.yaml",
            "checks.csv",
            "training_metrics.csv",
        }
    config = Path(client.download_artifacts(children[0].info.run_id, "config.yaml", str(tmp_path)))
    assert "epochs: 5" in config.read_text()

    report = bmexp(
        ["report", "tracking=server", f"tracking.uri={uri}", f"report.sweep={name}", f"report.out={tmp_path}/reports"],
        tmp_path,
    )
    assert report.returncode == 0, report.stderr
    summary = (tmp_path / "reports" / name / "summary.csv").read_text().splitlines()
    assert len(summary) == 1 + CONFIGURATIONS  # the report read the four runs back over HTTP
    assert f"logged on the sweep's parent run {parent['run_id']}" in report.stdout


# ------------------------------------------------------------------------ scancel of one array task
def task_of(run):
    """The SLURM array task (<array>_<task>) whose process holds ``run`` (from its environment)."""
    pid = int(run.data.tags["bmexp.owner"].split(":")[1])
    environ = dict(
        item.split("=", 1) for item in Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0") if "=" in item
    )
    return f"{environ['SLURM_ARRAY_JOB_ID']}_{environ['SLURM_ARRAY_TASK_ID']}"


def test_scancel_of_an_array_task_costs_its_job_only_and_the_same_sweep_resumes_it(cluster, tmp_path):
    uri = cluster.uri("sqlite")
    name = name_of("scancel")
    args = args_for(uri, name, "train=false")
    proc = start(args, tmp_path)
    running = wait_until(lambda: job_runs(uri, name, "RUNNING"), proc, what="a running job")
    victim = task_of(running[0])
    subprocess.run(["scancel", victim], check=True)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err
    assert "Traceback" not in out + err
    shown = lines(err)
    assert len(shown) == 3, shown
    assert re.fullmatch(
        rf"bmexp sweep: job #\d \[.*\] lost: SLURM job {victim} ended CANCELLED; the sweep goes on", shown[1]
    )
    assert shown[2] == (
        f"bmexp sweep: 1 of {CONFIGURATIONS} configurations not finished (SLURM job {victim} ended CANCELLED); "
        f"resume them with: python -m bmexp {shlex.join(args)}"
    )
    killed = job_runs(uri, name, "KILLED")  # its run ended KILLED at scancel's SIGTERM, not left RUNNING
    assert [r.info.run_id for r in killed] == [running[0].info.run_id]
    assert len(job_runs(uri, name, "FINISHED")) == CONFIGURATIONS - 1 and job_runs(uri, name, "RUNNING") == []
    (first,) = parent_runs(uri, name)
    assert first.info.status == "FINISHED" and first.data.tags["bmexp.lost_jobs"] == "1"
    assert first.info.end_time >= max(r.info.end_time for r in job_runs(uri, name))

    again = bmexp(args, tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"bmexp sweep: {CONFIGURATIONS - 1} of {CONFIGURATIONS} configurations already finished" in again.stderr
    assert len(job_log(tmp_path).splitlines()) > 0 and "already finished" not in job_log(tmp_path)  # only the 4th ran
    assert_complete(uri, name)
    assert len(job_runs(uri, name)) == CONFIGURATIONS + 1  # + the KILLED run; the report takes the FINISHED one


# ------------------------------------------------------------------------ the tracking server goes away
def test_a_tracking_server_killed_mid_sweep_is_one_line_per_job_and_the_resumed_sweep_loses_nothing(cluster, tmp_path):
    backend = "postgres" if cluster.uri("postgres", skip=False) else "sqlite"
    uri = cluster.uri(backend)
    name = name_of(f"outage-{backend}")
    args = args_for(uri, name, "train=false")
    proc = start(args, tmp_path)
    # two finished: the other two are running (or about to start) when the server goes
    wait_until(lambda: len(job_runs(uri, name, "FINISHED")) >= 2, proc, what="two finished jobs")
    cluster.kill_server(backend)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, err
    assert "Traceback" not in out + err
    shown = lines(err)
    assert shown[0] == f"bmexp sweep: {CONFIGURATIONS} jobs, every configuration validated"
    gone = rf"tracking server {re.escape(uri)} (does not answer|did not answer for {RETRY_S} s): [a-z ]+"
    failed = [
        x for x in shown[1:-1] if re.fullmatch(rf"bmexp sweep: job #\d \[.*\] failed \(SLURM job \d+_\d\): {gone}", x)
    ]
    assert failed == shown[1:-1], shown  # one line per failed job, nothing else
    assert re.fullmatch(
        rf"bmexp sweep: error: {gone}; the sweep stopped; once the store is back, resume it with: "
        rf"python -m bmexp {re.escape(shlex.join(args))}",
        shown[-1],
    ), shown[-1]

    cluster.start()  # the same server (same port, same store) again
    finished_before = len(job_runs(uri, name, "FINISHED"))
    assert finished_before >= 2 and finished_before + len(failed) == CONFIGURATIONS, (finished_before, shown)
    again = bmexp(args, tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"bmexp sweep: {finished_before} of {CONFIGURATIONS} configurations already finished" in again.stderr
    assert_complete(uri, name)


# ------------------------------------------------------------------------ bad input for a cluster sweep
def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("case", ["partition", "port"])
def test_bad_input_for_a_cluster_sweep_is_one_line_exit_2_and_nothing_submitted(
    cluster, case, tmp_path, monkeypatch, capsys
):
    """A partition that does not exist (sinfo asked before submitting), a tracking server where nothing
    listens; `sweep=slurm` with a SQLite store is in the bad-input table (it needs no cluster)."""
    name = name_of(f"bad-{case}")
    if case == "partition":
        uri, extra = cluster.uri("sqlite"), ["hydra.launcher.partition=nosuch"]
        message = (
            "bmexp sweep: error: hydra.launcher.partition must be one of this SLURM cluster's partitions "
            f"(sinfo: ['{cluster.settings['BMEXP_CLUSTER_PARTITION']}']) or null; received 'nosuch'"
        )
    else:
        uri, extra = f"http://127.0.0.1:{free_port()}", []
        message = f"bmexp sweep: error: tracking server {uri} does not answer: connection refused"
    queued = subprocess.run(["squeue", "-h", "-o", "%i"], capture_output=True, text=True, check=True).stdout
    from bmexp.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    one = [a for a in SWEEP if "," not in a] + ["schedule.T0=5", "training.eta=0.1"]  # one configuration
    assert main([*one, f"tracking.uri={uri}", f"tracking.sweep_name={name}", *extra]) == 2
    out, err = capsys.readouterr()
    assert out == "" and lines(err) == [message], err
    assert list(tmp_path.iterdir()) == []  # nothing written: no multirun/, no mlruns/
    # nothing submitted: no job in the queue that was not there before (another test's job may have ended:
    # CI once saw 56_1 leave the queue meanwhile)
    after = subprocess.run(["squeue", "-h", "-o", "%i"], capture_output=True, text=True).stdout
    assert set(after.split()) - set(queued.split()) == set(), after
    if case == "partition":
        assert (
            job_runs(uri, name) == []
            and tracking.Store.default(uri=uri).client().get_experiment_by_name(f"bmexp-{name}") is None
        )
