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

``--training``: training on this teacher (J = 0.3, 5 visible + 5 hidden units, 2,000 data vectors
drawn exactly) by ``annealed``, ``pcd`` and ``pt`` with the same negative-phase cost per epoch --
100 chains x 4 sweeps x 10 units = 4,000 spin updates: annealed through T = 4, 3, 2, 1 (one sweep
each, from random starts), pcd 4 sweeps of its persistent chains, pt 1 sweep of R = 4 persistent
replicas (geometric ladder to T = 5; swaps after each sweep); the same positive phase (hidden units
annealed through the same schedule, clamped to each data vector), eta, start and seeds.  Measured by
the exact KL(teacher || model) on the visible units every epoch.

    python benchmarks/metastable.py --training [--seeds 5] [--epochs 300] [--eta 0.05]
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


def training(seeds: int, epochs: int, eta: float) -> dict:
    """KL(teacher || model) per epoch of annealed, pcd and pt at equal negative-phase cost (module notes)."""
    from bmexp.data import sample_visible
    from bmexp.samplers import GibbsSampler
    from bmexp.training import train
    from bmexp.zoo import random_model

    R, J = 4, 0.3
    teacher = ferromagnet(N // 2, N - N // 2, coupling=J, bias=BIAS, convention="spin")
    schedule = Schedule.explicit([4.0, 3.0, 2.0, 1.0], sweeps_per_temperature=1)
    variants = {
        "annealed": {"sampler": GibbsSampler(scan="random")},
        "pcd": {"sampler": GibbsSampler(scan="random"), "pcd_sweeps": R},
        "pt": {"sampler": ParallelTempering(scan="random", replicas=R), "pcd_sweeps": 1},
    }
    curves = {name: [] for name in variants}
    floor = None
    for seed in range(seeds):
        data = sample_visible(teacher, 2000, rng=np.random.default_rng(1000 + seed))
        for name, kw in variants.items():
            student = random_model(
                N // 2, N - N // 2, rng=np.random.default_rng(2000 + seed), weight_scale=0.1, bias_scale=0.0
            ).to("spin")
            result = train(
                student,
                rng=np.random.default_rng(seed),
                data=data,
                teacher=teacher,
                variant=name,
                eta=eta,
                epochs=epochs,
                schedule=schedule,
                n_negative=100,
                **kw,
            )
            curves[name].append(result.metrics["kl_teacher"].to_numpy())
            floor = float(result.metrics["kl_floor"].iloc[0])
    print(
        f"\ntraining on the ferromagnet teacher (10 units, J = {J:g}, b = {BIAS:g}; 5 visible), {seeds} seeds x "
        f"{epochs} epochs, eta = {eta:g}, 4,000 negative-phase spin updates per epoch for each; finite-data floor "
        f"{floor:.4f} (KL(data || model) at the MLE, (K - 1) / 2N)"
    )
    head = f"  {'variant':<9} {'final KL, median [min, max] over seeds':<40} {'median KL, last 100 epochs':<28}"
    print(head + " epochs > 0.05 in the last 100")
    summary = {}
    for name, runs in curves.items():
        runs = np.array(runs)
        final = runs[:, -1]
        late = runs[:, -100:]
        bad = (late > 0.05).sum(axis=1)
        summary[name] = {
            "final": final.tolist(),
            "median_last_100": np.median(late, axis=1).tolist(),
            "epochs_above_0.05_last_100": bad.tolist(),
        }
        print(
            f"  {name:<9} {np.median(final):.4f} [{final.min():.4f}, {final.max():.4f}]{'':<17} "
            f"{np.median(late):.4f}{'':<22} {' '.join(str(int(b)) for b in bad)}"
        )
    return {"floor": floor, "summary": summary, "curves": {k: np.array(v).tolist() for k, v in curves.items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--coupling", type=float, nargs="+", default=[0.25, 0.3])
    ap.add_argument("--json", help="write every setting's numbers")
    ap.add_argument("--training", action="store_true", help="annealed vs pcd vs pt training on the J = 0.3 teacher")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--eta", type=float, default=0.05)
    args = ap.parse_args()
    if args.training:
        out = training(args.seeds, args.epochs, args.eta)
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(out, fh)
        return
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
