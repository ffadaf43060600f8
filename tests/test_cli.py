"""The CLI, in process (fast) and as a real subprocess (exit codes, no traceback)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bmexp.cli import main


def test_table_prints_the_post_table(capsys):
    assert main(["table"]) == 0
    out = capsys.readouterr().out
    assert " v1  v2  h1  h2     -E  exp(-E)     p" in out
    assert "  1   1   1   1  2.000    7.389 0.186" in out
    assert "Z = 39.69" in out
    # p(v | h = [1, 1]) for v = 11, 10, 01, 00: e^2, e, 1, 1/e over 11.48
    cond = out.split("# conditional p(v | h = [1, 1])")[1].splitlines()[2:6]
    assert [line.split()[-1] for line in cond] == ["0.644", "0.237", "0.087", "0.032"]


def test_table_overrides_model_and_convention(capsys):
    assert main(["table", "model=random", "model.n_visible=3", "model.n_hidden=1", "convention=spin"]) == 0
    out = capsys.readouterr().out
    assert "# random (spin), n_visible = 3, n_hidden = 1" in out
    assert " -1  -1  -1  -1" in out and "# visible marginal p(v)" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["table", "model=foo"],
            "Could not find 'model/foo' Available options in 'model': "
            "ferromagnet lattice metastable random rbm seed_target slide35",
        ),
        (["table", "convention=ising"], "Could not find 'convention/ising'"),
        (["table", "nosuchkey=1"], "Could not override 'nosuchkey'"),
        (["table", "model=random", "model.n_hidden=x"], "Value 'x' of type 'str' could not be converted to Integer"),
        (["table", "model=random", "model.n_visible=-2"], "model.n_visible must be an integer >= 0; received -2"),
        (["table", "given_hidden=[1,3]"], "given_hidden must contain only binary values {0, 1}; found 3"),
        (["table", "max_units=3"], "max_units = 3"),
        (["frobnicate"], "command must be one of"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert message in err
    assert "Traceback" not in err


def test_subprocess_bad_override_exit_code_and_no_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "bmexp", "table", "model.n_visible=abc"], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "model.n_visible=abc" in proc.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written (no outputs/, no .log)


def test_subprocess_table_writes_nothing(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "bmexp", "table"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Z = 39.69" in proc.stdout
    assert list(tmp_path.iterdir()) == []


def test_output_piped_into_a_reader_that_stops_early_is_not_an_error(tmp_path):
    """`table | head -1`: the reader closes the pipe; exit 0, and nothing on stderr (Hydra printed
    "Error executing job" for the broken pipe)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bmexp", "table"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path
    )
    assert proc.stdout.readline().startswith(b"# slide35")
    proc.stdout.close()  # as head does after its line: the table's next writes meet a closed pipe
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert err == ""


def test_train_prints_final_metrics_and_the_post_table(tmp_path, capsys):
    csv = tmp_path / "m.csv"
    assert main(["train", "training.epochs=20", "training.eta=0.1", f"metrics_csv={csv}"]) == 0
    out = capsys.readouterr().out
    assert "# annealed training of seed_target (binary), eta = 0.1, 20 epochs" in out
    assert "kl_teacher" in out and "not identifiable" in out
    assert "p(v|h) teacher" in out and "p(v|h) random initial" in out and "p(v|h) trained" in out
    import pandas as pd

    assert len(pd.read_csv(csv)) == 21


@pytest.mark.parametrize(
    "args, line",
    [
        (["training=pt"], "negative phase, parallel tempering: ladder [1.0, 1.71, 2.924, 5.0]"),
        (["sampler=pt"], "sampler calls, parallel tempering: ladder [1.0, 1.71, 2.924, 5.0]"),
        ([], None),
    ],
)
def test_train_prints_parallel_temperings_swaps_and_round_trips(args, line, capsys):
    """training=pt's own PT (the negative phase) and sampler=pt's calls (both phases, any variant) are told."""
    assert main(["train", "training.epochs=5", *args]) == 0
    shown = [x for x in capsys.readouterr().out.splitlines() if "parallel tempering:" in x]
    if line is None:
        assert shown == []
    else:
        assert len(shown) == 1 and shown[0].startswith(line) and "round trips per 1,000 sweeps" in shown[0]


def test_train_exact_spin_from_file(tmp_path, capsys):
    import numpy as np

    data = tmp_path / "v.npy"
    np.save(data, np.array([[1, 1], [0, 1], [1, 0], [1, 1]]))
    assert (
        main(
            [
                "train",
                "training=pcd",
                "convention=spin",
                "data=file",
                f"data.path={data}",
                "training.epochs=3",
                "schedule=constant",
                "schedule.sweeps=5",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "# pcd training of seed_target (spin)" in out
    # the vectors came from the file: the model config is the architecture, not a teacher to compare with
    assert "kl_teacher" not in out and "w_dist_teacher" not in out and "p(v) teacher" not in out
    assert "p(v) trained" in out and "kl_data" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "training.eta=-1"], "training.eta must be a finite number > 0; received -1.0"),
        (["train", "training.epochs=0"], "training.epochs must be an integer >= 1; received 0"),
        (["train", "training=cd1"], "Could not find 'training/cd1'"),
        (["train", "data=file"], "data.path must be a .npy or .csv file of visible vectors; received None"),
        (
            ["train", "data.source=web"],
            "data.source must be one of ['teacher', 'file', 'exact', 'digits']; received 'web'",
        ),
        (["train", "training.variant=annealed", "data=exact"], "training.variant = 'annealed' clamps data vectors"),
    ],
)
def test_train_bad_input(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_ui_refuses_a_port_in_use_before_starting_anything(tmp_path, monkeypatch, capsys):
    import socket

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["ui", f"ui.port={port}"]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err.startswith(f"bmexp ui: error: ui.port = {port} cannot be used on 127.0.0.1: ")
        and len(err.splitlines()) == 1
    )
    assert not (tmp_path / "mlruns").exists()


