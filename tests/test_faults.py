"""Faults, reproduced with real processes and real signals (no mocks of the kill): a worker killed
with kill -9, SIGTERM of the launcher, kill -9 of the launcher, two launchers of one sweep on a
fresh store, a store that cannot be written, a tracking server that is not there or goes away.

Each asserts the counts (configurations, FINISHED, KILLED, duplicates, RUNNING), the exit code,
the lines the user sees (no traceback) and, by pid, that no process is left behind."""

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from bmexp import tracking

# one worker runs these one after another (pyproject addopts: --dist loadgroup): sweeps of real
# processes, signalled at chosen moments, would otherwise share two cores with another such sweep
pytestmark = pytest.mark.xdist_group("signals")

ENV = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
ENV.pop("MLFLOW_TRACKING_URI", None)
ENV.pop(tracking.PARENT_ENV, None)

QUICK = ["sweep", "sweep=quick", "training.epochs=40", "checks.n=2000"]
# jobs of a few seconds; checks.reuse=false: every job computes its own checks, as before the check
# cache (with reuse on, one of two jobs SIGTERMed while running was not found KILLED once: open)
LONG = ["sweep", "sweep=quick", "training.epochs=150", "checks.n=2000", "checks.reuse=false"]
#: For the tests that stop a sweep while two jobs run: jobs long enough (about 200x LONG's training)
#: that none can end between the moment the test sees two running and its signal.  With LONG's
#: 3-5 s jobs a job once FINISHED in that window on a loaded machine, and the next job was
#: stopped before it had created its run: one KILLED run where two were expected.  3,000 epochs took
#: 2 s a job once the kernels got faster, and CI failed the same way twice: 30,000 take about 19 s.
STOPPED = ["sweep", "sweep=quick", "training.epochs=30000", "checks.n=2000", "checks.reuse=false"]
TINY = ["sweep", "sweep=quick", "train=false", "checks.n=500", "checks.names=[joint]"]
CONFIGURATIONS = 8


