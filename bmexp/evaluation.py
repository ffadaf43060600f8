"""Held-out evaluation of a model during training, beyond enumeration.

:class:`HeldOut` scores a model on held-out visible vectors: the AIS log-likelihood with its error
bar (:mod:`bmexp.estimate`; base: the training data's smoothed marginals), and the forward and
reverse AIS ``log Z`` side by side.  Forward AIS is a stochastic lower bound on ``log Z`` (the
log-likelihood it gives leans high), reverse AIS an upper bound when its start samples are exact:
here they are ``n_chains`` Gibbs chains started at training vectors and run ``reverse_sweeps``
sweeps (:func:`bmexp.estimate.chain_samples`), so the bound is approximate.  Together they bracket
the truth in expectation; when their intervals do not overlap, AIS is biased on this model (more
temperatures, ``betas``, or a longer ``reverse_sweeps``).
:func:`bmexp.training.train` calls it every ``every`` epochs.  The pseudo-log-likelihood and the
reconstruction error of the same held-out vectors are not computed here: they are the training's
``pll_heldout`` and ``reconstruction_heldout`` columns (:mod:`bmexp.likelihood`, ``measure="pll"``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import arguments
from .errors import InputError
from .estimate import _betas, ais, base_from_data, chain_samples, log_likelihood, reverse_ais
from .model import BoltzmannMachine

__all__ = ["EVALUATION_COLUMNS", "HeldOut"]

#: the columns :class:`HeldOut` adds to the training metrics (nats per vector; ESS in chains; log Z in
#: nats; the ``_reverse`` ones NaN with ``reverse_sweeps = None``)
EVALUATION_COLUMNS = (
    "ais_log_likelihood",
    "ais_stderr",
    "ais_ci_low",
    "ais_ci_high",
    "ais_ess",
    "ais_log_z",
    "ais_log_z_ci_low",
    "ais_log_z_ci_high",
    "ais_log_z_reverse",
    "ais_log_z_reverse_ci_low",
    "ais_log_z_reverse_ci_high",
    "ais_log_likelihood_reverse",
)


@dataclass(frozen=True, eq=False)
class HeldOut:
    """Held-out ``vectors`` scored every ``every`` epochs; AIS with ``n_chains`` chains over
    ``betas`` inverse temperatures; its own random stream from ``seed``.  Reverse AIS (as many chains
    and temperatures) from ``n_chains`` training vectors (or held-out ones without training data)
    after ``reverse_sweeps`` Gibbs sweeps; ``None``: no reverse AIS."""

    vectors: np.ndarray
    every: int = 5
    n_chains: int = 100
    betas: int = 1000
    seed: int = 0
    confidence: float = 0.95
    reverse_sweeps: int | None = 1000

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
        if self.reverse_sweeps is not None:
            arguments.integer(self.reverse_sweeps, "reverse_sweeps", low=0)

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
        row.update(ais_log_z=est.log_z, ais_log_z_ci_low=est.ci[0], ais_log_z_ci_high=est.ci[1])
        return row | self._reverse(model, rng, data if data is not None else self.vectors, base)

    def _reverse(self, model, rng, pool, base) -> dict:
        keys = ("ais_log_z_reverse", "ais_log_z_reverse_ci_low", "ais_log_z_reverse_ci_high")
        if self.reverse_sweeps is None:
            return dict.fromkeys((*keys, "ais_log_likelihood_reverse"), float("nan"))
        pool = np.asarray(pool, dtype=np.float64)
        start = pool[rng.choice(len(pool), self.n_chains, replace=self.n_chains > len(pool))]
        samples = chain_samples(model, start, rng=rng, sweeps=self.reverse_sweeps)
        rev = reverse_ais(model, samples, rng=rng, betas=self.betas, base=base, confidence=self.confidence)
        ll = log_likelihood(model, self.vectors, rev)
        return dict(zip(keys, (rev.log_z, *rev.ci))) | {"ais_log_likelihood_reverse": ll.mean}