def test_train_beyond_enumeration_reports_pseudo_likelihood_not_kl(tmp_path, capsys):
    csv = tmp_path / "m.csv"
    args = ["train", "model=random", "model.n_visible=20", "model.n_hidden=6", "training.epochs=2"]
    args += ["data.n=50", "training.n_negative=10", "training.metrics_every=1", f"metrics_csv={csv}"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "# measured by pseudo-log-likelihood (exact: hidden units summed)" in out  # 6 hidden units: summed
    assert "kl_data" not in out.split("# measured by")[1] and "pll_heldout" in out
    assert "10 vectors held out" in out  # data.heldout null: 0.2 of 50
    import pandas as pd

    m = pd.read_csv(csv)
    assert m["kl_data"].isna().all() and m["pll_heldout"].notna().all() and list(m["epoch"]) == [0, 1, 2]


def test_energy_check_header_names_the_schedule_it_ran(capsys):
    """The header said 'schedule linear' (the schedule group's) while the check ran its own constant sweeps."""
    args = ["check", "check=energy", "model=lattice", "model.L=4", "check.temperatures=[3.0]", "check.n=100"]
    args += ["check.plot=null"]
    main(args)
    header = capsys.readouterr().out.splitlines()[0]
    assert "schedule constant at T = 1 (the check's equilibration sweeps" in header and "linear" not in header


# quick and samplers (group axes: convention, sampler, model) in the fast lane; the default sweep's 72 jobs
# take longer to plan, so in the full suite only
@pytest.mark.parametrize(
    "overrides",
    [
        ["sweep=quick"],
        ["sweep=samplers"],
        ["sweep=quick", "training.epochs=5", "schedule.step=1,5", "model=random,slide35"],
        pytest.param(["sweep=default"], marks=pytest.mark.slow),
    ],
    ids=lambda o: " ".join(o),
)
def test_every_sweep_job_is_validated_on_the_config_hydra_composes_for_it(overrides, tmp_path, monkeypatch):
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    from bmexp import cli

    monkeypatch.chdir(tmp_path)
    validated = []
    monkeypatch.setattr(cli, "validate_run_config", lambda cfg: validated.append(OmegaConf.to_container(cfg)))
    jobs = cli.plan_sweep("sweep", overrides)
    assert len(validated) == len(jobs) > 1
    # Composing in full costs about 0.3 s a job, so the test composes a sample: every distinct choice
    # of config groups (where the composer's cache could go wrong), the first and last job, and a
    # seeded sample of 6 others (where only the plain values differ, applied by Hydra's own function).
    groups = {p.name for p in Path(cli.config_path()).iterdir() if p.is_dir()}
    first_of_choice = {}
    for i, job in enumerate(jobs):
        first_of_choice.setdefault(tuple(o for o in job if o.split("=", 1)[0].lstrip("+~") in groups), i)
    rng = np.random.default_rng(0)
    picked = set(first_of_choice.values()) | {0, len(jobs) - 1}
    picked |= set(rng.choice(len(jobs), size=min(6, len(jobs)), replace=False).tolist())
    with initialize_config_dir(config_dir=cli.config_path(), version_base="1.3"):
        for i in sorted(picked):
            assert validated[i] == OmegaConf.to_container(compose("sweep", overrides=jobs[i])), jobs[i]


@pytest.mark.slow
def test_train_on_the_digits_reports_held_out_ais_log_likelihood(tmp_path, monkeypatch, capsys):
    pytest.importorskip("sklearn")
    monkeypatch.chdir(tmp_path)
    args = [
        "train", "model=rbm", "model.n_hidden=16", "data=digits", "training=pcd", "training.epochs=2",
        "training.batch_size=100", "training.eta=0.05", "training.init_scale=0.01", "schedule=constant",
        "schedule.sweeps=1", "training.eval_every=2", "training.eval_betas=100", "metrics_csv=m.csv",
    ]  # fmt: skip
    assert main(args) == 0
    import pandas as pd

    m = pd.read_csv(tmp_path / "m.csv")
    assert m["kl_data"].isna().all()  # 80 units: no enumeration
    ll = m["ais_log_likelihood"].dropna()
    assert len(ll) == 2 and ll.iloc[1] > ll.iloc[0]  # epochs 0 and 2: two epochs of training helped
    assert (m["ais_ci_low"].dropna() <= ll).all() and (ll <= m["ais_ci_high"].dropna()).all()


@pytest.mark.parametrize(
    "args",
    [
        ["check", "-m", "check.alpha=0.01,5", "check.plot=null"],
        ["train", "-m", "training.epochs=2,0"],
        ["table", "-m", "model=random", "model.seed=1,-1"],
    ],
    ids=["check", "train", "table"],
)
def test_a_multirun_of_any_command_validates_every_job_before_the_first_runs(args, tmp_path, monkeypatch, capsys):
    """The second job's bad value is refused before the first job runs (it ran, printed its result and
    left multirun/ behind): one line, exit 2, nothing written."""
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and err.startswith(f"bmexp {args[0]}: error: ")
    assert list(tmp_path.iterdir()) == []
