"""Sweeps that lose nothing: real kills of real processes, then resume."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bmexp import tracking

# one worker runs these one after another (pyproject addopts: --dist loadgroup): sweeps of real
# processes, signalled at chosen moments, would otherwise share two cores with another such sweep
pytestmark = pytest.mark.xdist_group("signals")

ENV = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
ENV.pop("MLFLOW_TRACKING_URI", None)


def start(args, cwd):
    return subprocess.Popen(
        [sys.executable, "-m", "bmexp", *args],
        cwd=cwd,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def runs(cwd, status=None):
    store = tracking.Store.default(root=cwd)
    client = store.client()
    ids = [e.experiment_id for e in client.search_experiments()]
    filt = f"attributes.status = '{status}'" if status else ""
    return client.search_runs(ids, filter_string=filt, max_results=1000) if ids else []


def jobs(cwd, status):
    return [r for r in runs(cwd, status) if r.data.tags.get("bmexp.role") == "job"]


def wait_for_finished_jobs(cwd, count, proc, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, proc.communicate()
        # poll only once the launcher has created the store (schema + parent run)
        if list(Path(cwd).glob("multirun/*/*/parent_run.json")) and len(jobs(cwd, "FINISHED")) >= count:
            return
        time.sleep(0.3)
    raise AssertionError("the sweep did not finish jobs in time")


def resume_and_check(cwd, args, configurations):
    again = subprocess.run(
        [sys.executable, "-m", "bmexp", *args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=600
    )
    assert again.returncode == 0, again.stderr
    assert runs(cwd, "RUNNING") == []
    finished = jobs(cwd, "FINISHED")
    hashes = [r.data.tags["bmexp.config_hash"] for r in finished]
    assert len(finished) == configurations and len(set(hashes)) == configurations
    return again


BASIC = ["sweep", "sweep=basic", "training.epochs=40", "checks.n=2000"]
JOBLIB = ["sweep", "sweep=quick", "training.epochs=40", "checks.n=2000"]


# kill -9 of the launcher: tests/test_faults.py (no process left, nothing RUNNING, runs KILLED); a claim
# whose owner died is taken over on resume: test_a_claim_is_atomic_and_a_dead_owners_claim_is_taken_over.


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT])  # SIGTERM and a killed worker: tests/test_faults.py
def test_ctrl_c_or_sigterm_of_a_joblib_sweep_then_resume(tmp_path, sig):
    proc = start(JOBLIB, tmp_path)
    wait_for_finished_jobs(tmp_path, 1, proc)
    os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "Traceback" not in err
    parents = [r for r in runs(tmp_path) if r.data.tags.get("bmexp.role") == "sweep"]
    assert [r.info.status for r in parents] == ["KILLED"]
    resume_and_check(tmp_path, JOBLIB, 8)
