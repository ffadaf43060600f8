"""Sample-size planning for the chi-square test, from the noncentral chi-square.

Under an alternative ``q`` the statistic is approximately noncentral chi-square with
``dof = k - 1`` and noncentrality ``lambda = n w^2``, ``w^2 = sum (q - p)^2 / p`` (Cohen's w).
Since ``w >= 2 TV`` for any distributions, ``n = lambda_{k-1}(alpha, power) / (4 TV^2)``
samples detect *every* alternative at total variation ``TV`` with at least that power
(asymptotically).  For 16 states, alpha 0.01, power 0.9, TV 0.02 this is 19,202.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import optimize, stats

from .. import arguments
from ..errors import InputError
from .gof import check_alpha, check_probabilities

#: degrees of freedom planned for at most (2**40 cells)
MAX_DOF = 2**40

__all__ = ["noncentrality", "required_samples", "power_at"]


def noncentrality(dof: int, alpha: float, power: float) -> float:
    """The ``lambda`` with ``P(ncx2(dof, lambda) > chi2_{dof, 1-alpha}) = power`` (``alpha < power < 1``:
    at ``lambda = 0`` the power is ``alpha``)."""
    dof = arguments.integer(dof, "dof", low=1, high=MAX_DOF)
    alpha = check_alpha(alpha)
    power = arguments.number(power, "power", low=0, high=1, low_open=True, high_open=True)
    if power <= alpha:
        raise InputError.about(
            "power", f"{{argument}} = {power!r} must exceed alpha = {alpha!r} (the power of a test of no effect)"
        )
    return _noncentrality(dof, float(alpha), float(power))


@functools.lru_cache(maxsize=1024)
def _noncentrality(dof: int, alpha: float, power: float) -> float:
    """Remembered: a root search of ~5 ms, asked again for every check of every job a sweep validates
    (288 times by the default sweep's planning, and as many in its jobs)."""
    crit = stats.chi2.isf(alpha, dof)
    top = 1e6 + 100.0 * dof
    if stats.ncx2.sf(crit, dof, top) < power:
        raise InputError.about(
            "power", f"{{argument}} = {power!r} is too close to 1: it needs a noncentrality above {top:g}"
        )
    return float(optimize.brentq(lambda lam: stats.ncx2.sf(crit, dof, lam) - power, 1e-9, top, xtol=1e-10))


def required_samples(p, *, tv: float = 0.02, alpha: float = 0.01, power: float = 0.9) -> int:
    """Samples that detect any distribution at total variation ``tv`` from ``p`` (``k`` = cells with p > 0)."""
    p = check_probabilities(p)
    tv = arguments.number(tv, "tv", low=1e-9, high=1)  # (below 1e-9 the count passes 1e18)
    k = int(np.count_nonzero(p))
    if k < 2:
        raise InputError("p must have at least two cells with p > 0 to plan a test")
    return int(math.ceil(noncentrality(k - 1, alpha, power) / (4 * tv**2)))


def power_at(w: float, n: int, dof: int, alpha: float) -> float:
    """Asymptotic power of the test at effect size ``w`` (Cohen's, >= 0) with ``n`` samples and ``dof``."""
    w = arguments.number(w, "w", low=0, high=1e9)
    n = arguments.integer(n, "n", low=1)
    dof = arguments.integer(dof, "dof", low=1, high=MAX_DOF)
    crit = stats.chi2.isf(check_alpha(alpha), dof)
    nc = float(n) * w**2
    if nc > 1e3 * (crit + dof):  # (scipy's ncx2 returns nan this far out; the power is 1 to double precision)
        return 1.0
    return float(stats.ncx2.sf(crit, dof, nc))
