"""Exact enumeration: bmexp vs dimod's ExactSolver, time and peak memory at n = 16, 20, 24.

Each (implementation, n) runs in a fresh subprocess so that peak resident memory
(``ru_maxrss``) belongs to that case alone; the same random model (seeded) is used by
both, and the energies are cross-checked on a sample of states.

    python benchmarks/exact.py [--sizes 16 20 24] [--dimod-max 20] [--json PATH]

dimod is an optional extra (``pip install -e .[bench]``); without it only bmexp runs.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def _model(n: int):
    import numpy as np

    from bmexp import random_model

    return random_model(n // 2, n - n // 2, rng=np.random.default_rng(n), weight_scale=0.5)


def _run_one(impl: str, n: int) -> dict:
    import numpy as np

    model = _model(n)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    if impl == "bmexp":
        from bmexp import ExactDistribution

        d = ExactDistribution.of(model)
        e = d.energies
        check = d.p.sum()
    else:
        import dimod

        w, b = model.weights, model.biases
        bqm = dimod.BinaryQuadraticModel(
            {i: -b[i] for i in range(n)},
            {(i, j): -w[i, j] for i in range(n) for j in range(i + 1, n)},
            0.0,
            dimod.BINARY,
        )
        ss = dimod.ExactSolver().sample(bqm)
        e = ss.record.energy
        check = len(e)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # cross-check a few energies against the model's direct formula
    if impl == "bmexp":
        from bmexp.states import states_from_indices

        idx = np.random.default_rng(0).integers(0, 2**n, 100)
        assert np.allclose(e[idx], model.energy(states_from_indices(idx, n)), atol=1e-9)
    else:
        samples = ss.record.sample[:100].astype(float)
        assert np.allclose(e[:100], model.energy(samples), atol=1e-9)
    return {
        "implementation": impl,
        "n_units": n,
        "seconds": seconds,
        "peak_rss_mb": peak / 1024,
        "added_rss_mb": (peak - base) / 1024,
        "check": float(check),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[16, 20, 24])
    ap.add_argument("--dimod-max", type=int, default=20, help="largest n for dimod (it is slow and large)")
    ap.add_argument("--json", help="write the records here")
    ap.add_argument("--one", nargs=2, metavar=("IMPL", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(_run_one(args.one[0], int(args.one[1]))))
        return
    try:
        import dimod  # noqa: F401

        impls = ["bmexp", "dimod"]
    except ImportError:
        impls = ["bmexp"]
        print("dimod not installed: pip install -e .[bench]", file=sys.stderr)
    records = []
    for n in args.sizes:
        for impl in impls:
            if impl == "dimod" and n > args.dimod_max:
                continue
            out = subprocess.run([sys.executable, __file__, "--one", impl, str(n)], capture_output=True, text=True)
            if out.returncode:
                raise SystemExit(out.stderr)
            records.append(json.loads(out.stdout))
    print(f"{'n':>3} {'implementation':<10} {'seconds':>9} {'peak RSS MB':>12} {'speed-up':>9}")
    for r in records:
        ref = [q for q in records if q["n_units"] == r["n_units"] and q["implementation"] == "dimod"]
        ratio = f"{ref[0]['seconds'] / r['seconds']:.1f}x" if ref and r["implementation"] == "bmexp" else ""
        print(f"{r['n_units']:>3} {r['implementation']:<10} {r['seconds']:>9.3f} {r['peak_rss_mb']:>12.0f} {ratio:>9}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(records, fh, indent=1)


if __name__ == "__main__":
    main()
