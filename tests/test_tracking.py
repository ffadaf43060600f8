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


def test_job_run_ends_killed_when_a_library_turned_the_interrupt_into_another_error(tmp_path):
    store = tracking.Store.default(root=tmp_path)
    with pytest.raises(AttributeError):
        with tracking.job_run(store, "bmexp-t", run_name="x", parent_id=None) as job:
            try:
                raise KeyboardInterrupt("signal 15")
            finally:  # (as OmegaConf's flag_override, interrupted)
                raise AttributeError("'NoneType' object has no attribute '_invalidate_flags_cache'")
    run = store.client().get_run(job.run_id)
    assert run.info.status == "KILLED" and run.data.tags["bmexp.error"].startswith("AttributeError: 'NoneType'")


def _store_and_a_dead_owner(tmp_path):
    """A store, its client, an experiment, and the owner tag of a process that has ended."""
    store = tracking.Store.default(root=tmp_path)
    dead = subprocess.run(
        [sys.executable, "-c", "from bmexp import tracking; print(tracking.owner())"], capture_output=True, text=True
    ).stdout.strip()
    return store, store.client(), store.experiment_id("bmexp-t"), dead


def test_stale_runs_of_dead_processes_only(tmp_path):
    store, client, exp, dead = _store_and_a_dead_owner(tmp_path)
    gone = client.create_run(exp, tags={tracking.OWNER_TAG: dead}).info.run_id
    alive = client.create_run(exp, tags={tracking.OWNER_TAG: tracking.owner()}).info.run_id
    other_host = client.create_run(exp, tags={tracking.OWNER_TAG: "another-host:1:1"}).info.run_id
    assert tracking.mark_stale_runs(store) == 1
    assert client.get_run(gone).info.status == "KILLED"
    assert client.get_run(alive).info.status == "RUNNING"
    assert client.get_run(other_host).info.status == "RUNNING"


def test_a_stale_run_marked_meanwhile_by_another_process_is_left_as_that_process_marked_it(tmp_path, monkeypatch):
    """The workers of a killed launcher all mark its parent run at once; the second one's tag failed on the
    first one's ("UNIQUE constraint failed: tags.key, tags.run_uuid", an outside tester, 2 of 5 kills) and
    it printed that it could not mark the runs.  Each run is marked under the store's lock and only while it
    is still RUNNING: here another process marks it between the search and the marking."""
    store, client, exp, dead = _store_and_a_dead_owner(tmp_path)
    gone = client.create_run(exp, tags={tracking.OWNER_TAG: dead}).info.run_id
    real = tracking._owner_alive

    def meanwhile(tag):  # the other worker wins the race
        client.set_tag(gone, "bmexp.error", "marked by the other worker")
        client.set_terminated(gone, "KILLED")
        return real(tag)

    monkeypatch.setattr(tracking, "_owner_alive", meanwhile)
    assert tracking.mark_stale_runs(store, reason="its launcher was killed") == 0
    run = client.get_run(gone)
    assert (run.info.status, run.data.tags["bmexp.error"]) == ("KILLED", "marked by the other worker")


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


# ----------------------------------------------------------------------------- metrics written directly
_KEYS = ["train.kl", "check.joint.p_value", "a/b c"]
_VALUES = [0.0, -0.0, 1.5, -2.25, 1e-300, 1e300, float("nan"), float("inf"), float("-inf")]


def _batches():
    from hypothesis import strategies as st

    metric = st.tuples(st.sampled_from(_KEYS), st.sampled_from(_VALUES), st.integers(0, 3), st.integers(0, 4))
    return st.lists(st.lists(metric, min_size=1, max_size=30), min_size=1, max_size=3)


def _rows(store, run_id):
    con = store._connect()
    try:
        metrics, latest = (
            sorted(con.execute(f"SELECT key, value, timestamp, step, is_nan FROM {t} WHERE run_uuid = ?", (run_id,)))
            for t in ("metrics", "latest_metrics")
        )
    finally:
        con.close()
    return metrics, latest


@pytest.fixture(scope="module")
def metrics_store(tmp_path_factory):
    store = tracking.Store.default(root=tmp_path_factory.mktemp("metrics"))
    return store, store.experiment_id("metrics", store.client())


def test_metrics_written_directly_are_the_rows_log_batch_writes(metrics_store):
    """bmexp writes a job's metrics into SQLite in one statement (tracking.insert_metrics) instead of
    MLflow's log_batch: for any batches (NaN, +-inf, duplicates, steps and timestamps in any order,
    ties), the rows of ``metrics`` and ``latest_metrics`` and what MLflow reads back are the same."""
    from hypothesis import HealthCheck, given, settings
    from mlflow.entities import Metric

    store, exp = metrics_store
    client = store.client()

    @settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(_batches())
    def check(batches):
        ours, theirs = client.create_run(exp).info.run_id, client.create_run(exp).info.run_id
        for batch in batches:
            metrics = [Metric(k, v, ts, step) for k, v, ts, step in batch]
            assert tracking.insert_metrics(store, ours, metrics)
            client.log_batch(theirs, metrics=metrics)
        assert _rows(store, ours) == _rows(store, theirs)
        a, b = client.get_run(ours).data.metrics, client.get_run(theirs).data.metrics
        assert a.keys() == b.keys() and all(a[k] == b[k] or (a[k] != a[k] and b[k] != b[k]) for k in a)
        for key in a:
            history = [
                sorted((m.step, m.timestamp, repr(m.value)) for m in client.get_metric_history(run, key))
                for run in (ours, theirs)
            ]
            assert history[0] == history[1]

    check()


