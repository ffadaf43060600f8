"""Annealing against parallel tempering on the metastable 10-unit ferromagnet, at equal cost.

Exact, not sampled: on the fully connected ferromagnet the number of units up is itself a Markov
chain under random-scan heat bath (bmexp.lumped, checked against the enumerated chains), so the
TV from Boltzmann and P(majority on) of every setting are computed exactly.  Cost = spin updates
of one chain, every replica counted (a sweep is n updates; PT's round is R sweeps).

Annealing: linear schedules, T0 in {2, 3, 5, 10, 20} x step in {0.5, 1, 2, 5} x sweeps per
temperature in {5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000} (twice that at T = 1).
PT at T = 1: R in {2, 3, 4, 5} x geometric ladders to T_max in {2, 3, 5, 10}, and the adaptive
ladder (bmexp's tuning run, then frozen), deterministic even/odd swaps, up to 2,000 rounds.

    python benchmarks/metastable.py [--coupling 0.25 0.3] [--json PATH]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from bmexp.errors import InputError
from bmexp.lumped import annealing_counts, boltzmann_counts, majority_on, pt_counts
from bmexp.samplers import ParallelTempering
from bmexp.samplers.pt import geometric_ladder
from bmexp.schedules import Schedule
from bmexp.zoo import ferromagnet

N, BIAS, TARGET_TV, MAX_ROUNDS = 10, 0.05, 0.01, 2000


def tv(p, q) -> float:
    return 0.5 * float(np.abs(p - q).sum())


def annealing(J: float) -> list[dict]:
    boltz = boltzmann_counts(N, J, BIAS)
    rows = []
    for T0 in (2.0, 3.0, 5.0, 10.0, 20.0):
        for step in (0.5, 1.0, 2.0, 5.0):
            for spt in (5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
                try:
                    schedule = Schedule.linear(T0, step, sweeps_per_temperature=spt)
                except InputError:
                    continue
                p = annealing_counts(N, J, BIAS, schedule)
                rows.append(
                    {
                        "T0": T0,
                        "step": step,
                        "spt": spt,
                        "cost": schedule.total_sweeps * N,
                        "tv": tv(p, boltz),
                        "majority_on": majority_on(p),
                    }
                )
    return rows


def tempering(J: float) -> list[dict]:
    boltz = boltzmann_counts(N, J, BIAS)
    ladders = {f"geometric R={R} T_max={t:g}": geometric_ladder(R, t) for R in (2, 3, 4, 5) for t in (2, 3, 5, 10)}
    model = ferromagnet(N // 2, N - N // 2, coupling=J, bias=BIAS, convention="spin")
    for R in (3, 4, 5):
        tuned = ParallelTempering(scan="random", replicas=R, T_max=5.0, ladder="adaptive")
        r = tuned(model, rng=np.random.default_rng(0), n_chains=1, schedule=Schedule.constant(1))
        ladders[f"adaptive R={R} T_max=5"] = np.array(r.temperatures)
    rows = []
    for name, ladder in ladders.items():
        out = pt_counts(N, J, BIAS, ladder, MAX_ROUNDS, until=lambda p: tv(p, boltz) <= TARGET_TV)
        tvs = np.array([tv(p, boltz) for p in out])
        hit = np.flatnonzero(tvs <= TARGET_TV)
        rounds = int(hit[0]) + 1 if hit.size else None
        rows.append(
            {
                "ladder": name,
                "temperatures": [round(float(t), 3) for t in ladder],
                "rounds": rounds,
                "cost": rounds * ladder.size * N if rounds else None,
                "tv_at_max": float(tvs[-1]),
                "majority_on": majority_on(out[rounds - 1]) if rounds else None,
            }
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--coupling", type=float, nargs="+", default=[0.25, 0.3])
    ap.add_argument("--json", help="write every setting's numbers")
    args = ap.parse_args()
    report = {}
    for J in args.coupling:
        boltz = boltzmann_counts(N, J, BIAS)
        ann, pt = annealing(J), tempering(J)
        ok_ann = [r for r in ann if r["tv"] <= TARGET_TV]
        ok_pt = [r for r in pt if r["cost"] is not None]
        best_ann = min(ok_ann, key=lambda r: r["cost"]) if ok_ann else None
        best_pt = min(ok_pt, key=lambda r: r["cost"]) if ok_pt else None
        print(f"\nferromagnet, {N} units, J = {J:g}, b = {BIAS:g}: P(majority on) = {majority_on(boltz):.4f} exactly")
        if best_ann:
            print(
                f"  annealing: cheapest to TV <= {TARGET_TV}: T0 = {best_ann['T0']:g}, step = {best_ann['step']:g}, "
                f"{best_ann['spt']} sweeps per temperature: {best_ann['cost']:,} updates "
                f"(P(majority on) {best_ann['majority_on']:.4f})"
            )
        else:
            longest = max(ann, key=lambda r: r["cost"])
            best = min(ann, key=lambda r: r["tv"])
            print(
                f"  annealing: no schedule reaches TV {TARGET_TV}; the longest ({longest['cost']:,} updates) ends at "
                f"TV {longest['tv']:.3f}, the best at TV {best['tv']:.3f} ({best['cost']:,} updates, "
                f"P(majority on) {best['majority_on']:.4f})"
            )
        if best_pt:
            print(
                f"  PT: cheapest to TV <= {TARGET_TV}: {best_pt['ladder']} {best_pt['temperatures']}, "
                f"{best_pt['rounds']} rounds: {best_pt['cost']:,} updates (P(majority on) {best_pt['majority_on']:.4f})"
            )
        for r in sorted(ok_pt, key=lambda r: r["cost"])[:5]:
            print(f"     {r['ladder']:<26} {r['rounds']:>5} rounds {r['cost']:>8,} updates")
        if best_ann and best_pt:
            print(f"  cost ratio annealing / PT: {best_ann['cost'] / best_pt['cost']:.1f}x")
        report[J] = {"annealing": ann, "pt": pt}
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=1)


if __name__ == "__main__":
    main()
