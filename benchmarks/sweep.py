"""The main job's speed: ``python -m bmexp sweep`` end to end, before and after, in one run.

Each variant runs the sweep in a fresh temporary directory (its own store) as a user would, and
reports:
  wall       seconds from launch to exit
  cpu        user + system seconds of the launcher and its workers (getrusage of the children)
  work       sum over jobs of ``wall_time_s`` (checks + training inside the job)
  tracking   sum over jobs of (run duration - work): MLflow calls, artifacts, plots
  track %    tracking / sum of run durations (the per-job share, weighted by duration)
  outside    wall x workers - sum of run durations: worker start, config, claims, idle workers
  checks     (job, check) pairs computed / reused, and the distinct check configurations

Variants:
  before     the code at ``--before REF`` (default: the commit before issue 15), extracted with
             ``git archive`` and run with PYTHONPATH pointing at it
  no-reuse   this checkout with ``checks.reuse=false checks.plot=true`` (this code, old behaviour)
  after      this checkout as it ships

The machine is shared: the load average before and after each variant is printed; compare
ratios measured in the same run, and re-measure on an idle machine for absolute numbers.  With
``--together`` the variants run at the same time, so whatever else loads the machine loads both
alike (each then has about half the cores: compare CPU seconds and ratios, not walls with idle runs).

    python benchmarks/sweep.py [--sweep default] [--variants before,after] [--before REF] [--together] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BEFORE = "a7e36de"  # main when issue 15 started


def _checkout(ref: str, into: Path, repo: Path) -> Path:
    data = subprocess.run(["git", "archive", ref], cwd=repo, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def start_sweep(code: Path, args: list[str], workdir: Path) -> dict:
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONPATH": str(code)}
    env.pop("MLFLOW_TRACKING_URI", None)
    out = open(workdir / "output.txt", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bmexp", "sweep", *args], cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT
    )
    return {"proc": proc, "t0": time.perf_counter(), "load_before": os.getloadavg()[0], "workdir": workdir}


def wait_sweep(run: dict, reaped: dict | None = None) -> dict:
    """Wall time, and CPU time of the launcher and its workers (wait4: this child's rusage only).
    ``reaped``: pid -> (end time, status, rusage) of children already waited for."""
    if reaped is not None and run["proc"].pid in reaped:
        end, status, usage = reaped[run["proc"].pid]
    else:
        _, status, usage = os.wait4(run["proc"].pid, 0)
        end = time.perf_counter()
    wall = end - run["t0"]
    if status != 0:
        text = (run["workdir"] / "output.txt").read_text()
        raise SystemExit(f"sweep failed (status {status}): {text[-2000:]}")
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "load_before": run["load_before"],
        "load_after": os.getloadavg()[0],
    }


def job_runs(workdir: Path) -> list:
    sys.path.insert(0, str(REPO))
    from bmexp import tracking

    client = tracking.Store.default(root=workdir).client()
    ids = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(ids, max_results=5000)
    return [r for r in runs if r.data.tags.get("bmexp.role") == "job" and r.info.status == "FINISHED"]


def summarize(runs: list, wall: float, workers: int) -> dict:
    durations = [(r.info.end_time - r.info.start_time) / 1000 for r in runs]
    work = [r.data.metrics["wall_time_s"] for r in runs]
    checks = [k for k in runs[0].data.metrics if k.endswith(".passed") and k.startswith("check.")]
    n_checks = len(checks)
    reused = sum(len([c for c in r.data.tags.get("bmexp.checks_reused", "").split(", ") if c]) for r in runs)
    distinct = {
        tuple(sorted((k, v) for k, v in r.data.params.items() if not k.startswith(("training.", "tracking."))))
        for r in runs
    }
    return {
        "jobs": len(runs),
        "work_s": sum(work),
        "run_s": sum(durations),
        "tracking_s": sum(durations) - sum(work),
        "tracking_share": (sum(durations) - sum(work)) / sum(durations),
        "tracking_share_median_job": sorted((d - w) / d for d, w in zip(durations, work))[len(runs) // 2],
        "outside_s": wall * workers - sum(durations),
        "checks_computed": len(runs) * n_checks - reused,
        "checks_reused": reused,
        "check_configurations": len(distinct) * n_checks,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sweep", default="default", help="sweep config (default: the main job; quick: a smoke test)")
    ap.add_argument("--variants", default="before,after", help="comma-separated: before, no-reuse, after")
    ap.add_argument("--before", default=BEFORE, help="git ref of the code to compare with")
    ap.add_argument("--git", default=str(REPO), help="the git checkout --before is taken from")
    ap.add_argument("--workers", type=int, default=2, help="hydra.launcher.n_jobs")
    ap.add_argument(
        "--together", action="store_true", help="run the variants at the same time (a shared machine loads both alike)"
    )
    ap.add_argument("--json", help="write the records here")
    args = ap.parse_args()
    base = [f"sweep={args.sweep}", f"hydra.launcher.n_jobs={args.workers}"]
    records = []
    print(f"{os.cpu_count()} cores; load average at start {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        started = []
        for variant in args.variants.split(","):
            code, extra = REPO, []
            if variant == "before":
                code = _checkout(args.before, Path(tmp) / "before", Path(args.git))
            elif variant == "no-reuse":
                extra = ["checks.reuse=false", "checks.plot=true"]
            elif variant != "after":
                raise SystemExit(f"--variants: unknown variant {variant!r}; use before, no-reuse, after")
            workdir = Path(tmp) / f"run-{variant}"
            workdir.mkdir()
            started.append((variant, start_sweep(code, base + extra, workdir)))
            if not args.together:
                started[-1] = (variant, wait_sweep(started[-1][1]), workdir)
        if args.together:  # reap them as they end, so each wall time is its own
            reaped = {}
            while len(reaped) < len(started):
                pid, status, usage = os.wait4(-1, 0)
                reaped[pid] = (time.perf_counter(), status, usage)
            started = [(variant, wait_sweep(run, reaped), run["workdir"]) for variant, run in started]
        for variant, rec, workdir in started:
            rec = {"variant": variant, **rec, **summarize(job_runs(workdir), rec["wall_s"], args.workers)}
            records.append(rec)
            print(
                f"{variant}: wall {rec['wall_s']:.1f} s, cpu {rec['cpu_s']:.1f} s, load {rec['load_before']:.1f} -> "
                f"{rec['load_after']:.1f}",
                flush=True,
            )
    cols = ("wall_s", "cpu_s", "work_s", "tracking_s", "tracking_share", "outside_s")
    print(f"\n{'variant':<9} {'jobs':>4} " + " ".join(f"{c:>14}" for c in cols) + "  checks computed/reused (configs)")
    for r in records:
        vals = " ".join(f"{r[c]:>14.3f}" if c == "tracking_share" else f"{r[c]:>14.1f}" for c in cols)
        print(
            f"{r['variant']:<9} {r['jobs']:>4} {vals}  "
            f"{r['checks_computed']}/{r['checks_reused']} ({r['check_configurations']})"
        )
    if len(records) > 1:
        first, last = records[0], records[-1]
        print(
            f"\n{last['variant']} vs {first['variant']}: wall {first['wall_s'] / last['wall_s']:.2f}x faster, "
            f"cpu {first['cpu_s'] / last['cpu_s']:.2f}x less"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(records, indent=1))


if __name__ == "__main__":
    main()
