"""Hydra callback: open a sweep's MLflow parent run in the launching process, close it at the end.

Runs before any job starts (``on_multirun_start``), so the SQLite schema, the experiment and the
parent run exist before parallel jobs write to the store (DESIGN section 6).
"""

from __future__ import annotations

import os
import sys

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from . import tracking
from .provenance import provenance_tags

__all__ = ["SweepTracking", "ACTIVE", "abort_active", "check_open", "end_runs_of"]

#: the sweep open in this process: store, parent run id (until ``on_multirun_end``), or the error
#: that kept it from opening (Hydra turns a callback's exception into a mere warning, so it is kept
#: here and raised by :func:`check_open` before any job starts)
ACTIVE: dict = {}
#: what the CLI planned before launching (``configurations``: the number of jobs), tagged on the parent run
PLANNED: dict = {}
#: how the last sweep of this process ended (``failed``: its job runs that ended FAILED), for the CLI's last line
OUTCOME: dict = {}


def check_open() -> None:
    """Raise the error that kept the sweep's store or parent run from opening, if any."""
    if ACTIVE.get("error") is not None:
        raise ACTIVE["error"]


def end_runs_of(pids: set[int], status: str, reason: str) -> None:
    """Mark the RUNNING runs of these ended worker processes KILLED with ``reason`` (the launcher's clean-up)."""
    if ACTIVE.get("store") is not None and pids:
        try:
            tracking.mark_stale_runs(ACTIVE["store"], pids=pids, reason=reason)
        except Exception as exc:  # a store that is gone: the next command that opens it marks them
            print(f"bmexp sweep: could not mark the runs of ended workers {status}: {exc}", file=sys.stderr)


def abort_active(status: str, store_gone: bool = False) -> None:
    """End the parent run of a sweep that stopped before ``on_multirun_end`` (KILLED or FAILED); when the
    store is gone (``store_gone``), try once without waiting for it."""
    if ACTIVE.get("parent_id"):
        if store_gone:
            tracking.give_up(ACTIVE["store"])
        try:
            tracking.close_parent(ACTIVE["store"], ACTIVE["parent_id"], status)
        except tracking.StoreError:  # the store is gone: the next command that opens it marks the parent KILLED
            pass
        finally:
            ACTIVE.clear()
            os.environ.pop(tracking.PARENT_ENV, None)
    ACTIVE.clear()


class SweepTracking(Callback):
    def __init__(self) -> None:
        self.parent_id: str | None = None
        self.store: tracking.Store | None = None

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        OUTCOME.clear()
        ACTIVE.clear()
        try:
            self._open(config)
        except Exception as exc:  # no job may start: bmexp's launcher (or the job) raises it (check_open)
            ACTIVE["error"] = (
                exc
                if isinstance(exc, tracking.StoreError)
                else tracking.StoreError(
                    f"tracking store {config.tracking.uri or 'mlruns/mlflow.db'}: the sweep's parent run could not be "
                    f"created: {type(exc).__name__}: {exc}"
                )
            )

    def _open(self, config: DictConfig) -> None:
        self.store = tracking.Store.default(uri=config.tracking.uri)
        self.store.preflight()
        stale = tracking.mark_stale_runs(self.store)  # runs of killed processes: KILLED, never left RUNNING
        if stale:
            print(f"bmexp: marked {stale} run(s) of ended processes KILLED", file=sys.stderr)
        params = (
            OmegaConf.to_container(config.hydra.sweeper.params, resolve=True)
            if config.hydra.sweeper.get("params")
            else {}
        )
        tags = {**provenance_tags(), "bmexp.sweep_dir": str(config.hydra.sweep.dir)}
        if "configurations" in PLANNED:
            tags[tracking.CONFIGURATIONS_TAG] = str(PLANNED["configurations"])
        self.parent_id = tracking.open_sweep(
            self.store,
            config.tracking.experiment,
            config.tracking.sweep_name,
            sweep_dir=config.hydra.sweep.dir,
            params={
                "sweep": params or {},
                "overrides": list(config.hydra.overrides.task),
                **(
                    {"grids": OmegaConf.to_container(config.hydra.sweeper.grids)}
                    if config.hydra.sweeper.get("grids")
                    else {}
                ),
            },
            tags=tags,
        )
        ACTIVE.update(store=self.store, parent_id=self.parent_id)

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        if self.parent_id and self.store:
            lost = sys.modules["bmexp.launcher"].LOST if "bmexp.launcher" in sys.modules else []
            if lost:
                tracking.tag_run(self.store, self.parent_id, {"bmexp.lost_jobs": str(len(lost))})
            OUTCOME["failed"] = tracking.failed_children(self.store, self.parent_id)
            tracking.close_parent(self.store, self.parent_id, "FINISHED")
            os.environ.pop(tracking.PARENT_ENV, None)
            ACTIVE.clear()