def start(args, cwd, env=None):
    return subprocess.Popen(
        [sys.executable, "-m", "bmexp", *args],
        cwd=cwd,
        env=env or ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def bmexp(args, cwd, env=None, timeout=600):
    return subprocess.run(
        [sys.executable, "-m", "bmexp", *args], cwd=cwd, env=env or ENV, capture_output=True, text=True, timeout=timeout
    )


def client(cwd, uri=None):
    return tracking.Store.default(root=cwd, uri=uri).client()


def runs(cwd, status=None, uri=None):
    c = client(cwd, uri)
    ids = [e.experiment_id for e in c.search_experiments()]
    filt = f"attributes.status = '{status}'" if status else ""
    return c.search_runs(ids, filter_string=filt, max_results=1000) if ids else []


def jobs(cwd, status=None, uri=None):
    return [r for r in runs(cwd, status, uri) if r.data.tags.get("bmexp.role") == "job"]


def parents(cwd, uri=None):
    return [r for r in runs(cwd, None, uri) if r.data.tags.get("bmexp.role") == "sweep"]


def store_ready(cwd):
    return bool(list(Path(cwd).glob("multirun/*/*/parent_run.json")))


def wait_until(predicate, proc=None, timeout=240, what="the condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process ended before {what}: {proc.communicate()}")
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def running_jobs_of_workers(cwd, launcher_pid, count, uri=None):
    """Job runs RUNNING in worker processes (not the launcher), once there are ``count`` of them."""
    if not store_ready(cwd):
        return None
    running = [r for r in jobs(cwd, "RUNNING", uri)]
    pids = {int(r.data.tags["bmexp.owner"].split(":")[1]) for r in running}
    return running if len(running) >= count and launcher_pid not in pids else None


def alive(pid):
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def descendants(pid):
    try:
        return {p.pid for p in psutil.Process(pid).children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


def lines(text):
    return [line for line in text.splitlines() if line.strip()]


def assert_complete(cwd, uri=None, configurations=CONFIGURATIONS):
    """finished runs = configurations, no duplicates, nothing RUNNING."""
    finished = jobs(cwd, "FINISHED", uri)
    hashes = [r.data.tags["bmexp.config_hash"] for r in finished]
    assert len(hashes) == configurations and len(set(hashes)) == configurations, sorted(hashes)
    assert runs(cwd, "RUNNING", uri) == []


# ------------------------------------------------------------------------ 1. a worker dies
@pytest.mark.slow
def test_kill_9_of_a_worker_costs_its_job_only(tmp_path):
    proc = start(LONG, tmp_path)
    running = wait_until(lambda: running_jobs_of_workers(tmp_path, proc.pid, 1), proc, what="a running job")
    workers = descendants(proc.pid)
    victim = int(running[0].data.tags["bmexp.owner"].split(":")[1])
    victim_hash = running[0].data.tags["bmexp.config_hash"]
    os.kill(victim, signal.SIGKILL)
    out, err = proc.communicate(timeout=400)
    assert proc.returncode == 1, err
    assert "Traceback" not in err and "Traceback" not in out
    shown = lines(err)
    assert len(shown) == 3, shown  # validated, the lost job, the summary with the resume command
    assert f"lost: its worker process (pid {victim}) ended by SIGKILL; the sweep goes on" in shown[1]
    assert shown[2] == (
        f"bmexp sweep: 1 of {CONFIGURATIONS} configurations not finished (its worker process "
        f"(pid {victim}) ended by SIGKILL); resume them with: python -m bmexp {' '.join(LONG)}"
    )
    killed = jobs(tmp_path, "KILLED")
    assert [r.data.tags["bmexp.config_hash"] for r in killed] == [victim_hash]
    assert killed[0].data.tags["bmexp.error"] == f"its worker process (pid {victim}) ended by SIGKILL"
    finished = jobs(tmp_path, "FINISHED")
    assert len(finished) == CONFIGURATIONS - 1 and len({r.data.tags["bmexp.config_hash"] for r in finished}) == 7
    assert victim_hash not in {r.data.tags["bmexp.config_hash"] for r in finished}
    assert runs(tmp_path, "RUNNING") == []
    assert [(r.info.status, r.data.tags.get("bmexp.lost_jobs")) for r in parents(tmp_path)] == [("FINISHED", "1")]
    assert [p for p in workers | descendants(proc.pid) if alive(p)] == []
    again = bmexp(LONG, tmp_path)  # the printed command resumes exactly the lost configuration
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("already finished, skipped") == CONFIGURATIONS - 1
    assert_complete(tmp_path)


# ------------------------------------------------------------------------ 2. SIGTERM, kill -9
@pytest.mark.slow
def test_sigterm_ends_every_open_run_killed_and_leaves_no_worker(tmp_path):
    proc = start(STOPPED, tmp_path)
    wait_until(lambda: running_jobs_of_workers(tmp_path, proc.pid, 2), proc, what="two running jobs")
    workers = descendants(proc.pid)
    assert len(workers) == 2
    os.kill(proc.pid, signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "Traceback" not in err and "Traceback" not in out
    shown = lines(err)
    assert shown[1:] == [
        "bmexp sweep: stopping: 2 job(s) in flight end KILLED unless already finished (at most 20 s)",
        f"bmexp sweep: interrupted; resume with: python -m bmexp {' '.join(STOPPED)}",
    ], shown
    # before any other bmexp command opens the store: nothing RUNNING, the two jobs and the parent KILLED
    assert runs(tmp_path, "RUNNING") == []
    assert len(jobs(tmp_path, "KILLED")) == 2
    assert [r.info.status for r in parents(tmp_path)] == ["KILLED"]
    assert [p for p in workers if alive(p)] == []


@pytest.mark.slow
def test_kill_9_of_the_launcher_leaves_no_process_and_nothing_running(tmp_path):
    proc = start(STOPPED, tmp_path)
    wait_until(lambda: running_jobs_of_workers(tmp_path, proc.pid, 2), proc, what="two running jobs")
    workers = descendants(proc.pid)
    assert len(workers) == 2
    os.kill(proc.pid, signal.SIGKILL)  # the launcher only: it cannot clean up, its workers must notice
    t0 = time.time()
    wait_until(lambda: not any(alive(p) for p in workers), timeout=30, what="the workers to exit")
    assert time.time() - t0 < 25  # they end their jobs at once, well before the job would have ended
    # the workers ended their own runs KILLED, and the dead launcher's parent run
    assert runs(tmp_path, "RUNNING") == []
    # (CI failed here twice with one job KILLED: what the other ended as, and why, is shown)
    shown = [(r.info.status, r.data.tags.get("bmexp.error", "")) for r in jobs(tmp_path)]
    assert len(jobs(tmp_path, "KILLED")) == 2, (shown, proc.communicate()[1][-3000:])
    assert [r.info.status for r in parents(tmp_path)] == ["KILLED"]
    assert "its launcher was killed" in parents(tmp_path)[0].data.tags["bmexp.error"]
    proc.communicate()


@pytest.mark.slow
def test_a_worker_told_before_its_launcher_is_gone_still_ends_the_parent_run(tmp_path):
    """The kernel signals a worker when the launcher's thread that started it exits, while the launcher's
    other threads may still be exiting (its pid still exists, and is still the worker's parent).  CI once
    saw the parent run left RUNNING that way.  Here the gap is made long: the workers get the signal, and
    the launcher is killed a second later."""
    from bmexp import launcher

    proc = start(STOPPED, tmp_path)
    wait_until(lambda: running_jobs_of_workers(tmp_path, proc.pid, 2), proc, what="two running jobs")
    workers = descendants(proc.pid)
    assert len(workers) == 2
    for pid in workers:
        os.kill(pid, launcher.ORPHAN_SIGNAL)
    time.sleep(1.0)
    assert all(alive(p) for p in workers)  # they wait for their launcher to be gone
    assert [r.info.status for r in parents(tmp_path)] == ["RUNNING"]
    os.kill(proc.pid, signal.SIGKILL)
    wait_until(lambda: not any(alive(p) for p in workers), timeout=30, what="the workers to exit")
    assert runs(tmp_path, "RUNNING") == []
    killed = jobs(tmp_path, "KILLED")
    assert len(killed) == 2
    assert {r.data.tags["bmexp.error"] for r in killed} == {
        f"KeyboardInterrupt: signal {int(launcher.ORPHAN_SIGNAL)}: its launcher is gone"
    }
    assert [r.info.status for r in parents(tmp_path)] == ["KILLED"]
    assert "its launcher was killed" in parents(tmp_path)[0].data.tags["bmexp.error"]
    proc.communicate()


@pytest.mark.slow
def test_kill_9_of_the_launcher_once_every_job_finished_leaves_nothing_running(tmp_path):
    """The end window: every job FINISHED, the parent run still open, the workers idle on their pipes.  The
    launcher is killed as soon as the test sees that; its idle workers get end-of-file before the kernel's
    signal, and must still close the parent run.  An outside tester found it left RUNNING 4 times in 6,
    with "Exception ignored ... ValueError" from the hook below in 2.  Here the kill lands in the window
    (the parent ends KILLED, 3 of 3 runs), but the old failure did not come back on this machine, so the
    hook's parsing has its own test.  Whatever the moment the kill lands, once the workers are gone
    nothing is RUNNING and no worker printed a traceback.  In CI (stop 22) the workers were still alive
    30 s after the kill: a death signal raised inside an MLflow call kept the store's write lock, and every
    clean-up write waited out the 20 s busy timeout; see test_a_sigterm_inside_a_store_call_is_taken_after_it."""
    proc = start(QUICK, tmp_path)
    db = tmp_path / "mlruns" / "mlflow.db"
    query = (
        "SELECT t.value, r.status, COUNT(*) FROM runs r JOIN tags t ON t.run_uuid = r.run_uuid "
        "AND t.key = 'bmexp.role' GROUP BY t.value, r.status"
    )
    deadline = time.time() + 240
    stopped = False
    while True:  # polled with plain SQL every 10 ms: MLflow's client takes longer than the window lasts
        assert proc.poll() is None and time.time() < deadline, "the sweep ended before the test saw the window"
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
                counts = {(role, status): k for role, status, k in con.execute(query)}
        except sqlite3.Error:
            counts = {}
        if counts.get(("job", "FINISHED")) == CONFIGURATIONS and counts.get(("sweep", "RUNNING")) == 1:
            break
        last = counts.get(("job", "FINISHED")) == CONFIGURATIONS - 1 and counts.get(("job", "RUNNING")) == 1
        if last and counts.get(("sweep", "RUNNING")) == 1 and not stopped:
            # The last job runs: the launcher is stopped, so the window (its worker ends the job, the
            # launcher has not yet closed the parent run) stays open until the kill.  Polling alone missed
            # it once in CI (session 11): the launcher closed the parent run within the 10 ms.
            os.kill(proc.pid, signal.SIGSTOP)
            stopped = True
        time.sleep(0.01)
    workers = descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    wait_until(lambda: not any(alive(p) for p in workers), timeout=30, what="the workers to exit")
    assert runs(tmp_path, "RUNNING") == []
    # (FINISHED: seen in the window but killed too late, when the launcher was not stopped)
    assert [r.info.status for r in parents(tmp_path)] in ((["KILLED"],) if stopped else (["KILLED"], ["FINISHED"]))
    out, err = proc.communicate()
    assert "Traceback" not in err and "Exception ignored" not in err, err


def test_an_interrupt_raised_where_it_cannot_unwind_is_taken_again_whatever_its_signal():
    """The hook that re-delivers such an interrupt read the signal number from "signal N"; the launcher's
    death signal says "signal 10: its launcher is gone" and made it fail with a traceback."""
    from bmexp import launcher

    assert launcher._signal_of(KeyboardInterrupt("signal 15")) == 15
    assert launcher._signal_of(KeyboardInterrupt(f"signal {int(launcher.ORPHAN_SIGNAL)}: its launcher is gone")) == int(
        launcher.ORPHAN_SIGNAL
    )
    assert launcher._signal_of(KeyboardInterrupt()) is None and launcher._signal_of(ValueError("signal 3")) is None


# ------------------------------------------------------------------------ prestarted workers
def workers_of(launcher_pid):
    """The live ``python -m bmexp.launcher`` processes of this launcher, found by command line (any parent)."""
    found = set()
    for p in psutil.process_iter(["pid", "cmdline"]):
        cmd = p.info["cmdline"] or []
        if "bmexp.launcher" in cmd and str(launcher_pid) in cmd and alive(p.info["pid"]):
            found.add(p.info["pid"])
    return found


def start_to_files(args, cwd):
    """As ``start``, with the output in files: the workers inherit it, so a pipe would not close (and the
    test not look) until the last of them exited, found or not by the launcher."""
    out, err = (open(cwd / name, "w") for name in ("out.txt", "err.txt"))
    with out, err:
        return subprocess.Popen(
            [sys.executable, "-m", "bmexp", *args], cwd=cwd, env=ENV, stdout=out, stderr=err, start_new_session=True
        )


def prestarted_workers(proc):
    """The workers the launcher started while it still plans (it has printed nothing yet)."""
    return wait_until(lambda: workers_of(proc.pid), proc, timeout=120, what="prestarted workers")


# the default sweep with a third learning rate that is refused: eta varies slowest, so the 48 jobs
# planned first are valid and the workers are started (and importing) when the 49th is refused
BAD_LAST = ["sweep", "training.eta=0.005,0.01,-1"]


def test_bad_input_found_while_planning_leaves_no_worker_process(tmp_path):
    proc = start_to_files(BAD_LAST, tmp_path)
    seen = prestarted_workers(proc)
    proc.wait(timeout=120)
    # killed and waited for before the launcher exited: none left, not even for the moment it takes a
    # worker whose launcher is gone to notice (PR_SET_PDEATHSIG) and exit
    left = [p for p in seen if alive(p)]
    assert left == [] and workers_of(proc.pid) == set()
    err = (tmp_path / "err.txt").read_text()
    assert proc.returncode == 2, err
    assert len(lines(err)) == 1 and "training.eta" in err and "Traceback" not in err, err
    assert not (tmp_path / "mlruns").exists() and not (tmp_path / "multirun").exists()  # nothing written


def test_sigterm_while_planning_leaves_no_worker_process(tmp_path):
    proc = start_to_files(BAD_LAST, tmp_path)
    seen = prestarted_workers(proc)
    os.kill(proc.pid, signal.SIGTERM)
    proc.wait(timeout=120)
    assert [p for p in seen if alive(p)] == [] and workers_of(proc.pid) == set()
    err = (tmp_path / "err.txt").read_text()
    assert proc.returncode == 130, err
    assert lines(err) == ["bmexp sweep: interrupted"], err


def test_the_prestarted_workers_run_the_jobs(tmp_path):
    """Every job runs in one of the n_jobs workers started before the sweep's parent run opened (while the
    launcher planned), not in workers the launch started afterwards."""
    proc = start([*TINY, "hydra.launcher.n_jobs=2"], tmp_path)
    seen = prestarted_workers(proc)
    out, err = proc.communicate(timeout=400)
    assert proc.returncode == 0, err
    assert_complete(tmp_path)
    owners = {r.data.tags["bmexp.owner"] for r in jobs(tmp_path)}
    pids = {int(tag.split(":")[1]) for tag in owners}
    assert len(owners) == 2 and pids == seen, (owners, seen)
    # each worker's start (the owner tag's clock ticks since boot) came before the parent run's
    boot, tick = psutil.boot_time(), os.sysconf("SC_CLK_TCK")
    opened = parents(tmp_path)[0].info.start_time / 1000
    assert all(boot + int(tag.split(":")[2]) / tick < opened for tag in owners), (owners, opened)
    assert workers_of(proc.pid) == set()


# ------------------------------------------------------------------------ 3. two launchers
def integrity(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


@pytest.mark.slow
def test_two_launchers_of_one_sweep_on_a_fresh_store_never_run_a_configuration_twice(tmp_path):
    """3 seeded repetitions (the second launcher starts 0-0.5 s after the first; the claim itself is tested
    for atomicity apart, in test_a_claim_is_atomic_...): finished runs =
    configurations, no duplicates (not even a second run of a configuration), one parent per launcher,
    the report finds the sweep, PRAGMA integrity_check = ok."""
    rng = np.random.default_rng(12)
    configurations = 4  # sweep=quick with convention fixed: 2 T0 x 2 eta
    for rep in range(3):
        cwd = tmp_path / f"rep{rep}"
        cwd.mkdir()
        # odd repetitions: a store that does not live beside mlruns/
        uri = f"sqlite:///{tmp_path}/elsewhere{rep}/db/store.db" if rep % 2 else None
        args = [*TINY, "convention=binary", "hydra.launcher.n_jobs=1"] + ([f"tracking.uri={uri}"] if uri else [])
        first = start(args, cwd)
        time.sleep(rng.uniform(0.0, 0.5))
        second = start(args, cwd)
        results = [p.communicate(timeout=300) for p in (first, second)]
        for p, (out, err) in zip((first, second), results):
            assert p.returncode == 0, err
            assert lines(err) == ["bmexp sweep: 4 jobs, every configuration validated"], err  # no warning
        assert_complete(cwd, uri, configurations)
        assert len(jobs(cwd, None, uri)) == configurations  # not even a second, skipped run
        ps = parents(cwd, uri)
        assert len(ps) == 2 and {r.info.status for r in ps} == {"FINISHED"}
        ran = sum(len(re.findall(r"^run [0-9a-f]{32} \[", out, flags=re.M)) for out, _ in results)
        skipped = sum(
            out.count("skipped, being run by process") + out.count("already finished, skipped") for out, _ in results
        )
        assert ran == configurations and skipped == configurations  # each ran in exactly one launcher
        store = tracking.Store.default(root=cwd, uri=uri)
        assert len(tracking.child_runs(store, tracking.find_sweep(store, "quick"))) == configurations
        db = Path(uri[len("sqlite:///") :]) if uri else cwd / "mlruns" / "mlflow.db"
        assert integrity(db) == "ok"


@pytest.mark.slow
def test_a_claim_is_atomic_and_a_dead_owners_claim_is_taken_over(tmp_path):
    store = tracking.Store.default(root=tmp_path)
    assert tracking.claim(store, "e", "h1") == ("mine", None)
    assert tracking.claim(store, "e", "h1") == ("mine", None)  # the same owner again
    other = subprocess.run(
        [
            sys.executable,
            "-c",
            "from bmexp import tracking; import sys; "
            f"s = tracking.Store.default(root={str(tmp_path)!r}); "
            "print(tracking.claim(s, 'e', 'h1')[0], tracking.claim(s, 'e', 'h2')[0])",
        ],
        capture_output=True,
        text=True,
        env=ENV,
    )
    assert other.stdout.split() == ["taken", "mine"], other.stderr  # h1 is ours (alive); h2 its, now dead
    state, previous = tracking.claim(store, "e", "h2")
    assert state == "mine" and previous is not None and previous != tracking.owner()
    tracking.release(store, "e", "h2", finished=True)
    assert tracking.claim(store, "e", "h2")[0] == "finished"
    tracking.release(store, "e", "h1", finished=False)
    con = sqlite3.connect(store.sqlite_path)
    assert con.execute("SELECT config_hash, state FROM bmexp_claims").fetchall() == [("h2", "finished")]
    con.close()


# ------------------------------------------------------------------------ 4. a store that cannot be written
def _snapshot(root):
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in Path(root).rglob("*") if p.is_file()}


@pytest.mark.slow
def test_a_read_only_store_is_one_line_and_exit_2_for_run_sweep_and_report(tmp_path):
    client(tmp_path)  # a store with its schema
    db_dir = tmp_path / "mlruns"
    db = db_dir / "mlflow.db"
    before = _snapshot(tmp_path)
    db.chmod(0o444)
    db_dir.chmod(0o555)
    try:
        for args in (["run", "training.epochs=5"], ["report"], ["sweep", "sweep=quick"]):
            r = bmexp(args, tmp_path)
            assert r.returncode == 2, (args, r.stderr)
            assert r.stdout == "" and "Traceback" not in r.stderr
            assert lines(r.stderr) == [
                f"bmexp {args[0]}: error: tracking store {db} cannot be written: "
                "the database file is read-only (mode 444)"
            ]
        db.chmod(0o644)  # the file writable, its directory not: SQLite could not write its journal
        r = bmexp(["run", "training.epochs=5"], tmp_path)
        assert r.returncode == 2 and lines(r.stderr) == [
            f"bmexp run: error: tracking store {db} cannot be written: its directory {db_dir} is read-only "
            "(mode 555; SQLite writes its journal beside the database)"
        ]
    finally:
        db_dir.chmod(0o755)
        db.chmod(0o644)
    assert _snapshot(tmp_path) == before  # nothing written, not even a sweep directory
    assert not (tmp_path / "multirun").exists()


@pytest.mark.slow
def test_a_store_locked_beyond_the_busy_timeout_is_one_line_and_exit_2(tmp_path):
    client(tmp_path)
    holder = sqlite3.connect(tmp_path / "mlruns" / "mlflow.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        r = bmexp(["run", "training.epochs=5"], tmp_path, env={**ENV, "BMEXP_SQLITE_TIMEOUT_S": "1"}, timeout=120)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(lines(r.stderr)) == 1 and "mlflow.db is locked by another process" in r.stderr, r.stderr
    assert runs(tmp_path) == []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_tracking_server_that_is_not_there_is_one_line_and_exit_2_before_any_job(tmp_path):
    uri = f"http://127.0.0.1:{free_port()}"
    for args in (["run", "training.epochs=5"], ["sweep", "sweep=quick"]):
        t0 = time.time()
        r = bmexp([*args, f"tracking.uri={uri}"], tmp_path, timeout=120)
        assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr
        assert lines(r.stderr) == [f"bmexp {args[0]}: error: tracking server {uri} does not answer: connection refused"]
        assert time.time() - t0 < 60
    assert not (tmp_path / "multirun").exists()


def start_server(tmp_path, port):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            f"sqlite:///{tmp_path}/server/mlflow.db",
            "--artifacts-destination",
            f"{tmp_path}/server/artifacts",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        cwd=tmp_path,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError("mlflow server did not start")


def stop_server(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


class Gateway:
    """The way to the server: a TCP relay whose port can be closed and reopened, so that an outage
    lasts exactly as long as the test says (restarting an mlflow server takes 7 s to a minute here)."""

    def __init__(self, target_port):
        import threading

        self.target, self.port, self.conns, self.lock = target_port, free_port(), [], threading.Lock()
        self.listener, self.refused, self.refusing = None, 0, False
        self.open()

    def open(self):
        import threading

        if self.listener is not None:  # after an outage: the same listener relays again
            self.refusing = False
            return
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(64)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener):
        import threading

        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if self.refusing:  # the outage: the connection is dropped, and counted (a client hit it)
                self.refused += 1
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.refusing = True
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                    c.close()
                except OSError:
                    pass
            self.conns = []


@pytest.mark.slow
def test_a_tracking_server_that_goes_away_mid_sweep(tmp_path):
    """One sweep against a real mlflow server, two outages.  Away for 8 s (its port closed): the jobs
    wait, saying so, and go on when it is back.  Then the server is killed: after the retry window the
    sweep stops with one line naming the server, the cause and the command that resumes it; no worker
    is left."""
    (tmp_path / "server").mkdir()
    server = start_server(tmp_path, free_port())
    server_port = int(server.args[server.args.index("--port") + 1])
    direct = f"http://127.0.0.1:{server_port}"  # the test reads the runs directly
    gateway = Gateway(server_port)
    uri = f"http://127.0.0.1:{gateway.port}"
    args = ["sweep", "sweep=quick", "training.epochs=200", "checks.n=2000", f"tracking.uri={uri}"]
    try:
        proc = start(args, tmp_path, {**ENV, "BMEXP_SERVER_RETRY_S": "20"})
        wait_until(
            lambda: store_ready(tmp_path) and len(jobs(tmp_path, "FINISHED", direct)) >= 1, proc, what="a finished job"
        )
        workers = descendants(proc.pid)
        gateway.close()
        t0 = time.time()  # away for 8 s, and until a job has hit the outage (jobs compute for seconds between calls)
        while (time.time() - t0 < 8 or gateway.refused == 0) and time.time() - t0 < 120:
            time.sleep(0.2)
        assert gateway.refused >= 1, "no job called the server during the outage"
        gateway.open()
        before = len(jobs(tmp_path, "FINISHED", direct))
        wait_until(lambda: len(jobs(tmp_path, "FINISHED", direct)) > before, proc, what="a job finished after it")
        stop_server(server)  # away for good
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 2 and "Traceback" not in err and "Traceback" not in out
        shown = lines(err)
        waiting = re.compile(
            rf"bmexp: tracking server {re.escape(uri)} does not answer \((connection refused|"
            r"connection closed|connection reset|timed out|no connection)\); retrying every 5 s for up to "
            r"20 s \(BMEXP_SERVER_RETRY_S\), then the sweep stops"
        )
        back = re.compile(rf"bmexp: tracking server {re.escape(uri)} answers again after \d+ s")
        assert shown[0] == "bmexp sweep: 8 jobs, every configuration validated"
        # One waiting line per call that meets an outage (the call waits the whole outage; after giving up,
        # later calls fail at once), not one per 5 s retry (that would be >= 4 per call in the 20 s window).
        # The processes that call the server: the two workers and the launcher (it owns the parent run and
        # ends it when the sweep stops), so at most 3 per outage, 6 in all.  The bound used to count the
        # workers only (<= 4); a CI run with this session's faster jobs printed 6 (which processes, the
        # output does not say), and up to 3 "answers again" after the first outage.
        assert 2 <= sum(bool(waiting.fullmatch(x)) for x in shown) <= 6, shown
        assert 1 <= sum(bool(back.fullmatch(x)) for x in shown) <= 3, shown
        # (every cause tracking._cause gives an unreachable server; CI once showed a line this did not
        # match, cut short in the report: the unmatched lines are now shown whole)
        unmatched = [x for x in shown[1:-1] if not (waiting.fullmatch(x) or back.fullmatch(x))]
        assert not unmatched, "\n".join(unmatched)
        assert re.fullmatch(
            rf"bmexp sweep: error: tracking server {re.escape(uri)} did not answer for 20 s: "
            rf"[a-z ]+; the sweep stopped; once the store is back, resume it with: python -m bmexp "
            rf"{re.escape(' '.join(args))}",
            shown[-1],
        ), shown[-1]
        assert [p for p in workers | descendants(proc.pid) if alive(p)] == []
    finally:
        gateway.close()
        stop_server(server)


# ------------------------------------------------------------------------ a signal at a bad moment
INSIDE_A_FINALIZER = r"""
import gc, signal, sys, time
from bmexp.launcher import _on_stop_signal, _STOPPING, redeliver_unraisable

signal.signal(signal.SIGTERM, _on_stop_signal)
redeliver_unraisable(_STOPPING.clear)

class Slow:
    def __del__(self):
        print("in finalizer", flush=True)
        t = time.time()
        while time.time() - t < 1.5:  # the SIGTERM arrives here, where an exception cannot unwind
            pass

try:
    Slow()
    gc.collect()
    print("finalizer done", flush=True)
    time.sleep(5)
    print("not interrupted", flush=True)
except KeyboardInterrupt as exc:
    print(f"interrupted in the main code: {exc}", flush=True)
"""


def test_a_sigterm_inside_a_finalizer_is_taken_again_not_printed_and_lost(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", INSIDE_A_FINALIZER], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV
    )
    assert proc.stdout.readline() == "in finalizer\n"
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert out.splitlines() == ["finalizer done", "interrupted in the main code: signal 15"]
    assert err == ""  # no "Exception ignored ... Traceback"
    assert proc.returncode == 0


INSIDE_A_STORE_CALL = r"""
import os, signal, sqlite3, sys, time
from bmexp import cli, launcher, tracking

if sys.argv[1] == "worker":
    signal.signal(signal.SIGTERM, launcher._on_stop_signal)
else:
    cli._terminate_as_interrupt()
store = tracking.Store(f"sqlite:///{sys.argv[2]}/mlflow.db", None)
client = store.client()
run = client.create_run(client.create_experiment("x")).info.run_id
inner = client._client
real = inner.set_tag

def set_tag(*args):  # the SIGTERM lands inside the call, before MLflow writes
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.5)
    return real(*args)

inner.set_tag = set_tag
try:
    client.set_tag(run, "k", "v")
    print("call done", flush=True)
    time.sleep(5)
    print("not interrupted", flush=True)
except KeyboardInterrupt as exc:
    print(f"interrupted after the call: {exc}", flush=True)
inner.set_tag = real
print(sorted(k for k in client.get_run(run).data.tags if not k.startswith("mlflow.")), flush=True)
con = sqlite3.connect(f"{sys.argv[2]}/mlflow.db", timeout=0.5)
con.execute("BEGIN IMMEDIATE")  # "database is locked" if an interrupted call kept the write lock
print("store writable", flush=True)
"""


@pytest.mark.parametrize("handler", ["worker", "cli"])
def test_a_sigterm_inside_a_store_call_is_taken_after_it(tmp_path, handler):
    """An interrupt raised inside an MLflow call on a SQLite store left the store's write lock held by a
    connection never given back, 1 time in 18 (measured with a timer at random moments in ``set_tag``):
    every later write, the run's own KILLED included, then waited MLflow's 20 s busy timeout, in every
    process.  That is how a kill -9 of the launcher once left its workers alive for more than 30 s in CI
    (test above).  Both stop handlers, the worker's and the CLI's, now take it after the call."""
    proc = subprocess.run(
        [sys.executable, "-c", INSIDE_A_STORE_CALL, handler, str(tmp_path)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )
    assert proc.stdout.splitlines() == [
        "call done",
        "interrupted after the call: signal 15",
        "['k']",
        "store writable",
    ], proc.stderr
    assert proc.returncode == 0, proc.stderr


ORPHAN_CLEANUP = r"""
import os, signal, sys, time
from bmexp import launcher, tracking

for signum in (signal.SIGTERM, signal.SIGINT, launcher.ORPHAN_SIGNAL):
    signal.signal(signum, launcher._on_stop_signal)
launcher.ORPHAN_EXIT_S = 2.0

def end_orphaned_runs():
    os.kill(os.getpid(), launcher.ORPHAN_SIGNAL)  # the kernel's death signal, once per launcher thread
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.5)
    print("marked", flush=True)
    if sys.argv[1] == "stuck":
        time.sleep(60)

tracking.end_orphaned_runs = end_orphaned_runs
launcher._end_orphaned(os.getppid() + 10**7, None)  # (a launcher that is gone)
print("returned", flush=True)
"""


@pytest.mark.parametrize("how", ["signalled", "stuck"])
def test_a_worker_closing_its_dead_launchers_runs_is_neither_interrupted_nor_kept_alive(tmp_path, how):
    """Once a worker knows its launcher is dying, the death signals that keep coming (one per launcher
    thread, and the watchdog's) must not interrupt its clean-up; and whatever the clean-up waits for, the
    worker exits after ORPHAN_EXIT_S (here 2 s), with its stack on stderr: no process is left behind."""
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", ORPHAN_CLEANUP, how], capture_output=True, text=True, env=ENV, timeout=120
    )
    if how == "signalled":
        assert (proc.returncode, proc.stdout.splitlines(), proc.stderr) == (0, ["marked", "returned"], "")
    else:
        assert (proc.returncode, proc.stdout.splitlines()) == (1, ["marked"])
        assert "Timeout (0:00:02)!" in proc.stderr and "end_orphaned_runs" in proc.stderr, proc.stderr
        assert time.monotonic() - t0 < 30


A_LIBRARY_TURNS_THE_INTERRUPT_INTO_ANOTHER_ERROR = r"""
import os, signal, sys, time
from hydra.core.singleton import Singleton
from bmexp import launcher

def _execute(idx, overrides, *context):  # as OmegaConf's flag_override, composing the next job's config
    if sys.argv[1] == "swallowed":  # a job whose code catches the interrupt and returns
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(2)
        except KeyboardInterrupt:
            return "a result"
    try:
        if sys.argv[1] == "signalled":
            os.kill(os.getpid(), signal.SIGTERM)  # the launcher stops its workers
        time.sleep(2)
    finally:
        raise AttributeError("'NoneType' object has no attribute '_invalidate_flags_cache'")

launcher._execute = _execute
jobs, to_worker = os.pipe()
from_worker, results = os.pipe()
pickle = launcher._pickler()
launcher._send(to_worker, pickle.dumps((dict(os.environ), None, None, None, Singleton.get_state())))
launcher._send(to_worker, pickle.dumps((0, [])))
print("returned", launcher.worker_main([str(os.getppid()), str(jobs), str(results)]), flush=True)
print("results", [pickle.loads(launcher._recv(from_worker))[0]] if sys.argv[1] == "swallowed" else [], flush=True)
"""


@pytest.mark.parametrize("how", ["signalled", "swallowed", "a real error"])
def test_a_worker_stopped_while_a_library_turns_the_interrupt_into_another_error_exits_quietly(how):
    """CI once showed a joblib sweep's Ctrl-C print a worker's traceback: the launcher's SIGTERM came while
    the worker composed a job's config, and OmegaConf's clean-up turned the KeyboardInterrupt into an
    AttributeError.  After a stop signal, whatever unwinds the worker is the interrupt; without one, an
    error is still an error.  A worker whose job swallowed the interrupt sends the result and exits (it
    ignores stop signals from then on, so it must not wait for another job: here the pipe stays open)."""
    proc = subprocess.run(
        [sys.executable, "-c", A_LIBRARY_TURNS_THE_INTERRUPT_INTO_ANOTHER_ERROR, how],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
    )
    if how == "signalled":
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, "returned 0\nresults []\n", "")
    elif how == "swallowed":
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, "returned 0\nresults ['ok']\n", "")
    else:
        assert proc.returncode == 1 and proc.stdout == "", proc.stdout
        error = "AttributeError: 'NoneType' object has no attribute '_invalidate_flags_cache'"
        assert proc.stderr.rstrip().endswith(error), proc.stderr


INTERRUPTED_WHILE_WORKERS_STOP = r"""
import os, signal, sys, time
from bmexp import cli, launcher

real = launcher.discard_prestarted

def discard_prestarted():  # the SIGTERM lands while the finished sweep's idle workers stop
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.5)
    real()

launcher.discard_prestarted = discard_prestarted
sys.argv = ["bmexp", "table"]
cli.console_main()
"""


def test_a_sigterm_while_a_finished_commands_workers_stop_is_the_documented_interrupt(tmp_path):
    """An outside tester's SIGTERM in a sweep's last moments (every job FINISHED, the launcher stopping its idle
    workers in the CLI's clean-up) raised out of that clean-up: a traceback, and the process ended by SIGINT
    (-2).  Blocking the signals there did not help: another thread takes the signal and Python still runs the
    handler in the main thread.  Now the work is kept, and the exit is the one line and 130."""
    proc = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_WHILE_WORKERS_STOP],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
        cwd=tmp_path,
    )
    assert (proc.returncode, proc.stderr) == (130, "bmexp table: interrupted\n")
    assert proc.stdout.startswith("# slide35")


