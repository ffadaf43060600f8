"""A sweep as one SLURM array job (``sweep=slurm``, ``hydra/launcher=bmexp_slurm``), through submitit.

Hydra's submitit launcher waits for the tasks in order and raises on the first one without a result: a
cancelled task (``scancel``), one that hit its time limit or lost its node ended the whole sweep with a
traceback and the parent run FAILED while the other tasks still ran.  Here the launching process waits
for every task and then

- a task that ended without a result costs its job only: one line (``lost: SLURM job 12_3 ended
  CANCELLED; the sweep goes on``), and the CLI ends with the count and the command that resumes the sweep
  (exit code 1), as bmexp's local launcher does for a worker that died;
- a job that found the tracking server gone is one line each; once every task has ended, the sweep stops
  with one line and the resume command (exit code 2);
- the parent run ends only after the last task has ended (its status: FINISHED, or FAILED with a store gone);
- Ctrl-C / SIGTERM of the launching process cancels the array (``scancel``) before it returns.

In the job, SIGTERM (what ``scancel`` sends first) unwinds like Ctrl-C, so the job's run ends KILLED
instead of staying RUNNING until SLURM's SIGKILL.  ``sacct`` errors (a cluster without job accounting)
are shown once, not on every poll.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Sequence

__all__ = ["launch", "end_run_on_scancel", "partitions"]

POLL_S = 1.0
#: how often the launching process asks sacct about the array (a task without a result: cancelled, failed)
SACCT_EVERY_S = 5.0


def partitions() -> list[str]:
    """The partitions of the SLURM cluster this machine submits to (``sinfo``); raises OSError without SLURM."""
    out = subprocess.run(["sinfo", "-h", "-o", "%R"], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise OSError(" ".join(out.stderr.split())[:300] or f"sinfo exited with {out.returncode}")
    return sorted({line.strip() for line in out.stdout.splitlines() if line.strip()})


def end_run_on_scancel() -> None:
    """In a SLURM job: SIGTERM (scancel, preemption) unwinds the job like Ctrl-C, so its run ends KILLED
    (submitit's own handler ignores SIGTERM and waits for SLURM's SIGKILL, which leaves the run RUNNING)."""
    import signal

    from .launcher import _STOPPING, _on_stop_signal, redeliver_unraisable

    signal.signal(signal.SIGTERM, _on_stop_signal)
    redeliver_unraisable(_STOPPING.clear)


class _SacctOnce(logging.Filter):
    """submitit warns on every poll when ``sacct`` fails: show it once, in one line."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = False

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "Bypassing sacct error" not in message:
            return True
        if not self.seen:
            self.seen = True
            cause = " ".join(message.split("Bypassing sacct error", 1)[1].split(", status may")[0].split())
            print(
                f"bmexp sweep: note: sacct does not answer ({cause[:200]}); a task that ends without a result is "
                "noticed only through sacct (configure SLURM job accounting); not shown again",
                file=sys.stderr,
                flush=True,
            )
        return False


