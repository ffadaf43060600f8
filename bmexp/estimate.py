"""Partition functions beyond enumeration: annealed importance sampling (AIS), reverse AIS and
held-out log-likelihood.

**AIS** (Neal 2001; Salakhutdinov & Murray, ICML 2008) anneals ``n_chains`` independent chains
from a tractable base distribution ``p_0`` (independent units) to the model along the path

    f_beta(s) = exp(-beta E(s) + (1 - beta) b0 . s),    beta_0 = 0 < beta_1 < ... < beta_K = 1,

with heat-bath sweeps at each ``beta_k`` (vectorised over chains), and accumulates the log weight
``log w = sum_k [log f_k(x_{k-1}) - log f_{k-1}(x_{k-1})]``.  ``E[w] = Z / Z_0`` exactly, so

    log Z_hat = log Z_0 + log mean(w)        (log-mean-exp, computed without overflow)

**Error bar** (delta method): ``se = sd(w) / (mean(w) sqrt(n_chains))``, and the interval
``log Z_hat +- t se`` with ``t`` Student's ``(1 + c) / 2`` quantile at ``n_chains - 1`` degrees
of freedom (the normal quantile undercovers at tens of chains: ``sd(w)`` is itself estimated).

**What the interval promises**: coverage ``c`` (default 95%), asymptotically in the number of
chains, *when the chains follow the path* so that the weights have a finite, well-estimated
variance -- in practice when the effective sample size ``ess = (sum w)^2 / sum w^2`` is a large
fraction of ``n_chains``.  log-mean-exp is biased low by about ``se^2 / 2`` (Jensen), negligible
next to ``se`` when ``se`` is small.  Calibrated in tests/test_estimate.py against exact
``log Z``: 200 seeded estimates of 50 chains each, per model, cover the truth at a rate inside
the 99% Clopper-Pearson interval around 0.95 (measured: random 5+5 units 193/200, metastable
8-unit ferromagnet at 400 temperatures 189/200, RBM 14+10 191/200, reverse AIS on an RBM 191/200).

**How the error shrinks**: ``se^2 ~ Var(w / mean w) / n_chains``: doubling the chains halves the
variance of ``log Z_hat``.  More temperatures make each step's log-ratio smaller: once the
chains follow the path, ``Var(log w)`` falls like ``1 / K`` (K steps of size ``1 / K``, each of
variance ``O(1 / K^2)``, correlated over a fixed number of steps), so doubling the temperatures
halves ``Var(log w)``, and ``se^2 ~ (exp(Var(log w)) - 1) / n_chains`` with it while
``Var(log w)`` is small.

**When it fails**: with too few temperatures on a metastable model (a strongly coupled
ferromagnet) the chains do not follow the path, the weights are dominated by rare chains never
seen, and ``log Z_hat`` is biased *low* with an interval that is too narrow: the printed error
bar is then meaningless (12-unit ferromagnet, J = 1, 10 temperatures: biased by -1.1 nats,
95% intervals cover 42% of the time).  A base that sits in one well of the model (a binary
ferromagnet's zero-weight base, all units off) gives a confident wrong answer with a perfect
``ess``: weights cannot show what no chain visited.  **How to see it**: run :func:`reverse_ais`
from (exact or good approximate) model samples back to the base (beyond enumeration:
:func:`chain_samples`, Gibbs chains started at training data).  Its estimate is biased *high*
(a stochastic upper bound), forward AIS's *low* (a stochastic lower bound); when the two
intervals do not overlap, neither can be trusted -- anneal more slowly, or change the base.

**Paths.**  When the hidden units are not coupled to each other (restricted and
semi-restricted models, RBMs) they are summed out exactly and the chains run on the visible
units only (``f_beta(v)`` = the full path's ``f_beta(v, h)`` summed over ``h``, hidden units
sampled given visible at each step): much lower variance.  Otherwise the chains run on all units.

**Held-out log-likelihood**: ``log p(v) = -F(v) - log Z`` with the free energy
``F(v) = -log sum_h exp(-E(v, h))`` exact: by factorisation when hidden units are not coupled
to each other, else by enumerating ``2**n_hidden`` hidden states (up to :data:`MAX_HIDDEN`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy import special, stats

from . import arguments
from .conventions import as_convention, check_states
from .errors import InputError
from .exact import ExactDistribution
from .model import BoltzmannMachine
from .states import all_states, states_from_indices

__all__ = [
    "AISResult",
    "LogLikelihood",
    "MAX_HIDDEN",
    "ais",
    "reverse_ais",
    "base_from_data",
    "exact_samples",
    "chain_samples",
    "free_energy",
    "log_likelihood",
    "linear_betas",
]

#: Largest number of mutually coupled hidden units whose free energy is summed exactly.
MAX_HIDDEN = 20


def linear_betas(n_temperatures: int) -> np.ndarray:
    """``n_temperatures`` inverse temperatures evenly spaced from 0 to 1."""
    k = arguments.integer(n_temperatures, "n_temperatures", low=2)
    return np.linspace(0.0, 1.0, k)


def _betas(betas) -> np.ndarray:
    if isinstance(betas, (int, np.integer)) and not isinstance(betas, bool):
        if betas < 2:
            raise InputError.bad("betas", "at least 2 inverse temperatures (an integer >= 2 or a sequence)", betas)
        return linear_betas(betas)
    return arguments.grid(betas, "betas", first=0.0, last=1.0, min_length=2)


def _hidden_free(model: BoltzmannMachine) -> bool:
    """True when the hidden units are not coupled to each other (they factorise given v)."""
    nv = model.n_visible
    return model.n_hidden > 0 and not np.any(model.weights[nv:, nv:])


# ------------------------------------------------------------------------------ results
def _log_mean_exp(lw: np.ndarray) -> float:
    return float(special.logsumexp(lw) - math.log(lw.size))


def model_key(model: BoltzmannMachine) -> str:
    """A fingerprint of ``model``'s distribution as an estimate depends on it: convention, sizes, weights, biases."""
    import hashlib

    h = hashlib.sha256(f"{model.convention.value}:{model.n_visible}:{model.n_units}".encode())
    h.update(np.ascontiguousarray(model.weights, dtype=np.float64).tobytes())
    h.update(np.ascontiguousarray(model.biases, dtype=np.float64).tobytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True, eq=False)
