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
import sqlite3
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

from .errors import InputError


def _mlflow_env() -> None:
    """MLflow's settings for bmexp, set (unless the user set them) just before MLflow is first used --
    not on import, so importing bmexp changes nobody's environment.  A tracking server that does not
    answer: MLflow's own retries (7, exponential back-off) are silent for minutes; bmexp retries
    instead, with a message, for SERVER_RETRY_S seconds (see _Retrying)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")  # bmexp prints its own line per run


__all__ = [
    "Store",
    "StoreError",
    "JobRun",
    "open_sweep",
    "parent_from_env",
    "PARENT_ENV",
    "PARENT_FILE",
    "close_parent",
    "mark_stale_runs",
    "claim",
    "release",
    "end_orphaned_runs",
]

OWNER_TAG = "bmexp.owner"
PARENT_ENV = "BMEXP_PARENT_RUN_ID"
PARENT_FILE = "parent_run.json"
SWEEP_TAG = "bmexp.sweep"
CONFIG_HASH_TAG = "bmexp.config_hash"
#: on a sweep's parent run: how many configurations the sweep planned (the report's "k of N finished")
CONFIGURATIONS_TAG = "bmexp.configurations"


_CLIENTS: dict = {}
#: servers that did not answer within the retry window, with the message that said so: later calls fail at
#: once with that same message (a clean-up call must not replace the cause with a vaguer one)
_GAVE_UP: dict[str, str] = {}

#: how long a job waits for a tracking server that does not answer before it gives up (seconds)
SERVER_RETRY_S = float(os.environ.get("BMEXP_SERVER_RETRY_S", "300"))
SERVER_RETRY_EVERY_S = 5.0
#: free space below which a SQLite store counts as full
MIN_FREE_BYTES = 20 * 2**20
SQLITE_TIMEOUT_S = float(os.environ.get("BMEXP_SQLITE_TIMEOUT_S", "30"))


class StoreError(InputError):
    """The tracking store cannot be used (read-only, full, locked, a server that does not answer):
    one line naming the store and the cause, exit code 2."""


def _say(line: str) -> None:
    """One line on stderr in one write.  ``print`` writes the text and its newline separately, so two
    threads of a process saying something at once could share a line (CI once showed two of these
    waiting lines run together): the whole line goes in a single write, flushed at once."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _unreachable(exc: BaseException) -> bool:
    text = str(exc)
    return any(
        s in text
        for s in (
            "Connection refused",
            "ConnectionError",
            "Max retries exceeded",
            "timed out",
            "timeout exception",
            "RemoteDisconnected",
            "Connection aborted",
            "Connection reset",
            "502",
            "503 ",
            "504 ",
        )
    )


class _Retrying:
    """An MlflowClient for a tracking server: a call that cannot reach the server is retried every
    SERVER_RETRY_EVERY_S seconds for up to SERVER_RETRY_S, with a message on stderr when it starts
    waiting and when the server answers again; after that the call raises StoreError (and later
    calls to the same server fail at once)."""

    def __init__(self, client, uri: str):
        self._client, self._uri = client, uri

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            since = None
            while True:
                try:
                    out = attr(*args, **kwargs)
                except Exception as exc:
                    if not _unreachable(exc):
                        raise
                    if self._uri in _GAVE_UP:
                        raise StoreError(_GAVE_UP[self._uri]) from None
                    now = time.monotonic()
                    if since is None:
                        since = now
                        _say(
                            f"bmexp: tracking server {self._uri} does not answer ({_cause(exc)}); retrying "
                            f"every {SERVER_RETRY_EVERY_S:g} s for up to {SERVER_RETRY_S:g} s "
                            f"(BMEXP_SERVER_RETRY_S), then the sweep stops"
                        )
                    if now - since >= SERVER_RETRY_S:
                        _GAVE_UP[self._uri] = (
                            f"tracking server {self._uri} did not answer for {SERVER_RETRY_S:g} s: {_cause(exc)}"
                        )
                        raise StoreError(_GAVE_UP[self._uri]) from None
                    time.sleep(SERVER_RETRY_EVERY_S)
                    continue
                if since is not None:
                    _say(f"bmexp: tracking server {self._uri} answers again after {time.monotonic() - since:.0f} s")
                return out

        return call


_SQLITE_GONE = (
    "database or disk is full",
    "readonly database",
    "database is locked",
    "unable to open database",
    "disk I/O error",
)