# ------------------------------------------------------------------------ SIGTERM while the CLI starts
def _mapped(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return ""


@pytest.mark.parametrize(
    "library, then",
    [
        ("_multiarray_umath", 0.0),  # numpy's extension: bmexp is still importing (cli.main is ~1 s away)
        pytest.param("llvmlite", 1.0, marks=pytest.mark.slow),  # the check's numba kernel compiling (~2-6 s)
    ],
    ids=["importing", "compiling"],
)
def test_a_sigterm_while_the_cli_starts_is_the_documented_interrupt(tmp_path, library, then):
    """`python -m bmexp check` with a fresh numba cache (so it compiles), SIGTERM once ``library`` is loaded
    (+ ``then`` s).  While importing, the CLI's handler was not installed yet: the default action killed it
    (exit 143; -15 from here).  Now: exit 130, the one line, nothing written."""
    work = tmp_path / "work"
    work.mkdir()
    proc = start(["check", "check.plot=null"], work, {**ENV, "NUMBA_CACHE_DIR": str(tmp_path / "numba")})
    deadline = time.time() + 60
    while library not in _mapped(proc.pid):
        assert proc.poll() is None and time.time() < deadline, proc.communicate()
        time.sleep(0.002)
    time.sleep(then)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, err, out) == (130, "bmexp check: interrupted\n", "")
    assert list(work.iterdir()) == []  # (check writes no run: none can be left RUNNING)


