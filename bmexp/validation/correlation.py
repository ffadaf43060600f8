"""Correlated draws: one long chain is not a sample of independent states.

A chi-square test assumes i.i.d. draws; successive sweeps of one chain are correlated and
would raise false alarms.  :func:`thin` measures the integrated autocorrelation time
``tau`` (Sokal's automatic window, ``c = 5``) of the chain's most frequent state indicators
and of its units, keeps every ``k = ceil(5 tau)``-th draw (for an exponential decay the
correlation left is ``e^-5 < 0.01``), re-measures the thinned series, and refuses -- with a
message that says what to do -- when too few draws would remain or the thinned draws are still
correlated.  It never passes correlated draws to the test as if they were independent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.fft

from .. import arguments
from ..conventions import check_states
from ..errors import InputError
from ..states import indices_from_states
from .gof import GofResult, check_probabilities, gof_test

__all__ = ["CorrelatedDrawsError", "ThinnedChain", "integrated_autocorrelation_time", "thin", "chain_gof_test"]


class CorrelatedDrawsError(InputError):
    """The chain is too correlated for an honest test of its draws."""


def integrated_autocorrelation_time(x, c: float = 5.0) -> np.ndarray:
    """``tau_int`` of each column of ``x`` (shape ``(T,)`` or ``(T, k)``), Sokal's window ``M >= c tau``.

    Constant columns get ``tau = 1`` (they carry no correlation to measure).
    """
    c = arguments.number(c, "c", low=0, low_open=True, high=1e6)
    try:
        x = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise InputError.bad("x", "an array of numbers, shape (T,) or (T, k)", x, shown=type(x).__name__) from None
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise InputError(f"x must have shape (T,) or (T, k); received shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise InputError("x must be finite; found nan or inf")
    t = x.shape[0]
    if t < 4:
        raise InputError(f"chain must have at least 4 draws; received {t}")
    # the autocovariance of every column at once, by FFT (zero-padded past 2t - 1: no wrap-around),
    # one contiguous row per column
    xt = np.ascontiguousarray((x - x.mean(axis=0)).T)
    size = scipy.fft.next_fast_len(2 * t - 1, real=True)
    f = scipy.fft.rfft(xt, n=size, axis=1)
    np.multiply(f, np.conj(f), out=f)
    acf = scipy.fft.irfft(f, n=size, axis=1)[:, :t]
    var = acf[:, 0]
    live = var > 0  # constant columns keep tau = 1
    out = np.ones(x.shape[1])
    if live.any():
        taus = 2.0 * np.cumsum(acf[live] / var[live, None], axis=1) - 1.0
        window = np.arange(t) >= c * taus
        m = np.where(window.any(axis=1), np.argmax(window, axis=1), t - 1)
        out[live] = np.maximum(1.0, taus[np.arange(len(m)), m])
    return out


def _series(states: np.ndarray, convention, max_states: int = 64) -> np.ndarray:
    idx = indices_from_states(states, convention)
    values, counts = np.unique(idx, return_counts=True)
    top = values[np.argsort(counts)[::-1][:max_states]]
    indicators = (idx[:, None] == top[None, :]).astype(float)
    return np.hstack([indicators, states])


@dataclass(frozen=True, eq=False)
class ThinnedChain:
    states: np.ndarray  # the kept draws
    interval: int  # every interval-th draw kept
    tau: float  # max integrated autocorrelation time of the raw chain
    tau_thinned: float  # the same, measured on the kept draws


def thin(
    states, convention, *, min_draws: int = 200, factor: float = 5.0, max_tau_thinned: float = 1.5
) -> ThinnedChain:
    """Thin a single chain ``(T, n)`` to approximately independent draws, or refuse.

    min_draws : the fewest draws to keep (>= 1); factor : the interval kept, in units of tau (>= 1: fewer
    would keep correlated draws); max_tau_thinned : the largest tau the kept draws may still have (>= 1)."""
    min_draws = arguments.integer(min_draws, "min_draws", low=1)
    factor = arguments.number(factor, "factor", low=1, high=1e6)
    max_tau_thinned = arguments.number(max_tau_thinned, "max_tau_thinned", low=1, high=1e6)
    s = check_states(states, convention)
    if s.ndim != 2:
        raise InputError(f"states must be a (draws, n_units) array from one chain; received shape {s.shape}")
    tau = float(integrated_autocorrelation_time(_series(s, convention)).max())
    if s.shape[0] < 50 * tau:
        raise CorrelatedDrawsError(
            f"chain of {s.shape[0]} draws is too short to measure its autocorrelation (tau = {tau:.1f} "
            f"draws; need >= 50 tau): run it longer or use independent chains"
        )
    k = max(1, math.ceil(factor * tau))
    kept = s[::k]
    if kept.shape[0] < min_draws:
        raise CorrelatedDrawsError(
            f"thinning by {k} (tau = {tau:.1f} draws) leaves {kept.shape[0]} draws < min_draws = {min_draws}: "
            f"run the chain {math.ceil(min_draws * k / s.shape[0])}x longer or use independent chains"
        )
    tau2 = float(integrated_autocorrelation_time(_series(kept, convention)).max())
    if tau2 > max_tau_thinned:
        raise CorrelatedDrawsError(
            f"draws thinned by {k} are still correlated (tau = {tau2:.2f} > {max_tau_thinned}): use independent chains"
        )
    return ThinnedChain(kept, k, tau, tau2)


def chain_gof_test(
    states, p, convention, *, alpha: float = 0.01, rng=None, **thin_kwargs
) -> tuple[GofResult, ThinnedChain]:
    """Goodness of fit of one long chain's draws against ``p`` (over the ``2**n_units`` states, index
    order), after :func:`thin` (``thin_kwargs``: its ``min_draws``, ``factor``, ``max_tau_thinned``)."""
    unknown = sorted(set(thin_kwargs) - {"min_draws", "factor", "max_tau_thinned"})
    if unknown:
        raise InputError(
            f"{unknown[0]} is not an argument of chain_gof_test; allowed: alpha, rng, min_draws, factor, "
            "max_tau_thinned"
        )
    p = check_probabilities(p)
    n_units = np.shape(states)[-1] if np.ndim(states) == 2 else None
    if n_units is not None and p.size != 2**n_units:
        raise InputError(
            f"p must have one probability per state of the chain's {n_units} units (2**{n_units} = {2**n_units}); "
            f"received {p.size}"
        )
    thinned = thin(states, convention, **thin_kwargs)
    counts = np.bincount(indices_from_states(thinned.states, convention), minlength=np.size(p))
    return gof_test(counts, p, alpha=alpha, rng=rng), thinned
