"""Gibbs sampling speed: spin updates per second, side by side in one run.

Implementations (median of --repeats runs each):
  bmexp          numba kernel, parallel over chains (all cores), heat-bath rule
  bmexp-metropolis  the same kernel with the Metropolis rule
  bmexp-1thread  the same kernel on one thread
  bmexp-numpy    the numpy reference path (vectorised across chains)
  dwave          dwave-samplers SimulatedAnnealingSampler, Gibbs acceptance, beta = 1 (optional extra)
  dwave-metropolis  the same with Metropolis acceptance
  pt             parallel tempering, R = 4 replicas (geometric ladder to T = 5, even/odd swaps after
                 every sweep), heat-bath rule, a quarter of the chains: the same number of spin updates,
                 every replica counted (goal: >= 0.8x bmexp's rate)
  pt-metropolis  the same with the Metropolis rule (against bmexp-metropolis)
  gibbs-ladder   bmexp Gibbs (heat bath) run at each of PT's temperatures on a quarter of the chains:
                 PT's updates without its swaps (hot replicas flip more often, and their accept /
                 reject branches are unpredictable, so their updates cost more than at T = 1)
  post-loop      the post's loop: one chain, flip a unit, recompute the full energy (reduced workload)
  floor          draw the same number of uniforms and take as many exponentials (numpy, one thread)

Workloads: dense 4 units (10,000 chains x 1,000 sweeps), dense 64 and 256 units
(1,000 chains x 100 sweeps); spin units, W ~ N(0, 1/n), b ~ N(0, 0.25), T = 1.

    python benchmarks/sampler.py [--repeats 3] [--json PATH] [--quick] [--pt]

--pt runs only bmexp, bmexp-metropolis, pt, pt-metropolis and gibbs-ladder, and prints PT's ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from bmexp import random_model
from bmexp.samplers import ParallelTempering, gibbs_sample
from bmexp.schedules import Schedule

WORKLOADS = [(4, 10_000, 1_000), (64, 1_000, 100), (256, 1_000, 100)]
POST_LOOP_WORK = {4: (10, 1_000), 64: (2, 50), 256: (1, 10)}  # chains, sweeps (reduced)


def make_model(n: int):
    return random_model(
        n // 2, n - n // 2, rng=np.random.default_rng(n), weight_scale=1 / np.sqrt(n), bias_scale=0.5, convention="spin"
    )


def run_bmexp(model, chains, sweeps, backend="numba", rule="heat_bath"):
    res = gibbs_sample(
        model,
        rng=np.random.default_rng(0),
        n_chains=chains,
        schedule=Schedule.constant(sweeps),
        backend=backend,
        rule=rule,
    )
    return res.n_updates


PT_REPLICAS = 4


def run_pt(model, chains, sweeps, rule="heat_bath"):
    """Parallel tempering on ``chains / R`` chains of R replicas: the same spin updates as Gibbs."""
    res = ParallelTempering(rule=rule, replicas=PT_REPLICAS)(
        model, rng=np.random.default_rng(0), n_chains=max(1, chains // PT_REPLICAS), schedule=Schedule.constant(sweeps)
    )
    return res.n_updates


def run_gibbs_ladder(model, chains, sweeps, rule="heat_bath"):
    """bmexp Gibbs at each temperature of PT's ladder, ``chains / R`` chains each: PT without swaps."""
    total = 0
    for t in ParallelTempering(replicas=PT_REPLICAS).temperatures():
        res = gibbs_sample(
            model,
            rng=np.random.default_rng(0),
            n_chains=max(1, chains // PT_REPLICAS),
            schedule=Schedule.constant(sweeps, T=float(t)),
            rule=rule,
        )
        total += res.n_updates
    return total


def run_post_loop(model, chains, sweeps):
    """The post's update, faithfully: flip unit i, recompute both full energies, accept with sigmoid(-dE/T)."""
    w, b = np.array(model.weights), np.array(model.biases)
    rng = np.random.default_rng(0)
    T = 1.0

    def energy(s):
        return -0.5 * s @ w @ s - b @ s

    n = len(b)
    for _ in range(chains):
        s = rng.choice([-1.0, 1.0], size=n)
        for _ in range(sweeps):
            for i in range(n):
                s_new = s.copy()
                s_new[i] = -s_new[i]
                d_e = energy(s_new) - energy(s)
                if rng.random() < 1.0 / (1.0 + np.exp(d_e / T)):
                    s = s_new
    return chains * sweeps * n


def run_dwave(model, chains, sweeps, criterion="Gibbs"):
    import dimod
    from dwave.samplers import SimulatedAnnealingSampler

    n, w, b = model.n_units, model.weights, model.biases
    bqm = dimod.BinaryQuadraticModel.from_ising(
        {i: -b[i] for i in range(n)}, {(i, j): -w[i, j] for i in range(n) for j in range(i + 1, n)}
    )
    SimulatedAnnealingSampler().sample(
        bqm,
        num_reads=chains,
        num_sweeps=sweeps,
        beta_schedule_type="custom",
        beta_schedule=[1.0] * sweeps,
        proposal_acceptance_criteria=criterion,
        randomize_order=False,
        seed=1,
    )
    return chains * sweeps * n


def run_floor(model, chains, sweeps):
    total = chains * sweeps * model.n_units
    rng = np.random.default_rng(0)
    buf = np.empty(min(total, 2**22))
    done = 0
    while done < total:
        part = buf[: min(buf.size, total - done)]
        rng.random(out=part)
        np.exp(part, out=part)
        done += part.size
    return total


def round_robin(impls: dict, repeats: int) -> dict:
    """name -> (updates, median seconds), the implementations taking turns (A B C A B C ...): on a
    shared machine the load drifts, and turns spread the drift over all of them.  The post's loop
    runs once.  An untimed round first: the parallel kernels load, and numba starts its threads, on
    their first call (before, that landed in the first implementation's first timed turn)."""
    times = {name: [] for name in impls}
    updates = {}
    for name, fn in impls.items():
        if name != "post-loop":
            fn()
    for k in range(repeats):
        for name, fn in impls.items():
            if name == "post-loop" and k > 0:
                continue
            t0 = time.perf_counter()
            updates[name] = fn()
            times[name].append(time.perf_counter() - t0)
    return {name: (updates[name], statistics.median(times[name]), times[name]) for name in impls}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", help="write one record per implementation and workload")
    ap.add_argument("--quick", action="store_true", help="a tenth of the chains (smoke test)")
    ap.add_argument("--pt", action="store_true", help="only bmexp's Gibbs and parallel tempering, both rules")
    args = ap.parse_args()
    import numba

    try:
        import dwave.samplers  # noqa: F401

        have_dwave = True
    except ImportError:
        have_dwave = False
        print("dwave-samplers not installed (pip install -e .[bench]): skipped")
    records = []
    for n, chains, sweeps in WORKLOADS:
        if args.quick:
            chains = max(1, chains // 10)
        model = make_model(n)
        run_bmexp(model, 2, 1)  # compile / load the kernel outside the timing
        run_pt(model, PT_REPLICAS, 1)
        impls = {"bmexp": lambda: run_bmexp(model, chains, sweeps)}

        def one_thread():
            numba.set_num_threads(1)
            try:
                return run_bmexp(model, chains, sweeps)
            finally:
                numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)

        impls["bmexp-1thread"] = one_thread
        impls["bmexp-metropolis"] = lambda: run_bmexp(model, chains, sweeps, rule="metropolis")
        impls["pt"] = lambda: run_pt(model, chains, sweeps)
        impls["pt-metropolis"] = lambda: run_pt(model, chains, sweeps, rule="metropolis")
        impls["gibbs-ladder"] = lambda: run_gibbs_ladder(model, chains, sweeps)
        if args.pt:
            keep = ("bmexp", "bmexp-metropolis", "pt", "pt-metropolis", "gibbs-ladder")
            impls = {k: v for k, v in impls.items() if k in keep}
        else:
            impls["bmexp-numpy"] = lambda: run_bmexp(model, chains, sweeps, backend="numpy")
        if have_dwave and not args.pt:
            impls["dwave"] = lambda: run_dwave(model, chains, sweeps)
            impls["dwave-metropolis"] = lambda: run_dwave(model, chains, sweeps, "Metropolis")
        pc, ps = POST_LOOP_WORK[n]
        if not args.pt:
            impls["post-loop"] = lambda: run_post_loop(model, pc, ps)
            impls["floor"] = lambda: run_floor(model, chains, sweeps)
        measured = round_robin(impls, args.repeats)
        for name in impls:
            updates, seconds, turns = measured[name]
            work_chains, work_sweeps = (pc, ps) if name == "post-loop" else (chains, sweeps)
            if name.startswith("pt") or name == "gibbs-ladder":
                work_chains = max(1, chains // PT_REPLICAS)  # of R replicas each
            records.append(
                {
                    "implementation": name,
                    "n_units": n,
                    "chains": work_chains,
                    "sweeps": work_sweeps,
                    "seconds": seconds,
                    "updates_per_s": updates / seconds,
                    "turn_updates_per_s": [updates / t for t in turns],
                }
            )
    print(f"{'n':>4} {'implementation':<17} {'chains':>7} {'sweeps':>6} {'M updates/s':>12} {'vs bmexp':>9}")
    for r in records:
        ref = next(q for q in records if q["n_units"] == r["n_units"] and q["implementation"] == "bmexp")
        print(
            f"{r['n_units']:>4} {r['implementation']:<17} {r['chains']:>7} {r['sweeps']:>6} "
            f"{r['updates_per_s'] / 1e6:>12.2f} {ref['updates_per_s'] / r['updates_per_s']:>8.2f}x"
        )
    print("\n'vs bmexp' = bmexp's rate / this rate (above 1: bmexp is faster; for floor: bmexp's share is its inverse)")
    print("\nparallel tempering / Gibbs on the same kernel (spin updates per second, every replica counted;")
    print("the median of the rounds' ratios (both turns in the same round), then the lowest and highest):")
    pairs = [("pt", "bmexp"), ("pt-metropolis", "bmexp-metropolis"), ("pt", "gibbs-ladder")]
    for n in sorted({r["n_units"] for r in records}):
        turns = {r["implementation"]: r["turn_updates_per_s"] for r in records if r["n_units"] == n}
        shown = []
        for a, b in pairs:
            if a in turns and b in turns:
                ratios = [x / y for x, y in zip(turns[a], turns[b])]
                shown.append(f"{a} / {b}: {statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})")
        print(f"{n:>4} " + "   ".join(shown))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(records, fh, indent=1)


if __name__ == "__main__":
    main()