def test_job_runs_write_their_metrics_directly_with_this_mlflow(metrics_store, monkeypatch):
    """The installed MLflow's schema is one insert_metrics knows (an upgrade fails here: check it against
    log_batch with the test above, then add its revision to METRICS_SCHEMAS)."""
    store, _ = metrics_store
    calls = []
    monkeypatch.setattr(type(store.client()._client), "log_batch", lambda self, *a, **k: calls.append(k), raising=True)
    with tracking.job_run(store, "metrics", run_name="j", parent_id=None) as job:
        job.metrics({"train.kl": 0.5}, step=1)
        job.metrics({"train.kl": 0.25, "wall_time_s": 2.0}, step=2)
    assert not any("metrics" in k for k in calls)
    run = store.client().get_run(job.run_id)
    assert run.data.metrics == {"train.kl": 0.25, "wall_time_s": 2.0} and run.info.status == "FINISHED"
    assert [m.value for m in store.client().get_metric_history(job.run_id, "train.kl")] == [0.5, 0.25]


def test_an_unknown_schema_goes_through_log_batch(metrics_store, monkeypatch):
    from mlflow.entities import Metric

    store, exp = metrics_store
    monkeypatch.setattr(tracking, "METRICS_SCHEMAS", frozenset({"not-this-one"}))
    run_id = store.client().create_run(exp).info.run_id
    assert not tracking.insert_metrics(store, run_id, [Metric("x", 1.0, 0, 0)])
    assert _rows(store, run_id) == ([], [])
    with tracking.job_run(store, "metrics", run_name="j", parent_id=None) as job:
        job.metrics({"x": 3.0}, step=0)
    assert store.client().get_run(job.run_id).data.metrics == {"x": 3.0}


def test_a_metric_name_log_batch_refuses_is_refused_alike(metrics_store):
    from mlflow.entities import Metric
    from mlflow.exceptions import MlflowException

    store, exp = metrics_store
    client = store.client()
    for key in ("bad name!", "../up", "a//b"):
        ours, theirs = client.create_run(exp).info.run_id, client.create_run(exp).info.run_id
        with pytest.raises(MlflowException) as refused:
            client.log_batch(theirs, metrics=[Metric(key, 1.0, 0, 0)])
        with pytest.raises(MlflowException) as ours_refused:
            tracking.insert_metrics(store, ours, [Metric("fine", 1.0, 0, 0), Metric(key, 1.0, 0, 0)])
        assert refused.value.error_code == ours_refused.value.error_code
        assert _rows(store, ours) == _rows(store, theirs) == ([], [])


def test_an_interrupt_just_after_a_transactions_commit_is_the_interrupt_not_a_store_error(tmp_path, monkeypatch):
    """An outside tester's kill -9 of a launcher left a job FAILED with "StoreError: ... cannot rollback - no
    transaction is active": the worker's interrupt came right after COMMIT, and the clean-up's ROLLBACK
    failed.  The interrupt must come through as itself (the job ends KILLED), and what was committed stays."""
    import sqlite3

    store = tracking.Store(f"sqlite:///{tmp_path}/mlflow.db", None)

    class InterruptedAfterCommit:
        def __init__(self, con):
            self.con = con

        def __getattr__(self, name):
            return getattr(self.con, name)

        def execute(self, sql, *args):
            out = self.con.execute(sql, *args)
            if sql == "COMMIT":
                raise KeyboardInterrupt("signal 15")  # as the handler raises it once the statement returned
            return out

    real = tracking.Store._connect
    monkeypatch.setattr(tracking.Store, "_connect", lambda self, **kw: InterruptedAfterCommit(real(self, **kw)))
    with pytest.raises(KeyboardInterrupt, match="signal 15"):
        with store.transaction() as con:
            con.execute("CREATE TABLE t (x)")
            con.execute("INSERT INTO t VALUES (1)")
    with sqlite3.connect(tmp_path / "mlflow.db") as con:
        assert con.execute("SELECT x FROM t").fetchall() == [(1,)]
    # and one inside the block still rolls back
    monkeypatch.setattr(tracking.Store, "_connect", real)
    with pytest.raises(KeyboardInterrupt):
        with store.transaction() as con:
            con.execute("INSERT INTO t VALUES (2)")
            raise KeyboardInterrupt("signal 15")
    with sqlite3.connect(tmp_path / "mlflow.db") as con:
        assert con.execute("SELECT x FROM t").fetchall() == [(1,)]
