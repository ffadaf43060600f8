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
  (R = 4, geometric ladder to T = 5).  An adaptive ladder is re-tuned every epoch (its cost).
* ``exact`` -- both expectations by enumeration: the reference for small models.

Progress is measured by the exact ``KL(p_data || p_model(v))`` and, with a teacher,
``KL(p_teacher(v) || p_model(v))``.  The post's ``||W - W_teacher||_F^2`` is reported too, but it
is not identifiable with hidden units (permuting or flipping hidden units changes W, not the
visible distribution).  Training that diverges (non-finite values or ``max |W| > max_weight``)
stops and is marked diverged, keeping the metrics and the model up to the last finite epoch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from . import arguments
from .data import as_convention_of, empirical_distribution
from .errors import InputError
from .exact import ExactDistribution, expectations
from .model import BoltzmannMachine
from .samplers import GibbsSampler, ParallelTempering, kernel_of, states_of
from .schedules import Schedule

__all__ = ["VARIANTS", "TrainResult", "train", "check_training", "kl_divergence", "conditional_table", "METRIC_COLUMNS"]

VARIANTS = ("annealed", "pcd", "pt", "exact")
METRIC_COLUMNS = (
    "epoch",
    "kl_data",
    "kl_teacher",
    "kl_floor",
    "log_likelihood",
    "w_dist_teacher_unidentifiable",
    "grad_norm",
    "max_abs_w",
    "seconds",
)


def kl_divergence(p, q) -> float:
    """``KL(p || q) = sum_{p > 0} p log(p / q)`` (infinite when q = 0 where p > 0)."""
    p, q = np.asarray(p, float), np.asarray(q, float)
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
            "epochs_run": int(self.metrics["epoch"].iloc[-1]),
            "final": self.final,
            "model": self.model.to_dict(),
        }


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
    **_ignored,
) -> None:
    """Validate :func:`train`'s arguments without training (the CLI calls this before writing anything)."""
    _check(student, teacher, eta, epochs, weight_decay, variant, n_negative, pcd_sweeps, max_weight)
    _data(student, data, p_data, variant)