INTERRUPTED_IN_EXEC = """
from bmexp import cli

def main(argv=None):
    try:
        exec("raise KeyboardInterrupt('signal 15')")  # a SIGTERM that lands in generated code (scipy, dataclasses)
    except KeyboardInterrupt:
        return 130

cli.main = main
cli.console_main()
"""


def test_an_interrupt_that_passed_through_exec_still_exits_130(tmp_path):
    """CPython remembers a KeyboardInterrupt that passed through exec() of a string, caught or not, and ends a
    ``python -m`` process by SIGINT (-2) instead of its exit code: what a SIGTERM landing in scipy's generated
    code during the check's imports did to ``python -m bmexp check``."""
    (tmp_path / "interrupted_in_exec.py").write_text(INTERRUPTED_IN_EXEC)
    done = subprocess.run(
        [sys.executable, "-m", "interrupted_in_exec"], cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stderr) == (130, "")


SLOW_TO_EXIT = """
import atexit, sys, time
from bmexp import cli

def main(argv=None):
    atexit.register(time.sleep, 5)  # Python's shutdown after the work: the store's connections, atexit handlers
    print("done", flush=True)
    return 0

cli.main = main
cli.console_main()
"""


def test_a_sigterm_after_the_work_while_python_shuts_down_is_the_documented_interrupt(tmp_path):
    """After its last line ``python -m bmexp run`` spent up to 1.5 s shutting down with main's handler gone:
    a SIGTERM then ended it by the signal (-15), with no line (an outside tester, 8 of 8 times)."""
    (tmp_path / "slow_to_exit.py").write_text(SLOW_TO_EXIT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "slow_to_exit", "run"],
        cwd=tmp_path,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline() == "done\n"
    time.sleep(0.3)  # inside the 5 s atexit sleep
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, err, out) == (130, "bmexp run: interrupted\n", "")