class _Guarded:
    """An MlflowClient for a SQLite store: an error that says the store itself cannot be written (disk full,
    read-only, locked beyond the busy timeout) becomes a StoreError naming the store, so that a sweep stops
    with one line instead of failing every job alike."""

    def __init__(self, client, store: "Store"):
        self._client, self._store = client, store

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            return _store_call(attr, self._store, args, kwargs)

        return call


def _store_call(attr, store: "Store", args, kwargs):
    """One call of a SQLite store's MLflow client.  bmexp's stop-signal handlers do not raise inside it (see
    :func:`in_store_call`); an error that says the store cannot be written becomes a StoreError."""
    try:
        return attr(*args, **kwargs)
    except Exception as exc:
        if any(marker in str(exc) for marker in _SQLITE_GONE):
            raise StoreError(store._sqlite_message(exc)) from None
        raise


def in_store_call(frame) -> bool:
    """Is ``frame`` (a signal handler's) inside a call of a SQLite store's MLflow client?  An interrupt raised
    there can leave the store's write lock held by a connection that is never given back (1 of 18 interrupts
    that landed inside ``set_tag`` did, measured): every later write, the run's own KILLED included, then
    waits out MLflow's 20 s busy timeout, in this process and in every other.  The handlers take such a
    signal again a moment later (:func:`bmexp.launcher.redeliver`).  Read from the stack, not from a
    counter: an interrupt between a counter's update and its ``try`` would leave it wrong for good."""
    while frame is not None:
        if frame.f_code is _store_call.__code__:
            return True
        frame = frame.f_back
    return False


