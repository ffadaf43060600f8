"""Held-out evaluation of a model during training, beyond enumeration.

:class:`HeldOut` scores a model on held-out visible vectors: the AIS log-likelihood with its error
bar (:mod:`bmexp.estimate`; base: the training data's smoothed marginals), the exact
pseudo-log-likelihood (every unit's ``log p(v_i | v_-i)``, summed over units) and the mean-field
reconstruction error.  :func:`bmexp.training.train` calls it every ``every`` epochs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from . import arguments
from .errors import InputError
from .estimate import _betas, ais, base_from_data, free_energy, log_likelihood
from .model import BoltzmannMachine

__all__ = ["EVALUATION_COLUMNS", "HeldOut", "pseudo_log_likelihood", "reconstruction_error"]

#: the columns :class:`HeldOut` adds to the training metrics (nats per vector; error per unit)
EVALUATION_COLUMNS = (
    "ais_log_likelihood",
    "ais_stderr",
    "ais_ci_low",
    "ais_ci_high",
    "ais_ess",
    "pseudo_log_likelihood",
    "reconstruction_error",
)


def pseudo_log_likelihood(model: BoltzmannMachine, visible) -> float:
    """``mean_v sum_i log p(v_i | v_-i)``, exact from free energies: ``log sigmoid(F(v^i) - F(v))``
    with ``v^i`` = ``v`` with unit i flipped.  (scikit-learn's ``score_samples`` is ``n_visible``
    times one randomly chosen term: an unbiased, noisy estimate of the same sum.)"""
    f = free_energy(model, visible)
    v = np.atleast_2d(np.asarray(visible, dtype=np.float64))
    off, on = model.convention.values
    total = np.zeros(v.shape[0])
    for i in range(v.shape[1]):
        flipped = v.copy()
        flipped[:, i] = (on + off) - flipped[:, i]
        total += -np.logaddexp(0.0, -(free_energy(model, flipped) - f))
    return float(total.mean())


def reconstruction_error(model: BoltzmannMachine, visible) -> float:
    """Mean squared error per visible unit between ``v`` and its mean-field reconstruction
    ``E[v | h = E[h | v]]`` (an RBM's usual training monitor; NaN unless the model is restricted)."""
    nv, w, b = model.n_visible, model.weights, model.biases
    if model.n_hidden == 0 or np.any(w[:nv, :nv]) or np.any(w[nv:, nv:]):
        return float("nan")
    v = np.atleast_2d(np.asarray(visible, dtype=np.float64))
    off, on = model.convention.values
    g = on - off
    h = off + g * special.expit(g * (v @ w[:nv, nv:] + b[nv:]))
    recon = off + g * special.expit(g * (h @ w[nv:, :nv] + b[:nv]))
    return float(np.mean((v - recon) ** 2))


@dataclass(frozen=True, eq=False)
class HeldOut:
    """Held-out ``vectors`` scored every ``every`` epochs; AIS with ``n_chains`` chains over
    ``betas`` inverse temperatures; its own random stream from ``seed``."""

    vectors: np.ndarray
    every: int = 5
    n_chains: int = 100
    betas: int = 1000
    seed: int = 0
    confidence: float = 0.95

    def __post_init__(self):
        v = np.asarray(self.vectors, dtype=np.float64)
        if v.ndim != 2 or v.shape[0] < 2:
            raise InputError.about("held_out", f"{{argument}} must be at least 2 visible vectors; received {v.shape}")
        v.flags.writeable = False
        object.__setattr__(self, "vectors", v)
        arguments.integer(self.every, "every", low=1)
        arguments.integer(self.n_chains, "n_chains", low=2)
        _betas(self.betas)
        arguments.seed(self.seed)
        arguments.probability(self.confidence, "confidence")

    def __call__(self, model: BoltzmannMachine, *, rng: np.random.Generator, data=None) -> dict:
        if self.vectors.shape[1] != model.n_visible:
            raise InputError.about(
                "held_out",
                f"{{argument}} must have n_visible = {model.n_visible} columns; received {self.vectors.shape[1]}",
            )
        base = base_from_data(data, convention=model.convention) if data is not None else None
        est = ais(model, rng=rng, n_chains=self.n_chains, betas=self.betas, base=base, confidence=self.confidence)
        ll = log_likelihood(model, self.vectors, est).to_dict()
        row = {f"ais_{k}": ll[k] for k in ("log_likelihood", "stderr", "ci_low", "ci_high")}
        row["ais_ess"] = est.ess
        row["pseudo_log_likelihood"] = pseudo_log_likelihood(model, self.vectors)
        row["reconstruction_error"] = reconstruction_error(model, self.vectors)
        return row