def _submit(launcher: Any, numbered: list[tuple[int, Sequence[str]]]) -> list:
    """Hydra's submitit launcher's submission: one array job, the launcher object pickled as the task."""
    import submitit
    from hydra.core.singleton import Singleton
    from hydra.core.utils import setup_globals
    from omegaconf import OmegaConf

    from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf

    setup_globals()
    params = dict(launcher.params)
    executor = submitit.AutoExecutor(
        cluster="slurm", folder=params.pop("submitit_folder"), slurm_max_num_timeout=params.pop("max_num_timeout")
    )
    base = set(OmegaConf.structured(BaseQueueConf).keys())
    executor.update_parameters(**{k if k in base else f"slurm_{k}": v for k, v in params.items()})
    Path(str(launcher.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
    state = Singleton.get_state()
    args = [(list(overrides), "hydra.sweep.dir", idx, f"job_id_for_{idx}", state) for idx, overrides in numbered]
    return executor.map_array(launcher, *zip(*args))


def _finished_already(launcher: Any, job_overrides: Sequence[Sequence[str]]) -> set[int]:
    """The jobs whose configuration already FINISHED in this sweep: a resume does not submit them (each
    would take a node, start Python and load bmexp only to skip; the job itself checks again anyway)."""
    from omegaconf import OmegaConf, open_dict

    from . import hydra_callbacks, tracking
    from .provenance import job_hash

    store = hydra_callbacks.ACTIVE.get("store")
    done = tracking.finished_hashes(store, launcher.config.tracking.experiment) if store is not None else set()
    if not done:
        return set()
    skip = set()
    for i, overrides in enumerate(job_overrides):
        cfg = launcher.hydra_context.config_loader.load_sweep_config(launcher.config, list(overrides))
        with open_dict(cfg):
            del cfg["hydra"]
        if job_hash(OmegaConf.to_container(cfg, resolve=True)) in done:
            skip.add(i)
    return skip


def _ended_state(job) -> str:
    try:
        state = job.watcher.get_state(job.job_id, mode="force")
    except Exception:  # noqa: BLE001 - sacct gone too: say what is known
        state = "UNKNOWN"
    return state.split(" by ")[0] or "UNKNOWN"


def launch(launcher: Any, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> list:
    from hydra.core.utils import JobReturn, JobStatus

    from . import hydra_callbacks
    from .errors import one_line
    from .launcher import LOST
    from .tracking import StoreError

    hydra_callbacks.check_open()  # the store, experiment and parent run exist, or no job starts
    LOST.clear()
    sacct = _SacctOnce()
    logging.getLogger("submitit").addFilter(sacct)
    jobs: list = []
    try:
        results: list = [None] * len(job_overrides)
        skip = _finished_already(launcher, job_overrides)
        for i in skip:
            results[i] = JobReturn(overrides=list(job_overrides[i]), status=JobStatus.COMPLETED, _return_value=None)
        if skip:
            print(
                f"bmexp sweep: {len(skip)} of {len(job_overrides)} configurations already finished in this sweep: "
                "not submitted",
                file=sys.stderr,
                flush=True,
            )
        todo = [i for i in range(len(job_overrides)) if i not in skip]
        jobs = _submit(launcher, [(initial_job_idx + i, job_overrides[i]) for i in todo]) if todo else []
        pending = dict(zip(todo, jobs))
        store_error: StoreError | None = None
        polled = time.monotonic()
        while pending:
            if time.monotonic() - polled >= SACCT_EVERY_S:  # submitit alone backs off to minutes between calls
                jobs[0].watcher.update()
                polled = time.monotonic()
            for i, job in list(pending.items()):
                if not job.done():
                    continue
                del pending[i]
                overrides, idx = list(job_overrides[i]), initial_job_idx + i
                where = f"job #{idx} [{','.join(overrides)}]"
                try:
                    ret = job.results()[0]
                except Exception:  # noqa: BLE001 - no result: cancelled, timed out, node lost, killed
                    cause = f"SLURM job {job.job_id} ended {_ended_state(job)}"
                    LOST.append({"idx": idx, "overrides": overrides, "pid": None, "cause": cause})
                    print(f"bmexp sweep: {where} lost: {cause}; the sweep goes on", file=sys.stderr, flush=True)
                    ret = JobReturn(overrides=overrides, status=JobStatus.COMPLETED, _return_value=None)
                if ret.status == JobStatus.FAILED:
                    error = ret._return_value
                    print(
                        f"bmexp sweep: {where} failed (SLURM job {job.job_id}): {one_line(error)}",
                        file=sys.stderr,
                        flush=True,
                    )
                    if isinstance(error, StoreError):
                        store_error = store_error or error
                    else:
                        LOST.append({"idx": idx, "overrides": overrides, "pid": None, "cause": one_line(error)})
                    ret = JobReturn(overrides=overrides, status=JobStatus.COMPLETED, _return_value=None)
                results[i] = ret
            if pending:
                time.sleep(POLL_S)
        if store_error is not None:
            raise store_error
        return results
    except KeyboardInterrupt:
        if jobs:
            array = str(jobs[0].job_id).split("_")[0]
            print(f"bmexp sweep: stopping: scancel {array} (its jobs' runs end KILLED)", file=sys.stderr, flush=True)
            subprocess.run(["scancel", array], capture_output=True, timeout=60)
        raise
    finally:
        logging.getLogger("submitit").removeFilter(sacct)