def _data(student, data, p_data, variant):
    nv = student.n_visible
    vectors = None
    if data is not None:
        vectors = as_convention_of(data, nv, student.convention)
        p_emp = empirical_distribution(vectors, student.convention)
        floor = (2**nv - 1) / (2 * len(vectors))
    elif p_data is not None:
        from .validation.gof import check_probabilities

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
) -> TrainResult:
    """Train ``student`` on visible ``data`` (vectors, either convention) or an exact ``p_data``.

    ``metrics_every``: epochs between the exact metrics (each enumerates all ``2**n`` states); the
    first and last epochs always have them.  Default: every epoch up to 16 units, every
    ``2**(n - 16)`` epochs beyond (at 24 units an enumeration costs about a second; the sampled
    variants' epochs cost far less), every epoch for ``variant="exact"`` (its gradient enumerates).

    ``teacher`` (any convention; converted exactly into the student's) adds the teacher metrics.
    ``callback(row)`` is called with each epoch's metrics (progress bars, tracking).
    ``max_weight`` bounds ``|W|``: past 10 a unit's field can exceed 10, its flip probability
    falls below e^-10 ~ 5e-5, the chains freeze and the sampled gradient means nothing.
    """
    epochs, n_negative, pcd_sweeps = _check(
        student, teacher, eta, epochs, weight_decay, variant, n_negative, pcd_sweeps, max_weight
    )
    if not isinstance(rng, np.random.Generator):
        raise InputError(f"rng must be a numpy.random.Generator; received {type(rng).__name__}")
    conv = student.convention
    nv, nh, n = student.n_visible, student.n_hidden, student.n_units
    vectors, p_emp, floor = _data(student, data, p_data, variant)
    teacher = teacher.to(conv) if teacher is not None else None
    p_teacher = ExactDistribution.of(teacher).visible_p() if teacher is not None else None
    schedule = schedule or Schedule.post()
    sampler = sampler or GibbsSampler()
    negative_pt = sampler if callable(getattr(sampler, "temperatures", None)) else None  # PT (or wrapped PT)
    if variant == "pt" and negative_pt is None:
        kernel = kernel_of(sampler)
        negative_pt = ParallelTempering(**({"rule": kernel.rule, "scan": kernel.scan} if kernel.known else {}))
    w, b = np.array(student.weights), np.array(student.biases)
    model = student
    rows, persistent = [], None
    diverged, reason = False, "completed all epochs"
    t0 = time.perf_counter()

    def metrics(epoch, model, grad_norm):
        exact = ExactDistribution.of(model)
        p_v = exact.visible_p()
        row = {
            "epoch": epoch,
            "kl_data": kl_divergence(p_emp, p_v),
            "kl_teacher": kl_divergence(p_teacher, p_v) if p_teacher is not None else np.nan,
            "kl_floor": floor,
            "log_likelihood": float(np.sum(p_emp[p_emp > 0] * np.log(p_v[p_emp > 0]))),
            "w_dist_teacher_unidentifiable": float(np.sum((model.weights - teacher.weights) ** 2))
            if teacher is not None
            else np.nan,
            "grad_norm": grad_norm,
            "max_abs_w": float(np.max(np.abs(model.weights))),
            "seconds": time.perf_counter() - t0,
        }
        return row, exact

    if metrics_every is None:
        metrics_every = 1 if variant == "exact" or n <= 16 else 2 ** (n - 16)
    metrics_every = arguments.integer(metrics_every, "metrics_every", low=1)
    row, exact = metrics(0, model, np.nan)
    rows.append(row)
    if callback:
        callback(row)
    for epoch in range(1, epochs + 1):
        # ---------------------------------------------------------------- phases
        if variant == "exact":
            joint = exact.p.reshape(2**nv, 2**nh)
            q = (p_emp[:, None] * joint / joint.sum(axis=1, keepdims=True)).reshape(-1)
            pos1, pos2 = expectations(q, n, conv)
            neg1, neg2 = exact.moments()
        else:
            if nh:
                clamp = {i: vectors[:, i] for i in range(nv)}  # the contract's mapping form, one value per chain
                pos = states_of(
                    sampler(model, rng=rng, n_chains=len(vectors), schedule=schedule, clamp=clamp),
                    n_chains=len(vectors),
                    n_units=model.n_units,
                )
            else:
                pos = vectors
            pos1, pos2 = pos.mean(axis=0), pos.T @ pos / len(pos)
            if variant == "pt":
                result = negative_pt(
                    model,
                    rng=rng,
                    n_chains=n_negative,
                    schedule=schedule if persistent is None else Schedule.constant(pcd_sweeps),
                    init="random" if persistent is None else persistent,
                )
                neg, persistent = np.asarray(result.states), np.array(result.replica_states)
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
            neg1, neg2 = neg.mean(axis=0), neg.T @ neg / len(neg)
        # ---------------------------------------------------------------- update
        g_w = pos2 - neg2
        g_w = 0.5 * (g_w + g_w.T)
        np.fill_diagonal(g_w, 0.0)
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
        candidate = model.replace(weights=new_w, biases=new_b)
        if epoch % metrics_every and epoch != epochs:
            w, b, model = new_w, new_b, candidate  # no exact metrics this epoch (the exact variant has every one)
            continue
        row, cand_exact = metrics(epoch, candidate, grad_norm)
        if not all(
            np.isfinite(v)
            for k, v in row.items()
            if k not in ("kl_teacher", "w_dist_teacher_unidentifiable") and not (k == "grad_norm" and epoch == 0)
        ):
            diverged, reason = True, f"non-finite metrics at epoch {epoch}"
            break
        w, b, model, exact = new_w, new_b, candidate, cand_exact
        rows.append(row)
        if callback:
            callback(row)
    table = pd.DataFrame(rows, columns=list(METRIC_COLUMNS))
    return TrainResult(
        model=model, initial=student, metrics=table, diverged=diverged, reason=reason, variant=variant, eta=float(eta)
    )


def conditional_table(models: dict[str, BoltzmannMachine], hidden=None) -> pd.DataFrame:
    """``p(v | h)`` (default: every hidden unit on) and ``p(v)`` of several models, side by side."""
    first = next(iter(models.values()))
    out = None
    for name, m in models.items():
        exact = ExactDistribution.of(m)
        on = m.convention.values[1]
        h = [on] * m.n_hidden if hidden is None else hidden
        cond = exact.p_visible_given_hidden(h) if m.n_hidden else exact.visible_marginal()
        if out is None:
            out = cond.drop(columns="p").copy()
        out[f"p(v|h) {name}"] = cond["p"].to_numpy()
        out[f"p(v) {name}"] = exact.visible_p()
    out = out.iloc[::-1].reset_index(drop=True)
    out.attrs["hidden"] = hidden if hidden is not None else [first.convention.values[1]] * first.n_hidden
    return out
