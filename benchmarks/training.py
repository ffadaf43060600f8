"""Training speed: bmexp's annealed epoch against the post's loop, and time to a KL threshold.

1. Time per epoch of the post's protocol (1,000 data vectors from seed_target, hidden units
   annealed through [20, 15, 10, 5, 1, 1] x 2 sweeps per data vector, 100 free annealed chains)
   in bmexp (``variant="annealed"``, metrics included) and in a faithful re-implementation of the
   post's loop (per data vector, per unit: flip, recompute the full energy, accept).
2. Epochs and seconds until KL(teacher || model) < threshold for annealed, pcd and exact.
3. ``--digits``: scikit-learn's digits (binarised at 8 of 16, 1,438 train / 359 held out), an RBM
   with ``--hidden`` hidden units trained for ``--epochs`` epochs by bmexp (pcd, exact positive
   phase, mini-batches) and by ``sklearn.neural_network.BernoulliRBM`` with the same learning
   rate, batch size, epochs and number of persistent chains (= batch size, as sklearn has it),
   in the same run, over ``--seeds`` seeds: seconds per epoch, and both models scored by bmexp's
   AIS on the held-out split (nats per image, 95% interval) and by the exact pseudo-log-likelihood;
   the difference of the means over seeds with its standard error (Welch).

    python benchmarks/training.py [--post-epochs 2] [--threshold 5e-3] [--json PATH]
    python benchmarks/training.py --digits [--hidden 64] [--epochs 20] [--eta 0.05] [--batch 10] [--seeds 5]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from bmexp import ExactDistribution, random_model, seed_target
from bmexp.data import sample_visible
from bmexp.schedules import Schedule
from bmexp.training import train

POST_SCHEDULE = Schedule.post()


def post_loop_epoch(w, b, n_visible, data, n_negative, rng, eta):
    """One epoch of the post's training loop, as its notebook does it (binary units)."""
    n = len(b)

    def energy(s):
        return -0.5 * s @ w @ s - b @ s

    def anneal(s, free_units):
        for temperature, sweeps in POST_SCHEDULE.steps:
            for _ in range(sweeps):
                for i in free_units:
                    s_new = s.copy()
                    s_new[i] = 1 - s_new[i]
                    d_e = energy(s_new) - energy(s)
                    if rng.random() < 1.0 / (1.0 + np.exp(d_e / temperature)):
                        s = s_new
        return s

    pos = np.zeros((n, n))
    for v in data:
        s = np.concatenate([v, rng.integers(0, 2, n - n_visible)]).astype(float)
        s = anneal(s, range(n_visible, n))
        pos += np.outer(s, s)
    neg = np.zeros((n, n))
    for _ in range(n_negative):
        s = anneal(rng.integers(0, 2, n).astype(float), range(n))
        neg += np.outer(s, s)
    grad = pos / len(data) - neg / n_negative
    np.fill_diagonal(grad, 0)
    return w + eta * grad


