"""Every option of every config group composes, and every composed job config passes the one
boundary (bmexp.boundary) -- including the options no other test selects (experiment/post,
experiment/random6, sweep/slurm, sampler/dwave, tracking/server)."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from bmexp import InputError, boundary
from bmexp.cli import config_path
from bmexp.config import register

CONF = Path(config_path())
GROUPS = sorted(p.name for p in CONF.iterdir() if p.is_dir() and not p.name.startswith("_"))
OPTIONS = [(g, f.stem) for g in GROUPS for f in sorted((CONF / g).glob("*.yaml"))]
#: the top-level config each group belongs to (sweep options are composed through `sweep`)
COMMAND = {"check": "check", "sweep": "sweep"}


@pytest.fixture(scope="module", autouse=True)
def hydra_conf():
    register()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        yield
    GlobalHydra.instance().clear()


def test_every_group_has_options():
    assert {
        "model",
        "convention",
        "schedule",
        "sampler",
        "check",
        "training",
        "data",
        "tracking",
        "experiment",
        "sweep",
    } <= set(GROUPS)


@pytest.mark.parametrize("group,option", OPTIONS, ids=[f"{g}={o}" for g, o in OPTIONS])
def test_every_option_composes_and_validates(group, option, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    command = COMMAND.get(group, "run")
    overrides = [f"{group}={option}"]
    if (group, option) == ("data", "exact"):  # exact p(v) has no vectors to clamp: the exact gradient
        overrides.append("training=exact")
    if (group, option) == ("data", "file"):
        (tmp_path / "v.csv").write_text("0,1\n1,1\n")
        overrides.append("data.path=v.csv")
    if (group, option) in (("data", "digits"), ("model", "rbm")):  # 64 visible pixels, trained on the digits
        overrides = ["model=rbm", "data=digits", "training=pcd"]
    if (group, option) == ("training", "sklearn"):  # BernoulliRBM fits RBMs only
        pytest.importorskip("sklearn")
        overrides = ["model=rbm", "data=digits", "training=sklearn"]
    if (group, option) == ("check", "energy"):  # the energy check needs a lattice
        overrides.append("model=lattice")
    if (group, option) == ("check", "lumped"):  # the ferromagnet, random-scan heat bath
        overrides += ["model=metastable", "sampler.scan=random"]
    cfg = compose(command, overrides=overrides, return_hydra_config=command == "sweep")
    assert cfg.get(group) is not None or group in ("experiment", "sweep")
    if command == "check":
        boundary.validate_check_config(cfg)
    else:
        boundary.validate_run_config(cfg)
    if group == "sweep":  # the sweep's axes (each grid's, with hydra/sweeper=bmexp) compose as job configs too
        from bmexp.config import grid_params

        for params in grid_params(cfg.hydra.sweeper.get("params"), cfg.hydra.sweeper.get("grids")):
            first = [f"{k}={str(v).split(',')[0]}" for k, v in params.items()]
            boundary.validate_run_config(compose("run", overrides=first))


def test_digits_give_no_teacher_to_training_and_data_n_is_a_training_subset():
    pytest.importorskip("sklearn")
    cfg = compose("run", overrides=["model=rbm", "data=digits", "training=pcd", "data.n=100"])
    args = boundary.validate_run_config(cfg)
    assert args["teacher"] is None  # no w_dist_teacher_unidentifiable, no kl_teacher
    assert args["model"].n_visible == 64  # the checks still sample the configured model
    assert args["data"].shape == (100, 64) and args["heldout"].shape == (359, 64)
    everything = boundary.validate_run_config(compose("run", overrides=["model=rbm", "data=digits", "training=pcd"]))
    assert everything["data"].shape == (1438, 64)
    assert (everything["data"][:100] == args["data"]).all() and (everything["heldout"] == args["heldout"]).all()


def test_pcd_with_pt_is_refused_only_where_pt_would_be_pcds_negative_phase():
    # training=pcd sampler=pt: refused (the ladder would restart every epoch); training=sklearn is pcd
    # by BernoulliRBM, which draws its own chains, so sampler=pt only serves the checks there: allowed.
    with pytest.raises(InputError, match=r"^training.variant = 'pcd' with sampler.name = 'pt'"):
        boundary.validate_run_config(compose("run", overrides=["training=pcd", "sampler=pt"]))
    pytest.importorskip("sklearn")
    args = boundary.validate_run_config(
        compose("run", overrides=["model=rbm", "data=digits", "training=sklearn", "sampler=pt", "data.n=100"])
    )
    assert args["trainer"] == "sklearn" and callable(getattr(args["sampler"], "temperatures", None))
