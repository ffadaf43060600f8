"""conf/ ships inside the wheel: `python -m bmexp` finds its configs from a normal install."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_normal_install_in_another_directory_finds_the_configs(tmp_path):
    target = tmp_path / "site"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(REPO),
        ],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    assert (target / "bmexp" / "conf" / "model" / "slide35.yaml").is_file()
    assert not (target / "conf").exists()
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    proc = subprocess.run(
        [sys.executable, "-m", "bmexp", "table", "model=seed_target"], capture_output=True, text=True, cwd=work, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert "# seed_target (binary)" in proc.stdout
    # it ran the installed copy, not the checkout
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import bmexp.cli as c, bmexp.validation.checks, bmexp.testing.mutants, "
            "bmexp.report; print(c.__file__, c.config_path())",
        ],
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
    ).stdout
    assert str(target) in where and "pkg://bmexp.conf" in where