def _cause(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    for marker, cause in (
        ("Connection refused", "connection refused"),
        ("RemoteDisconnected", "connection closed"),
        ("Connection aborted", "connection closed"),
        ("Connection reset", "connection reset"),
        ("timed out", "timed out"),
        ("timeout", "timed out"),
        ("Max retries exceeded", "no connection"),
    ):
        if marker in text:
            return cause
    return text[:200]


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
                return cls(uri, (Path(uri[len("sqlite:///") :]).resolve().parent / "artifacts").as_uri())
            if "://" not in uri or uri.startswith("file:"):
                raise InputError(
                    f"tracking.uri (or MLFLOW_TRACKING_URI) must be sqlite:///PATH or a tracking server "
                    f"(http://HOST:PORT); "
                    f"received {uri!r} (MLflow 3 no longer accepts a plain file store)"
                )
            return cls(uri, None)  # a server keeps its own artifact store
        base = Path(root or Path.cwd()).resolve() / "mlruns"
        return cls(f"sqlite:///{base / 'mlflow.db'}", (base / "artifacts").as_uri())

    @property
    def sqlite_path(self) -> Path | None:
        """The database file of a SQLite store (absolute), None for a server."""
        if self.uri.startswith("sqlite:///"):
            return Path(self.uri[len("sqlite:///") :]).absolute()
        return None

    @property
    def name(self) -> str:
        return str(self.sqlite_path) if self.sqlite_path else self.uri

    def prepare(self) -> None:
        if self.sqlite_path:
            try:
                self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"tracking store {self.name} cannot be created: {exc.strerror or exc}") from None

    @contextmanager
    def lock(self) -> Iterator[None]:
        """An exclusive lock beside a SQLite store, whatever directory it lives in (schema creation,
        experiment creation); nothing for a server, which serialises these itself."""
        path = self.sqlite_path
        if path is None:
            yield
            return
        import fcntl

        try:
            fd = os.open(path.parent / f".{path.name}.bmexp-lock", os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise StoreError(
                f"tracking store {self.name} cannot be written: its directory {path.parent}: {exc.strerror or exc}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # (releases the lock)

    def preflight(self) -> None:
        """Raise StoreError (one line: the store and the cause) unless runs can be written here now:
        before any job starts, so that nothing runs against a store that would lose its results."""
        path = self.sqlite_path
        if path is None:
            self._check_server()
            return
        directory = path.parent
        while not directory.exists() and directory != directory.parent:
            directory = directory.parent
        problem = None
        if path.exists() and not path.stat().st_mode & 0o222:
            problem = f"the database file is read-only (mode {path.stat().st_mode & 0o777:o})"
        elif not directory.stat().st_mode & 0o222:
            problem = (
                f"its directory {directory} is read-only (mode {directory.stat().st_mode & 0o777:o}; "
                "SQLite writes its journal beside the database)"
            )
        elif not os.access(directory, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
            problem = f"permission denied for user {os.getuid()}"
        else:
            st = os.statvfs(directory)
            if st.f_flag & os.ST_RDONLY:
                problem = "its file system is mounted read-only"
            elif st.f_bavail * st.f_frsize < MIN_FREE_BYTES:
                problem = f"the disk is full ({st.f_bavail * st.f_frsize / 2**20:.1f} MB free)"
        if problem:
            raise StoreError(f"tracking store {self.name} cannot be written: {problem}")
        self.client()
        con = self._connect(timeout=SQLITE_TIMEOUT_S)
        try:
            con.execute("BEGIN IMMEDIATE")  # the write lock: fails if the store is locked beyond the timeout
            con.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise StoreError(self._sqlite_message(exc)) from None
        finally:
            con.close()

    def _check_server(self) -> None:
        _mlflow_env()
        from mlflow import MlflowClient

        try:
            MlflowClient(tracking_uri=self.uri).search_experiments(max_results=1)
        except Exception as exc:
            if _unreachable(exc):
                raise StoreError(f"tracking server {self.uri} does not answer: {_cause(exc)}") from None
            raise StoreError(f"tracking server {self.uri}: {' '.join(str(exc).split())[:300]}") from None

    def _sqlite_message(self, exc: BaseException) -> str:
        text = str(getattr(exc, "orig", None) or exc)
        text = next((m for m in _SQLITE_GONE if m in text), text.splitlines()[0] if text else type(exc).__name__)
        if "locked" in text or "busy" in text:
            return f"tracking store {self.name} is locked by another process beyond the busy timeout: {text}"
        if "readonly" in text or "read-only" in text:
            return f"tracking store {self.name} cannot be written: {text}"
        if "full" in text:
            return f"tracking store {self.name} cannot be written: the disk is full ({text})"
        return f"tracking store {self.name}: {text}"

    def _connect(self, timeout: float = SQLITE_TIMEOUT_S) -> sqlite3.Connection:
        return sqlite3.connect(self.sqlite_path, timeout=timeout, isolation_level=None)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A connection to a SQLite store inside ``BEGIN IMMEDIATE`` (the write lock, waited for up to the
        busy timeout): committed at the end of the block, rolled back on any exception; an error of the
        database itself becomes a StoreError naming the store."""
        con = None
        try:
            con = self._connect()
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:  # (not when an interrupt came just after the COMMIT: it is in)
                    con.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreError(self._sqlite_message(exc)) from None
        finally:
            if con is not None:
                con.close()

    def client(self):
        """An MlflowClient (one per process and store).  For SQLite the client (whose construction
        creates or migrates the schema) is made under an exclusive file lock beside the database,
        so that no two processes ever race on the schema; a process that finds it mid-creation
        waits for the lock.  A server's client retries, visibly and for a bounded time."""
        if self.uri in _CLIENTS:
            return _CLIENTS[self.uri]
        _mlflow_env()
        from mlflow import MlflowClient

        logging.getLogger("mlflow").setLevel(logging.WARNING)  # (after mlflow configured its loggers)
        self.prepare()
        if self.sqlite_path:
            with self.lock():
                try:
                    client = MlflowClient(tracking_uri=self.uri)
                    client.search_experiments(max_results=1)  # creates / migrates the schema
                except Exception as exc:
                    raise StoreError(self._sqlite_message(exc)) from None
            client = _Guarded(client, self)
        else:
            client = _Retrying(MlflowClient(tracking_uri=self.uri), self.uri)
        _CLIENTS[self.uri] = client
        return client

    def experiment_id(self, name: str, client=None) -> str:
        """Get or create the experiment ``name`` (artifacts under this store's artifact root).  Two
        launchers creating it at once both end with the one experiment."""
        client = client or self.client()
        exp = client.get_experiment_by_name(name)
        if exp is not None:
            return exp.experiment_id
        location = f"{self.artifact_root}/{name}" if self.artifact_root else None
        with self.lock():
            exp = client.get_experiment_by_name(name)
            if exp is not None:
                return exp.experiment_id
            try:
                return client.create_experiment(name, artifact_location=location)
            except Exception:  # a server: created meanwhile by another launcher
                exp = client.get_experiment_by_name(name)
                if exp is None:
                    raise
                return exp.experiment_id


def warm_up(sqlite: bool) -> None:
    """Import MLflow's client (and its SQLite store) with bmexp's settings, touching no store: a sweep's
    prestarted worker does it while the launcher plans (bmexp.launcher)."""
    _mlflow_env()
    from mlflow import MlflowClient  # noqa: F401

    if sqlite:
        import mlflow.store.tracking.sqlalchemy_store  # noqa: F401


def _start_ticks(pid: int) -> str | None:
    """A process's start time in clock ticks since boot (Linux), to tell a live PID from a reused one;
    None when there is no such process, "zombie" for one that has ended but is not yet reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):
        return "zombie"
    return fields[19]


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
    if now == "zombie":
        return False
    if now is None:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return start == "?"
    return now == start


def mark_stale_runs(
    store: Store, *, pids: set[int] | None = None, reason: str = "its process ended without closing the run"
) -> int:
    """End runs left RUNNING by a process of this host that is gone (killed, crashed).

    They become KILLED with ``bmexp.error`` = ``reason``.  Runs of live processes, and of other hosts,
    are left alone; with ``pids``, only runs of those (ended) processes.  Called whenever bmexp opens a
    store for a sweep, a run, a report or the UI, and by the launcher for a worker it lost.
    """
    client = store.client()
    ids = [e.experiment_id for e in client.search_experiments()]
    if not ids:
        return 0
    stale = 0
    for run in client.search_runs(ids, filter_string="attributes.status = 'RUNNING'", max_results=5000):
        tag = run.data.tags.get(OWNER_TAG, "")
        if pids is not None and _owner_pid(tag) not in pids:
            continue
        if _owner_alive(tag) is False:
            # Under the store's lock, and only if still RUNNING: the workers of a killed launcher all mark its
            # parent run at once, and the second one's tag failed on the first one's (an outside tester saw
            # "UNIQUE constraint failed: tags.key, tags.run_uuid" in 2 of 5 kills).
            with store.lock():
                if client.get_run(run.info.run_id).info.status != "RUNNING":
                    continue
                client.set_tag(run.info.run_id, "bmexp.error", reason)
                client.set_terminated(run.info.run_id, "KILLED")
            stale += 1
    return stale


def _owner_pid(tag: str) -> int | None:
    try:
        return int(tag.rsplit(":", 2)[1])
    except (ValueError, IndexError):
        return None


def end_orphaned_runs() -> None:
    """In a worker whose launcher died: mark the runs of ended processes (the launcher's parent run) KILLED
    in every store this process used.  Best effort: the next bmexp command does it otherwise."""
    for uri in list(_CLIENTS):
        try:
            mark_stale_runs(Store(uri, None), reason="its launcher was killed")
        except Exception as exc:
            _say(
                f"bmexp worker {os.getpid()}: could not mark the dead launcher's runs KILLED in {uri} "
                f"({type(exc).__name__}: {exc}); the next bmexp command on that store does"
            )


# ----------------------------------------------------------------------------- claims
_CLAIMS_DDL = (
    "CREATE TABLE IF NOT EXISTS bmexp_claims (experiment TEXT NOT NULL, config_hash TEXT NOT NULL, "
    "owner TEXT NOT NULL, state TEXT NOT NULL, updated REAL NOT NULL, "
    "PRIMARY KEY (experiment, config_hash))"
)


def claim(store: Store, experiment: str, config_hash: str) -> tuple[str, str | None]:
    """Claim a configuration of a sweep before running it, atomically.

    Returns ``("mine", previous_owner)`` (run it; ``previous_owner`` is a dead owner taken over, or
    None), ``("finished", owner)`` (done already: skip) or ``("taken", owner)`` (a live process runs
    it: skip).  SQLite: a row in the table ``bmexp_claims`` of the same database, read and written
    in one ``BEGIN IMMEDIATE`` transaction, so two launchers never both get "mine".  A tracking server
    has no transactions: there the claim is a RUNNING run with the config hash, re-checked after it is
    written (see :func:`claim_on_server`).
    """
    if store.sqlite_path is None:
        return claim_on_server(store, experiment, config_hash)
    store.client()  # the database and its schema exist
    me = owner()
    with store.transaction() as con:
        con.execute(_CLAIMS_DDL)
        row = con.execute(
            "SELECT owner, state FROM bmexp_claims WHERE experiment = ? AND config_hash = ?",
            (experiment, config_hash),
        ).fetchone()
        if row is None:
            con.execute(
                "INSERT INTO bmexp_claims VALUES (?, ?, ?, 'running', ?)",
                (experiment, config_hash, me, time.time()),
            )
            result = ("mine", None)
        elif row[1] == "finished":
            result = ("finished", row[0])
        elif row[0] == me or _owner_alive(row[0]) is False:
            con.execute(
                "UPDATE bmexp_claims SET owner = ?, state = 'running', updated = ? "
                "WHERE experiment = ? AND config_hash = ?",
                (me, time.time(), experiment, config_hash),
            )
            result = ("mine", None if row[0] == me else row[0])
        else:
            result = ("taken", row[0])
    return result


def claim_on_server(store: Store, experiment: str, config_hash: str) -> tuple[str, str | None]:
    """A tracking server has no transactions that bmexp can use; there a job only skips a configuration
    that FINISHED or that a live process of this host is running (its RUNNING run), checked just before it
    starts.  Two launchers on different machines can still both start one configuration if they check
    within the same moment (see the README)."""
    client = store.client()
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        return "mine", None
    for run in client.search_runs(
        [exp.experiment_id],
        max_results=50,
        filter_string=f"attributes.status = 'RUNNING' and tags.`{CONFIG_HASH_TAG}` = "
        f"'{config_hash}' and tags.`bmexp.role` = 'job'",
    ):
        holder = run.data.tags.get(OWNER_TAG, "")
        if _owner_alive(holder) is True and holder != owner():
            return "taken", holder
    return "mine", None


def release(store: Store, experiment: str, config_hash: str, finished: bool) -> None:
    """End this process's claim: ``finished`` (resumes skip it) or released (a resume runs it again)."""
    if store.sqlite_path is None:
        return
    con = None
    try:
        con = store._connect()
        if finished:
            con.execute(
                "UPDATE bmexp_claims SET state = 'finished', updated = ? WHERE experiment = ? AND "
                "config_hash = ? AND owner = ?",
                (time.time(), experiment, config_hash, owner()),
            )
        else:
            con.execute(
                "DELETE FROM bmexp_claims WHERE experiment = ? AND config_hash = ? AND owner = ?",
                (experiment, config_hash, owner()),
            )
    except sqlite3.Error as exc:
        raise StoreError(store._sqlite_message(exc)) from None
    finally:
        if con is not None:
            con.close()


def finished_run(store: Store, experiment: str, config_hash: str) -> str | None:
    """The id of a FINISHED job run of ``config_hash`` in ``experiment``, if any (resume skips it)."""
    client = store.client()
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        return None
    runs = client.search_runs(
        [exp.experiment_id],
        max_results=1,
        filter_string=f"attributes.status = 'FINISHED' and tags.`{CONFIG_HASH_TAG}` = "
        f"'{config_hash}' and tags.`bmexp.role` = 'job'",
    )
    return runs[0].info.run_id if runs else None


def finished_hashes(store: Store, experiment: str) -> set[str]:
    """The config hashes of every FINISHED job run in ``experiment`` (a resumed sweep submits the others only)."""
    client = store.client()
    exp = client.get_experiment_by_name(experiment)
    hashes, token = set(), None
    while exp is not None:
        page = client.search_runs(
            [exp.experiment_id],
            max_results=1000,
            page_token=token,
            filter_string="attributes.status = 'FINISHED' and tags.`bmexp.role` = 'job'",
        )
        hashes.update(r.data.tags.get(CONFIG_HASH_TAG) for r in page)
        token = page.token
        if not token:
            break
    return hashes


def _flat(params: Mapping, prefix: str = "") -> dict[str, str]:
    out = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flat(value, name + "."))
        else:
            out[name] = json.dumps(value) if isinstance(value, (list, tuple)) else str(value)
    return out


def open_sweep(
    store: Store,
    experiment: str,
    sweep_name: str,
    *,
    sweep_dir: str | os.PathLike | None,
    params: Mapping | None = None,
    tags: Mapping[str, str] | None = None,
) -> str:
    """Create the schema, the experiment and the sweep's parent run; hand its id to the jobs."""
    client = store.client()
    exp_id = store.experiment_id(experiment, client)
    run = client.create_run(
        exp_id,
        run_name=sweep_name,
        tags={SWEEP_TAG: sweep_name, "bmexp.role": "sweep", OWNER_TAG: owner(), **(tags or {})},
    )
    run_id = run.info.run_id
    if params:
        _log_params(client, run_id, _flat(params))
    os.environ[PARENT_ENV] = run_id
    if sweep_dir is not None:
        Path(sweep_dir).mkdir(parents=True, exist_ok=True)
        (Path(sweep_dir) / PARENT_FILE).write_text(
            json.dumps({"run_id": run_id, "tracking_uri": store.uri, "experiment": experiment})
        )
    return run_id


def parent_from_env(sweep_dir: str | os.PathLike | None = None) -> str | None:
    """The parent run id handed over by :func:`open_sweep` (environment first, then the file)."""
    if os.environ.get(PARENT_ENV):
        return os.environ[PARENT_ENV]
    if sweep_dir is not None and (Path(sweep_dir) / PARENT_FILE).is_file():
        return json.loads((Path(sweep_dir) / PARENT_FILE).read_text())["run_id"]
    return None


def give_up(store: Store) -> None:
    """Stop waiting for this store in this process (it was found gone): later calls fail at once."""
    _GAVE_UP.setdefault(store.uri, f"tracking server {store.uri} does not answer")


def close_parent(store: Store, run_id: str, status: str = "FINISHED") -> None:
    store.client().set_terminated(run_id, status)


def failed_children(store: Store, parent_id: str) -> int:
    """How many job runs of the parent run ``parent_id`` ended FAILED."""
    client = store.client()
    parent = client.get_run(parent_id)
    failed, token = 0, None
    while True:
        page = client.search_runs(
            [parent.info.experiment_id],
            max_results=1000,
            page_token=token,
            filter_string=f"tags.`mlflow.parentRunId` = '{parent_id}' and attributes.status = 'FAILED'",
        )
        failed += len(page)
        token = page.token
        if not token:
            return failed


def tag_run(store: Store, run_id: str, tags: Mapping[str, str]) -> None:
    for key, value in tags.items():
        store.client().set_tag(run_id, key, value)


def _log_params(client, run_id, params: dict[str, str]) -> None:
    from mlflow.entities import Param

    items = [Param(k, v[:6000]) for k, v in params.items()]
    for i in range(0, len(items), 100):
        client.log_batch(run_id, params=items[i : i + 100])


#: MLflow schema revisions (``alembic_version``) whose ``metrics`` and ``latest_metrics`` tables
#: :func:`insert_metrics` writes as MLflow's own ``log_batch`` does; checked row for row against
#: ``log_batch`` by tests/test_tracking.py.  Another revision (an MLflow upgrade) goes through
#: ``log_batch``.
METRICS_SCHEMAS = frozenset({"dc11669786a5"})
_SCHEMA_OF: dict[str, str | None] = {}
_DBL_MAX = sys.float_info.max
_INSERT_METRIC = (
    "INSERT OR IGNORE INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)"
)
_UPSERT_LATEST = (
    "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp, "
    "step = excluded.step, is_nan = excluded.is_nan "
    "WHERE (excluded.step, excluded.timestamp, excluded.value) > "
    "(latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)"
)


def insert_metrics(store: Store, run_id: str, metrics: list) -> bool:
    """Write ``metrics`` (``mlflow.entities.Metric``) of a run into a SQLite store in one transaction,
    as ``MlflowClient.log_batch`` does, and return True; False (nothing written) where the store is
    not SQLite or its schema is not one of :data:`METRICS_SCHEMAS`.

    Why: ``log_batch`` builds an ORM object per value; a job's ~2,500 values (training curves) took
    0.27 s per 1,000, most of a job's tracking time.  Same rows: NaN stored as 0 with ``is_nan``,
    +-inf as +-max float, duplicates (key, timestamp, step, value) dropped, ``latest_metrics`` kept
    at the greatest (step, timestamp, value) per key.
    """
    path = store.sqlite_path
    if path is None:
        return False
    from mlflow.utils.validation import _validate_metric_name

    for key in {m.key for m in metrics}:  # the names log_batch refuses, refused alike
        _validate_metric_name(key)
    rows, latest = [], {}
    for m in metrics:
        value = float(m.value)
        is_nan = value != value
        if is_nan:
            value = 0.0
        elif math.isinf(value):
            value = _DBL_MAX if value > 0 else -_DBL_MAX
        row = (m.key, value, int(m.timestamp), run_id, int(m.step), int(is_nan))
        rows.append(row)
        best = latest.get(m.key)
        if best is None or (row[4], row[2], row[1]) > (best[4], best[2], best[1]):
            latest[m.key] = row
    if str(path) not in _SCHEMA_OF:
        con = store._connect()
        try:
            found = con.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.Error:
            found = None
        finally:
            con.close()
        _SCHEMA_OF[str(path)] = found[0] if found else None
    if _SCHEMA_OF[str(path)] not in METRICS_SCHEMAS:
        return False
    with store.transaction() as con:
        con.executemany(_INSERT_METRIC, rows)
        con.executemany(_UPSERT_LATEST, [(k, v, ts, step, nan, r) for k, v, ts, r, step, nan in latest.values()])
    return True


class JobRun:
    """One job's MLflow run: log params, metrics (with steps), tags and artifacts."""

    def __init__(self, client, run_id: str, store: Store | None = None):
        self.client, self.run_id, self.store = client, run_id, store
        self._pending = []

    def params(self, params: Mapping) -> None:
        _log_params(self.client, self.run_id, _flat(params))

    def tags(self, tags: Mapping[str, str]) -> None:
        from mlflow.entities import RunTag

        if not tags:
            return
        self.client.log_batch(self.run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])

    def metrics(self, metrics: Mapping[str, float], step: int = 0) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self._pending.extend(
            Metric(k, float(v), now, step)
            for k, v in metrics.items()
            if v is not None and not (isinstance(v, float) and math.isinf(v))
        )
        if len(self._pending) >= 5000:
            self.flush()

    def flush(self) -> None:
        if self._pending and not (self.store is not None and insert_metrics(self.store, self.run_id, self._pending)):
            for i in range(0, len(self._pending), 1000):
                self.client.log_batch(self.run_id, metrics=self._pending[i : i + 1000])
        self._pending = []

    def artifacts(self, folder: str | os.PathLike) -> None:
        """Every file of ``folder`` at the top of the run's artifacts, in one call."""
        self.client.log_artifacts(self.run_id, str(folder))


@contextmanager
def job_run(
    store: Store, experiment: str, *, run_name: str, parent_id: str | None, tags: Mapping[str, str] | None = None
) -> Iterator[JobRun]:
    """A child run that always ends: FINISHED, or FAILED with the error in the tag ``bmexp.error``."""
    client = store.client()
    exp_id = store.experiment_id(experiment, client)
    run_tags = {"bmexp.role": "job", OWNER_TAG: owner(), **(tags or {})}
    if parent_id:
        run_tags["mlflow.parentRunId"] = parent_id
    run = client.create_run(exp_id, run_name=run_name, tags=run_tags)
    job = JobRun(client, run.info.run_id, store)
    try:
        yield job
        job.flush()
    except BaseException as exc:
        try:
            job.flush()
            client.set_tag(job.run_id, "bmexp.error", f"{type(exc).__name__}: {exc}"[:5000])
        finally:
            client.set_terminated(job.run_id, "KILLED" if interrupted(exc) else "FAILED")
        raise
    client.set_terminated(job.run_id, "FINISHED")


def interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is a Ctrl-C / stop signal's KeyboardInterrupt, or an error a library raised while that
    interrupt unwound it (OmegaConf's clean-up turns one into an AttributeError): the run was stopped, it
    did not fail."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


# ----------------------------------------------------------------------------- reading back
def _run_dict(run) -> dict:
    return {
        "run_id": run.info.run_id,
        "run_name": run.info.run_name,
        "status": run.info.status,
        "experiment_id": run.info.experiment_id,
        "start_time": run.info.start_time,
        "end_time": run.info.end_time,
        "params": dict(run.data.params),
        "metrics": dict(run.data.metrics),
        "tags": dict(run.data.tags),
    }


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
        page = client.search_runs(
            [parent["experiment_id"]],
            max_results=1000,
            page_token=token,
            filter_string=f"tags.`bmexp.role` = 'job' and tags.`{SWEEP_TAG}` = '{name}'",
            order_by=["attributes.start_time DESC"],
        )
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


def artifact_text(store: Store, run_id: str, path: str) -> str | None:
    """The text of the artifact ``path`` of run ``run_id``, or None when the run has none by that name."""
    import tempfile

    from mlflow.exceptions import MlflowException

    with tempfile.TemporaryDirectory() as tmp:
        try:
            local = store.client().download_artifacts(run_id, path, tmp)
        except (MlflowException, OSError):
            return None
        return Path(local).read_text()
