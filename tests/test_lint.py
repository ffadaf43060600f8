"""The code stays lint-clean and formatted (ruff, configured in pyproject.toml): CI runs this with
the README's test command."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ruff(*args):
    exe = shutil.which("ruff")
    cmd = [exe, *args] if exe else [sys.executable, "-m", "ruff", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module", autouse=True)
def have_ruff():
    if _ruff("--version").returncode != 0:
        pytest.skip("ruff is not installed (it is in the [test] extra)")


def test_ruff_check_is_clean():
    res = _ruff("check", ".")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]


def test_ruff_format_is_clean():
    res = _ruff("format", "--check", ".")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
