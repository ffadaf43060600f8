"""Two samplers on the same model, when nothing is exact: do their samples differ?

:func:`compare_samples` tests two sets of states of one model for a common distribution on
statistics any size allows -- the energy, the magnetisation (mean unit value), every unit's
marginal and the joint distribution of ``pairs`` pairs of units (all pairs up to 45 units, else a
seeded random subset) -- each by a chi-square test of homogeneity on a 2 x k contingency table
(:func:`scipy.stats.chi2_contingency`; energy and magnetisation cut at the pooled sample's
quantiles, which treats both samples alike; columns whose pooled count is below
:data:`MIN_COLUMN` merged away, which conditions on the margins, so the test stays valid), and one
verdict by Holm across all of them.

Samples are independent chains (their final states: the effective sample size is the number of
chains), or -- with ``chain=True`` -- one long chain each, thinned by its measured integrated
autocorrelation time first (:func:`bmexp.validation.correlation.thin`, which refuses a chain too
correlated to test).  :func:`compare_samplers` draws the samples from two samplers.

Passing says the two agree on these statistics at this sample size (not that either is right);
failing says at least one of them is wrong, or not at equilibrium, and the table says where.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .. import arguments
from ..conventions import check_states
from ..errors import InputError
from ..samplers import sampler_argument
from .checks import CheckResult, _draw, _prepare
from .correlation import thin
from .gof import GofResult, check_alpha
from .summaries import combine

__all__ = ["MIN_COLUMN", "compare_samplers", "compare_samples"]

#: Smallest pooled count of a contingency column (smaller ones are merged with their neighbour).
MIN_COLUMN = 10
_BINS = 20


def _merge(table: np.ndarray) -> np.ndarray:
    """Merge columns of a 2 x k table, left to right, until each has at least MIN_COLUMN in total."""
    cols, current = [], np.zeros(2)
    for col in table.T:
        current = current + col
        if current.sum() >= MIN_COLUMN:
            cols.append(current)
            current = np.zeros(2)
    if current.sum() and cols:
        cols[-1] = cols[-1] + current
    return np.array(cols).T if cols else np.zeros((2, 0))


def _homogeneity(table: np.ndarray, alpha: float) -> GofResult | None:
    table = _merge(np.asarray(table, dtype=float))
    if table.shape[1] < 2:
        return None  # every draw in one column: nothing to compare
    res = stats.chi2_contingency(table, correction=False)
    n = int(table.sum())
    a, b = table[0] / table[0].sum(), table[1] / table[1].sum()
    reject = bool(res.pvalue < alpha)
    return GofResult(
        statistic=float(res.statistic),
        p_value=float(res.pvalue),
        dof=int(res.dof),
        n=n,
        cells=table.shape[1],
        cells_pooled=table.shape[1],
        min_expected=float(res.expected_freq.min()),
        method="contingency",
        test="pearson",
        tv=0.5 * float(np.abs(a - b).sum()),
        tv_null95=float("nan"),
        kl=float("nan"),
        hellinger=float("nan"),
        cohen_w=float("nan"),
        alpha=alpha,
        reject=reject,
        reason=f"p = {res.pvalue:.3g}: {'the samples differ' if reject else 'no evidence that the samples differ'}.",
    )


def _binned(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    edges = np.unique(np.quantile(np.concatenate([x, y]), np.linspace(0, 1, _BINS + 1)[1:-1]))
    return np.stack([np.bincount(np.searchsorted(edges, v, side="right"), minlength=edges.size + 1) for v in (x, y)])


def compare_samples(
    model, a, b, *, alpha: float = 0.01, pairs: int = 200, chain: bool = False, rng=None
) -> CheckResult:
    """Are the states ``a`` and ``b`` (rows: states of ``model``) from one distribution?"""
    model = arguments.model(model)
    alpha = check_alpha(alpha)
    pairs = arguments.integer(pairs, "pairs", low=0)
    samples = []
    for name, s in (("a", a), ("b", b)):
        try:
            s = np.asarray(s, dtype=float)
        except (TypeError, ValueError):
            raise InputError.bad(name, f"states of shape (draws >= 2, {model.n_units})", s) from None
        s = check_states(s, model.convention, name=name)
        if s.ndim != 2 or s.shape[1] != model.n_units or s.shape[0] < 2:
            raise InputError.bad(name, f"states of shape (draws >= 2, {model.n_units})", s, shown=f"shape {s.shape}")
        if chain:
            s = thin(s, model.convention).states
        samples.append(s)
    a, b = samples
    on = model.convention.values[1]
    xa, xb = (a == on), (b == on)
    tests: dict[str, GofResult] = {}
    candidates = {
        "energy": _binned(model.energy(a), model.energy(b)),
        "magnetisation": _binned(xa.mean(axis=1), xb.mean(axis=1)),
    }
    for i, name in enumerate(model.unit_names):
        ones = np.array([xa[:, i].sum(), xb[:, i].sum()])
        candidates[f"unit {name}"] = np.stack([[len(a) - ones[0], ones[0]], [len(b) - ones[1], ones[1]]])
    n = model.n_units
    all_pairs = [(i, j) for i in range(n) for j in range(i + 1, n)] if n <= 45 else None
    if all_pairs is None or len(all_pairs) > pairs:
        gen = np.random.default_rng(0) if rng is None else arguments.generator(rng)
        chosen = set()
        while len(chosen) < min(pairs, n * (n - 1) // 2):
            i, j = sorted(gen.choice(n, size=2, replace=False).tolist())
            chosen.add((i, j))
        all_pairs = sorted(chosen)
    for i, j in all_pairs:
        cells = [np.bincount(2 * x[:, i] + x[:, j], minlength=4) for x in (xa.astype(int), xb.astype(int))]
        candidates[f"pair {model.unit_names[i]} {model.unit_names[j]}"] = np.stack(cells)
    for name, table in candidates.items():
        res = _homogeneity(table, alpha)
        if res is not None:
            tests[name] = res
    if not tests:
        raise InputError("a and b have every statistic in one cell: nothing to compare (are the samples constant?)")
    combined, family = combine(tests, alpha, "holm")
    differ = [t for t, r in zip(family["test"], family["reject"]) if r]
    msg = (
        f"the two samples agree on the energy, magnetisation, {n} unit marginals and {len(all_pairs)} pairs "
        f"({len(a)} and {len(b)} draws; Holm over {len(tests)} tests)."
        if not combined.reject
        else f"the two samples DIFFER ({', '.join(differ[:4])}{' ...' if len(differ) > 4 else ''}): at least one "
        "sampler is wrong or not at equilibrium."
    )
    return CheckResult(
        "compare",
        len(a) + len(b),
        {"compare": combined},
        family,
        not combined.reject,
        msg,
        tuple(model.unit_names[:16]) + (("...",) if n > 16 else ()),
        {"draws": [len(a), len(b)], "pairs": len(all_pairs)},
    )


def compare_samplers(
    model, sampler_a, sampler_b, *, rng, schedule=None, n: int = 4000, alpha: float = 0.01, pairs: int = 200
) -> CheckResult:
    """``n`` independent chains from each sampler (same schedule), compared by :func:`compare_samples`."""
    sampler_a, schedule = _prepare(model, sampler_a, rng, schedule, alpha)
    sampler_argument(sampler_b, "sampler_b")
    n = arguments.integer(n, "n", low=2)
    a = _draw(sampler_a, model, rng=rng, n=n, schedule=schedule, clamp=None)
    b = _draw(sampler_b, model, rng=rng, n=n, schedule=schedule, clamp=None)
    return compare_samples(model, a, b, alpha=alpha, pairs=pairs, rng=rng)
