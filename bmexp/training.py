"""Boltzmann-machine training measured by exact KL divergence.

The Boltzmann learning rule (full batch, one update per epoch)::

    dW = eta (<s s^T>_data - <s s^T>_model) - eta * weight_decay * W   (diagonal kept 0)
    db = eta (<s>_data - <s>_model)                                     (unless biases are frozen)

Variants, by how the two expectations are estimated:

* ``annealed`` -- the post's protocol: every data vector clamped on the visible units with
  the hidden units annealed through the schedule (positive phase); ``n_negative`` free chains
  annealed from random starts (negative phase).
* ``pcd`` -- the same positive phase; the negative chains persist across epochs (annealed once,
  then ``pcd_sweeps`` sweeps at T = 1 per epoch).
* ``pt`` -- as ``pcd``, with persistent parallel-tempering chains in the negative phase (all their
  replicas persist; Desjardins et al. 2010): the ``sampler`` if it is a
  :class:`~bmexp.samplers.ParallelTempering`, else one with that sampler's declared kernel
  (R = 4, geometric ladder to T = 5).  Each epoch carries the chains on from the last one's result
  (:class:`~bmexp.samplers.pt.PTResult` as ``init``): every replica, the round trips under way and deo's
  alternation of even and odd rounds (with ``pcd_sweeps`` = 1, one round an epoch); an adaptive ladder
  is tuned once, on the first epoch's model, then frozen.  ``TrainResult.pt`` holds the negative
  phase's swap and round-trip counts (:class:`~bmexp.samplers.pt.PTDiagnostics`).
* ``exact`` -- both expectations by enumeration: the reference for small models.

Progress is measured (``measure="kl"``, up to 24 units) by the exact ``KL(p_data || p_model(v))``
and, with a teacher, ``KL(p_teacher(v) || p_model(v))``.  Beyond enumeration (``measure="pll"``,
the default past 24 units) no KL can be computed: the metrics are the pseudo-log-likelihood of
the training vectors (``pll_train``, at most :data:`METRIC_VECTORS` of them) and of held-out
vectors (``pll_heldout``) and the reconstruction error of the held-out vectors
(``reconstruction_heldout``), see :mod:`bmexp.likelihood`; the KL columns are NaN, and
:attr:`TrainResult.measured_by` says whether the pseudo-log-likelihood is exact or an estimate.
With an ``evaluation`` (:class:`bmexp.evaluation.HeldOut`, e.g. ``data=digits`` in the runner) the
held-out AIS log-likelihood columns (:data:`bmexp.evaluation.EVALUATION_COLUMNS`) are added too,
at any size.

With a connectivity that couples no two hidden units (restricted, semi-restricted: see
:mod:`bmexp.model`) the positive phase of the sampled variants is exact: the hidden units are
independent given the data vector, so their conditional means replace the annealed hidden
chains (``<v h^T>`` = ``v E[h | v]^T``; ``E[h_i h_j | v] = E[h_i | v] E[h_j | v]``); the negative
phase likewise averages ``E[h | v]`` over its chains' visible states instead of their sampled
hidden states (the same expectation, with less noise: what scikit-learn's ``BernoulliRBM`` does).  The
gradient is multiplied by the connectivity mask: a coupling the mask excludes is never learnt.

The post's ``||W - W_teacher||_F^2`` is reported too, but it
is not identifiable with hidden units (permuting or flipping hidden units changes W, not the
visible distribution).  Training that diverges (non-finite values or ``max |W| > max_weight``)
stops and is marked diverged, keeping the metrics and the model up to the last finite epoch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from . import arguments
from .data import as_convention_of, empirical_distribution
from .errors import InputError
from .evaluation import EVALUATION_COLUMNS, HeldOut
from .exact import MAX_UNITS, ExactDistribution, expectations
from .likelihood import pseudo_log_likelihood, reconstruction_error
from .model import MAX_ENERGY, BoltzmannMachine
from .samplers import GibbsSampler, ParallelTempering, kernel_of, sampler_argument, states_of
from .samplers.pt import PTDiagnostics, PTResult
from .schedules import Schedule

__all__ = [
    "VARIANTS",
    "MEASURES",
    "METRIC_VECTORS",
    "TrainResult",
    "train",
    "check_training",
    "kl_divergence",
    "conditional_table",
    "hidden_means",
    "METRIC_COLUMNS",
    "KL_COLUMNS",
    "PLL_COLUMNS",
]

VARIANTS = ("annealed", "pcd", "pt", "exact")
MEASURES = ("auto", "kl", "pll")
#: training vectors the pseudo-log-likelihood ``pll_train`` is computed on (the first ones)
METRIC_VECTORS = 200
KL_COLUMNS = ("kl_data", "kl_teacher", "kl_floor", "log_likelihood")
PLL_COLUMNS = ("pll_train", "pll_heldout", "reconstruction_heldout")
METRIC_COLUMNS = (
    "epoch",
    "kl_data",
    "kl_teacher",
    "kl_floor",
    "log_likelihood",
    "pll_train",
    "pll_heldout",
    "reconstruction_heldout",
    "w_dist_teacher_unidentifiable",
    "grad_norm",
    "max_abs_w",
    "seconds",
)


def kl_divergence(p, q) -> float:
    """``KL(p || q) = sum_{p > 0} p log(p / q)`` (infinite when q = 0 where p > 0)."""
    from .validation.gof import check_probabilities

    p, q = check_probabilities(p, "p"), check_probabilities(q, "q")
    if p.shape != q.shape:
        raise InputError(f"p and q must be distributions over the same states; received {p.size} and {q.size}")
    return _kl(p, q)


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    """:func:`kl_divergence` of arrays known to be distributions over the same states (training's metrics)."""
    m = p > 0
    with np.errstate(divide="ignore"):
        return float(np.sum(p[m] * (np.log(p[m]) - np.log(q[m]))))


@dataclass(frozen=True, eq=False)
class TrainResult:
    model: BoltzmannMachine  # the last finite model
    initial: BoltzmannMachine
    metrics: pd.DataFrame  # one row per epoch (epoch 0 = the initial model)
    diverged: bool
    reason: str
    variant: str
    eta: float
    measured_by: str = "exact KL"  # or "pseudo-log-likelihood (exact: ...)" / "(estimate: ...)"
    pt: PTDiagnostics | None = None  # variant "pt": the negative phase's swaps and round trips over every epoch

    @property
    def final(self) -> dict:
        return self.metrics.iloc[-1].to_dict()

    def epochs_to(self, threshold: float, column: str = "kl_teacher") -> int | None:
        """First epoch at which ``column`` drops below ``threshold`` (None if never)."""
        hit = self.metrics.loc[self.metrics[column] < threshold, "epoch"]
        return int(hit.iloc[0]) if len(hit) else None

    def to_dict(self) -> dict:
        return {
            "variant": self.variant,
            "eta": self.eta,
            "diverged": self.diverged,
            "reason": self.reason,
            "measured_by": self.measured_by,
            "epochs_run": int(self.metrics["epoch"].iloc[-1]),
            "final": self.final,
            "model": self.model.to_dict(),
        }


def _measure(student, measure, variant) -> str:
    """``kl`` or ``pll``: ``auto`` is ``kl`` while the model can be enumerated."""
    measure = arguments.one_of(measure, "measure", MEASURES)
    if measure == "auto":
        measure = "kl" if student.n_units <= MAX_UNITS else "pll"
    if student.n_units > MAX_UNITS:
        if measure == "kl":
            raise InputError.about(
                "measure",
                f"{{argument}} = 'kl' needs exact enumeration (n_units <= {MAX_UNITS}); the model has "
                f"{student.n_units} units: use 'pll' (pseudo-log-likelihood and reconstruction) or 'auto'",
            )
        if variant == "exact":
            raise InputError.about(
                "variant",
                f"{{argument}} = 'exact' enumerates the model (n_units <= {MAX_UNITS}); the model has "
                f"{student.n_units} units: use 'annealed' or 'pcd'",
            )
    if measure == "pll" and variant == "exact":  # its gradient uses the enumeration the KL measure makes
        raise InputError.about(
            "measure",
            "{argument} = 'pll' with variant = 'exact': the exact variant enumerates the model; "
            "measure it by 'kl' or 'auto', or train with 'annealed' or 'pcd'",
        )
    return measure


def _log_likelihood(p_emp: np.ndarray, p_v: np.ndarray) -> float:
    """The data's mean log-likelihood under ``p_v``: -inf (not a warning) when the model gives a data vector
    probability 0."""
    seen = p_emp > 0
    with np.errstate(divide="ignore"):
        return float(np.sum(p_emp[seen] * np.log(p_v[seen])))


def _check(student, teacher, eta, epochs, weight_decay, variant, n_negative, pcd_sweeps, max_weight):
    arguments.model(student, "student")
    if teacher is not None:
        arguments.model(teacher, "teacher")
        if (teacher.n_visible, teacher.n_hidden) != (student.n_visible, student.n_hidden):
            raise InputError(
                f"teacher and student must have the same units; teacher has "
                f"{teacher.n_visible} visible + {teacher.n_hidden} hidden, student "
                f"{student.n_visible} + {student.n_hidden}"
            )
    if student.n_visible < 1:
        raise InputError("student must have at least one visible unit")
    arguments.number(eta, "eta", low=0, low_open=True)
    arguments.number(weight_decay, "weight_decay", low=0)
    arguments.one_of(variant, "variant", VARIANTS)
    arguments.number(max_weight, "max_weight", low=0, low_open=True)
    largest = float(np.max(np.abs(student.weights), initial=0.0))
    if largest > max_weight:
        raise InputError.about(
            "student",
            f"{{argument}} starts beyond max_weight: its max |W| = {largest:.3g} > max_weight = {max_weight:g}, so "
            "training would stop as diverged at its first epoch; start from smaller weights or raise max_weight",
        )
    return (
        arguments.integer(epochs, "epochs", low=1),
        arguments.integer(n_negative, "n_negative", low=1),
        arguments.integer(pcd_sweeps, "pcd_sweeps", low=1),
    )


def check_training(
    student: BoltzmannMachine,
    *,
    data=None,
    p_data=None,
    teacher=None,
    variant="annealed",
    eta=0.01,
    epochs=100,
    n_negative=100,
    pcd_sweeps=1,
    weight_decay=0.0,
    max_weight=10.0,
    measure="auto",
    heldout=None,
    **_ignored,
) -> None:
    """Validate :func:`train`'s arguments without training (the CLI calls this before writing anything)."""
    _check(student, teacher, eta, epochs, weight_decay, variant, n_negative, pcd_sweeps, max_weight)
    _check_flags(**_ignored)
    measure = _measure(student, measure, variant)
    _data(student, data, p_data, variant, measure)
    _heldout(student, heldout)


def _check_flags(learn_biases=True, callback=None, **_ignored) -> None:
    """The switches a typo would silently flip: ``learn_biases`` a bool (the string "no" is true), and
    ``callback`` None or callable."""
    if not isinstance(learn_biases, (bool, np.bool_)):
        raise InputError.bad("learn_biases", "True or False", learn_biases)
    if callback is not None:
        import inspect

        try:
            takes_one = callable(callback) and (inspect.signature(callback).bind(None) is not None)
        except TypeError:  # (it cannot be called with one argument)
            takes_one = False
        except ValueError:  # (a builtin without a signature: trusted)
            takes_one = True
        if not takes_one:
            shown = getattr(callback, "__name__", type(callback).__name__) if callable(callback) else repr(callback)
            raise InputError.bad(
                "callback", "None or a function of one epoch's metrics (a dict)", callback, shown=shown
            )


def _heldout(student, heldout):
    if heldout is None:
        return None
    return as_convention_of(heldout, student.n_visible, student.convention, source="heldout")


def _data(student, data, p_data, variant, measure="kl"):
    nv = student.n_visible
    vectors = None
    if data is not None and p_data is not None:
        raise InputError("give data (visible vectors) or p_data (a distribution over visible states), not both")
    if data is not None:
        vectors = as_convention_of(data, nv, student.convention)
        if measure == "pll":  # no 2**n_visible arrays beyond enumeration
            return vectors, None, np.nan
        p_emp = empirical_distribution(vectors, student.convention)
        floor = (2**nv - 1) / (2 * len(vectors))
    elif p_data is not None:
        from .validation.gof import check_probabilities

        if measure == "pll":
            raise InputError.about("p_data", "{argument}: measure = 'pll' needs data vectors, not a distribution")
        p_emp = check_probabilities(p_data, "p_data")
        if p_emp.size != 2**nv:
            raise InputError(f"p_data must have 2**n_visible = {2**nv} entries; received {p_emp.size}")
        floor = 0.0
    else:
        raise InputError("give data (visible vectors) or p_data (a distribution over visible states)")
    if variant != "exact" and vectors is None:
        raise InputError.about("variant", f"{{argument}} = {variant!r} clamps data vectors: give data, not only p_data")
    return vectors, p_emp, floor


def train(
    student: BoltzmannMachine,
    *,
    rng: np.random.Generator,
    data=None,
    p_data=None,
    teacher: BoltzmannMachine | None = None,
    variant: str = "annealed",
    eta: float = 0.01,
    epochs: int = 100,
    schedule: Schedule | None = None,
    n_negative: int = 100,
    pcd_sweeps: int = 1,
    weight_decay: float = 0.0,
    learn_biases: bool = True,
    max_weight: float = 10.0,
    sampler: GibbsSampler | None = None,
    callback: Callable[[dict], None] | None = None,
    metrics_every: int | None = None,
    measure: str = "auto",
    heldout=None,
    evaluation: HeldOut | None = None,
    batch_size: int | None = None,
    trainer: str = "bmexp",
) -> TrainResult:
    """Train ``student`` on visible ``data`` (vectors, either convention) or an exact ``p_data``.

    ``metrics_every``: epochs between the metrics (KL: each enumerates all ``2**n`` states); the
    first and last epochs always have them, and so does every epoch the ``evaluation`` scores.
    Default: every epoch up to 16 units, every ``2**(n - 16)`` epochs beyond (at 24 units an
    enumeration costs about a second; the sampled variants' epochs cost far less), every epoch for
    ``variant="exact"`` (its gradient enumerates), every 10 epochs with ``measure="pll"``.

    ``batch_size``: ``None`` (default) makes one full-batch update per epoch; an integer makes
    the sampled variants update once per mini-batch of that many data vectors (shuffled each
    epoch by ``rng``; the persistent chains carry over between updates), as scikit-learn's
    ``BernoulliRBM`` does.

    ``evaluation`` (a :class:`HeldOut`, any size of model) adds the held-out AIS log-likelihood
    with its error bar every ``evaluation.every`` epochs (and the last; columns
    :data:`EVALUATION_COLUMNS`, NaN in the other rows); it uses its own random stream
    (``evaluation.seed``), so it does not change the training's.

    ``teacher`` (any convention; converted exactly into the student's) adds the teacher metrics.
    ``callback(row)`` is called with each epoch's metrics (progress bars, tracking).
    ``max_weight`` bounds ``|W|``: past 10 a unit's field can exceed 10, its flip probability
    falls below e^-10 ~ 5e-5, the chains freeze and the sampled gradient means nothing.

    ``trainer="sklearn"`` (a restricted ``student``, ``variant="pcd"``, data vectors) fits
    scikit-learn's ``BernoulliRBM`` instead, with the same hidden units, ``eta``, ``epochs`` and
    ``batch_size`` (:func:`bmexp.adapters.sklearn.fit_bernoulli_rbm`; its own start and chains), and
    measures the fitted model exactly as bmexp's own: the same metrics at epoch 0 (``student``) and
    at the last epoch, where ``seconds`` includes the fit.

    ``measure``: ``"kl"`` (exact KL; n <= 24), ``"pll"`` (pseudo-log-likelihood and reconstruction
    error, any n; the module docstring) or ``"auto"`` (KL while enumerable).  ``heldout``: visible
    vectors not trained on, for ``pll_heldout`` and ``reconstruction_heldout`` (NaN without them).
    With ``"pll"`` the metrics' randomness comes from a generator drawn once from ``rng``; their
    default interval is every 10 epochs.
    """
    epochs, n_negative, pcd_sweeps = _check(
        student, teacher, eta, epochs, weight_decay, variant, n_negative, pcd_sweeps, max_weight
    )
    _check_flags(learn_biases, callback)
    if not isinstance(rng, np.random.Generator):
        raise InputError(f"rng must be a numpy.random.Generator; received {type(rng).__name__}")
    conv = student.convention
    nv, nh, n = student.n_visible, student.n_hidden, student.n_units
    measure = _measure(student, measure, variant)
    vectors, p_emp, floor = _data(student, data, p_data, variant, measure)
    heldout = _heldout(student, heldout)
    teacher = teacher.to(conv) if teacher is not None else None
    p_teacher = ExactDistribution.of(teacher).visible_p() if teacher is not None and measure == "kl" else None
    schedule = schedule or Schedule.post()
    sampler = GibbsSampler() if sampler is None else sampler_argument(sampler)
    negative_pt = sampler if callable(getattr(sampler, "temperatures", None)) else None  # PT (or wrapped PT)
    if variant == "pcd" and negative_pt is not None and trainer == "bmexp":  # (sklearn draws its own chains)
        raise InputError(
            f"sampler = {type(sampler).__name__} (parallel tempering) with variant = 'pcd': pcd's persistent "
            "chains keep only the T = 1 replica, so the ladder would restart every epoch; use variant = 'pt' "
            "(persistent parallel tempering with this sampler), or variant = 'pcd' with a single-temperature sampler"
        )
    if variant == "pt" and negative_pt is None:
        kernel = kernel_of(sampler)
        negative_pt = ParallelTempering(**({"rule": kernel.rule, "scan": kernel.scan} if kernel.known else {}))
    w, b = np.array(student.weights), np.array(student.biases)
    model = student
    eval_rng = np.random.default_rng(evaluation.seed) if evaluation is not None else None
    rows, persistent = [], None
    pt_counts = PTDiagnostics() if variant == "pt" else None
    diverged, reason = False, "completed all epochs"
    t0 = time.perf_counter()

    metric_rng = np.random.default_rng(rng.integers(2**63)) if measure == "pll" else None
    measured_by = ["exact KL"]

    def measured(model):
        """The KL columns (and the enumeration, reused by the exact variant) or the PLL columns."""
        if measure == "pll":
            kw = dict(rng=metric_rng, schedule=schedule, sampler=sampler)
            pll = pseudo_log_likelihood(model, vectors[:METRIC_VECTORS], **kw)
            measured_by[0] = f"pseudo-log-likelihood ({'exact: ' if pll.exact else ''}{pll.method})"
            held = (np.nan, np.nan)
            if heldout is not None:
                held = (pseudo_log_likelihood(model, heldout, **kw).value, reconstruction_error(model, heldout, **kw))
            values = {"pll_train": pll.value, "pll_heldout": held[0], "reconstruction_heldout": held[1]}
            return {**dict.fromkeys(KL_COLUMNS, np.nan), **values}, None
        exact = ExactDistribution.of(model)
        p_v = exact.visible_p()
        values = {
            "kl_data": _kl(p_emp, p_v),
            "kl_teacher": _kl(p_teacher, p_v) if p_teacher is not None else np.nan,
            "kl_floor": floor,
            "log_likelihood": _log_likelihood(p_emp, p_v),
        }
        return {**values, **dict.fromkeys(PLL_COLUMNS, np.nan)}, exact

    optional = {"kl_teacher", "w_dist_teacher_unidentifiable", *EVALUATION_COLUMNS}
    optional |= set(KL_COLUMNS if measure == "pll" else PLL_COLUMNS)
    if heldout is None:
        optional |= {"pll_heldout", "reconstruction_heldout"}

    def metrics(epoch, model, grad_norm):
        values, exact = measured(model)
        row = {
            "epoch": epoch,
            **values,
            "w_dist_teacher_unidentifiable": float(np.sum((model.weights - teacher.weights) ** 2))
            if teacher is not None
            else np.nan,
            "grad_norm": grad_norm,
            "max_abs_w": float(np.max(np.abs(model.weights))),
            "seconds": time.perf_counter() - t0,
        }
        return row | held_out_metrics(epoch, model), exact

    def held_out_metrics(epoch, model):
        if evaluation is None:
            return {}
        if epoch % evaluation.every and epoch != epochs:
            return dict.fromkeys(EVALUATION_COLUMNS, np.nan)
        return evaluation(model, rng=eval_rng, data=vectors)

    if metrics_every is None:
        metrics_every = 10 if measure == "pll" else 1 if variant == "exact" or n <= 16 else 2 ** (n - 16)
    metrics_every = arguments.integer(metrics_every, "metrics_every", low=1)
    if batch_size is not None:
        batch_size = arguments.integer(batch_size, "batch_size", low=1)
    row, exact = metrics(0, model, np.nan)
    rows.append(row)
    if callback:
        callback(row)
    if arguments.one_of(trainer, "trainer", ("bmexp", "sklearn")) == "sklearn":
        from .adapters.sklearn import fit_bernoulli_rbm

        if student.connectivity != "restricted" or not nh or variant != "pcd" or vectors is None:
            raise InputError.about(
                "trainer", "{argument} = 'sklearn' needs a restricted student, variant = 'pcd' and data vectors"
            )

        fitted = fit_bernoulli_rbm(vectors, nh, eta=eta, epochs=epochs, batch_size=batch_size, rng=rng).to(conv)
        model = student.replace(weights=fitted.weights, biases=fitted.biases)
        row, _ = metrics(epochs, model, np.nan)
        rows.append(row)
        if callback:
            callback(row)
    for epoch in range(1, epochs + 1 if trainer == "bmexp" else 1):
        batches = [vectors] if batch_size is None or variant == "exact" else _batches(vectors, batch_size, rng)
        for k, batch in enumerate(batches):
            # ---------------------------------------------------------------- phases
            if variant == "exact":
                joint = exact.p.reshape(2**nv, 2**nh)
                q = (p_emp[:, None] * joint / joint.sum(axis=1, keepdims=True)).reshape(-1)
                pos1, pos2 = expectations(q, n, conv)
                neg1, neg2 = exact.moments()
            else:
                if model.hidden_factorise:  # exact p(h | v): the hidden units' conditional means
                    pos = hidden_means(model, batch)
                elif nh:
                    clamp = {i: batch[:, i] for i in range(nv)}  # the contract's mapping form, one value per chain
                    pos = states_of(
                        sampler(model, rng=rng, n_chains=len(batch), schedule=schedule, clamp=clamp),
                        n_chains=len(batch),
                        n_units=model.n_units,
                    )
                else:
                    pos = batch
                pos1, pos2 = pos.mean(axis=0), pos.T @ pos / len(pos)
                if variant == "pt":  # persistent parallel-tempering chains: every replica carries on
                    result = negative_pt(
                        model,
                        rng=rng,
                        n_chains=n_negative,
                        schedule=schedule if persistent is None else Schedule.constant(pcd_sweeps),
                        init="random" if persistent is None else persistent,
                    )
                    pt_counts.add(result)
                    neg = np.asarray(result.states)
                    # bmexp's PT carries its chains on from its result (replicas, round trips, deo's parity, the
                    # tuned ladder); another PT-like sampler gets its replicas
                    persistent = result if isinstance(result, PTResult) else np.array(result.replica_states)
                elif variant == "annealed" or persistent is None:
                    neg = states_of(
                        sampler(model, rng=rng, n_chains=n_negative, schedule=schedule),
                        n_chains=n_negative,
                        n_units=model.n_units,
                    )
                else:
                    neg = states_of(
                        sampler(
                            model, rng=rng, n_chains=n_negative, schedule=Schedule.constant(pcd_sweeps), init=persistent
                        ),
                        n_chains=n_negative,
                        n_units=model.n_units,
                    )
                if variant != "pt":
                    persistent = np.array(neg)
                if model.hidden_factorise:  # Rao-Blackwellised: the hidden units' exact means given each chain's v
                    neg = hidden_means(model, neg[:, :nv])
                neg1, neg2 = neg.mean(axis=0), neg.T @ neg / len(neg)
            # ---------------------------------------------------------------- update
            g_w = pos2 - neg2
            g_w = 0.5 * (g_w + g_w.T) * student.mask  # masked couplings (and the diagonal) never learn
            g_b = (pos1 - neg1) if learn_biases else np.zeros(n)
            new_w = w + eta * g_w - eta * weight_decay * w
            new_b = b + eta * g_b
            grad_norm = float(np.sqrt(np.sum(g_w**2) + np.sum(g_b**2)))
            if not (np.all(np.isfinite(new_w)) and np.all(np.isfinite(new_b))):
                diverged, reason = True, f"non-finite parameters at epoch {epoch}"
                break
            if np.max(np.abs(new_w)) > max_weight:
                diverged, reason = (
                    True,
                    f"max |W| = {np.max(np.abs(new_w)):.3g} > max_weight = {max_weight:g} at epoch {epoch}",
                )
                break
            reach = 0.5 * float(np.abs(new_w).sum()) + float(np.abs(new_b).sum())
            if reach > MAX_ENERGY:  # (a model refuses it: with a large max_weight, the job failed here)
                diverged, reason = True, f"energies reach {reach:.3g} > {MAX_ENERGY:g} at epoch {epoch}"
                break
            if k < len(batches) - 1:  # not the epoch's last update: no metrics for it
                w, b, model = new_w, new_b, model._updated(new_w, new_b)  # finite, symmetric by construction
        if diverged:
            break
        candidate = model.replace(weights=new_w, biases=new_b)
        evaluated = evaluation is not None and epoch % evaluation.every == 0
        if epoch % metrics_every and epoch != epochs and not evaluated:
            w, b, model = new_w, new_b, candidate  # no exact metrics this epoch (the exact variant has every one)
            continue
        row, cand_exact = metrics(epoch, candidate, grad_norm)
        if not all(
            np.isfinite(v) for k, v in row.items() if k not in optional and not (k == "grad_norm" and epoch == 0)
        ):
            diverged, reason = True, f"non-finite metrics at epoch {epoch}"
            break
        w, b, model, exact = new_w, new_b, candidate, cand_exact
        rows.append(row)
        if callback:
            callback(row)
    table = pd.DataFrame(rows, columns=list(METRIC_COLUMNS) + (list(EVALUATION_COLUMNS) if evaluation else []))
    return TrainResult(
        model=model,
        initial=student,
        metrics=table,
        diverged=diverged,
        reason=reason,
        variant=variant if trainer == "bmexp" else "sklearn BernoulliRBM (pcd)",
        eta=float(eta),
        measured_by=measured_by[0],
        pt=pt_counts,
    )


def _batches(vectors: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    order = rng.permutation(len(vectors))
    return [vectors[order[i : i + batch_size]] for i in range(0, len(vectors), batch_size)]


def hidden_means(model: BoltzmannMachine, vectors: np.ndarray) -> np.ndarray:
    """``(v, E[h | v])`` for each visible vector (rows), when no two hidden units are coupled:
    ``E[h_j | v] = off + (on - off) sigmoid((on - off) a_j)`` with the field ``a = v W_vh + c``."""
    from scipy.special import expit

    nv = model.n_visible
    off, on = model.convention.values
    a = vectors @ model.weights[:nv, nv:] + model.biases[nv:]
    return np.hstack([vectors, off + (on - off) * expit((on - off) * a)])


def conditional_table(models: dict[str, BoltzmannMachine], hidden=None) -> pd.DataFrame:
    """``p(v | h)`` (default: every hidden unit on) and ``p(v)`` of several models, side by side (models of
    the same numbers of visible and hidden units)."""
    if not isinstance(models, Mapping) or not models:
        raise InputError.bad(
            "models", "a non-empty mapping name -> BoltzmannMachine", models, shown=type(models).__name__
        )
    for name, m in models.items():
        arguments.model(m, f"models[{name!r}]")
    first = next(iter(models.values()))
    for name, m in models.items():
        if (m.n_visible, m.n_hidden) != (first.n_visible, first.n_hidden):
            raise InputError(
                f"models must have the same units to be shown side by side; models[{name!r}] has "
                f"{m.n_visible} visible and {m.n_hidden} hidden, the first {first.n_visible} and {first.n_hidden}"
            )
    out = None
    for name, m in models.items():
        exact = ExactDistribution.of(m)
        on = m.convention.values[1]
        h = [on] * m.n_hidden if hidden is None else hidden
        try:
            cond = exact.p_visible_given_hidden(h) if m.n_hidden else exact.visible_marginal()
        except InputError as exc:  # (its argument is called h there)
            raise (exc.renamed("hidden") if exc.argument == "h" else exc) from None
        if out is None:
            out = cond.drop(columns="p").copy()
        out[f"p(v|h) {name}"] = cond["p"].to_numpy()
        out[f"p(v) {name}"] = exact.visible_p()
    out = out.iloc[::-1].reset_index(drop=True)
    out.attrs["hidden"] = hidden if hidden is not None else [first.convention.values[1]] * first.n_hidden
    return out
