"""Held-out evaluation of a model during training, beyond enumeration.

:class:`HeldOut` scores a model on held-out visible vectors: the AIS log-likelihood with its error
bar (:mod:`bmexp.estimate`; base: the training data's smoothed marginals).
:func:`bmexp.training.train` calls it every ``every`` epochs.  The pseudo-log-likelihood and the
reconstruction error of the same held-out vectors are not computed here: they are the training's
``pll_heldout`` and ``reconstruction_heldout`` columns (:mod:`bmexp.likelihood`, ``measure="pll"``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import arguments
from .errors import InputError
from .estimate import _betas, ais, base_from_data, log_likelihood
from .model import BoltzmannMachine

__all__ = ["EVALUATION_COLUMNS", "HeldOut"]

#: the columns :class:`HeldOut` adds to the training metrics (nats per vector; ESS in chains)
EVALUATION_COLUMNS = ("ais_log_likelihood", "ais_stderr", "ais_ci_low", "ais_ci_high", "ais_ess")


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
            raise InputError.about("heldout", f"{{argument}} must be at least 2 visible vectors; received {v.shape}")
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
                "heldout",
                f"{{argument}} must have n_visible = {model.n_visible} columns; received {self.vectors.shape[1]}",
            )
        base = base_from_data(data, convention=model.convention) if data is not None else None
        est = ais(model, rng=rng, n_chains=self.n_chains, betas=self.betas, base=base, confidence=self.confidence)
        ll = log_likelihood(model, self.vectors, est).to_dict()
        row = {f"ais_{k}": ll[k] for k in ("log_likelihood", "stderr", "ci_low", "ci_high")}
        row["ais_ess"] = est.ess
        return row