def digits_benchmark(args) -> list[dict]:
    """bmexp's RBM (pcd and pt) against sklearn's BernoulliRBM on the digits, scored by bmexp's AIS, over
    ``--seeds`` seeds each (the training's own randomness moves the result by nats)."""
    from scipy import stats
    from sklearn.neural_network import BernoulliRBM

    from bmexp.adapters.sklearn import from_sklearn
    from bmexp.data import digits
    from bmexp.estimate import ais, base_from_data, log_likelihood
    from bmexp.likelihood import pseudo_log_likelihood
    from bmexp.schedules import Schedule
    from bmexp.zoo import random_rbm

    train_x, held = digits(seed=0)
    base = base_from_data(train_x)
    common = dict(variant="pcd", eta=args.eta, n_negative=args.batch, batch_size=args.batch, max_weight=100.0)
    warm = random_rbm(64, args.hidden, rng=np.random.default_rng(0), weight_scale=0.01, bias_scale=0.0)
    train(warm, rng=np.random.default_rng(9), data=train_x[:20], epochs=1, **common)  # warm-up (JIT)
    records, scores = [], {"bmexp pcd": [], "bmexp pt": [], "sklearn BernoulliRBM": []}
    print(f"digits, {args.hidden} hidden units, {args.epochs} epochs, eta {args.eta}, batch {args.batch}:")
    for seed in range(args.seeds):
        start = random_rbm(64, args.hidden, rng=np.random.default_rng(seed), weight_scale=0.01, bias_scale=0.0)
        t0 = time.perf_counter()
        ours = train(
            start,
            rng=np.random.default_rng(1000 + seed),
            data=train_x,
            epochs=args.epochs,
            schedule=Schedule.constant(1),
            **common,
        ).model
        ours_epoch = (time.perf_counter() - t0) / args.epochs
        t0 = time.perf_counter()  # training=pt: the same, with persistent parallel-tempering negative chains
        ours_pt = train(
            start,
            rng=np.random.default_rng(1000 + seed),
            data=train_x,
            epochs=args.epochs,
            schedule=Schedule.constant(1),
            **{**common, "variant": "pt"},
        ).model
        pt_epoch = (time.perf_counter() - t0) / args.epochs
        peer = BernoulliRBM(
            n_components=args.hidden,
            learning_rate=args.eta,
            batch_size=args.batch,
            n_iter=args.epochs,
            random_state=seed,
        )
        t0 = time.perf_counter()
        peer.fit(train_x)
        peer_epoch = (time.perf_counter() - t0) / args.epochs
        print(
            f" seed {seed}: seconds per epoch bmexp pcd {ours_epoch:.3f}, bmexp pt {pt_epoch:.3f}, sklearn "
            f"{peer_epoch:.3f} (sklearn {ours_epoch / peer_epoch:.1f}x faster than pcd)"
        )
        records += [
            {"what": "digits_epoch", "implementation": "bmexp pcd", "seed": seed, "seconds": ours_epoch},
            {"what": "digits_epoch", "implementation": "bmexp pt", "seed": seed, "seconds": pt_epoch},
            {"what": "digits_epoch", "implementation": "sklearn BernoulliRBM", "seed": seed, "seconds": peer_epoch},
        ]
        for name, model in (("bmexp pcd", ours), ("bmexp pt", ours_pt), ("sklearn BernoulliRBM", from_sklearn(peer))):
            est = ais(model, rng=np.random.default_rng(2), n_chains=args.ais_chains, betas=args.ais_betas, base=base)
            ll = log_likelihood(model, held, est)
            pll = pseudo_log_likelihood(model, held).value  # exact for an RBM
            print(
                f"   {name:<22} held-out AIS log-likelihood {ll.mean:.2f} nats/image, 95% [{ll.ci[0]:.2f}, "
                f"{ll.ci[1]:.2f}] (ESS {est.ess:.0f}/{est.n_chains}); pseudo-log-likelihood {pll:.2f}"
            )
            scores[name].append(ll.mean)
            records.append(
                {"what": "digits_held_out", "implementation": name, "seed": seed, **ll.to_dict(), "pseudo_ll": pll}
            )
    ours, peer = np.array(scores["bmexp pcd"]), np.array(scores["sklearn BernoulliRBM"])
    for name, x in scores.items():
        print(f" {name:<22} mean over {len(x)} seeds {np.mean(x):.2f} nats/image (sd {np.std(x, ddof=1):.2f})")
    if len(ours) > 1:
        t = stats.ttest_ind(ours, peer, equal_var=False)
        diff = ours.mean() - peer.mean()
        se = np.sqrt(ours.var(ddof=1) / len(ours) + peer.var(ddof=1) / len(peer))
        print(f" bmexp - sklearn: {diff:+.2f} nats/image (s.e. {se:.2f} over seeds; Welch p = {t.pvalue:.2g})")
    return records


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--post-epochs", type=int, default=2)
    ap.add_argument("--bmexp-epochs", type=int, default=50)
    ap.add_argument("--threshold", type=float, default=5e-3)
    ap.add_argument("--json")
    ap.add_argument("--digits", action="store_true", help="the digits comparison with sklearn (only)")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--eta", type=float, default=0.05)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--ais-chains", type=int, default=100)
    ap.add_argument("--ais-betas", type=int, default=3000)
    args = ap.parse_args()
    if args.digits:
        records = digits_benchmark(args)
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(records, fh, indent=1)
        return
    teacher = seed_target()
    data = sample_visible(teacher, 1000, rng=np.random.default_rng(1))
    start = random_model(2, 2, rng=np.random.default_rng(0), weight_scale=0.5, bias_scale=0.0)
    train(start, rng=np.random.default_rng(0), data=data[:10], variant="annealed", epochs=1)  # warm-up (JIT)

    t0 = time.perf_counter()
    train(
        start,
        rng=np.random.default_rng(2),
        data=data,
        teacher=teacher,
        variant="annealed",
        eta=0.01,
        epochs=args.bmexp_epochs,
        schedule=POST_SCHEDULE,
    )
    bmexp_epoch = (time.perf_counter() - t0) / args.bmexp_epochs
    rng = np.random.default_rng(3)
    w = np.array(start.weights)
    t0 = time.perf_counter()
    for _ in range(args.post_epochs):
        w = post_loop_epoch(w, np.zeros(4), 2, data, 100, rng, 0.01)
    post_epoch = (time.perf_counter() - t0) / args.post_epochs
    records = [
        {"what": "epoch", "implementation": "bmexp annealed", "seconds": bmexp_epoch},
        {"what": "epoch", "implementation": "post loop", "seconds": post_epoch},
    ]
    print(
        f"time per epoch: bmexp {bmexp_epoch * 1e3:.1f} ms, post loop {post_epoch:.2f} s "
        f"-> bmexp {post_epoch / bmexp_epoch:.0f}x faster"
    )

    p_teacher = ExactDistribution.of(teacher).visible_p()
    print(
        f"\ntime to KL(teacher || model) < {args.threshold:g} (1,000 vectors; the floor from finite data "
        f"is about 3/2000 = 0.0015):"
    )
    for variant, eta, kwargs in [
        ("annealed", 0.1, {"data": data}),
        ("pcd", 0.1, {"data": data}),
        ("exact", 2.0, {"data": data}),
        ("exact", 2.0, {"p_data": p_teacher}),
    ]:
        t0 = time.perf_counter()
        res = train(
            start,
            rng=np.random.default_rng(4),
            teacher=teacher,
            variant=variant,
            eta=eta,
            epochs=500,
            schedule=POST_SCHEDULE,
            **kwargs,
        )
        epochs = res.epochs_to(args.threshold)
        secs = float(res.metrics.loc[res.metrics["epoch"] == epochs, "seconds"].iloc[0]) if epochs else float("nan")
        label = variant + (" (exact p_data)" if "p_data" in kwargs else "")
        print(
            f"  {label:<24} eta {eta:<4g} epochs {epochs}  seconds {secs:.3f}  "
            f"final KL(teacher) {res.final['kl_teacher']:.2e}"
        )
        records.append({"what": "to_threshold", "implementation": label, "eta": eta, "epochs": epochs, "seconds": secs})
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(records, fh, indent=1)


if __name__ == "__main__":
    main()
