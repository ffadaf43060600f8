"""Fuzzing the one boundary: random keys from the schemas with values of the wrong type or range.

The contract, whatever the input: exit code 0 or 2, never a traceback, one line on stderr when
refused, and a refused command leaves no store behind.  Hypothesis runs derandomized (the same
examples every run), and each example is a small, fast command (bounded: at most a few hundred
chains and no training, where the fuzzed value happens to be valid).
"""

import contextlib
import io
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bmexp import config
from bmexp.cli import main
from tests.test_bad_input_table import _schema_keys

SCHEMAS = {
    "run": config.RunCommandConfig,
    "check": config.CheckCommandConfig,
    "table": config.TableConfig,
    "train": config.TrainCommandConfig,
}
#: each command's base overrides keep a run that turns out valid small
BASE = {
    "run": ["train=false", "checks.names=[joint]", "checks.n=300"],
    "check": ["check.n=300", "check.plot=null"],
    "table": [],
    "train": ["training.epochs=2", "data.n=50"],
}
VALUES = [
    "-1",
    "0",
    "2",
    "0.5",
    "-0.5",
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "-inf",
    "abc",
    "''",
    "[]",
    "[1,2]",
    "[-1]",
    "null",
    "true",
    "100000000000",
    "1e21",
    "99999999999999999999999",
    "../x",
    "a b",
    "{}",
    "-0.0",
    "sqlite://",
    "ftp://x",
]
#: keys whose valid values would start a server or write outside the work dir: not fuzzed
SKIP = {"metrics_csv", "check.plot", "tracking.uri"}


@st.composite
def commands(draw):
    command = draw(st.sampled_from(sorted(SCHEMAS)))
    keys = [k for k in _schema_keys(SCHEMAS[command]) if k not in SKIP]
    chosen = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=3, unique=True))
    return command, [f"{k}={draw(st.sampled_from(VALUES))}" for k in chosen]


@pytest.mark.slow
@settings(max_examples=50, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(commands())
def test_any_override_exits_0_or_2_without_a_traceback(tmp_path_factory, case):
    command, overrides = case
    work = tmp_path_factory.mktemp("fuzz")
    old = os.getcwd()
    os.chdir(work)
    err, out = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = main([command, *BASE[command], *overrides])
    finally:
        os.chdir(old)
    text = err.getvalue()
    # 1 only for a check that ran and failed (a finding, e.g. schedule.T_end=2 samples exp(-E / 2))
    failed_check = code == 1 and command == "check" and "\nFAIL: " in out.getvalue()
    assert code in (0, 2) or failed_check, (command, overrides, code, text[-2000:])
    assert "Traceback" not in text, (command, overrides, text[-2000:])
    if code == 2:
        assert len(text.strip().splitlines()) == 1, (command, overrides, text)
        assert not (work / "mlruns").exists() and not (work / "multirun").exists(), (command, overrides)