class AISResult:
    """log Z from the log weights of ``n_chains`` independent AIS chains.

    ``direction="forward"``: the weights estimate ``Z / Z_0``; ``"reverse"``: ``Z_0 / Z``.
    ``stderr`` by the delta method on log-mean-exp; ``ci`` = ``log_z +- t stderr`` at
    ``confidence`` (``t``: Student's quantile at ``n_chains - 1`` degrees of freedom); ``ess``
    the weights' effective sample size.  The module docstring says what the interval promises
    and when it fails.
    """

    log_weights: np.ndarray
    log_z_base: float
    direction: str
    n_temperatures: int
    confidence: float = 0.95
    model_key: str | None = None  # the estimated model's :func:`model_key` (log_likelihood checks it)

    def __post_init__(self):
        lw = np.array(self.log_weights, dtype=np.float64).reshape(-1)
        lw.flags.writeable = False
        object.__setattr__(self, "log_weights", lw)

    @property
    def n_chains(self) -> int:
        return self.log_weights.size

    def _normalised(self) -> np.ndarray:
        return np.exp(self.log_weights - self.log_weights.max())

    @property
    def log_z(self) -> float:
        lme = _log_mean_exp(self.log_weights)
        return self.log_z_base + lme if self.direction == "forward" else self.log_z_base - lme

    @property
    def stderr(self) -> float:
        w = self._normalised()
        return float(np.std(w, ddof=1) / (np.mean(w) * math.sqrt(w.size)))

    @property
    def ci(self) -> tuple[float, float]:
        half = float(stats.t.ppf(0.5 + self.confidence / 2, self.n_chains - 1)) * self.stderr
        return self.log_z - half, self.log_z + half

    @property
    def ess(self) -> float:
        w = self._normalised()
        return float(w.sum() ** 2 / np.sum(w**2))

    def split(self, parts: int) -> list["AISResult"]:
        """``parts`` estimates from consecutive blocks of chains (replicates from one vectorised call)."""
        parts = arguments.integer(parts, "parts", low=1, high=self.n_chains // 2)
        return [
            AISResult(block, self.log_z_base, self.direction, self.n_temperatures, self.confidence, self.model_key)
            for block in np.array_split(self.log_weights, parts)
        ]

    def to_dict(self) -> dict:
        low, high = self.ci
        return {
            "log_z": self.log_z,
            "stderr": self.stderr,
            "ci_low": low,
            "ci_high": high,
            "confidence": self.confidence,
            "ess": self.ess,
            "n_chains": self.n_chains,
            "n_temperatures": self.n_temperatures,
            "direction": self.direction,
        }


# ------------------------------------------------------------------------------ paths
def _gap(conv) -> float:
    off, on = conv.values
    return float(on - off)


def _draw(p_on: np.ndarray, u: np.ndarray, conv) -> np.ndarray:
    off, on = conv.values
    return np.where(u < p_on, float(on), float(off))


@njit(cache=True, nogil=True)
def _sweep(x, w, bias, beta, u, gap, off, on):  # pragma: no cover - compiled
    """One sequential heat-bath sweep of every chain (rows of ``x``, in place): unit i is set on
    when ``u[c, i] < sigmoid(gap * (beta * (x[c] . w[:, i]) + bias[c, i]))``."""
    n_chains, n = x.shape
    for c in range(n_chains):
        for i in range(n):
            f = 0.0
            for j in range(n):
                f += x[c, j] * w[j, i]
            p = 1.0 / (1.0 + np.exp(-gap * (beta * f + bias[c, i])))
            x[c, i] = on if u[c, i] < p else off


@njit(cache=True, nogil=True)
def _matmul(a, b):  # pragma: no cover - compiled
    out = np.zeros((a.shape[0], b.shape[1]))
    for c in range(a.shape[0]):
        for k in range(a.shape[1]):
            if a[c, k] != 0.0:
                for j in range(b.shape[1]):
                    out[c, j] += a[c, k] * b[k, j]
    return out


def _dot(a, b):
    """``a @ b`` in one compiled thread: the products here are small (chains x tens of units), and
    multithreaded BLAS on them ran 4x slower on a machine shared with other jobs (measured)."""
    return _matmul(np.ascontiguousarray(a, dtype=np.float64), np.ascontiguousarray(b, dtype=np.float64))


def _heat_bath(x, w, bias, beta, rng, conv):
    """A sequential heat-bath sweep at inverse temperature ``beta`` (couplings ``beta * w`` plus
    per-chain fields ``bias``), compiled; uniforms drawn from ``rng`` in one block per sweep."""
    off, on = conv.values
    bias = np.ascontiguousarray(np.broadcast_to(bias, x.shape))
    _sweep(x, np.ascontiguousarray(w), bias, float(beta), rng.random(x.shape), float(on - off), float(off), float(on))
    return x


def _log_z_independent(b0: np.ndarray, conv) -> float:
    off, on = conv.values
    return float(np.sum(np.logaddexp(off * b0, on * b0)))


class _FullPath:
    """Chains over all units: ``log f_beta(s) = -beta E(s) + (1 - beta) b0 . s``."""

    def __init__(self, model: BoltzmannMachine, b0: np.ndarray):
        self.w, self.b, self.conv, self.b0 = model.weights, model.biases, model.convention, b0
        self.n = model.n_units
        self.log_z_base = _log_z_independent(b0, self.conv)

    def sample_base(self, n_chains, rng):
        return _draw(special.expit(_gap(self.conv) * self.b0), rng.random((n_chains, self.n)), self.conv)

    def log_ratio(self, beta_to, beta_from, x):
        energy = -0.5 * np.einsum("ci,ci->c", _dot(x, self.w), x) - x.dot(self.b)
        return -(beta_to - beta_from) * (energy + x.dot(self.b0))

    def step(self, beta, x, rng):
        return _heat_bath(x, self.w, beta * self.b + (1.0 - beta) * self.b0, beta, rng, self.conv)


class _VisiblePath:
    """Chains over visible units, hidden units (not coupled to each other) summed out exactly:
    ``log f_beta(v) = beta (1/2 v^T W_vv v + b_v . v) + (1 - beta) b0 . v
    + sum_j log sum_{h_j} exp(h_j (c_j + beta W_vh[:, j] . v))`` -- the full path with the hidden
    units summed out (their biases are not annealed: the zero-weight base keeps them)."""

    def __init__(self, model: BoltzmannMachine, b0: np.ndarray):
        nv, w = model.n_visible, model.weights
        self.conv, self.b0, self.nv = model.convention, b0, nv
        self.w_vv, self.w_vh = w[:nv, :nv], w[:nv, nv:]
        self.b_v, self.c = model.biases[:nv], model.biases[nv:]
        self.visible_coupled = bool(np.any(self.w_vv))
        self.log_z_base = _log_z_independent(b0, self.conv) + _log_z_independent(self.c, self.conv)

    def sample_base(self, n_chains, rng):
        return _draw(special.expit(_gap(self.conv) * self.b0), rng.random((n_chains, self.nv)), self.conv)

    def _log_f(self, beta, x, xw):
        off, on = self.conv.values
        vis = (0.5 * np.einsum("ci,ci->c", _dot(x, self.w_vv), x) if self.visible_coupled else 0.0) + x.dot(self.b_v)
        a = beta * xw + self.c
        return beta * vis + np.logaddexp(off * a, on * a).sum(axis=1) + (1.0 - beta) * x.dot(self.b0)

    def log_ratio(self, beta_to, beta_from, x):
        xw = _dot(x, self.w_vh)
        return self._log_f(beta_to, x, xw) - self._log_f(beta_from, x, xw)

    def step(self, beta, x, rng):
        g = _gap(self.conv)
        a = beta * _dot(x, self.w_vh) + self.c
        h = _draw(special.expit(g * a), rng.random(a.shape), self.conv)
        outside = beta * (_dot(h, self.w_vh.T) + self.b_v) + (1.0 - beta) * self.b0
        if not self.visible_coupled:  # restricted: visible units factorise given h
            return _draw(special.expit(g * outside), rng.random(x.shape), self.conv)
        return _heat_bath(x, self.w_vv, outside, beta, rng, self.conv)  # semi-restricted: a sweep over v


def _path(model, base):
    """The annealing path: over visible units when the hidden units factorise, else over all units."""
    visible = _hidden_free(model)
    n = model.n_visible if visible else model.n_units
    if base is None:  # zero weights: the model's own biases
        b0 = np.array(model.biases[:n], dtype=np.float64)
    else:
        try:
            p = np.asarray(base, dtype=np.float64) if not isinstance(base, (str, bytes)) else None
        except (TypeError, ValueError):  # ragged or not numbers
            p = None
        if p is None or p.shape != (model.n_visible,) or not np.all((p > 0) & (p < 1)):
            raise InputError.bad(
                "base",
                f"None (zero weights) or {model.n_visible} probabilities in (0, 1), one per visible unit",
                base,
                shown=np.array2string(p, threshold=8) if p is not None else None,
            )
        b0 = np.array(model.biases[:n], dtype=np.float64)  # hidden units (full path): zero-weight model
        b0[: model.n_visible] = special.logit(p) / _gap(model.convention)
    return (_VisiblePath if visible else _FullPath)(model, b0)


#: Fixed Python overhead of one annealing step (one temperature's log ratio, or one sweep of all chains),
#: counted as this many spin updates in the work estimate so that a long ladder or many sweeps of a few
#: small chains is refused too (WORK_LIMIT assumes ~50 million updates a second, 20 ns each).  Measured
#: on a 6+4 RBM with 2 chains: ~146 us per temperature (log ratio and one sweep) and ~39 us per sweep,
#: i.e. ~7300 and ~2000 updates; 1e4 per step is a round upper bound.
STEP_OVERHEAD = 1e4


def _annealing_work(chain_units: float, n_temperatures: int, sweeps: int) -> float:
    """Spin updates planned by an annealing run: each temperature a log ratio and ``sweeps`` sweeps,
    each step ``chain_units`` updates (chains x units) plus :data:`STEP_OVERHEAD`."""
    return float(n_temperatures) * (1.0 + sweeps) * (chain_units + STEP_OVERHEAD)


def _costliest(**counts) -> tuple[str, int]:
    """The argument that drives the cost: the largest of the counts multiplied together."""
    return max(counts.items(), key=lambda item: item[1])


def _check_work(model, n_chains: int, n_temperatures: int, sweeps: int, name_chains: bool) -> None:
    work = _annealing_work(float(n_chains) * model.n_units, n_temperatures, sweeps)
    counts = {"betas": n_temperatures, **({"n_chains": n_chains} if name_chains else {}), "sweeps": sweeps}
    name, value = _costliest(**counts)  # a tie names betas
    arguments.within(name, value, work=work, what="the AIS runs")


def _common(model, rng, betas, sweeps, confidence, n_chains=None):
    """The arguments checked, and the run's memory and work estimated before anything is allocated
    (:func:`bmexp.arguments.within`: a huge ``n_chains`` or ``betas`` is one clear error, not a
    MemoryError or hours of work): chains x units of state (and a few temporaries of that size), the
    ladder of temperatures, and chains x temperatures x sweeps x units updates."""
    arguments.model(model)
    arguments.generator(rng)
    sweeps = arguments.integer(sweeps, "sweeps", low=1)
    if isinstance(betas, (int, np.integer)) and not isinstance(betas, bool) and betas >= 2:
        arguments.within("betas", betas, memory=8.0 * betas, what="the AIS temperatures")
    if n_chains is not None:
        n_chains = arguments.integer(n_chains, "n_chains", low=2)
        arguments.within("n_chains", n_chains, memory=8.0 * 4 * n_chains * model.n_units, what="the AIS chains")
    chains = 2 if n_chains is None else n_chains  # reverse AIS: at least 2 samples (checked in full later)
    if isinstance(betas, (int, np.integer)) and not isinstance(betas, bool) and betas >= 2:
        _check_work(model, chains, int(betas), sweeps, n_chains is not None)  # before the ladder is built
    betas = _betas(betas)
    _check_work(model, chains, int(betas.size), sweeps, n_chains is not None)
    return betas, sweeps, arguments.probability(confidence, "confidence")


# ------------------------------------------------------------------------------ AIS
def ais(
    model: BoltzmannMachine,
    *,
    rng: np.random.Generator,
    n_chains: int = 100,
    betas=1000,
    sweeps: int = 1,
    base=None,
    confidence: float = 0.95,
) -> AISResult:
    """Forward AIS estimate of ``log Z`` (see the module docstring).

    ``betas``: the number of inverse temperatures (>= 2, evenly spaced from 0 to 1) or the
    sequence itself (strictly increasing from 0 to 1).  ``sweeps``: heat-bath sweeps per
    temperature.  ``base``: ``None`` for the zero-weight model (independent units with the
    model's biases), or the probability of each visible unit being on (e.g. :func:`base_from_data`).
    All ``n_chains`` chains run at once; :meth:`AISResult.split` cuts them into replicates.
    """
    betas, sweeps, confidence = _common(model, rng, betas, sweeps, confidence, n_chains)
    n_chains = int(n_chains)
    path = _path(model, base)
    x = path.sample_base(n_chains, rng)
    lw = np.zeros(n_chains)
    for k in range(1, betas.size):
        lw += path.log_ratio(betas[k], betas[k - 1], x)
        if k < betas.size - 1:
            for _ in range(sweeps):
                x = path.step(betas[k], x, rng)
    return AISResult(lw, path.log_z_base, "forward", int(betas.size), confidence, model_key(model))


def reverse_ais(
    model: BoltzmannMachine,
    samples,
    *,
    rng: np.random.Generator,
    betas=1000,
    sweeps: int = 1,
    base=None,
    confidence: float = 0.95,
) -> AISResult:
    """Reverse AIS: chains start from model ``samples`` and anneal back to the base.

    The weights estimate ``Z_0 / Z``; ``log Z = log Z_0 - log mean(w)`` is biased *high* (a
    stochastic upper bound) when the samples are exact (:func:`exact_samples`); approximate
    samples (long chains, or held-out data as in RAISE) make it approximate.  ``samples``:
    visible vectors when the hidden units factorise (restricted and semi-restricted models,
    or no hidden units), else full states; one chain each.
    """
    betas, sweeps, confidence = _common(model, rng, betas, sweeps, confidence)
    path = _path(model, base)
    n = model.n_visible if isinstance(path, _VisiblePath) else model.n_units
    x = check_states(samples, model.convention, name="samples")
    if x.ndim != 2 or x.shape[1] != n or x.shape[0] < 2:
        what = "visible vectors (the hidden units are summed out)" if n == model.n_visible else "full states"
        raise InputError.about(
            "samples", f"{{argument}} must be at least 2 {what}, shape (n, {n}); received shape {x.shape}"
        )
    work = _annealing_work(float(x.shape[0]) * model.n_units, betas.size, sweeps)
    name, value = _costliest(betas=int(betas.size), sweeps=sweeps)
    arguments.within(name, value, work=work, what=f"reverse AIS from {x.shape[0]} samples")
    x = np.array(x)
    lw = np.zeros(x.shape[0])
    for k in range(betas.size - 1, 0, -1):
        lw += path.log_ratio(betas[k - 1], betas[k], x)
        if k > 1:
            for _ in range(sweeps):
                x = path.step(betas[k - 1], x, rng)
    return AISResult(lw, path.log_z_base, "reverse", int(betas.size), confidence, model_key(model))


def chain_samples(model: BoltzmannMachine, start, *, rng: np.random.Generator, sweeps: int = 1000) -> np.ndarray:
    """Approximate model samples for :func:`reverse_ais` beyond enumeration: one chain per ``start``
    vector (visible vectors, e.g. training data; the hidden units of a model whose hidden units are
    coupled start uniform) run ``sweeps`` Gibbs sweeps at T = 1 along the AIS path's own moves (an
    RBM: block Gibbs, hidden given visible, visible given hidden).  Returns what :func:`reverse_ais`
    takes.  The chains are not exact samples: a reverse estimate started from them is an approximate
    upper bound (exact for long enough chains); chains started at data that have not mixed make it
    disagree with forward AIS, which is how a bias of either shows."""
    arguments.model(model)
    arguments.generator(rng)
    sweeps = arguments.integer(sweeps, "sweeps", low=0)
    v = check_states(start, model.convention, name="start")
    if v.ndim != 2 or v.shape[1] != model.n_visible or v.shape[0] < 1:
        raise InputError.about(
            "start", f"{{argument}} must be visible vectors, shape (n, {model.n_visible}); received shape {v.shape}"
        )
    work = float(sweeps) * (float(v.shape[0]) * model.n_units + STEP_OVERHEAD)  # each sweep: chains x units + overhead
    arguments.within("sweeps", sweeps, work=work, what="the chains")
    path = _path(model, None)
    x = np.array(v, dtype=np.float64)
    if isinstance(path, _FullPath):
        off, on = model.convention.values
        hidden = np.where(rng.random((x.shape[0], model.n_hidden)) < 0.5, float(on), float(off))
        x = np.hstack([x, hidden])
    for _ in range(sweeps):
        x = path.step(1.0, x, rng)
    return x


def exact_samples(model: BoltzmannMachine, n: int, *, rng: np.random.Generator) -> np.ndarray:
    """``n`` i.i.d. states from the exact distribution (enumeration, up to 24 units): visible vectors
    when the hidden units factorise (what :func:`reverse_ais` takes), else full states."""
    arguments.model(model)
    n = arguments.integer(n, "n", low=1)
    # the states (n x units floats), the drawn indices and rng.choice's uniforms and search (n each)
    arguments.within("n", n, memory=8.0 * n * (model.n_units + 3), what="the exact samples")
    arguments.generator(rng)
    exact = ExactDistribution.of(model)
    if _hidden_free(model):
        p = exact.visible_p()
        return states_from_indices(rng.choice(p.size, size=n, p=p), model.n_visible, model.convention)
    return states_from_indices(rng.choice(exact.p.size, size=n, p=exact.p), model.n_units, model.convention)


def base_from_data(data, *, convention="binary") -> np.ndarray:
    """Each visible unit's on-frequency in ``data`` (vectors in ``convention``), smoothed as
    ``(count + 1) / (N + 2)`` so that it is inside (0, 1): the usual AIS base for a trained model."""
    x = check_states(data, convention, name="data")
    if x.ndim != 2 or x.shape[0] < 1:
        raise InputError.about("data", f"{{argument}} must be a (n_vectors, n_visible) array; received {x.shape}")
    on = as_convention(convention).values[1]
    return ((x == on).sum(axis=0) + 1.0) / (x.shape[0] + 2.0)


# ------------------------------------------------------------------------------ free energy
def free_energy(model: BoltzmannMachine, visible) -> np.ndarray:
    """``F(v) = -log sum_h exp(-E(v, h))`` for each visible vector (exact).

    Hidden units not coupled to each other (RBMs, semi-restricted models) factorise:
    ``F(v) = -1/2 v^T W_vv v - b_v . v - sum_j log sum_{h_j} exp(h_j (c_j + W_vh[:, j] . v))``;
    otherwise the ``2**n_hidden`` hidden states are enumerated (up to :data:`MAX_HIDDEN`).
    """
    arguments.model(model)
    nv, nh, conv = model.n_visible, model.n_hidden, model.convention
    v = check_states(visible, conv, name="visible")
    if v.ndim == 1:
        v = v[None, :]
    if v.ndim != 2 or v.shape[1] != nv:
        raise InputError.about(
            "visible", f"{{argument}} must have shape (n, {nv}) to match n_visible = {nv}; received {v.shape}"
        )
    w, b = model.weights, model.biases
    vis = 0.5 * np.einsum("ci,ci->c", v @ w[:nv, :nv], v) + v @ b[:nv]
    if nh == 0:
        return -vis
    a = v @ w[:nv, nv:] + b[nv:]
    off, on = conv.values
    if not np.any(w[nv:, nv:]):
        return -vis - np.logaddexp(off * a, on * a).sum(axis=1)
    if nh > MAX_HIDDEN:
        raise InputError.about(
            "model",
            f"{{argument}} has {nh} mutually coupled hidden units; the free energy is summed exactly only "
            f"up to {MAX_HIDDEN} (2**n_hidden states) or when the hidden units are not coupled to each other",
        )
    h = all_states(nh, conv)
    own = 0.5 * np.einsum("ki,ki->k", h @ w[nv:, nv:], h)  # hidden-hidden term of each hidden state
    out = np.empty(v.shape[0])
    step = max(1, 2**22 // h.shape[0])
    for start in range(0, v.shape[0], step):
        out[start : start + step] = special.logsumexp(a[start : start + step] @ h.T + own, axis=1)
    return -vis - out


@dataclass(frozen=True, eq=False)
class LogLikelihood:
    """Average held-out log-likelihood ``mean(-F(v)) - log Z`` (nats per vector).

    ``stderr`` and ``ci`` carry the error of ``log Z`` alone (the data are taken as given);
    ``data_stderr`` is the standard error of the mean over vectors (the data's own sampling noise).
    """

    mean: float
    stderr: float
    ci: tuple[float, float]
    data_stderr: float
    log_z: float
    n_vectors: int

    def to_dict(self) -> dict:
        return {
            "log_likelihood": self.mean,
            "stderr": self.stderr,
            "ci_low": self.ci[0],
            "ci_high": self.ci[1],
            "data_stderr": self.data_stderr,
            "log_z": self.log_z,
            "n_vectors": self.n_vectors,
        }


def _short(value) -> str:
    """A one-line description of ``value`` for an error message (an AISResult's repr spans lines)."""
    if isinstance(value, AISResult):
        return f"<{value.direction} AISResult: log Z = {value.log_z:.6g} from {value.n_chains} chains>"
    text = repr(value)
    return text if len(text) <= 80 and "\n" not in text else f"<{type(value).__name__}>"


def log_likelihood(model: BoltzmannMachine, visible, log_z=None, *, exact_log_z=None) -> LogLikelihood:
    """Held-out log-likelihood of ``visible`` vectors (at least one): ``-F(v) - log Z`` averaged over vectors.

    ``log_z``: an :class:`AISResult` (its error bar carried over); or, instead, ``exact_log_z``: an
    exact number (:func:`bmexp.exact.log_partition`; error 0).  A bare number as ``log_z`` is refused:
    it would silently drop an estimate's error bar (pass the :class:`AISResult`, or say it is exact).
    """
    if (log_z is None) == (exact_log_z is None):
        raise InputError(
            "give log_z (an AISResult from ais or reverse_ais) or exact_log_z (an exact number), exactly one; "
            f"received log_z = {_short(log_z)}, exact_log_z = {_short(exact_log_z)}"
        )
    if exact_log_z is not None:
        lz = arguments.number(exact_log_z, "exact_log_z")
        se, low, high = 0.0, lz, lz
    elif isinstance(log_z, AISResult):
        if log_z.model_key is not None and log_z.model_key != model_key(model):
            raise InputError.about(
                "log_z",
                "{argument} (an AISResult) estimated the log Z of another model (other weights, biases or "
                "convention): estimate this model's log Z (ais or reverse_ais on it)",
            )
        lz, se, (low, high) = log_z.log_z, log_z.stderr, log_z.ci
    else:
        raise InputError.bad(
            "log_z",
            "an AISResult (from ais or reverse_ais), whose error bar is carried over; an exact log Z goes in "
            "exact_log_z=",
            log_z,
            shown=f"{log_z!r} ({type(log_z).__name__})",
        )
    v = np.asarray(visible) if not isinstance(visible, (str, bytes)) else None
    if v is not None and v.ndim >= 1 and v.shape[0] == 0:
        raise InputError.about(
            "visible",
            f"{{argument}} must hold at least one visible vector (a mean over none is undefined); "
            f"received shape {v.shape}",
        )
    neg_f = -free_energy(model, visible)
    m = float(neg_f.mean())
    data_se = float(neg_f.std(ddof=1) / math.sqrt(neg_f.size)) if neg_f.size > 1 else float("nan")
    return LogLikelihood(m - lz, se, (m - high, m - low), data_se, lz, int(neg_f.size))
