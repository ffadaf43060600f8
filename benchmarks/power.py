"""Power of the joint check against deliberately wrong samplers: the README's mutant table.

For each mutant, model and kernel (heat bath, Metropolis): the exact TV of its output from the
Boltzmann distribution, the samples used (the planned n, or more where the planned n has power
< 0.99), the asymptotic power there, and whether the seeded check rejected it.

    python benchmarks/power.py
"""

import numpy as np

from bmexp import ExactDistribution, random_model, slide35
from bmexp.schedules import Schedule
from bmexp.testing.mutants import MUTANTS
from bmexp.transitions import schedule_output
from bmexp.validation.checks import check_joint
from bmexp.validation.planning import noncentrality, power_at, required_samples

SCHEDULE = Schedule.default()


def main():
    models = {
        "slide35": slide35(),
        "random6 (b != 0)": random_model(4, 2, rng=np.random.default_rng(11), bias_scale=0.7),
    }
    print(f"{'mutant':<24} {'kernel':<11} {'model':<17} {'exact TV':>9} {'n':>7} {'power':>6} {'detected':>9}")
    for name, base in MUTANTS.items():
        for rule in ("heat_bath", "metropolis"):
            mutant = base.with_rule(rule)
            for label, model in models.items():
                p = ExactDistribution.of(model).p
                q = mutant.exact_output(model, SCHEDULE)
                tv, w = 0.5 * np.abs(q - p).sum(), np.sqrt(np.sum((q - p) ** 2 / p))
                if 0.5 * np.abs(q - schedule_output(model, SCHEDULE, kernel=mutant.kernel)).sum() < 1e-12:
                    print(f"{name:<24} {rule:<11} {label:<17} {tv:>9.4f} {'-':>7} {'-':>6} {'no effect':>9}")
                    continue
                n = required_samples(p)
                if power_at(w, n, p.size - 1, 0.01) < 0.99:
                    n = int(np.ceil(noncentrality(p.size - 1, 0.01, 0.999) / w**2))
                res = check_joint(model, mutant, rng=np.random.default_rng(7), schedule=SCHEDULE, n=n)
                print(
                    f"{name:<24} {rule:<11} {label:<17} {tv:>9.4f} {n:>7} {power_at(w, n, p.size - 1, 0.01):>6.3f} "
                    f"{'yes' if not res.passed else 'NO':>9}"
                )


if __name__ == "__main__":
    main()
