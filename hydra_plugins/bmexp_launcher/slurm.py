"""``hydra/launcher=bmexp_slurm``: Hydra's submitit SLURM launcher (one array job per sweep), with bmexp's
guarantees: a cancelled, failed or timed-out array task costs its job only (one line, the sweep goes on,
the CLI prints the command that resumes it), a job that finds the tracking server gone is one line, and
scancel of a task ends its run KILLED instead of leaving it RUNNING (see :mod:`bmexp.slurm`)."""

from dataclasses import dataclass
from typing import Any, Sequence

from hydra.core.config_store import ConfigStore
from hydra.core.utils import JobReturn

from hydra_plugins.hydra_submitit_launcher.config import SlurmQueueConf
from hydra_plugins.hydra_submitit_launcher.submitit_launcher import SlurmLauncher


@dataclass
class BmexpSlurmConf(SlurmQueueConf):
    _target_: str = "hydra_plugins.bmexp_launcher.slurm.BmexpSlurmLauncher"


ConfigStore.instance().store(group="hydra/launcher", name="bmexp_slurm", node=BmexpSlurmConf, provider="bmexp")


class BmexpSlurmLauncher(SlurmLauncher):
    def __call__(self, *args: Any, **kwargs: Any) -> JobReturn:  # in the SLURM job
        from bmexp.slurm import end_run_on_scancel

        end_run_on_scancel()
        return super().__call__(*args, **kwargs)

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        from bmexp.slurm import launch

        return launch(self, job_overrides, initial_job_idx)
