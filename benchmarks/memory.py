"""Peak memory and time of every command at the enumeration limit (24 units) and beyond it.

Each command runs in a fresh process (``python -m bmexp ...``) in a scratch directory; its peak
resident memory is the children's ``ru_maxrss`` after it ends.  Goal (issue "Validation beyond
enumeration"): every command at 12 + 12 units within 2 GB.

    python benchmarks/memory.py [--json PATH] [--quick] [--case "12 + 20"]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

M24 = ["model=random", "model.n_visible=12", "model.n_hidden=12"]
CASES = {
    "table (24 units)": ["table", *M24],
    "check joint (24 units)": ["check", "check=joint", *M24],
    "check invariance (24 units)": ["check", "check=invariance", *M24],
    "train (24 units)": ["train", *M24, "training.epochs=20"],
    "run (24 units)": ["run", *M24],
    "check blocks (1,000 units)": [
        "check",
        "check=blocks",
        "model=random",
        "model.n_visible=500",
        "model.n_hidden=500",
    ],
    "check energy (L = 32)": ["check", "check=energy", "model=lattice", "model.L=32"],
    # beyond enumeration: training measured by pseudo-log-likelihood (estimated: 20 coupled hidden units)
    "train (12 + 20 units, pll)": [
        "train",
        "model=random",
        "model.n_visible=12",
        "model.n_hidden=20",
        "training.epochs=20",
    ],
    "train (500 + 500 units, pll)": [
        "train",
        "model=random",
        "model.n_visible=500",
        "model.n_hidden=500",
        "training.epochs=10",
    ],
    "run (12 + 20 units, pll)": [
        "run",
        "model=random",
        "model.n_visible=12",
        "model.n_hidden=20",
        "training.epochs=20",
    ],
}
QUICK = ("table (24 units)", "check joint (24 units)")


def measure(args: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
        env.pop("MLFLOW_TRACKING_URI", None)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "bmexp", *args], cwd=tmp, capture_output=True, text=True, env=env)
        seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # the largest child so far
    return {"seconds": seconds, "peak_bytes": peak, "returncode": proc.returncode, "stderr": proc.stderr[-300:]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json")
    ap.add_argument("--quick", action="store_true", help="table and check joint only")
    ap.add_argument("--case", action="append", help="only the cases whose name contains this (repeatable)")
    a = ap.parse_args()
    out = {}
    for name, args in CASES.items():
        if a.quick and name not in QUICK:
            continue
        if a.case and not any(c in name for c in a.case):
            continue
        # ru_maxrss of children is a running maximum: run each case in its own interpreter
        res = json.loads(
            subprocess.run(
                [sys.executable, "-c", _ONE, *args],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        out[name] = res
        ok = "ok" if res["returncode"] == 0 else f"exit {res['returncode']}: {res['stderr']}"
        print(f"{name:30s} {res['seconds']:8.1f} s  peak {res['peak_bytes'] / 2**30:5.2f} GiB  {ok}", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2)


_ONE = """
import json, sys
sys.path.insert(0, %r)
from memory import measure
print(json.dumps(measure(sys.argv[1:])))
""" % os.path.dirname(os.path.abspath(__file__))

if __name__ == "__main__":
    main()
