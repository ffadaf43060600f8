import os

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

# Deterministic property tests: the same examples on every run (no flaky CI).
settings.register_profile(
    "ci", derandomize=True, max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("BMEXP_HYPOTHESIS_PROFILE", "ci"))


def calibration_counts(sampler, model, schedule, *, replicates=200, n=2000, alpha=0.01, seed=0):
    """Seeded replicates of the test "samples vs the sampler's own exact schedule output".

    One call draws ``replicates * n`` independent chains; replicate r is chains
    [r n, (r + 1) n).  Returns (rejections at ``alpha``, p-values, pooled counts, exact output).
    """
    import numpy as np

    from bmexp.samplers import kernel_of
    from bmexp.states import indices_from_states
    from bmexp.transitions import schedule_output
    from bmexp.validation import gof_test

    exact = schedule_output(model, schedule, kernel=kernel_of(sampler))
    rng = np.random.default_rng(seed)
    states = np.asarray(getattr(sampler(model, rng=rng, n_chains=replicates * n, schedule=schedule), "states"))
    idx = indices_from_states(states, model.convention).reshape(replicates, n)
    counts = np.stack([np.bincount(row, minlength=exact.size) for row in idx])
    pvalues = np.array([gof_test(c, exact, alpha=alpha, rng=rng).p_value for c in counts])
    return int(np.sum(pvalues < alpha)), pvalues, counts.sum(axis=0), exact


def assert_calibrated(rejections, pvalues, replicates, alpha=0.01):
    """The rejection rate's 99% Clopper-Pearson interval holds alpha; the p-values look uniform
    (KS at 0.001).  A calibrated test fails this with probability about 1%, at a fixed seed."""
    from scipy import stats

    ci = stats.binomtest(rejections, replicates, alpha).proportion_ci(confidence_level=0.99)
    assert ci.low <= alpha <= ci.high, (rejections, replicates, ci)
    assert stats.ks_1samp(pvalues, stats.uniform.cdf).pvalue > 0.001


# ----------------------------------------------------------------------------- the local cluster
# tests/test_cluster.py runs sweeps on scripts/local-cluster.sh's one-node SLURM cluster and MLflow servers
# (.ci/run starts them before the suite).  Where they cannot start here, its tests skip with the reason,
# repeated at the end of the run so that it is never silent.
_CLUSTER_SKIPPED: list[str] = []


class LocalCluster:
    def __init__(self, script, settings: dict):
        self.script, self.settings = script, settings

    def uri(self, backend: str, skip: bool = True) -> str | None:
        import pytest

        uri = self.settings.get(f"BMEXP_CLUSTER_{backend.upper()}_URI") or None
        if uri is None and skip:
            reason = f"no {backend} tracking server here: {self.settings.get('BMEXP_CLUSTER_POSTGRES_NOTE')}"
            _CLUSTER_SKIPPED.append(reason)
            pytest.skip(reason)
        return uri

    def kill_server(self, backend: str) -> None:
        """kill -9 of the tracking server (its process group: the server and its workers)."""
        import signal
        from pathlib import Path

        pid = int((Path(self.settings["BMEXP_CLUSTER_DIR"]) / f"mlflow-{backend}.pid").read_text())
        os.killpg(pid, signal.SIGKILL)

    def start(self) -> dict:
        import subprocess

        out = subprocess.run(["bash", str(self.script), "start"], capture_output=True, text=True, timeout=1200)
        if out.returncode != 0:
            raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}")
        self.settings = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
        return self.settings


def _cluster_script():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "scripts" / "local-cluster.sh"


@pytest.fixture(scope="session")
def cluster_settings():
    """The local cluster, started if it is not (and then stopped at the end), or a skip with the reason."""
    import subprocess

    script = _cluster_script()
    running = subprocess.run(["bash", str(script), "status"], capture_output=True, text=True).returncode == 0
    out = subprocess.run(["bash", str(script), "start"], capture_output=True, text=True, timeout=1200)
    if out.returncode == 3:
        reason = " ".join(out.stderr.split()) or "scripts/local-cluster.sh start: cannot start here"
        _CLUSTER_SKIPPED.append(reason)
        pytest.skip(reason)
    if out.returncode != 0:
        pytest.fail(f"scripts/local-cluster.sh start failed (exit {out.returncode}): {out.stderr[-3000:]}")
    cluster = LocalCluster(script, dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line))
    yield cluster
    if not running:
        subprocess.run(["bash", str(script), "stop"], capture_output=True, text=True)


def pytest_terminal_summary(terminalreporter):
    # the reasons come from the skip reports, which reach this (controlling) process from xdist's workers too
    reasons = list(_CLUSTER_SKIPPED)
    for report in terminalreporter.stats.get("skipped", []):
        if "test_cluster.py" in report.nodeid and isinstance(report.longrepr, tuple):
            reasons.append(report.longrepr[2].removeprefix("Skipped: "))
    for reason in dict.fromkeys(reasons):
        terminalreporter.write_line(f"cluster tests skipped: {reason}", yellow=True)
