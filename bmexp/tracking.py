"""Experiment tracking with MLflow: the only module that imports mlflow.

Store: ``MLFLOW_TRACKING_URI`` if set, else ``sqlite:///<root>/mlruns/mlflow.db`` with
artifacts under ``<root>/mlruns/artifacts`` (``<root>`` = the working directory).  MLflow 3
refuses a plain ``./mlruns`` file store, and a fresh SQLite store that several processes
create at once is corrupted for good, so the schema, the experiment and a sweep's parent run
are created once, in the launching process (:func:`open_sweep`), before any job starts; jobs
only add child runs.  The parent run id reaches jobs through the environment variable
``BMEXP_PARENT_RUN_ID`` and a file ``parent_run.json`` in the sweep directory (for jobs on
other machines).  It is never passed as ``MLFLOW_RUN_ID``, which would resume the parent
instead of nesting under it.
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

from .errors import InputError

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

__all__ = ["Store", "JobRun", "open_sweep", "parent_from_env", "PARENT_ENV", "PARENT_FILE", "close_parent",
           "mark_stale_runs"]

OWNER_TAG = "bmexp.owner"
PARENT_ENV = "BMEXP_PARENT_RUN_ID"
PARENT_FILE = "parent_run.json"
SWEEP_TAG = "bmexp.sweep"
CONFIG_HASH_TAG = "bmexp.config_hash"


_CLIENTS: dict = {}


@dataclass(frozen=True)
class Store:
    """Where runs go: a tracking URI and, for local stores, the artifact root."""

    uri: str
    artifact_root: str | None

    @classmethod
    def default(cls, root: str | os.PathLike | None = None, uri: str | None = None) -> "Store":
        """``uri`` if given, else ``MLFLOW_TRACKING_URI``, else SQLite under ``<root>/mlruns``."""
        uri = uri or os.environ.get("MLFLOW_TRACKING_URI")
        if uri:
            if uri.startswith("sqlite:///"):
                return cls(uri, (Path(uri[len("sqlite:///"):]).resolve().parent / "artifacts").as_uri())
            if "://" not in uri or uri.startswith("file:"):
                raise InputError(f"tracking.uri (or MLFLOW_TRACKING_URI) must be sqlite:///PATH or a tracking server "
                                 f"(http://HOST:PORT); "
                                 f"received {uri!r} (MLflow 3 no longer accepts a plain file store)")
            return cls(uri, None)  # a server keeps its own artifact store
        base = Path(root or Path.cwd()).resolve() / "mlruns"
        return cls(f"sqlite:///{base / 'mlflow.db'}", (base / "artifacts").as_uri())

    def prepare(self) -> None:
        if self.uri.startswith("sqlite:///"):
            Path(self.uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)

    def client(self):
        """An MlflowClient (one per process and store).  For SQLite the schema is created or
        migrated here under an exclusive file lock, so that no two processes ever race on it."""
        if self.uri in _CLIENTS:
            return _CLIENTS[self.uri]
        from mlflow import MlflowClient
        logging.getLogger("mlflow").setLevel(logging.WARNING)  # (after mlflow configured its loggers)
        self.prepare()
        client = MlflowClient(tracking_uri=self.uri)
        if self.uri.startswith("sqlite:///"):
            import fcntl
            lock = Path(self.uri[len("sqlite:///"):]).parent / ".bmexp-schema.lock"
            with open(lock, "w") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    client.search_experiments(max_results=1)  # creates / migrates the schema
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
        _CLIENTS[self.uri] = client
        return client

    def experiment_id(self, name: str, client=None) -> str:
        """Get or create the experiment ``name`` (artifacts under this store's artifact root)."""
        client = client or self.client()
        exp = client.get_experiment_by_name(name)
        if exp is not None:
            return exp.experiment_id
        location = f"{self.artifact_root}/{name}" if self.artifact_root else None
        return client.create_experiment(name, artifact_location=location)


def _start_ticks(pid: int) -> str | None:
    """A process's start time in clock ticks since boot (Linux), to tell a live PID from a reused one."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def owner() -> str:
    """``host:pid:start`` of this process: written on every run it opens."""
    return f"{socket.gethostname()}:{os.getpid()}:{_start_ticks(os.getpid()) or '?'}"


def _owner_alive(tag: str) -> bool | None:
    """True/False for a process on this host; None when it cannot be told (another host)."""
    try:
        host, pid, start = tag.rsplit(":", 2)
        pid = int(pid)
    except ValueError:
        return None
    if host != socket.gethostname():
        return None
    now = _start_ticks(pid)
    if now is None:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return start == "?"
    return now == start


def mark_stale_runs(store: Store) -> int:
    """End runs left RUNNING by a process of this host that is gone (killed, crashed).

    They become KILLED with ``bmexp.error``.  Runs of live processes, and of other hosts, are left
    alone.  Called whenever bmexp opens a store for a sweep, a run, a report or the UI.
    """
    client = store.client()
    ids = [e.experiment_id for e in client.search_experiments()]
    if not ids:
        return 0
    stale = 0
    for run in client.search_runs(ids, filter_string="attributes.status = 'RUNNING'", max_results=5000):
        if _owner_alive(run.data.tags.get(OWNER_TAG, "")) is False:
            client.set_tag(run.info.run_id, "bmexp.error", "its process ended without closing the run")
            client.set_terminated(run.info.run_id, "KILLED")
            stale += 1
    return stale


def finished_run(store: Store, experiment: str, config_hash: str) -> str | None:
    """The id of a FINISHED job run of ``config_hash`` in ``experiment``, if any (resume skips it)."""
    client = store.client()
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        return None
    runs = client.search_runs([exp.experiment_id], max_results=1,
                              filter_string=f"attributes.status = 'FINISHED' and tags.`{CONFIG_HASH_TAG}` = "
                                            f"'{config_hash}' and tags.`bmexp.role` = 'job'")
    return runs[0].info.run_id if runs else None


def _flat(params: Mapping, prefix: str = "") -> dict[str, str]:
    out = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flat(value, name + "."))
        else:
            out[name] = json.dumps(value) if isinstance(value, (list, tuple)) else str(value)
    return out


def open_sweep(store: Store, experiment: str, sweep_name: str, *, sweep_dir: str | os.PathLike | None,
               params: Mapping | None = None, tags: Mapping[str, str] | None = None) -> str:
    """Create the schema, the experiment and the sweep's parent run; hand its id to the jobs."""
    client = store.client()
    exp_id = store.experiment_id(experiment, client)
    run = client.create_run(exp_id, run_name=sweep_name, tags={SWEEP_TAG: sweep_name, "bmexp.role": "sweep",
                                                                 OWNER_TAG: owner(), **(tags or {})})
    run_id = run.info.run_id
    if params:
        _log_params(client, run_id, _flat(params))
    os.environ[PARENT_ENV] = run_id
    if sweep_dir is not None:
        Path(sweep_dir).mkdir(parents=True, exist_ok=True)
        (Path(sweep_dir) / PARENT_FILE).write_text(json.dumps({"run_id": run_id, "tracking_uri": store.uri,
                                                               "experiment": experiment}))
    return run_id


def parent_from_env(sweep_dir: str | os.PathLike | None = None) -> str | None:
    """The parent run id handed over by :func:`open_sweep` (environment first, then the file)."""
    if os.environ.get(PARENT_ENV):
        return os.environ[PARENT_ENV]
    if sweep_dir is not None and (Path(sweep_dir) / PARENT_FILE).is_file():
        return json.loads((Path(sweep_dir) / PARENT_FILE).read_text())["run_id"]
    return None


def close_parent(store: Store, run_id: str, status: str = "FINISHED") -> None:
    store.client().set_terminated(run_id, status)


def _log_params(client, run_id, params: dict[str, str]) -> None:
    from mlflow.entities import Param
    items = [Param(k, v[:6000]) for k, v in params.items()]
    for i in range(0, len(items), 100):
        client.log_batch(run_id, params=items[i:i + 100])


class JobRun:
    """One job's MLflow run: log params, metrics (with steps), tags and artifacts."""

    def __init__(self, client, run_id: str):
        self.client, self.run_id = client, run_id
        self._pending = []

    def params(self, params: Mapping) -> None:
        _log_params(self.client, self.run_id, _flat(params))

    def tags(self, tags: Mapping[str, str]) -> None:
        from mlflow.entities import RunTag
        self.client.log_batch(self.run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])

    def metrics(self, metrics: Mapping[str, float], step: int = 0) -> None:
        from mlflow.entities import Metric
        now = int(time.time() * 1000)
        self._pending.extend(Metric(k, float(v), now, step) for k, v in metrics.items()
                             if v is not None and not (isinstance(v, float) and math.isinf(v)))
        if len(self._pending) >= 900:
            self.flush()

    def flush(self) -> None:
        for i in range(0, len(self._pending), 1000):
            self.client.log_batch(self.run_id, metrics=self._pending[i:i + 1000])
        self._pending = []

    def artifact(self, path: str | os.PathLike, folder: str | None = None) -> None:
        self.client.log_artifact(self.run_id, str(path), folder)


