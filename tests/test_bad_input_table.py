"""The bad-input table: every entry is one line on stderr, exit code 2, no traceback, nothing
written to the store; Python API entries raise InputError with the exact message.  The same
table is shown in docs/bad-input.md (checked below, so the page cannot drift)."""

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from bmexp import BoltzmannMachine, InputError, slide35
from bmexp.cli import main
from bmexp.samplers import gibbs_sample
from bmexp.schedules import Schedule
from bmexp.training import train
from bmexp.validation import gof_test

DOC = Path(__file__).resolve().parent.parent / "docs" / "bad-input.md"

CLI = [
    ("run training.eta=-1", "bmexp run: error: training.eta must be a finite number > 0; received -1.0"),
    ("run training.epochs=0", "bmexp run: error: training.epochs must be an integer >= 1; received 0"),
    ("run training=cd1", "bmexp run: error: In 'run': Could not find 'training/cd1' Available options in "
                         "'training': annealed exact pcd"),
    ("run convention=ising", "bmexp run: error: In 'run': Could not find 'convention/ising' Available options in "
                             "'convention': binary spin"),
    ("run schedule.T0=0.5", "bmexp run: error: schedule.T0 must be >= T_end = 1; received T0 = 0.5"),
    ("run schedule.step=0", "bmexp run: error: schedule.step must be a finite number > 0; received 0.0"),
    ("run schedule.sweeps_per_temperature=0",
     "bmexp run: error: schedule.sweeps_per_temperature must be an integer >= 1; received 0"),
    ("run schedule=geometric schedule.factor=1.5",
     "bmexp run: error: schedule.factor must be a number in (0, 1); received 1.5"),
    ("run model=random model.n_visible=-1", "bmexp run: error: model.n_visible must be an integer >= 0; received -1"),
    ("run model=random model.n_visible=20 model.n_hidden=6",
     "bmexp run: error: model.n_visible + model.n_hidden must be <= 24 (exact enumeration); received 20 + 6 = 26"),
    ("run model.n_hidden=abc", "bmexp run: error: Error merging override model.n_hidden=abc Value 'abc' of type "
                               "'str' could not be converted to Integer"),
    ("run nosuchkey=1", "bmexp run: error: Could not override 'nosuchkey'. To append to your config use "
                        "+nosuchkey=1 Key 'nosuchkey' not in 'RunCommandConfig'"),
    ("run sampler.rule=gibbs",
     "bmexp run: error: sampler.rule must be one of ['heat_bath', 'flip', 'metropolis']; received 'gibbs'"),
    ("run sampler.backend=cuda", "bmexp run: error: sampler.backend must be one of ['numba', 'numpy']; received 'cuda'"),
    ("run checks.names=[histogram]", "bmexp run: error: checks.names must be a subset of ['conditional', 'joint', "
                                     "'random_hidden', 'schedule']; received 'histogram'"),
    ("run checks.alpha=1.5", "bmexp run: error: checks.alpha must be a number in (0, 1); received 1.5"),
    ("run threads=-1", "bmexp run: error: threads must be >= 0 (0: all cores); received -1"),
    ("run data.n=0", "bmexp run: error: data.n must be an integer >= 1; received 0"),
    ("run data=file", "bmexp run: error: data.path must name a .npy or .csv file of visible vectors; received None"),
    ("run data=file data.path=missing.csv", "bmexp run: error: data file 'missing.csv' does not exist"),
    ("run data=file data.path=three.csv", "bmexp run: error: data file 'three.csv' must have shape (n_vectors, 2) "
                                          "to match n_visible = 2; received shape (2, 3)"),
    ("run data=file data.path=two.csv",
     "bmexp run: error: data file 'two.csv' must hold unit values {0, 1} or {-1, 1}; found [2.0]"),
    ("run data=file data.path=nan.csv", "bmexp run: error: data file 'nan.csv' must be finite; found nan"),
    ("run data=file data.path=evil.npy", "bmexp run: error: data file 'evil.npy' could not be read as numbers "
                                         "without pickle: Object arrays cannot be loaded when allow_pickle=False"),
    ("run tracking.uri=./mlruns", "bmexp run: error: tracking.uri (or MLFLOW_TRACKING_URI) must be sqlite:///PATH "
                                  "or a tracking server (http://HOST:PORT); received './mlruns' (MLflow 3 no longer "
                                  "accepts a plain file store)"),
    ("run +model._target_=os.system", "bmexp run: error: overrides must not set _target_: bmexp instantiates no "
                                      "objects from configs; received '+model._target_=os.system'"),
    ("sweep training.eta=0.1,-1", "bmexp sweep: error: training.eta must be a finite number > 0; received -1.0"),
    ("train training.weight_decay=-1",
     "bmexp train: error: training.weight_decay must be a finite number >= 0; received -1.0"),
    ("check check=histogram", "bmexp check: error: In 'check': Could not find 'check/histogram' Available options "
                              "in 'check': conditional joint random_hidden schedule"),
    ("check check.n=0", "bmexp check: error: check.n must be an integer >= 1; received 0"),
    ("table given_hidden=[1,2]",
     "bmexp table: error: given_hidden must contain only binary values {0, 1}; found 2 (1 bad entries)"),
    ("ui ui.port=70000", "bmexp ui: error: ui.port must be in [1, 65535]; received 70000"),
    ("report", "bmexp report: error: report.sweep: there is no store at {cwd}/mlruns/mlflow.db; run `python -m "
               "bmexp sweep` first"),
    ("frobnicate", "bmexp: error: command must be one of ['check', 'report', 'run', 'sweep', 'table', 'train', "
                   "'ui']; received 'frobnicate'"),
]

