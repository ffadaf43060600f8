"""Parallel writers, reproducibility across launchers, divergence inside a sweep, security."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bmexp import tracking

ENV = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
ENV.pop("MLFLOW_TRACKING_URI", None)
SMALL = ["training.epochs=10", "checks.n=1000"]


def bmexp(args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "bmexp", *args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=600
    )


def job_runs(cwd, sweep_name):
    store = tracking.Store.default(root=cwd)
    parent = tracking.find_sweep(store, sweep_name)
    return tracking.child_runs(store, parent)


def integrity(cwd):
    con = sqlite3.connect(Path(cwd, "mlruns", "mlflow.db"))
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


# Parallel writers on a fresh store: tests/test_faults.py (two launchers started together, 5 repetitions,
# PRAGMA integrity_check), which supersedes the four-joblib-worker test.


@pytest.mark.slow
def test_same_seed_same_metrics_alone_and_in_a_sweep_other_seed_differs(tmp_path):
    # the quick sweep's job (spin, T0 = 20, eta = 0.1) run alone, with the preset's values spelled out
    job = [
        "convention=spin",
        "schedule.T0=20",
        "training.eta=0.1",
        "schedule.sweeps_per_temperature=5",
        "schedule.final_sweeps=null",
        *SMALL,
    ]
    assert bmexp(["run", *job, "tracking.sweep_name=alone"], tmp_path).returncode == 0
    assert bmexp(["run", *job, "seed=1", "tracking.sweep_name=reseeded"], tmp_path).returncode == 0
    assert bmexp(["sweep", "sweep=quick", *SMALL], tmp_path).returncode == 0
    store = tracking.Store.default(root=tmp_path)
    client = store.client()

    def only(experiment):
        exp = client.get_experiment_by_name(experiment)
        return client.search_runs([exp.experiment_id], filter_string="tags.`bmexp.role` = 'job'")

    alone, reseeded = only("bmexp-alone")[0], only("bmexp-reseeded")[0]
    twin = [r for r in only("bmexp-quick") if r.data.tags["bmexp.config_hash"] == alone.data.tags["bmexp.config_hash"]]
    assert len(twin) == 1
    keys = [k for k in alone.data.metrics if k.startswith(("check.", "train.final", "train.epochs_to"))]
    assert len(keys) > 20
    same = [
        k
        for k in keys
        if np.isnan(alone.data.metrics[k])
        and np.isnan(twin[0].data.metrics[k])
        or alone.data.metrics[k] == twin[0].data.metrics[k]
    ]
    assert same == keys
    assert reseeded.data.metrics["check.joint.statistic"] != alone.data.metrics["check.joint.statistic"]
    assert reseeded.data.tags["bmexp.config_hash"] != alone.data.tags["bmexp.config_hash"]


@pytest.mark.slow
def test_eta_10_diverges_inside_a_sweep_and_the_sweep_goes_on(tmp_path):
    proc = bmexp(
        [
            "sweep",
            "sweep=basic",
            "convention=spin",
            "schedule.T0=5",
            "training.eta=0.1,10",
            "training.epochs=50",
            "checks.n=500",
            "checks.names=[joint]",
        ],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    runs = {r["params"]["training.eta"]: r for r in job_runs(tmp_path, "quick_basic")}
    assert {r["status"] for r in runs.values()} == {"FINISHED"}
    wild, calm = runs["10.0"], runs["0.1"]
    assert wild["tags"]["bmexp.diverged"] == "true" and wild["metrics"]["train.diverged"] == 1.0
    assert wild["metrics"]["train.epochs"] < 50 and np.isfinite(wild["metrics"]["train.final_kl_teacher"])
    assert calm["tags"]["bmexp.diverged"] == "false" and calm["metrics"]["train.epochs"] == 50
    store = tracking.Store.default(root=tmp_path)
    history = tracking.metric_history(store, wild["run_id"], "train.kl_teacher")
    assert len(history) == wild["metrics"]["train.epochs"] + 1 and all(np.isfinite(v) for _, v in history)


# ------------------------------------------------------------------------------- security
def test_ui_binds_to_loopback_unless_asked():
    from bmexp.commands import ui_command

    store = tracking.Store.default(root="/tmp/x")
    cmd = ui_command(store, "127.0.0.1", 5000, 1)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    from bmexp.config import UiConfig

    assert UiConfig().host == "127.0.0.1"


def test_overrides_cannot_instantiate_objects(tmp_path, capsys, monkeypatch):
    from bmexp.cli import main

    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "pwned"
    for args in (
        ["run", "+model._target_=pathlib.Path.touch", f"+model.self={marker}"],
        [
            "sweep",
            "sweep=basic",
            "+hydra.callbacks.evil._target_=os.system",
            f"+hydra.callbacks.evil.command=touch {marker}",
        ],
    ):
        assert main(args) == 2
        assert "_target_" in capsys.readouterr().err
    assert not marker.exists() and not (tmp_path / "mlruns").exists()


@pytest.mark.slow
def test_job_artifacts_are_written_only_under_the_store(tmp_path):
    before = set(os.listdir(tmp_path))
    assert bmexp(["run", *SMALL], tmp_path).returncode == 0
    assert set(os.listdir(tmp_path)) - before == {"mlruns"}
    assert {p.name for p in Path(tmp_path, "mlruns").iterdir()} >= {"mlflow.db", "artifacts"}