@contextmanager
def job_run(store: Store, experiment: str, *, run_name: str, parent_id: str | None,
            tags: Mapping[str, str] | None = None) -> Iterator[JobRun]:
    """A child run that always ends: FINISHED, or FAILED with the error in the tag ``bmexp.error``."""
    client = store.client()
    exp_id = store.experiment_id(experiment, client)
    run_tags = {"bmexp.role": "job", OWNER_TAG: owner(), **(tags or {})}
    if parent_id:
        run_tags["mlflow.parentRunId"] = parent_id
    run = client.create_run(exp_id, run_name=run_name, tags=run_tags)
    job = JobRun(client, run.info.run_id)
    try:
        yield job
        job.flush()
    except BaseException as exc:
        try:
            job.flush()
            client.set_tag(job.run_id, "bmexp.error", f"{type(exc).__name__}: {exc}"[:5000])
        finally:
            client.set_terminated(job.run_id, "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
        raise
    client.set_terminated(job.run_id, "FINISHED")


# ----------------------------------------------------------------------------- reading back
def _run_dict(run) -> dict:
    return {"run_id": run.info.run_id, "run_name": run.info.run_name, "status": run.info.status,
            "experiment_id": run.info.experiment_id,
            "start_time": run.info.start_time, "end_time": run.info.end_time,
            "params": dict(run.data.params), "metrics": dict(run.data.metrics), "tags": dict(run.data.tags)}


def find_sweep(store: Store, sweep_name: str | None = None) -> dict | None:
    """The latest sweep parent run (named ``sweep_name`` if given), in any experiment, as a dict."""
    client = store.client()
    exp_ids = [e.experiment_id for e in client.search_experiments()]
    if not exp_ids:
        return None
    filt = "tags.`bmexp.role` = 'sweep'"
    if sweep_name:
        filt += f" and tags.`{SWEEP_TAG}` = '{sweep_name}'"
    runs = client.search_runs(exp_ids, filter_string=filt, order_by=["attributes.start_time DESC"], max_results=1)
    return _run_dict(runs[0]) if runs else None


def child_runs(store: Store, parent: dict) -> list[dict]:
    """The job runs of the sweep ``parent`` belongs to: every run of that sweep name in its experiment
    (a resumed sweep has several parents), the latest FINISHED one per configuration."""
    client = store.client()
    name = parent["tags"].get(SWEEP_TAG)
    runs, token = [], None
    while True:
        page = client.search_runs([parent["experiment_id"]], max_results=1000, page_token=token,
                                  filter_string=f"tags.`bmexp.role` = 'job' and tags.`{SWEEP_TAG}` = '{name}'",
                                  order_by=["attributes.start_time DESC"])
        runs.extend(_run_dict(r) for r in page)
        token = page.token
        if not token:
            break
    best: dict[str, dict] = {}
    for r in runs:  # newest first
        key = r["tags"].get(CONFIG_HASH_TAG, r["run_id"])
        if key not in best or (best[key]["status"] != "FINISHED" and r["status"] == "FINISHED"):
            best[key] = r
    return list(best.values())


def metric_history(store: Store, run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in store.client().get_metric_history(run_id, key)]


def log_folder(store: Store, run_id: str, folder: str | os.PathLike, artifact_path: str) -> None:
    store.client().log_artifacts(run_id, str(folder), artifact_path)
