"""Training speed: bmexp's annealed epoch against the post's loop, and time to a KL threshold.

1. Time per epoch of the post's protocol (1,000 data vectors from seed_target, hidden units
   annealed through [20, 15, 10, 5, 1, 1] x 2 sweeps per data vector, 100 free annealed chains)
   in bmexp (``variant="annealed"``, metrics included) and in a faithful re-implementation of the
   post's loop (per data vector, per unit: flip, recompute the full energy, accept).
2. Epochs and seconds until KL(teacher || model) < threshold for annealed, pcd and exact.
3. ``--digits``: scikit-learn's digits (binarised at 8 of 16, 1,438 train / 359 held out), an RBM
   with ``--hidden`` hidden units trained for ``--epochs`` epochs by bmexp (pcd and pt, exact positive
   phase, mini-batches) and by ``sklearn.neural_network.BernoulliRBM`` with the same learning
   rate, batch size, epochs and number of persistent chains (= batch size, as sklearn has it),
   in the same run, over ``--seeds`` seeds: seconds per epoch (the metrics excluded; the fastest of
   ``--repeats``; with ``--before`` also bmexp's epochs as before the per-update overhead was cut,
   interleaved with them), and the models
   scored by bmexp's AIS on the held-out split (nats per image, 95% interval), forward and reverse
   AIS log Z (reverse from ``--reverse-sweeps`` Gibbs sweeps started at training vectors), and the
   exact pseudo-log-likelihood; the difference of the means over seeds with its standard error (Welch).

    python benchmarks/training.py [--post-epochs 2] [--threshold 5e-3] [--json PATH]
    python benchmarks/training.py --digits [--hidden 64] [--epochs 20] [--eta 0.05] [--batch 10] [--seeds 5]
        [--before] [--no-score] [--repeats 3]   # --before: also re-validating every update, as before
"""

from __future__ import annotations

import argparse
import json
import time
from contextlib import contextmanager, nullcontext

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


@contextmanager
def _revalidating():
    """Each mini-batch update builds a fully validated model, as before the fix (``replace`` instead of
    the unchecked ``_updated``): the same numbers, the old cost."""
    from bmexp.model import BoltzmannMachine

    fast = BoltzmannMachine._updated
    BoltzmannMachine._updated = lambda self, w, b: self.replace(weights=w, biases=b)
    try:
        yield
    finally:
        BoltzmannMachine._updated = fast


def _timed_fits(args, seed, train_x):
    """bmexp's pcd and pt fits of one seed, and their seconds per epoch: ``(T(epochs) - T(1)) / (epochs - 1)``
    with metrics only at the first and last epoch, so the metrics (pseudo-log-likelihood at epoch 0 and at
    the end) cancel and only the epochs are timed; the fastest of ``--repeats`` (the least disturbed by
    other load).  ``--before``: each repeat also times the same fits re-validating the model at every
    mini-batch update (the code before the fix), interleaved, so both see the same load."""
    from bmexp.zoo import random_rbm

    common = dict(variant="pcd", eta=args.eta, n_negative=args.batch, batch_size=args.batch, max_weight=100.0)
    start = random_rbm(64, args.hidden, rng=np.random.default_rng(seed), weight_scale=0.01, bias_scale=0.0)
    modes = {"": nullcontext, " (before)": _revalidating} if args.before else {"": nullcontext}
    models, times = {}, {}
    for _ in range(args.repeats):
        for variant in ("pcd", "pt"):
            for label, mode in modes.items():
                for epochs in (1, args.epochs):
                    with mode():
                        t0 = time.perf_counter()
                        res = train(
                            start,
                            rng=np.random.default_rng(1000 + seed),
                            data=train_x,
                            epochs=epochs,
                            schedule=Schedule.constant(1),
                            metrics_every=epochs,
                            **{**common, "variant": variant},
                        )
                        took = time.perf_counter() - t0
                    key = (f"bmexp {variant}{label}", epochs)
                    times[key] = min(times.get(key, np.inf), took)
                if not label:
                    models[f"bmexp {variant}"] = res.model
    names = dict.fromkeys(name for name, _ in times)
    return models, {n: (times[(n, args.epochs)] - times[(n, 1)]) / (args.epochs - 1) for n in names}


def _warm_up(args, train_x):
    from bmexp.zoo import random_rbm

    warm = random_rbm(64, args.hidden, rng=np.random.default_rng(0), weight_scale=0.01, bias_scale=0.0)
    for variant in ("pcd", "pt"):  # JIT / cache loads
        train(
            warm,
            rng=np.random.default_rng(9),
            data=train_x[:20],
            epochs=1,
            variant=variant,
            batch_size=args.batch,
            n_negative=args.batch,
        )


