"""bmexp.slurm without a cluster: the sacct warning shown once, SLURM's absence said in one line.
The SLURM path itself runs on a real cluster in tests/test_cluster.py."""

import logging

import pytest
from omegaconf import OmegaConf

from bmexp import InputError
from bmexp.boundary import validate_launcher
from bmexp.slurm import _SacctOnce, partitions

SLURM = {"_target_": "hydra_plugins.bmexp_launcher.slurm.BmexpSlurmLauncher", "partition": None}


def test_submitits_sacct_warning_is_one_line_once_and_other_messages_pass(capsys):
    logger = logging.getLogger("bmexp-test-submitit")
    logger.propagate = False
    seen = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    logger.addHandler(handler)
    logger.addFilter(_SacctOnce())
    for k in range(5):
        logger.warning(
            f"Call #{k} - Bypassing sacct error Command '['sacct', '-j', '7']' returned non-zero exit status 1., "
            "status may be inaccurate."
        )
    logger.warning("Job 7 has not produced any output")
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "bmexp sweep: note: sacct does not answer (Command '['sacct', '-j', '7']' returned non-zero exit status 1.); "
        "a task that ends without a result is noticed only through sacct (configure SLURM job accounting); "
        "not shown again"
    ]
    assert seen == ["Job 7 has not produced any output"]


def test_without_slurm_a_slurm_sweep_is_refused_in_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no sinfo here
    with pytest.raises(OSError):
        partitions()
    with pytest.raises(InputError, match=r"^sweep=slurm needs SLURM's commands \(sinfo, sbatch\) on this machine: "):
        validate_launcher(OmegaConf.create(SLURM), "http://127.0.0.1:5000")
    with pytest.raises(InputError, match=r"^tracking.uri \(or MLFLOW_TRACKING_URI\) must be a tracking server"):
        validate_launcher(OmegaConf.create(SLURM), "sqlite:////tmp/x.db")  # the store is checked first
