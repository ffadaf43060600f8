"""Local worker processes for a sweep (the ``bmexp`` Hydra launcher, the default for sweeps).

Why not joblib/loky: a worker that dies there breaks the whole executor (``TerminatedWorkerError``,
every job in flight lost, the sweep aborted), and a launcher killed with ``kill -9`` leaves loky's
workers and resource tracker behind.  Here each worker is a plain ``python -m bmexp.launcher``
process that reads one job at a time from a pipe, so

- a worker that dies (``kill -9``, out of memory) costs its job only: its run is ended KILLED with
  the cause, a new worker takes its place and the sweep goes on; the CLI ends with one line that
  counts the configurations left and gives the command that resumes them;
- SIGTERM or Ctrl-C of the launcher is passed on to the workers, which end their runs KILLED
  (the job's ``KeyboardInterrupt``), within ``grace_s`` seconds, after which any worker left is
  killed and its runs marked KILLED; the launcher returns only when no worker is left;
- a worker whose launcher is gone (``kill -9``) gets :data:`ORPHAN_SIGNAL` from the kernel
  (``PR_SET_PDEATHSIG``, plus a watchdog thread polling ``os.getppid()`` elsewhere), ends its
  run KILLED, waits until the launcher's process is gone, marks its runs KILLED and exits.

A sweep's workers are started early (:func:`prestart`, by the CLI once it knows the launcher and the
number of jobs, while it still validates every job's config and Hydra composes its own): each imports
what a job needs (bmexp, Hydra, MLflow, numba) before it waits for its first job, and :func:`launch`
adopts them.  Workers that no launch adopted (bad input found while planning, an interrupt) hold no
run; :func:`discard_prestarted` kills them, and the CLI calls it on every way out.  Each worker gets
the sweep's context (Hydra context, config, task, the launcher's environment) once, then one job at a
time: it runs its jobs one after another as Hydra's basic launcher runs them in one process.
"""

from __future__ import annotations

import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Sequence

__all__ = ["launch", "LOST", "worker_main", "prestart", "discard_prestarted", "worker_count"]

#: jobs lost in this process's last launch: dicts with idx, overrides, pid, cause
LOST: list[dict] = []

_HEADER = struct.Struct("!Q")


def _pickler():
    try:
        import cloudpickle
    except ImportError:  # pragma: no cover - joblib vendors it
        from joblib.externals import cloudpickle
    return cloudpickle


def _send(fd: int, data: bytes) -> None:
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _recv(fd: int) -> bytes | None:
    """One frame, or None at end of file (the other side is gone)."""

    def exactly(n: int) -> bytes | None:
        chunks, left = [], n
        while left:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    head = exactly(_HEADER.size)
    if head is None:
        return None
    return exactly(_HEADER.unpack(head)[0])


def signal_name(returncode: int | None) -> str:
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


class _Worker:
    def __init__(self, launcher_pid: int, warm: str = ""):
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ)
        args = [str(launcher_pid), str(to_child_r), str(from_child_w), *([warm] if warm else [])]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bmexp.launcher", *args],
            pass_fds=(to_child_r, from_child_w),
            stdin=subprocess.DEVNULL,
            env=env,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self.to_child, self.from_child = to_child_w, from_child_r
        self.pid = self.proc.pid
        self.job: tuple[int, Sequence[str]] | None = None
        self.has_context = False  # the sweep's context (sent once, before its first job)

    def close(self) -> None:
        for fd in (self.to_child, self.from_child):
            try:
                os.close(fd)
            except OSError:
                pass


_HELD = {signal.SIGINT, signal.SIGTERM}