def digits_benchmark(args) -> list[dict]:
    """bmexp's RBM (pcd and pt) against sklearn's BernoulliRBM on the digits, scored by bmexp's forward and
    reverse AIS, over ``--seeds`` seeds each (the training's own randomness moves the result by nats)."""
    from scipy import stats
    from sklearn.neural_network import BernoulliRBM

    from bmexp.data import digits

    train_x, held = digits(seed=0)
    _warm_up(args, train_x)
    from bmexp.adapters.sklearn import from_sklearn
    from bmexp.estimate import ais, base_from_data, chain_samples, log_likelihood, reverse_ais
    from bmexp.likelihood import pseudo_log_likelihood

    base = base_from_data(train_x)
    names = ("bmexp pcd", "bmexp pt", "sklearn BernoulliRBM")
    records, scores = [], {name: [] for name in names}
    print(
        f"digits, {args.hidden} hidden units, {args.epochs} epochs, eta {args.eta}, batch {args.batch}; seconds per "
        f"epoch (metrics excluded; fastest of {args.repeats}){'; (before): re-validating each update' * args.before}:"
    )
    for seed in range(args.seeds):
        models, seconds = _timed_fits(args, seed, train_x)
        peer = BernoulliRBM(
            n_components=args.hidden,
            learning_rate=args.eta,
            batch_size=args.batch,
            n_iter=args.epochs,
            random_state=seed,
        )
        fits = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            peer.fit(train_x)  # the same fit each time (random_state fixed)
            fits.append(time.perf_counter() - t0)
        seconds["sklearn BernoulliRBM"] = min(fits) / args.epochs
        models["sklearn BernoulliRBM"] = from_sklearn(peer)
        line = ", ".join(f"{k} {v:.3f}" for k, v in seconds.items())
        ratios = "; ".join(
            f"{k} / sklearn = {v / seconds['sklearn BernoulliRBM']:.1f}" for k, v in seconds.items() if "pcd" in k
        )
        print(f" seed {seed}: {line} ({ratios})")
        for name, secs in seconds.items():
            records.append({"what": "digits_epoch", "implementation": name, "seed": seed, "seconds": secs})
        for name in names if not args.no_score else ():
            model = models[name]
            est = ais(model, rng=np.random.default_rng(2), n_chains=args.ais_chains, betas=args.ais_betas, base=base)
            ll = log_likelihood(model, held, est)
            rev_rng = np.random.default_rng(3)
            start = train_x[rev_rng.choice(len(train_x), args.ais_chains, replace=False)]
            samples = chain_samples(model, start, rng=rev_rng, sweeps=args.reverse_sweeps)
            rev = reverse_ais(model, samples, rng=rev_rng, betas=args.ais_betas, base=base)
            pll = pseudo_log_likelihood(model, held).value  # exact for an RBM
            print(
                f"   {name:<22} held-out AIS log-likelihood {ll.mean:.2f} nats/image, 95% [{ll.ci[0]:.2f}, "
                f"{ll.ci[1]:.2f}] (ESS {est.ess:.0f}/{est.n_chains}); log Z forward {est.log_z:.2f} "
                f"[{est.ci[0]:.2f}, {est.ci[1]:.2f}], reverse {rev.log_z:.2f} [{rev.ci[0]:.2f}, {rev.ci[1]:.2f}]; "
                f"pseudo-log-likelihood {pll:.2f}"
            )
            scores[name].append(ll.mean)
            records.append(
                {
                    "what": "digits_held_out",
                    "implementation": name,
                    "seed": seed,
                    **ll.to_dict(),
                    "log_z_forward_ci": list(est.ci),
                    "log_z_reverse": rev.log_z,
                    "log_z_reverse_ci": list(rev.ci),
                    "pseudo_ll": pll,
                }
            )
    if args.no_score:
        return records
    for name, x in scores.items():
        print(f" {name:<22} mean over {len(x)} seeds {np.mean(x):.2f} nats/image (sd {np.std(x, ddof=1):.2f})")
    peer = np.array(scores["sklearn BernoulliRBM"])
    for name in names[:2]:
        ours = np.array(scores[name])
        if len(ours) > 1:
            t = stats.ttest_ind(ours, peer, equal_var=False)
            diff = ours.mean() - peer.mean()
            se = np.sqrt(ours.var(ddof=1) / len(ours) + peer.var(ddof=1) / len(peer))
            print(f" {name} - sklearn: {diff:+.2f} nats/image (s.e. {se:.2f} over seeds; Welch p = {t.pvalue:.2g})")
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
    ap.add_argument(
        "--reverse-sweeps", type=int, default=1000, help="Gibbs sweeps from training vectors before reverse AIS"
    )
    ap.add_argument("--before", action="store_true", help="also time the epochs as before the fix, interleaved")
    ap.add_argument("--no-score", action="store_true", help="time the epochs only (no AIS scoring)")
    ap.add_argument("--repeats", type=int, default=1, help="time each fit this many times, keep the fastest")
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
