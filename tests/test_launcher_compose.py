"""bmexp.launcher.SweepConfigs: a sweep worker's job configs, composed once per choice of config groups,
must be the configs Hydra's ``load_sweep_config`` composes in full -- every value, and the ``hydra`` node
(overrides, override_dirname, choices) that run_job writes into the job's ``.hydra`` directory."""

import pytest
from omegaconf import OmegaConf

from bmexp import cli
from bmexp.launcher import SweepConfigs


def master_and_loader(overrides):
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_config_search_path
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode

    from bmexp.config import register

    # the schemas are in Hydra's ConfigStore only once register() has run (cli.main runs it; this test
    # composes without it, and an earlier test in the same worker may have left a ConfigStore without them)
    register()
    GlobalHydra.instance().clear()
    hydra = Hydra.create_main_hydra2(task_name="bmexp", config_search_path=create_config_search_path(cli.config_path()))
    master = hydra.compose_config("sweep", overrides, run_mode=RunMode.MULTIRUN, with_log_configuration=False)
    return master, hydra.config_loader


@pytest.fixture(autouse=True)
def _no_hydra_left():
    """Hydra's global state, which creating a Hydra here initialises, is cleared for the next test (a
    CLI call in this process would otherwise fail on it)."""
    from hydra.core.global_hydra import GlobalHydra

    yield
    GlobalHydra.instance().clear()


def composed(cfg):
    return OmegaConf.to_yaml(cfg)  # (unresolved: interpolations compared as written)


@pytest.mark.parametrize(
    "overrides",
    [
        ["sweep=quick"],
        ["sweep=samplers"],
        ["sweep=quick", "training.epochs=5", "schedule.step=1,5", "model=random,slide35", "hydra.job.chdir=false"],
        pytest.param(["sweep=default"], marks=pytest.mark.slow),
        pytest.param(["sweep=metastable"], marks=pytest.mark.slow),
    ],
    ids=lambda o: " ".join(o),
)
def test_every_job_config_is_the_one_hydra_composes(overrides, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    jobs = cli.plan_sweep("sweep", overrides)
    master, loader = master_and_loader(overrides)
    configs = SweepConfigs(loader, master)
    fast = [composed(configs(job)) for job in jobs]
    assert len(configs.composed) < len(jobs)  # shared: composed once per choice of groups
    for job, got in zip(jobs, fast):
        assert got == composed(loader.load_sweep_config(master, list(job))), job


def test_other_overrides_are_composed_in_full(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    master, loader = master_and_loader(["sweep=quick"])
    configs = SweepConfigs(loader, master)
    for job in (["+extra_key=1", "training.eta=0.1"], ["training.eta=0.1", "~model.seed"], ["convention=spin"]):
        try:
            want = composed(loader.load_sweep_config(master, job))
        except Exception as exc:  # the same error either way
            with pytest.raises(type(exc)):
                configs(job)
            continue
        assert composed(configs(job)) == want
    assert configs.composed == {}


def test_a_bad_value_fails_as_in_full_composition(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    master, loader = master_and_loader(["sweep=quick"])
    configs = SweepConfigs(loader, master)
    for job in (["training.epochs=abc"], ["no_such_key=1"]):
        with pytest.raises(Exception) as full:
            loader.load_sweep_config(master, job)
        with pytest.raises(type(full.value)) as fast:
            configs(job)
        assert str(fast.value) == str(full.value)


def test_a_hydra_override_with_an_interpolation(tmp_path, monkeypatch):
    """``hydra.sweep.subdir=j${hydra.job.num}``: the master config's hydra overrides were read resolved, and
    hydra.job.num is set only per job, so every job failed (an outside tester).  The jobs' own overrides,
    as the launcher gets them, hold no hydra ones (those are in the master config)."""
    monkeypatch.chdir(tmp_path)
    overrides = ["sweep=quick", "hydra.sweep.subdir=j${hydra.job.num}"]
    jobs = [[o for o in job if not o.startswith("hydra.")] for job in cli.plan_sweep("sweep", overrides)]
    master, loader = master_and_loader(overrides)
    configs = SweepConfigs(loader, master)
    for job in jobs:
        got = configs(job)
        assert composed(got) == composed(loader.load_sweep_config(master, list(job))), job
        assert OmegaConf.to_container(got.hydra.sweep, resolve=False)["subdir"] == "j${hydra.job.num}"
    assert len(configs.composed) < len(jobs)  # (the shared path, where the hydra overrides are read)
