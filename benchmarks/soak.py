"""Soak: sweeps under random faults, resumed until complete (not part of the test suite).

    python benchmarks/soak.py [--sweeps 10] [--seed 0] [--store DIR] [--json PATH]

Each sweep (``sweep=quick``, 8 configurations, its own sweep name, all in one SQLite store) is
launched; while its jobs run, a seeded generator picks a fault: ``kill -9`` of a random worker,
SIGTERM of the launcher, both, or none, at a random moment.  The same command is then run again
until it exits 0 (at most 6 launches).  After every launch: no process of it is left (by pid);
after every sweep: finished runs = configurations, no duplicated config hash, nothing RUNNING,
``PRAGMA integrity_check`` = ok.  Prints a Markdown table; exit code 1 if anything was lost,
duplicated or left behind.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bmexp import tracking  # noqa: E402

CONFIGURATIONS = 8
ARGS = ["sweep", "sweep=quick", "training.epochs=60", "checks.n=2000"]


def env() -> dict:
    e = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONPATH": str(ROOT)}
    e.pop("MLFLOW_TRACKING_URI", None)
    e.pop(tracking.PARENT_ENV, None)
    return e


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def sweep_runs(store, name: str) -> list:
    client = store.client()
    exp = client.get_experiment_by_name(f"bmexp-{name}")
    if exp is None:
        return []
    return client.search_runs([exp.experiment_id], max_results=1000)


def launch(args, cwd, fault: str, rng, store, name) -> dict:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bmexp", *args],
        cwd=cwd,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    seen: set[int] = set()
    done = {"worker_kills": 0, "sigterms": 0}
    if fault != "none":
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:  # wait for a job running in a worker
            try:
                seen |= {p.pid for p in psutil.Process(proc.pid).children(recursive=True)}
            except psutil.NoSuchProcess:
                break
            if seen and any(
                r.info.status == "RUNNING" and r.data.tags.get("bmexp.role") == "job" for r in sweep_runs(store, name)
            ):
                break
            time.sleep(0.2)
        time.sleep(rng.uniform(0.0, 4.0))
        try:
            children = [p.pid for p in psutil.Process(proc.pid).children()]
        except psutil.NoSuchProcess:
            children = []
        seen |= set(children)
        if fault in ("worker", "both") and children and proc.poll() is None:
            os.kill(int(rng.choice(children)), signal.SIGKILL)
            done["worker_kills"] += 1
        if fault in ("sigterm", "both") and proc.poll() is None:
            time.sleep(rng.uniform(0.0, 1.0))
            os.kill(proc.pid, signal.SIGTERM)
            done["sigterms"] += 1
    while proc.poll() is None:
        try:
            seen |= {p.pid for p in psutil.Process(proc.pid).children(recursive=True)}
        except psutil.NoSuchProcess:
            pass
        time.sleep(0.3)
    err = proc.stderr.read()
    return {
        **done,
        "code": proc.returncode,
        "traceback": "Traceback" in err,
        "fault": fault,
        "stderr": err if "Traceback" in err else None,
        "left": [p for p in seen if alive(p)],
        "stderr_lines": len(err.splitlines()),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sweeps", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--store", default=None, help="working directory (default: a temporary one)")
    ap.add_argument("--json", default=None)
    opts = ap.parse_args()
    rng = np.random.default_rng(opts.seed)
    cwd = Path(opts.store or tempfile.mkdtemp(prefix="bmexp-soak-"))
    cwd.mkdir(parents=True, exist_ok=True)
    store = tracking.Store.default(root=cwd)
    rows, bad = [], False
    print(
        "| sweep | launches | worker kills | SIGTERMs | exit codes | KILLED runs | finished / configurations "
        "| duplicates | RUNNING | processes left | tracebacks | integrity | wall |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for k in range(opts.sweeps):
        name = f"soak{k}"
        args = [*ARGS, f"tracking.sweep_name={name}"]
        t0, launches = time.time(), []
        while len(launches) < 6:
            fault = (
                str(rng.choice(["worker", "sigterm", "both", "none"], p=[0.35, 0.35, 0.2, 0.1]))
                if len(launches) < 2
                else "none"
            )
            launches.append(launch(args, cwd, fault, rng, store, name))
            if launches[-1]["code"] == 0:
                break
        runs = [r for r in sweep_runs(store, name) if r.data.tags.get("bmexp.role") == "job"]
        finished = [r.data.tags["bmexp.config_hash"] for r in runs if r.info.status == "FINISHED"]
        everything = sweep_runs(store, name)
        con = sqlite3.connect(cwd / "mlruns" / "mlflow.db")
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        con.close()
        row = {
            "sweep": name,
            "launches": len(launches),
            "worker_kills": sum(x["worker_kills"] for x in launches),
            "sigterms": sum(x["sigterms"] for x in launches),
            "codes": [x["code"] for x in launches],
            "killed": sum(r.info.status == "KILLED" for r in runs),
            "finished": len(set(finished)),
            "duplicates": len(finished) - len(set(finished)),
            "running": sum(r.info.status == "RUNNING" for r in everything),
            "left": sum(len(x["left"]) for x in launches),
            "tracebacks": sum(x["traceback"] for x in launches),
            "integrity": integrity,
            "wall_s": round(time.time() - t0, 1),
        }
        row["tracebacks_seen"] = [x["stderr"] for x in launches if x["stderr"]]
        rows.append(row)
        bad |= (
            row["finished"] != CONFIGURATIONS
            or row["duplicates"]
            or row["running"]
            or row["left"]
            or row["tracebacks"]
            or integrity != "ok"
            or launches[-1]["code"] != 0
        )
        print(
            f"| {name} | {row['launches']} | {row['worker_kills']} | {row['sigterms']} | "
            f"{' '.join(map(str, row['codes']))} | {row['killed']} | {row['finished']} / {CONFIGURATIONS} | "
            f"{row['duplicates']} | {row['running']} | {row['left']} | {row['tracebacks']} | {integrity} | "
            f"{row['wall_s']:.0f} s |",
            flush=True,
        )
    total = {
        k: sum(r[k] for r in rows)
        for k in (
            "launches",
            "worker_kills",
            "sigterms",
            "killed",
            "finished",
            "duplicates",
            "running",
            "left",
            "tracebacks",
        )
    }
    print(
        f"| total | {total['launches']} | {total['worker_kills']} | {total['sigterms']} | | {total['killed']} | "
        f"{total['finished']} / {CONFIGURATIONS * len(rows)} | {total['duplicates']} | {total['running']} | "
        f"{total['left']} | {total['tracebacks']} | | {sum(r['wall_s'] for r in rows):.0f} s |"
    )
    if opts.json:
        Path(opts.json).parent.mkdir(parents=True, exist_ok=True)
        Path(opts.json).write_text(json.dumps({"rows": rows, "total": total, "seed": opts.seed}, indent=1))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