API = [
    ("BoltzmannMachine([[0, 1], [2, 0]], [0, 0], n_visible=1)",
     lambda: BoltzmannMachine([[0, 1.0], [2.0, 0]], [0, 0], n_visible=1),
     "weights must be symmetric within 2e-10; weights[0, 1] = 1.0 but weights[1, 0] = 2.0"),
    ("gof_test([5, 5], [0.5, 0.6])", lambda: gof_test([5, 5], [0.5, 0.6]),
     "p must sum to 1 (within 1e-9); sums to 1.1"),
    ("gibbs_sample(slide35(), n_chains=0, ...)",
     lambda: gibbs_sample(slide35(), rng=np.random.default_rng(0), n_chains=0, schedule=Schedule.constant(1)),
     "n_chains must be an integer >= 1; received 0"),
    ("Schedule.geometric(20, 1.5, sweeps_per_temperature=2)",
     lambda: Schedule.geometric(20, 1.5, sweeps_per_temperature=2), "factor must be a number in (0, 1); received 1.5"),
    ("train(slide35(), eta=0, ...)",
     lambda: train(slide35(), rng=np.random.default_rng(0), data=[[0, 1]], eta=0),
     "eta must be a finite number > 0; received 0"),
    ("slide35().energy([1, 0, 2, 1])", lambda: slide35().energy([1, 0, 2, 1]),
     "states must contain only binary values {0, 1}; found 2 (1 bad entries)"),
]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    (tmp_path / "three.csv").write_text("0,1,1\n1,0,0\n")
    (tmp_path / "two.csv").write_text("0,2\n1,0\n")
    (tmp_path / "nan.csv").write_text("0,nan\n1,0\n")
    np.save(tmp_path / "evil.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    return tmp_path


def test_the_table_has_at_least_25_entries():
    assert len(CLI) + len(API) >= 25


@pytest.mark.parametrize("args, message", CLI, ids=[a for a, _ in CLI])
def test_cli_bad_input(args, message, workdir, capsys):
    assert main(args.split()) == 2
    err = capsys.readouterr().err
    assert err == message.replace("{cwd}", str(workdir)) + "\n"
    assert not (workdir / "mlruns").exists() and not (workdir / "multirun").exists()


@pytest.mark.parametrize("call, fn, message", API, ids=[c for c, _, _ in API])
def test_api_bad_input(call, fn, message):
    with pytest.raises(InputError, match="^" + re.escape(message) + "$"):
        fn()


def test_the_docs_page_shows_the_whole_table():
    page = DOC.read_text()
    for args, message in CLI:
        assert f"`python -m bmexp {args}`" in page and message.replace("{cwd}", "<cwd>") in page, args
    for call, _, message in API:
        assert f"`{call}`" in page and message in page, call


if __name__ == "__main__":  # python tests/test_bad_input_table.py > docs/bad-input.md
    print("# Bad input: what a user sees\n")
    print("Every entry below is tested (tests/test_bad_input_table.py): on the command line one line on")
    print("stderr, exit code 2, no traceback, nothing written to the store; in Python an `InputError`")
    print("(a `ValueError`) with exactly this message.\n")
    print("| input | message |\n|---|---|")
    for args, message in CLI:
        print(f"| `python -m bmexp {args}` | {message.replace('{cwd}', '<cwd>').replace('|', '&#124;')} |")
    for call, _, message in API:
        print(f"| `{call}` | {message.replace('|', '&#124;')} |")
    print("\nData files are read without pickle (`numpy.load(allow_pickle=False)`, `numpy.loadtxt`); "
          "config overrides may not set `_target_`.", file=sys.stdout)
