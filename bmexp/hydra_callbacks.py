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

__all__ = ["SweepTracking", "ACTIVE", "abort_active"]

#: the sweep open in this process: (store, parent run id), until ``on_multirun_end``
ACTIVE: dict = {}


def abort_active(status: str) -> None:
    """End the parent run of a sweep that stopped before ``on_multirun_end`` (KILLED or FAILED)."""
    if ACTIVE:
        try:
            tracking.close_parent(ACTIVE["store"], ACTIVE["parent_id"], status)
        finally:
            ACTIVE.clear()
            os.environ.pop(tracking.PARENT_ENV, None)


class SweepTracking(Callback):
    def __init__(self) -> None:
        self.parent_id: str | None = None
        self.store: tracking.Store | None = None

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        self.store = tracking.Store.default(uri=config.tracking.uri)
        stale = tracking.mark_stale_runs(self.store)  # runs of killed processes: KILLED, never left RUNNING
        if stale:
            print(f"bmexp: marked {stale} run(s) of ended processes KILLED", file=sys.stderr)
        params = OmegaConf.to_container(config.hydra.sweeper.params, resolve=True) if config.hydra.sweeper.get(
            "params") else {}
        self.parent_id = tracking.open_sweep(
            self.store, config.tracking.experiment, config.tracking.sweep_name, sweep_dir=config.hydra.sweep.dir,
            params={"sweep": params or {}, "overrides": list(config.hydra.overrides.task)},
            tags={**provenance_tags(), "bmexp.sweep_dir": str(config.hydra.sweep.dir)})
        ACTIVE.update(store=self.store, parent_id=self.parent_id)

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        if self.parent_id and self.store:
            tracking.close_parent(self.store, self.parent_id, "FINISHED")
            os.environ.pop(tracking.PARENT_ENV, None)
            ACTIVE.clear()
