"""What can be measured of a trained model beyond enumeration: pseudo-log-likelihood and reconstruction.

Past 24 units ``p(v)`` has no computable normaliser, so training cannot be measured by KL.  Two
quantities need no partition function:

* **Pseudo-log-likelihood** of visible vectors, ``PLL(v) = sum_i log p(v_i | v_-i)`` (nats per
  vector, averaged over the vectors; 0 is perfect, ``-n_visible log 2`` is a coin per unit).  With
  hidden units each conditional marginalises them::

      log p(v_i | v_-i) = -log(1 + r_i),   r_i = p(v^(i)) / p(v)   (v^(i): v with unit i flipped)
      log r_i = d_i ((W_vv v)_i + b_i) + L(a + d_i W_vh[i]) - L(a),   a = W_hv^T v,  d_i = v^(i)_i - v_i
      L(a) = log sum_h exp(h^T W_hh h / 2 + b_h^T h + a^T h)

  ``L`` is **exact** when there are no hidden units, when the hidden units are not coupled to each
  other (``W_hh = 0``: ``L`` is a sum over units) or when there are at most ``max_exact_hidden`` of
  them (a vectorised sum over ``2**n_hidden`` hidden states, never over ``2**n``).  Otherwise it is
  an **estimate**: ``r_i = E_{h ~ p(h | v)}[exp(d_i (W_vh h)_i)] exp(d_i ((W_vv v)_i + b_i))``, the
  expectation averaged over hidden states sampled with the visible units clamped (consistent;
  biased for a finite number of samples, since the log of an average is taken).
  :class:`PseudoLikelihood` says which one a value is.
* **Reconstruction error** of vectors: clamp the visible units to each vector, sample the hidden
  units; clamp the hidden units to those, sample the visible units; the fraction of visible units
  that differ from the vector, averaged (0 is perfect; a model that ignores the data scores 0.5).
  It is a sampled quantity, with the sampler's per-chain clamps.

Neither is a KL divergence nor a log-likelihood; the training metrics name them ``pll_*`` and
``reconstruction_*``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from . import arguments
from .data import as_convention_of
from .errors import InputError
from .model import BoltzmannMachine
from .samplers import GibbsSampler, states_of
from .schedules import Schedule
from .states import all_states

__all__ = ["MAX_EXACT_HIDDEN", "PseudoLikelihood", "pseudo_log_likelihood", "reconstruction_error"]

#: Hidden units summed exactly (2**16 hidden states per conditional, in chunks).
MAX_EXACT_HIDDEN = 16
_CHUNK = 2**22  # floats per intermediate array


@dataclass(frozen=True)
class PseudoLikelihood:
    """Mean pseudo-log-likelihood (nats per vector) and how it was computed."""

    value: float
    exact: bool
    method: str  # "no hidden units" | "independent hidden units" | "hidden units summed" | "estimate: ..."


def _visible_part(model: BoltzmannMachine, v: np.ndarray):
    """``d`` (the change a flip makes, per unit) and the visible-only part of ``log r`` for each unit."""
    nv = model.n_visible
    off, on = model.convention.values
    w, b = model.weights, model.biases
    d = (off + on) - 2.0 * v  # flipped - v
    return d, d * (v @ w[:nv, :nv] + b[:nv])


def _exact_hidden_term(model: BoltzmannMachine, v: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, str]:
    """``L(a + d_i W_vh[i]) - L(a)`` for each vector and unit, exactly, in chunks of vectors (no array
    beyond about :data:`_CHUNK` floats)."""
    nv, nh = model.n_visible, model.n_hidden
    if nh == 0:
        return np.zeros_like(v), "no hidden units"
    off, on = model.convention.values
    w, b = model.weights, model.biases
    w_vh, w_hh, b_h = w[:nv, nv:], w[nv:, nv:], b[nv:]
    independent = not np.any(w_hh)
    if independent:

        def big_l(x):  # L(a) when the hidden units are independent given v: a sum over units
            x = x + b_h
            return np.logaddexp(off * x, on * x).sum(axis=-1)

        per_vector = (nv + 1) * nh
    else:
        h = all_states(nh, model.convention)  # (K, nh), K = 2**nh <= 2**MAX_EXACT_HIDDEN
        c = 0.5 * np.einsum("ki,ki->k", h @ w_hh, h) + h @ b_h

        def big_l(x):  # L(a) by the sum over the 2**nh hidden states
            return logsumexp(c + x @ h.T, axis=-1)

        per_vector = (nv + 1) * max(nh, h.shape[0])
    out = np.empty_like(v)
    rows = max(1, _CHUNK // per_vector)
    cols = nv if rows > 1 else max(1, _CHUNK // (per_vector // (nv + 1)))  # units per step when one vector is big
    for s in range(0, len(v), rows):
        a = v[s : s + rows] @ w_vh  # (b, nh)
        base = big_l(a)[:, None]
        for i in range(0, nv, cols):
            sl = slice(i, i + cols)
            shifted = a[:, None, :] + d[s : s + rows, sl, None] * w_vh[None, sl, :]  # (b, units, nh): unit flipped
            out[s : s + rows, sl] = big_l(shifted) - base
    return out, "independent hidden units" if independent else "hidden units summed"


def _sampled_hidden_term(model, v, d, *, rng, n_samples, schedule, sampler) -> np.ndarray:
    """``log E_{h ~ p(h|v)} exp(d_i (W_vh h)_i)`` from ``n_samples`` hidden states per vector."""
    nv, n = model.n_visible, model.n_units
    w_vh = model.weights[:nv, nv:]
    out = np.empty_like(v)
    rows = max(1, _CHUNK // (n_samples * max(n, nv * 2)))
    for s in range(0, len(v), rows):
        vs, ds = v[s : s + rows], d[s : s + rows]
        chains = len(vs) * n_samples
        clamp = (np.arange(nv), np.repeat(vs, n_samples, axis=0))
        states = states_of(
            sampler(model, rng=rng, n_chains=chains, schedule=schedule, clamp=clamp), n_chains=chains, n_units=n
        )
        field = (states[:, nv:] @ w_vh.T).reshape(len(vs), n_samples, nv)  # (W_vh h)_i per sample
        out[s : s + rows] = logsumexp(ds[:, None, :] * field, axis=1) - np.log(n_samples)
    return out


def pseudo_log_likelihood(
    model: BoltzmannMachine,
    vectors,
    *,
    rng: np.random.Generator | None = None,
    max_exact_hidden: int = MAX_EXACT_HIDDEN,
    n_samples: int = 32,
    schedule: Schedule | None = None,
    sampler=None,
) -> PseudoLikelihood:
    """Mean ``sum_i log p(v_i | v_-i)`` over ``vectors`` (visible vectors, either convention).

    Exact without hidden units, with uncoupled hidden units, or with at most ``max_exact_hidden``
    hidden units; otherwise estimated from ``n_samples`` hidden states per vector drawn by
    ``sampler`` (default bmexp's Gibbs) through ``schedule`` (default :meth:`Schedule.post`) with
    the visible units clamped, which needs ``rng``.
    """
    arguments.model(model)
    if model.n_visible < 1:
        raise InputError("model must have at least one visible unit for a pseudo-likelihood")
    max_exact_hidden = arguments.integer(max_exact_hidden, "max_exact_hidden", low=0, high=MAX_EXACT_HIDDEN)
    v = as_convention_of(vectors, model.n_visible, model.convention, source="vectors")
    d, visible = _visible_part(model, v)
    w_hh = model.weights[model.n_visible :, model.n_visible :]
    if model.n_hidden <= max_exact_hidden or not np.any(w_hh):
        hidden, method = _exact_hidden_term(model, v, d)
        exact = True
    else:
        arguments.generator(rng)
        n_samples = arguments.integer(n_samples, "n_samples", low=1)
        if sampler is not None:
            from .samplers.contract import sampler_argument

            sampler_argument(sampler)
        arguments.schedule(schedule, optional=True)
        # (a chain per vector and sample, its states and fields: about 3 float64 copies of n units each)
        chains = float(n_samples) * v.shape[0]
        arguments.within("n_samples", n_samples, memory=24.0 * chains * model.n_units, what="the hidden samples")
        hidden = _sampled_hidden_term(
            model,
            v,
            d,
            rng=rng,
            n_samples=n_samples,
            schedule=schedule or Schedule.post(),
            sampler=sampler or GibbsSampler(),
        )
        method, exact = f"estimate: {n_samples} sampled hidden states per vector", False
    log_r = visible + hidden
    return PseudoLikelihood(float(np.mean(-np.logaddexp(0.0, log_r).sum(axis=1))), exact, method)


def reconstruction_error(
    model: BoltzmannMachine,
    vectors,
    *,
    rng: np.random.Generator,
    schedule: Schedule | None = None,
    sampler=None,
) -> float:
    """Mean fraction of visible units wrong after visible -> hidden -> visible (see the module docstring).

    Both steps run ``sampler`` (default bmexp's Gibbs) through ``schedule`` (default
    :meth:`Schedule.post`), one chain per vector, the clamped units given per chain.  Without hidden
    units the second step samples the visible units freely.
    """
    arguments.model(model)
    arguments.generator(rng)
    nv, n = model.n_visible, model.n_units
    v = as_convention_of(vectors, nv, model.convention, source="vectors")
    schedule = schedule or Schedule.post()
    sampler = sampler or GibbsSampler()
    chains = len(v)
    up = states_of(
        sampler(model, rng=rng, n_chains=chains, schedule=schedule, clamp=(np.arange(nv), v)),
        n_chains=chains,
        n_units=n,
    )
    clamp = (np.arange(nv, n), up[:, nv:]) if n > nv else None
    down = states_of(
        sampler(model, rng=rng, n_chains=chains, schedule=schedule, init=up, clamp=clamp), n_chains=chains, n_units=n
    )
    return float(np.mean(down[:, :nv] != v))
