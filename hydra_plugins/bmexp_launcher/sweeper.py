"""bmexp's Hydra sweeper (``hydra/sweeper=bmexp``): Hydra's basic sweeper (the product of
``hydra.sweeper.params``) plus ``hydra.sweeper.grids``, a list of such products run one after
another in one sweep -- a union, for sweeps whose methods have different axes (``sweep=metastable``:
annealing schedules and parallel-tempering ladders).  Each grid's axes are added to ``params``
(a grid's value for a key replaces params'); command-line sweeps multiply every grid."""

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf


@dataclass
class BmexpSweeperConf:
    _target_: str = "hydra_plugins.bmexp_launcher.sweeper.BmexpSweeper"
    max_batch_size: Optional[int] = None
    params: Optional[Dict[str, str]] = None
    grids: Optional[List[Dict[str, Any]]] = None  # products run one after another (a union)


ConfigStore.instance().store(group="hydra/sweeper", name="bmexp", node=BmexpSweeperConf, provider="bmexp")


class BmexpSweeper(BasicSweeper):
    def __init__(self, max_batch_size: Optional[int] = None, params=None, grids=None) -> None:
        super().__init__(max_batch_size=max_batch_size, params=params)
        self.grids = grids

    def validate_batch_is_legal(self, batch) -> None:
        """Hydra composes each job's config here, as a check, before the launch (0.2-0.4 s a job, in the
        launching process, while the workers wait: 15-25 s before the default sweep's first job).  A sweep
        the bmexp CLI planned had each of its jobs composed and validated already (bmexp.cli.plan_sweep):
        when the CLI planned as many jobs as this sweeper made, that check is not done twice."""
        import sys

        planned = getattr(sys.modules.get("bmexp.hydra_callbacks"), "PLANNED", {}).get("configurations")
        if planned is None or planned != self._n_jobs():
            super().validate_batch_is_legal(batch)

    def _n_jobs(self) -> int:
        return sum(len(chunk) for chunk in self.overrides or [])

    def sweep(self, arguments: List[str]) -> Any:
        if not self.grids:
            return super().sweep(arguments)
        from bmexp.config import grid_params

        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        jobs = []
        for params in grid_params(self.params, self.grids):
            lines = [f"{k}={v}" for k, v in params.items()] + list(arguments)
            jobs += self.split_arguments(parser.parse_overrides(lines), None)[0]
        self.overrides = list(self.split_overrides_to_chunks(jobs, self.max_batch_size))
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        returns, initial_job_idx = [], 0
        while not self.is_done():  # as BasicSweeper.sweep
            batch = self.get_job_batch()
            tic = time.perf_counter()
            self.validate_batch_is_legal(batch)
            _ = time.perf_counter() - tic
            results = self.launcher.launch(batch, initial_job_idx=initial_job_idx)
            for r in results:
                _ = r.return_value  # a failed job raises here, as in BasicSweeper
            initial_job_idx += len(batch)
            returns.append(results)
        return returns
