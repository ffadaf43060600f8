"""Many tests at once: Holm for the pass/fail gate, Benjamini-Hochberg for screening."""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..errors import InputError
from .gof import check_alpha

__all__ = ["holm", "benjamini_hochberg"]


def _pvalues(pvalues) -> np.ndarray:
    try:  # (strings, dicts, ragged lists: not numbers)
        p = np.asarray(pvalues, dtype=float)
    except (TypeError, ValueError):
        p = np.full(1, np.nan)
    if isinstance(pvalues, (str, bytes, dict)) or p.ndim != 1 or np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise InputError(f"pvalues must be a 1-D array of numbers in [0, 1]; received {pvalues!r}")
    return p


def holm(pvalues, alpha: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """Holm's step-down method (controls the family-wise error rate).

    Returns ``(adjusted p-values, reject)``; ``adjusted_(i) = max_{j <= i} (m - j + 1) p_(j)``.
    """
    p = _pvalues(pvalues)
    alpha = check_alpha(alpha)
    m = p.size
    if m == 0:
        return p.copy(), np.zeros(0, dtype=bool)
    order = np.argsort(p, kind="stable")
    adj_sorted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    adj = np.empty(m)
    adj[order] = adj_sorted
    return adj, adj <= alpha


def benjamini_hochberg(pvalues, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Benjamini-Hochberg (controls the false discovery rate), via ``scipy.stats.false_discovery_control``."""
    p = _pvalues(pvalues)
    alpha = check_alpha(alpha)
    if p.size == 0:
        return p.copy(), np.zeros(0, dtype=bool)
    adj = stats.false_discovery_control(p, method="bh")
    return adj, adj <= alpha
