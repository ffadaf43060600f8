import json
import os
import subprocess
import sys

import pytest

from bmexp import InputError, tracking


def test_default_store_is_sqlite_under_mlruns(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    store = tracking.Store.default(root=tmp_path)
    assert store.uri == f"sqlite:///{tmp_path.resolve()}/mlruns/mlflow.db"
    assert store.artifact_root == (tmp_path.resolve() / "mlruns" / "artifacts").as_uri()


def test_environment_variable_is_honoured(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/other/db.sqlite")
    store = tracking.Store.default(root="/nowhere")
    assert store.uri.endswith("other/db.sqlite") and store.artifact_root.endswith("other/artifacts")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert tracking.Store.default().artifact_root is None  # a server keeps its own artifacts


@pytest.mark.parametrize("uri", ["./mlruns", "file:///tmp/mlruns", "mlruns/mlflow.db"])
def test_plain_file_stores_are_refused(uri):
    with pytest.raises(InputError, match=r"tracking.uri \(or MLFLOW_TRACKING_URI\) must be sqlite:///PATH"):
        tracking.Store.default(uri=uri)


def test_parent_run_hand_off_through_the_sweep_dir(tmp_path, monkeypatch):
    monkeypatch.delenv(tracking.PARENT_ENV, raising=False)
    store = tracking.Store.default(root=tmp_path)
    run_id = tracking.open_sweep(store, "bmexp-t", "t", sweep_dir=tmp_path / "sweep")
    assert os.environ.pop(tracking.PARENT_ENV) == run_id
    # a remote job sees no environment variable, only the shared sweep directory
    assert tracking.parent_from_env(tmp_path / "sweep") == run_id
    assert json.loads((tmp_path / "sweep" / tracking.PARENT_FILE).read_text())["tracking_uri"] == store.uri
    assert tracking.parent_from_env(tmp_path / "elsewhere") is None


def test_job_run_ends_failed_with_the_error(tmp_path):
    store = tracking.Store.default(root=tmp_path)
    with pytest.raises(RuntimeError):
        with tracking.job_run(store, "bmexp-t", run_name="x", parent_id=None) as job:
            job.metrics({"a": 1.0})
            raise RuntimeError("boom")
    run = store.client().get_run(job.run_id)
    assert run.info.status == "FAILED" and run.data.tags["bmexp.error"] == "RuntimeError: boom"
    assert run.data.metrics["a"] == 1.0


def test_stale_runs_of_dead_processes_only(tmp_path):
    store = tracking.Store.default(root=tmp_path)
    client = store.client()
    exp = store.experiment_id("bmexp-t")
    dead = subprocess.run(
        [sys.executable, "-c", "from bmexp import tracking; print(tracking.owner())"], capture_output=True, text=True
    ).stdout.strip()
    gone = client.create_run(exp, tags={tracking.OWNER_TAG: dead}).info.run_id
    alive = client.create_run(exp, tags={tracking.OWNER_TAG: tracking.owner()}).info.run_id
    other_host = client.create_run(exp, tags={tracking.OWNER_TAG: "another-host:1:1"}).info.run_id
    assert tracking.mark_stale_runs(store) == 1
    assert client.get_run(gone).info.status == "KILLED"
    assert client.get_run(alive).info.status == "RUNNING"
    assert client.get_run(other_host).info.status == "RUNNING"


def test_a_server_given_up_on_fails_later_calls_with_the_same_cause(monkeypatch):
    """After the retry window, every later call to that server (a job's clean-up setting its run FAILED)
    raises the message that gave up, not a vaguer one that would replace it as the sweep's last line."""
    uri = "http://127.0.0.1:9"
    monkeypatch.setattr(tracking, "SERVER_RETRY_S", 0.0)
    monkeypatch.setattr(tracking, "_GAVE_UP", {})
    calls = []

    class Gone:
        def set_tag(self, *args):
            calls.append(args)
            raise ConnectionError("Connection refused")

    client = tracking._Retrying(Gone(), uri)
    with pytest.raises(tracking.StoreError) as first:
        client.set_tag("run", "k", "v")
    assert str(first.value) == f"tracking server {uri} did not answer for 0 s: connection refused"
    with pytest.raises(tracking.StoreError) as later:
        client.set_tag("run", "k", "v")
    assert str(later.value) == str(first.value)
    assert len(calls) == 2  # each call tried the server once, neither waited
