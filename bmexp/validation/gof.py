"""Goodness of fit of sampled states against exact probabilities.

The test is :func:`scipy.stats.power_divergence` (Cressie-Read, lambda = 2/3, by default;
Pearson and G selectable) on cells pooled by *expected* count (Cochran's rule: every pooled
cell expects at least ``min_expected`` samples), with ``dof = pooled cells - 1``.  Cells with
``p = 0`` are dropped; a sample in one is an immediate, explained failure.  When pooling
leaves fewer than two cells, or on request, the p-value is a Monte Carlo one,
``(1 + #{T_b >= T}) / (B + 1)`` with ``T_b`` from multinomial draws under the null.

Effect sizes beside the p-value (computed on the unpooled cells): total variation with its
95% level under the null (sampling noise alone, by simulation with a fixed seed, so it is a
deterministic function of p and n), ``KL(p_hat || p)`` minus its bias ``(k - 1) / (2 n)``,
Hellinger distance and Cohen's ``w``.  Never ``KL(p || p_hat)`` (infinite for empty cells).
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass

import numpy as np
from scipy import special, stats

from .. import arguments
from ..errors import InputError

__all__ = ["GofResult", "gof_test", "check_probabilities", "check_alpha", "STATISTICS"]

#: statistic name -> scipy's lambda_
STATISTICS = {"cressie-read": "cressie-read", "pearson": "pearson", "g": "log-likelihood"}
_TV_NULL_DRAWS = 2000


def check_probabilities(p, name: str = "p") -> np.ndarray:
    """``p`` as float64 probabilities: 1-D, finite, non-negative, summing to 1 within 1e-9 -- or, given in a
    coarser float type (float32, float16), within what its rounding allows, then renormalised in float64."""
    given = np.asarray(p)
    coarse = given.dtype.kind == "f" and given.dtype.itemsize < 8
    arr = np.asarray(p, dtype=float)
    if arr.ndim != 1 or arr.size < 1:
        raise InputError.about(name, f"{{argument}} must be a 1-D array of probabilities; received shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InputError.about(name, f"{{argument}} must be finite; received {arr[~np.isfinite(arr)][0].item()!r}")
    if np.any(arr < 0):
        raise InputError.about(name, f"{{argument}} must be non-negative; received {arr[arr < 0][0].item()!r}")
    tol = 1e-9
    if coarse:  # (each entry rounded by up to half an ulp of its type: a sum off by up to size x eps / 2)
        tol = max(tol, float(np.finfo(given.dtype).eps) * max(1, arr.size))
    if not abs(arr.sum() - 1.0) <= tol:
        within = "1e-9" if tol == 1e-9 else f"{tol:.3g}"
        raise InputError.about(name, f"{{argument}} must sum to 1 (within {within}); sums to {float(arr.sum())!r}")
    return arr / arr.sum() if coarse else arr


def check_alpha(alpha) -> float:
    return arguments.probability(alpha, "alpha")


def _check_counts(counts, k: int) -> np.ndarray:
    arr = np.asarray(counts)
    if arr.ndim != 1 or arr.size != k:
        raise InputError(f"counts must be a 1-D array with one entry per cell ({k}); received shape {arr.shape}")
    if (
        not np.issubdtype(arr.dtype, np.number)
        or not np.all(np.isfinite(arr))
        or np.any(arr < 0)
        or np.any(arr != np.round(arr))
    ):
        raise InputError("counts must be non-negative whole numbers")
    # (the total must be an int64 for numpy's multinomial and the statistics: 2**63 or 1e30 wrapped around)
    total = sum(int(c) for c in arr.tolist())
    if total >= 2**62:
        raise InputError(f"counts must add up to fewer than 2**62 samples; received n = {total:.3g}")
    arr = arr.astype(np.int64)
    if arr.sum() == 0:
        raise InputError("counts must contain at least one sample; received n = 0")
    return arr


def pool_cells(expected: np.ndarray, min_expected: float) -> list[np.ndarray]:
    """Groups of cell indices such that each group's expected count is >= ``min_expected``.

    Cells below the threshold are taken smallest first and pooled greedily, a new pool
    starting whenever the current one reaches the threshold; a short last pool joins the
    previous pool (or the smallest large cell).  Never looks at observed counts.
    """
    order = np.argsort(expected, kind="stable")
    small = [i for i in order if expected[i] < min_expected]
    groups = [np.array([i]) for i in order if expected[i] >= min_expected]
    pools, current, total = [], [], 0.0
    for i in small:  # a running total: pools of thousands of tiny cells stay linear in the cells
        current.append(i)
        total += expected[i]
        if total >= min_expected:
            pools.append(current)
            current, total = [], 0.0
    if current:
        if pools:
            pools[-1].extend(current)
        elif groups:
            pools.append(current + groups.pop(0).tolist())
        else:
            pools.append(current)
    return groups + [np.array(sorted(g)) for g in pools]


@dataclass(frozen=True)
class GofResult:
    """Outcome of :func:`gof_test`; ``reject`` is the verdict at ``alpha``."""

    statistic: float
    p_value: float
    dof: int
    n: int
    cells: int  # cells with p > 0
    cells_pooled: int  # cells after pooling
    min_expected: float  # smallest expected count after pooling
    method: str  # "asymptotic" | "monte-carlo" | "support"
    test: str  # cressie-read | pearson | g
    tv: float
    tv_null95: float
    kl: float  # KL(p_hat || p), bias-corrected
    hellinger: float
    cohen_w: float
    alpha: float
    reject: bool
    reason: str

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        verdict = "REJECT" if self.reject else "pass"
        return (
            f"{verdict}: {self.test} = {self.statistic:.3f}, dof = {self.dof}, p = {self.p_value:.4g} "
            f"({self.method}, n = {self.n}, {self.cells_pooled}/{self.cells} cells); TV = {self.tv:.4f} "
            f"(null 95%: {self.tv_null95:.4f}), KL = {self.kl:.2e}, w = {self.cohen_w:.3f}. {self.reason}"
        )


def gof_test(
    counts,
    p,
    *,
    alpha: float = 0.01,
    test: str = "cressie-read",
    min_expected: float = 5.0,
    monte_carlo: int | None = None,
    rng: np.random.Generator | None = None,
) -> GofResult:
    """Test observed ``counts`` (one per cell) against probabilities ``p``.

    monte_carlo : number of multinomial draws ``B`` for a Monte Carlo p-value (needs ``rng``).
        Default: Monte Carlo with ``B = 1999`` when ``n`` is tiny -- fewer than ``min_expected``
        samples per cell on average, where the asymptotic p-values of even the pooled test are
        measurably non-uniform (tests/validation/test_calibration.py) -- else asymptotic.
    """
    p = check_probabilities(p)
    counts = _check_counts(counts, p.size)
    alpha = check_alpha(alpha)
    arguments.one_of(test, "test", STATISTICS)
    min_expected = arguments.number(min_expected, "min_expected", low=0, high=1e12, low_open=True)
    if monte_carlo is not None:
        # (each draw is a row of k counts: memory k x 8 bytes a draw)
        monte_carlo = arguments.integer(monte_carlo, "monte_carlo", low=1)
        arguments.within("monte_carlo", monte_carlo, memory=16.0 * monte_carlo * p.size, what="the Monte Carlo draws")
    if rng is not None:
        arguments.generator(rng)
    n = int(counts.sum())
    support = p > 0
    p_hat = counts / n
    tv = 0.5 * float(np.abs(p_hat - p).sum())
    pos, cpos = p[support], counts[support]
    k = int(support.sum())
    tv95 = _tv_null95(pos, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_terms = np.where(cpos > 0, (cpos / n) * np.log((cpos / n) / pos), 0.0)
    kl = float(kl_terms.sum()) - (k - 1) / (2 * n)
    hell = float(np.sqrt(0.5 * np.sum((np.sqrt(p_hat) - np.sqrt(p)) ** 2)))
    w = float(np.sqrt(np.sum((p_hat[support] - pos) ** 2 / pos)))
    common = dict(n=n, cells=k, test=test, tv=tv, tv_null95=tv95, kl=kl, hellinger=hell, cohen_w=w, alpha=alpha)
    outside = int(counts[~support].sum())
    if outside:
        return GofResult(
            statistic=float("inf"),
            p_value=0.0,
            dof=max(k - 1, 0),
            cells_pooled=k,
            min_expected=0.0,
            method="support",
            reject=True,
            reason=f"{outside} sample(s) fell in states with p = 0: impossible under the model.",
            **common,
        )
    expected = n * pos
    groups = pool_cells(expected, min_expected)
    obs_g = np.array([cpos[g].sum() for g in groups], dtype=float)
    exp_g = np.array([expected[g].sum() for g in groups])
    lam = STATISTICS[test]
    if k < 2:
        return GofResult(
            statistic=0.0,
            p_value=1.0,
            dof=0,
            cells_pooled=k,
            min_expected=float(n),
            method="asymptotic",
            reject=False,
            reason="one cell with p > 0: every sample is possible and there is nothing to test.",
            **common,
        )
    tiny = n < min_expected * k
    if monte_carlo is None and not tiny and len(groups) >= 2:
        stat = float(stats.power_divergence(obs_g, exp_g, lambda_=lam).statistic)
        dof = len(groups) - 1
        method, pval = "asymptotic", float(stats.chi2.sf(stat, dof))
    else:  # Monte Carlo on the unpooled cells: needs no expected-count rule
        if rng is None:
            raise InputError("rng must be a numpy.random.Generator for a Monte Carlo p-value; received None")
        b = 1999 if monte_carlo is None else monte_carlo
        b = arguments.integer(b, "monte_carlo", low=1)
        groups = [np.array([i]) for i in range(k)]
        obs_g, exp_g = cpos.astype(float), expected
        stat = float(stats.power_divergence(obs_g, exp_g, lambda_=lam).statistic)
        dof = k - 1
        draws = rng.multinomial(n, pos, size=int(b)).astype(float)
        t_b = stats.power_divergence(draws, exp_g[None, :], lambda_=lam, axis=1).statistic
        method, pval = "monte-carlo", float((1 + np.sum(t_b >= stat * (1 - 1e-12))) / (b + 1))
    reject = pval < alpha
    reason = (
        f"p = {pval:.3g} < alpha = {alpha:g}: the samples do not follow p."
        if reject
        else f"p = {pval:.3g} >= alpha = {alpha:g}: no evidence against p."
    )
    return GofResult(
        statistic=stat,
        p_value=pval,
        dof=dof,
        cells_pooled=len(groups),
        min_expected=float(exp_g.min()),
        method=method,
        reject=reject,
        reason=reason,
        **common,
    )


#: Above this many simulated cell counts (draws x cells) the TV null quantile comes from the normal
#: approximation instead of simulation (2000 draws of 2**16 cells would take a gigabyte).
_TV_SIMULATE_MAX = 2**22


def _tv_null95(p: np.ndarray, n: int) -> float:
    if p.size * _TV_NULL_DRAWS > _TV_SIMULATE_MAX:
        return _tv_null95_normal(p, n)
    return _tv_null95_cached(p.tobytes(), n)


def _tv_null95_normal(p: np.ndarray, n: int) -> float:
    """95th percentile of TV(p_hat, p) for many cells: TV = sum_i |X_i - n p_i| / (2 n) is a sum of
    many nearly independent terms (X_i ~ Binomial(n, p_i)), so it is close to normal with the exact
    per-cell mean absolute deviation (De Moivre: E|X - np| = 2 m C(n, m) p^m (1 - p)^(n - m + 1),
    m = floor(np) + 1) and variance n p (1 - p) - MAD^2."""
    p = p[p > 0]
    m = np.floor(n * p) + 1.0
    # m > n only when p = 1 (then X = n always and the MAD is 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_mad = (
            np.log(2.0 * m)
            + special.gammaln(n + 1.0)
            - special.gammaln(m + 1.0)
            - special.gammaln(n - m + 1.0)
            + m * np.log(p)
            + (n - m + 1.0) * np.log1p(-p)
        )
    mad = np.where(m <= n, np.exp(log_mad), 0.0)
    var = np.maximum(n * p * (1.0 - p) - mad**2, 0.0)
    mean_tv = mad.sum() / (2.0 * n)
    sd_tv = np.sqrt(var.sum()) / (2.0 * n)
    return float(mean_tv + stats.norm.ppf(0.95) * sd_tv)


@functools.lru_cache(maxsize=128)
def _tv_null95_cached(p_bytes: bytes, n: int) -> float:
    """95th percentile of TV(p_hat, p) for n i.i.d. draws from p (fixed seed: deterministic)."""
    p = np.frombuffer(p_bytes)
    draws = np.random.default_rng(20240611).multinomial(n, p, size=_TV_NULL_DRAWS) / n
    return float(np.quantile(0.5 * np.abs(draws - p).sum(axis=1), 0.95))
