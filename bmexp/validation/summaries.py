"""Goodness of fit when a distribution has too many states for a cell-by-cell test.

A chi-square test over ``2**k`` cells needs about ``sqrt(2**k)`` times more samples than cells
allow once ``k`` passes 16 (the planned ``n`` for 2**24 cells is 13 million chains, 2.5 GB of
states).  Beyond :data:`MAX_CELLS` the samples are tested instead on statistics whose exact
distribution comes from the same exact ``p`` (all exact, none estimated):

* the **probability histogram**: the states ordered by ``p`` and cut into :data:`BINS` bins of
  about equal probability; a sample's bin is looked up by its state index, so there is no
  rounding question (for a Boltzmann distribution this is the energy histogram);
* every **single-unit marginal** (2 cells) and every **pair marginal** (4 cells), from the exact
  first and second moments.

Each is a :func:`~bmexp.validation.gof.gof_test`; the family of ``1 + k + k (k - 1) / 2`` tests is
combined by Holm's method into one result whose p-value is the smallest Holm-adjusted p-value
(Holm rejects anything exactly when that is below ``alpha``, so the false-alarm rate is at most
``alpha``).  :func:`combine` does the same for any family of tests.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..conventions import Convention
from ..exact import expectations
from ..states import states_from_indices
from .gof import GofResult, gof_test
from .multiple import holm
from .planning import required_samples

__all__ = ["BINS", "MAX_CELLS", "combine", "planned_summary_n", "summary_test", "probability_bins"]

#: Largest number of cells tested cell by cell (2**16: 820,000 planned samples, 105 MB of states).
MAX_CELLS = 2**16
#: Bins of the probability histogram.
BINS = 64


def probability_bins(p: np.ndarray, bins: int = BINS) -> tuple[np.ndarray, np.ndarray]:
    """``(bin of each state, probability of each bin)``: states ordered by ``p`` (largest first)
    and cut where the probability before them crosses a multiple of ``1 / bins``.  Any fixed
    partition of the states gives a valid test; this one puts the mass evenly."""
    order = np.argsort(-p, kind="stable")
    before = np.cumsum(p[order]) - p[order]
    of_state = np.empty(p.size, dtype=np.int64)
    of_state[order] = np.minimum((before * bins).astype(np.int64), bins - 1)
    return of_state, np.bincount(of_state, weights=p, minlength=bins)


def _pair_cells(x_mean: np.ndarray, x_second: np.ndarray, i: int, j: int) -> np.ndarray:
    """Exact (00, 01, 10, 11) probabilities of units i, j as 0/1 variables."""
    p11 = x_second[i, j]
    cells = np.array([1.0 - x_mean[i] - x_mean[j] + p11, x_mean[j] - p11, x_mean[i] - p11, p11])
    cells = np.clip(cells, 0.0, None)  # rounding of the moments can leave -1e-17
    return cells / cells.sum()


def combine(results: dict[str, GofResult], alpha: float, test: str = "holm") -> tuple[GofResult, pd.DataFrame]:
    """One result for a family of tests: Holm-adjusted; the fields of the worst (smallest p) test,
    its p-value replaced by the smallest adjusted p-value.  Also a table of the family."""
    names = list(results)
    raw = np.array([results[k].p_value for k in names])
    adjusted, reject = holm(raw, alpha=alpha)
    worst = int(np.argmin(adjusted))
    w = results[names[worst]]
    table = pd.DataFrame(
        {
            "test": names,
            "p_value": raw,
            "holm_p_value": adjusted,
            "reject": reject,
            "tv": [results[k].tv for k in names],
            "n": [results[k].n for k in names],
        }
    )
    rejected = [k for k, r in zip(names, reject) if r]
    reason = (
        f"Holm over {len(names)} tests rejects {len(rejected)}: {', '.join(rejected[:5])}"
        f"{' ...' if len(rejected) > 5 else ''} (smallest adjusted p = {adjusted[worst]:.3g} < alpha = {alpha:g})."
        if rejected
        else f"Holm over {len(names)} tests rejects none (smallest adjusted p = {adjusted[worst]:.3g}, {names[worst]})."
    )
    out = replace(w, p_value=float(adjusted[worst]), reject=bool(reject.any()), method=test, alpha=alpha, reason=reason)
    return out, table


_LAST: list = []  # (p, convention, reference): the checks test several samples against one p in a row


def _reference(p: np.ndarray, n_units: int, conv: Convention):
    """Bins and exact moments of ``p`` (an argsort and a pass over 2**n states: seconds at n = 24),
    kept for the next call with the same array."""
    if _LAST and _LAST[0] is p and _LAST[1] == conv:
        return _LAST[2]
    ref = (*probability_bins(p), *expectations(p, n_units, conv))
    _LAST[:] = [p, conv, ref]
    return ref


def summary_tests(
    indices: np.ndarray, p: np.ndarray, n_units: int, convention: Convention | str, *, alpha: float, rng, names=None
) -> dict[str, GofResult]:
    """The family of tests (histogram, units, pairs) of samples given by their state ``indices``."""
    conv = Convention(convention)
    off, on = conv.values
    names = list(names) if names is not None else [f"u{i}" for i in range(n_units)]
    out: dict[str, GofResult] = {}
    of_state, bin_p, mean, second = _reference(p, n_units, conv)
    out["probability histogram"] = gof_test(
        np.bincount(of_state[indices], minlength=bin_p.size), bin_p, alpha=alpha, rng=rng
    )
    scale = on - off
    x_mean = (mean - off) / scale
    x_second = (second - off * mean[:, None] - off * mean[None, :] + off * off) / scale**2
    x = (states_from_indices(indices, n_units, conv) == on).astype(np.float64)
    ones = x.sum(axis=0)
    both = x.T @ x
    n = x.shape[0]
    for i in range(n_units):
        q = min(max(x_mean[i], 0.0), 1.0)
        out[f"unit {names[i]}"] = gof_test(
            np.array([n - ones[i], ones[i]]), np.array([1.0 - q, q]), alpha=alpha, rng=rng
        )
    for i in range(n_units):
        for j in range(i + 1, n_units):
            c11 = both[i, j]
            counts = np.array([n - ones[i] - ones[j] + c11, ones[j] - c11, ones[i] - c11, c11])
            out[f"pair {names[i]} {names[j]}"] = gof_test(
                counts, _pair_cells(x_mean, x_second, i, j), alpha=alpha, rng=rng
            )
    return out


def summary_test(indices, p, n_units, convention, *, alpha, rng, names=None) -> tuple[GofResult, pd.DataFrame]:
    """:func:`summary_tests` combined by Holm (see the module docstring)."""
    return combine(summary_tests(indices, p, n_units, convention, alpha=alpha, rng=rng, names=names), alpha, "summary")


def planned_summary_n(n_units: int, *, alpha: float, tv: float = 0.02, power: float = 0.9) -> int:
    """Samples that detect a total variation ``tv`` in the probability histogram with ``power``
    at the Holm family's first threshold ``alpha / m``."""
    m = 1 + n_units + n_units * (n_units - 1) // 2
    return required_samples(np.full(BINS, 1.0 / BINS), tv=tv, alpha=alpha / m, power=power)