def _spawn(workers: list, launcher_pid: int, k: int | None = None, warm: str = "") -> None:
    """Start a worker and put it in ``workers`` with SIGTERM / SIGINT held back meanwhile, so that an
    interrupt never leaves a started worker out of the list (and so never stopped)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        w = _Worker(launcher_pid, warm)
        if k is None:
            workers.append(w)
        else:
            workers[k] = w
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _stop_workers(workers: list[_Worker], grace_s: float) -> None:
    """SIGTERM every worker, wait up to ``grace_s`` for them to end their runs, then SIGKILL."""
    for w in workers:
        if w.proc.poll() is None:
            try:
                w.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace_s
    for w in workers:
        try:
            w.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            w.proc.kill()
            w.proc.wait()
        w.close()


def worker_count(n_jobs: int | None, n_tasks: int) -> int:
    """Worker processes for ``n_tasks`` jobs with the launcher option ``n_jobs`` (-1 or 0: one per core)."""
    n = n_jobs if n_jobs and n_jobs > 0 else (os.cpu_count() or 1)
    return max(1, min(n, n_tasks))


#: workers started by :func:`prestart` that no :func:`launch` has adopted yet
_PRESTARTED: list[_Worker] = []


def prestart(n: int, sqlite: bool) -> None:
    """Start ``n`` workers now, for the next :func:`launch` in this process: they import what a job
    needs (with MLflow's SQLite store if ``sqlite``) meanwhile.  The caller must make sure that
    :func:`discard_prestarted` runs on every way out (a launch adopts them; discarding then is a no-op)."""
    discard_prestarted()
    for _ in range(n):
        _spawn(_PRESTARTED, os.getpid(), warm="sqlite" if sqlite else "server")


def discard_prestarted() -> None:
    """Kill the prestarted workers that no launch adopted, and wait for them: they never had a job, so
    they hold no run and write nothing; and stop the workers a finished launch left idle (:func:`_park`).
    SIGTERM / SIGINT are held back meanwhile (none is lost)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        for w in _PRESTARTED:
            if w.proc.poll() is None:
                w.proc.kill()
        for w in _PRESTARTED:
            w.proc.wait()
            w.close()
        _PRESTARTED.clear()
        parked, grace = list(_PARKED), _PARKED_GRACE[0] if _PARKED_GRACE else 0.0
        _PARKED.clear()
        _stop_workers(parked, grace)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


#: the idle workers of the last finished launch, and its grace_s (see :func:`_park`)
_PARKED: list[_Worker] = []
_PARKED_GRACE: list[float] = []


def _park(workers: list[_Worker], grace_s: float) -> None:
    """Keep a finished launch's idle workers until :func:`discard_prestarted` (or the process's exit)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        _PARKED.extend(workers)
        _PARKED_GRACE[:] = [grace_s]
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
    if not _ATEXIT:
        import atexit

        atexit.register(discard_prestarted)
        _ATEXIT.append(True)


_ATEXIT: list = []


def _adopt(workers: list[_Worker], n: int) -> None:
    """Move up to ``n`` prestarted workers into ``workers`` (signals held: each is in exactly one list)
    and discard the others."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        workers.extend(_PRESTARTED[:n])
        del _PRESTARTED[:n]
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
    discard_prestarted()


def launch(launcher: Any, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> list:
    from hydra.core.singleton import Singleton
    from hydra.core.utils import JobReturn, JobStatus, configure_log, setup_globals

    from . import hydra_callbacks

    setup_globals()
    configure_log(launcher.config.hydra.hydra_logging, launcher.config.hydra.verbose)
    hydra_callbacks.check_open()  # the store, experiment and parent run exist, or no job starts
    Path(str(launcher.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
    n_jobs = worker_count(launcher.n_jobs, len(job_overrides))
    pickle = _pickler()
    # the sweep's context, the same for every job: sent once to each worker, before its first job
    context = pickle.dumps(
        (dict(os.environ), launcher.hydra_context, launcher.config, launcher.task_function, Singleton.get_state())
    )
    pending = deque(enumerate(job_overrides))
    results: list = [None] * len(job_overrides)
    LOST.clear()
    workers: list[_Worker] = []
    me = os.getpid()
    abort: BaseException | None = None
    try:
        _adopt(workers, n_jobs)
        while len(workers) < n_jobs:
            _spawn(workers, me)
        while (pending and abort is None) or any(w.job is not None for w in workers):
            for w in workers:
                if w.job is None and pending and abort is None:
                    i, overrides = pending.popleft()
                    w.job = (i, overrides)
                    try:
                        if not w.has_context:
                            _send(w.to_child, context)
                            w.has_context = True
                        _send(w.to_child, pickle.dumps((initial_job_idx + i, list(overrides))))
                    except OSError:  # it died before its job: noticed below
                        pass
            busy = {w.from_child: w for w in workers if w.job is not None}
            ready, _, _ = select.select(list(busy), [], [], 1.0)
            for fd in ready:
                w = busy[fd]
                frame = _recv(fd)
                if frame is not None:
                    i, _ = w.job
                    kind, value = pickle.loads(frame)
                    results[i] = value
                    w.job = None
                    if kind == "store-error" and abort is None:
                        abort = value.return_value_exception
                    continue
            for k, w in enumerate(workers):
                if w.proc.poll() is None:
                    continue
                if w.job is not None:  # it died with a job: that job is lost, the sweep goes on
                    i, overrides = w.job
                    cause = f"its worker process (pid {w.pid}) ended by {signal_name(w.proc.returncode)}"
                    LOST.append(
                        {"idx": initial_job_idx + i, "overrides": list(overrides), "pid": w.pid, "cause": cause}
                    )
                    hydra_callbacks.end_runs_of({w.pid}, "KILLED", cause)
                    print(
                        f"bmexp sweep: job #{initial_job_idx + i} [{','.join(overrides)}] lost: {cause}; "
                        f"the sweep goes on",
                        file=sys.stderr,
                        flush=True,
                    )
                    results[i] = JobReturn(overrides=list(overrides), status=JobStatus.COMPLETED, _return_value=None)
                    w.job = None
                w.close()
                if pending and abort is None:
                    _spawn(workers, me, k)
        if abort is not None:
            raise abort
    except BaseException as exc:
        # SIGTERM / Ctrl-C (KeyboardInterrupt) or a store that is gone: no worker may outlive us
        old = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            if isinstance(exc, KeyboardInterrupt) and any(w.job is not None for w in workers):
                print(
                    f"bmexp sweep: stopping: {sum(w.job is not None for w in workers)} job(s) in flight end KILLED "
                    f"unless already finished (at most {launcher.grace_s:g} s)",
                    file=sys.stderr,
                    flush=True,
                )
            _stop_workers(workers, launcher.grace_s)
            if isinstance(exc, KeyboardInterrupt):
                hydra_callbacks.end_runs_of({w.pid for w in workers}, "KILLED", "the sweep was interrupted")
        finally:
            for s, h in old.items():
                signal.signal(s, h)
        raise
    else:
        # Every job is done, but the sweep is not: Hydra ends the parent run after this returns.  The
        # workers stay (idle) until then, so that a kill -9 of the launcher in that time still has
        # them mark its parent run KILLED; discard_prestarted (the CLI, on every way out) or the
        # process's exit stops them.
        _park(workers, launcher.grace_s)
    return results


# ----------------------------------------------------------------------------- worker side
_STOPPING = threading.Event()


def in_foreign_callback(frame) -> bool:
    """Is Python running inside a callback from C (llvmlite's object cache, while numba compiles)?  An
    exception raised there cannot unwind: Python prints it as "Exception ignored" with a traceback."""
    while frame is not None:
        if "llvmlite" in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


def must_wait(frame) -> bool:
    """Must an interrupt wait (be taken again a moment later) rather than be raised in ``frame``: inside a
    callback from C, or inside a call of a SQLite store (:func:`bmexp.tracking.in_store_call`)?"""
    tracking = sys.modules.get("bmexp.tracking")
    return in_foreign_callback(frame) or (tracking is not None and tracking.in_store_call(frame))


def redeliver(signum: int, delay: float = 0.2) -> None:
    """Send ``signum`` to this process again in ``delay`` seconds (a signal that came at a bad moment)."""
    timer = threading.Timer(delay, os.kill, (os.getpid(), signum))
    timer.daemon = True
    timer.start()


def _signal_of(exc) -> int | None:
    """The signal number of a KeyboardInterrupt raised by :func:`_on_stop_signal` ("signal N..."), else None."""
    import re

    found = re.match(r"signal (\d+)", str(exc)) if isinstance(exc, KeyboardInterrupt) else None
    return int(found.group(1)) if found else None


def redeliver_unraisable(reset):
    """A SIGTERM / Ctrl-C whose KeyboardInterrupt was raised where it cannot unwind (a finalizer, a weakref
    callback during garbage collection, a callback from C) would be printed as "Exception ignored" with a
    traceback and lost.  Instead: ``reset()`` the handler's state and take the signal again 0.1 s later."""
    default = sys.unraisablehook

    def hook(unraisable):
        exc = unraisable.exc_value
        signum = _signal_of(exc)
        if signum is not None:
            reset()
            redeliver(signum, 0.1)
            return
        default(unraisable)

    sys.unraisablehook = hook
    return default  # (to put back)


#: The signal a worker gets when its launcher dies (``PR_SET_PDEATHSIG``, the watchdog): not SIGTERM, which
#: the launcher sends to stop its workers, because a worker cannot always tell the two apart by
#: ``os.getppid()``.  The kernel sends it when the *thread* that started the worker exits; the launcher has
#: other threads, and until the last of them has exited the worker's parent is still the launcher's pid.
ORPHAN_SIGNAL = signal.SIGUSR1
_ORPHANED = threading.Event()


def _on_stop_signal(signum, frame):
    """The first SIGTERM / SIGINT (or :data:`ORPHAN_SIGNAL`) unwinds the job like Ctrl-C (its run ends KILLED);
    later ones are ignored so that nothing interrupts the run's clean-up.  One that comes inside a callback
    from C or a call of a SQLite store is taken again 0.2 s later (:func:`must_wait`)."""
    if signum == ORPHAN_SIGNAL:
        _ORPHANED.set()
    if _STOPPING.is_set():
        return
    if must_wait(frame):
        redeliver(signum)
        return
    _STOPPING.set()
    raise KeyboardInterrupt(f"signal {signum}" + (": its launcher is gone" if signum == ORPHAN_SIGNAL else ""))


def _die_with(launcher_pid: int) -> None:
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(ORPHAN_SIGNAL), 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass

    def watchdog():
        while True:
            if os.getppid() != launcher_pid:
                os.kill(os.getpid(), ORPHAN_SIGNAL)
                return
            time.sleep(0.5)

    threading.Thread(target=watchdog, daemon=True, name="bmexp-watchdog").start()


def _warm_up(store: str) -> None:
    """Import what a job needs (a prestarted worker, while the launcher plans): the job's first run then
    starts without the seconds of imports.  ``store``: "sqlite" also imports MLflow's SQLite store."""
    import hydra.core.utils  # noqa: F401

    import hydra_plugins.bmexp_launcher  # noqa: F401

    from . import _kernels, commands, experiment, tracking  # noqa: F401
    from .samplers import gibbs, pt  # noqa: F401

    tracking.warm_up(sqlite=store == "sqlite")


def _take_context(env: dict, singleton_state) -> None:
    """Adopt the launcher's environment as it is now (the sweep's parent run id, MLflow's settings: set
    after this worker started) and Hydra's global state, as the basic launcher has them for its jobs."""
    from hydra.core.singleton import Singleton
    from hydra.core.utils import setup_globals

    for key in set(_SPAWN_ENV) - set(env):  # (unset in the launcher since; what the worker set stays)
        os.environ.pop(key, None)
    os.environ.update(env)
    setup_globals()
    Singleton.set_state(singleton_state)


_SPAWN_ENV: dict = {}


class SweepConfigs:
    """Each job's config as Hydra's ``load_sweep_config`` composes it, at a fraction of the cost.

    Composing in full (the defaults list, then every config file) took about 0.2 s a job, a tenth of
    a default-sweep job.  Jobs whose overrides differ only in plain ``key=value`` overrides
    (:func:`bmexp.config.plain_override`) share the rest: it is composed once per distinct choice of
    config groups, and each job applies its plain overrides to a copy, in order, with Hydra's own
    function, then gets the ``hydra.overrides.task`` and ``hydra.job.override_dirname`` Hydra would
    write.  A job with any other override (``+key``, ``~key``, a dict value) is composed in full.
    tests/test_launcher_compose.py compares every job of the shipped sweeps with Hydra's own.
    """

    def __init__(self, config_loader, master):
        from hydra.core.override_parser.overrides_parser import OverridesParser

        self.loader, self.master = config_loader, master
        self.parser = OverridesParser.create()
        self.repository = getattr(config_loader, "repository", None)
        self.composed: dict = {}

    def __call__(self, overrides) -> Any:
        import copy

        from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
        from omegaconf import OmegaConf, open_dict

        from .config import plain_override

        overrides = list(overrides)
        parsed = self.parser.parse_overrides(overrides)
        plain = [o for o in parsed if plain_override(self.repository, o)]
        rest = [o for o in parsed if not plain_override(self.repository, o)]
        if not plain or not all(o.type.name == "CHANGE" and self.repository.group_exists(o.key_or_group) for o in rest):
            return self.loader.load_sweep_config(self.master, overrides)
        key = tuple(o.input_line for o in rest)
        if key not in self.composed:
            self.composed[key] = self.loader.load_sweep_config(self.master, list(key))
        cfg = copy.deepcopy(self.composed[key])
        ConfigLoaderImpl._apply_overrides_to_config(plain, cfg)
        hydra_overrides = OmegaConf.to_container(self.master.hydra.overrides.hydra)  # (unresolved, as Hydra reads them)
        everything = self.parser.parse_overrides(list(hydra_overrides) + overrides)
        task = [o for o in everything if not o.is_hydra_override()]
        job = cfg.hydra.job
        with open_dict(cfg.hydra):
            cfg.hydra.overrides.task = [o.input_line for o in task]
            job.override_dirname = get_overrides_dirname(
                overrides=task,
                kv_sep=job.config.override_dirname.kv_sep,
                item_sep=job.config.override_dirname.item_sep,
                exclude_keys=job.config.override_dirname.exclude_keys,
            )
        OmegaConf.copy_cache(from_config=self.master, to_config=cfg)
        return cfg


_CONFIGS: list = []  # (the worker's SweepConfigs, once it has the sweep's context)


def _execute(idx, overrides, hydra_context, config, task_function):
    from hydra.core.hydra_config import HydraConfig
    from hydra.core.utils import run_job
    from omegaconf import open_dict

    if not _CONFIGS or _CONFIGS[0].master is not config:
        _CONFIGS[:] = [SweepConfigs(hydra_context.config_loader, config)]
    sweep_config = _CONFIGS[0](overrides)
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = f"{sweep_config.hydra.job.name}_{idx}"
        sweep_config.hydra.job.num = idx
    HydraConfig.instance().set_config(sweep_config)
    return run_job(
        hydra_context=hydra_context,
        config=sweep_config,
        task_function=task_function,
        job_dir_key="hydra.sweep.dir",
        job_subdir_key="hydra.sweep.subdir",
    )


def _orphaned(launcher_pid: int) -> bool:
    return _ORPHANED.is_set() or os.getppid() != launcher_pid


#: the longest a worker whose launcher died spends closing its runs before it exits anyway (seconds)
ORPHAN_EXIT_S = 20.0


def _end_orphaned(launcher_pid: int, started: str | None, timeout: float = 10.0) -> None:
    """The launcher is dying: once it is gone (a zombie, or no such process), mark its runs (the sweep's
    parent run) KILLED.  The kernel signals the worker while the launcher's other threads still exit, and
    a process that still exists holds its runs as live.

    Nothing interrupts this: the stop signals are ignored from here on (the kernel sends the death signal
    once for each of the launcher's threads, the watchdog once more).  Nothing keeps the worker alive
    either: ``faulthandler`` ends the process after :data:`ORPHAN_EXIT_S` seconds, with its stack on stderr,
    whatever it is waiting for (the runs are then marked by the next bmexp command on the store)."""
    import faulthandler

    for signum in (signal.SIGTERM, signal.SIGINT, ORPHAN_SIGNAL):
        signal.signal(signum, signal.SIG_IGN)
    faulthandler.dump_traceback_later(ORPHAN_EXIT_S, exit=True)
    from .tracking import _start_ticks, end_orphaned_runs

    deadline = time.monotonic() + timeout
    while _start_ticks(launcher_pid) == started and started not in (None, "zombie"):
        if time.monotonic() > deadline:
            return  # (the next bmexp command on the store marks them)
        time.sleep(0.02)
    end_orphaned_runs()


def worker_main(argv: list[str]) -> int:
    launcher_pid, rfd, wfd = (int(a) for a in argv[:3])
    warm = argv[3] if len(argv) > 3 else ""
    _SPAWN_ENV.update(os.environ)
    for signum in (signal.SIGTERM, signal.SIGINT, ORPHAN_SIGNAL):
        signal.signal(signum, _on_stop_signal)
    redeliver_unraisable(_STOPPING.clear)
    from .tracking import _start_ticks

    launcher_started = _start_ticks(launcher_pid)
    try:
        # (held while it was started)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM, ORPHAN_SIGNAL})
        _die_with(launcher_pid)
        if os.getppid() != launcher_pid:  # it died before we could ask to be told
            return 0
        if warm:
            _warm_up(warm)
        pickle = _pickler()
        frame = _recv(rfd)
        if frame is None:
            return 0
        env, hydra_context, config, task_function, singleton_state = pickle.loads(frame)
        _take_context(env, singleton_state)
        while True:
            frame = _recv(rfd)
            if frame is None:  # only a dying launcher closes the pipe of a live worker (it stops them with
                # SIGTERM), and the pipe closes before the kernel signals its children: do not wait for it
                _end_orphaned(launcher_pid, launcher_started)
                return 0
            if _orphaned(launcher_pid):  # a job sent just before the launcher died: not started
                _end_orphaned(launcher_pid, launcher_started)
                return 0
            ret = _execute(*pickle.loads(frame), hydra_context, config, task_function)
            kind = "ok"
            if getattr(ret, "status", None) is not None and ret.status.name == "FAILED":
                from .tracking import StoreError

                if isinstance(ret._return_value, StoreError):
                    kind = "store-error"
                    ret.return_value_exception = ret._return_value
            try:
                data = pickle.dumps((kind, ret))
            except Exception:  # an unpicklable return value: the run itself is in the store
                ret._return_value = None
                data = pickle.dumps((kind, ret))
            _send(wfd, data)
            if _STOPPING.is_set():  # stopped, and a library swallowed the interrupt: its signals are now
                raise KeyboardInterrupt("stopped")  # ignored, so it must not take another job
    except BrokenPipeError:
        return 0
    except BaseException as exc:
        # A stop signal raises KeyboardInterrupt wherever the worker is; inside a library's clean-up it can
        # come out as another error (OmegaConf composing the next job's config: an AttributeError from a
        # half-restored node).  After a stop signal, whatever unwinds is that interrupt.
        if not (isinstance(exc, KeyboardInterrupt) or _STOPPING.is_set()):
            raise
        if _orphaned(launcher_pid):  # close what the dead launcher left open
            _end_orphaned(launcher_pid, launcher_started)
        return 0


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
