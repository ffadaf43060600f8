"""No behaviour change for valid inputs: sweep=quick gives the metrics it gave before the sampler
contract and the one-boundary refactor (recorded at commit 0cad732 in tests/data/), value for
value -- every check's p-value, statistic and TV, every training curve -- with the same seeds."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "data" / "quick_sweep_metrics.json"
TIMING = ("wall_time_s", "sampler.updates_per_s", "train.seconds", "tracking.overhead_fraction")


def _same(a, b) -> bool:
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.slow
def test_quick_sweep_metrics_are_identical_to_the_recorded_ones(tmp_path):
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("MLFLOW_TRACKING_URI", None)
    proc = subprocess.run(
        [sys.executable, "-m", "bmexp", "sweep", "sweep=quick"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    from bmexp import tracking

    client = tracking.Store.default(root=tmp_path).client()
    ids = [e.experiment_id for e in client.search_experiments()]
    runs = [r for r in client.search_runs(ids, max_results=1000) if r.data.tags.get("bmexp.role") == "job"]
    golden = json.loads(GOLDEN.read_text())["runs"]
    assert sorted(r.info.run_name for r in runs) == sorted(golden)
    for r in runs:
        want = golden[r.info.run_name]
        got = {k: v for k, v in r.data.metrics.items() if k not in TIMING}
        for key in [k for k in want if k.endswith("@history")]:
            hist = client.get_metric_history(r.info.run_id, key[: -len("@history")])
            got[key] = [h.value for h in sorted(hist, key=lambda h: h.step)]
        assert set(got) == set(want), (r.info.run_name, set(got) ^ set(want))
        diff = [k for k in want if not _same(want[k], got[k])]
        assert not diff, (r.info.run_name, {k: (want[k], got[k]) for k in diff[:5]})
