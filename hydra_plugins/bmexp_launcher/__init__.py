"""bmexp's Hydra launcher: local worker processes that a lost worker, SIGTERM or a killed launcher
cannot turn into a lost sweep (see :mod:`bmexp.launcher`)."""

from dataclasses import dataclass
from typing import Any, Optional, Sequence

from hydra.core.config_store import ConfigStore
from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


@dataclass
class BmexpLauncherConf:
    _target_: str = "hydra_plugins.bmexp_launcher.BmexpLauncher"
    n_jobs: int = -1  # worker processes (-1: one per core)
    grace_s: float = 20.0  # on SIGTERM / Ctrl-C: how long workers may take to end their runs KILLED


ConfigStore.instance().store(group="hydra/launcher", name="bmexp", node=BmexpLauncherConf, provider="bmexp")


class BmexpLauncher(Launcher):
    def __init__(self, n_jobs: int = -1, grace_s: float = 20.0, **_: Any) -> None:
        self.n_jobs, self.grace_s = n_jobs, grace_s
        self.config: Optional[DictConfig] = None
        self.task_function: Optional[TaskFunction] = None
        self.hydra_context: Optional[HydraContext] = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config, self.task_function, self.hydra_context = config, task_function, hydra_context

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        from bmexp.launcher import launch

        return launch(self, job_overrides, initial_job_idx)


from . import sweeper  # noqa: E402,F401  (hydra/sweeper=bmexp: grids)

try:  # hydra/launcher=bmexp_slurm, with the slurm extra (hydra-submitit-launcher) installed
    from . import slurm  # noqa: F401
except ImportError:
    pass
