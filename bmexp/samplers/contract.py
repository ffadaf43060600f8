"""The sampler contract: what bmexp's checks call, ours or a third party's, and what a sampler
may declare about itself.

A **sampler** is any callable::

    sampler(model, *, rng, n_chains, schedule, init="random", clamp=None) -> SampleResult | ndarray

that runs ``n_chains`` independent chains of ``model`` through ``schedule`` (a
:class:`bmexp.schedules.Schedule`) and returns their final states, shape ``(n_chains, n_units)``,
in the model's convention (a :class:`SampleResult` carries them in ``.states``).  ``rng`` (a
``numpy.random.Generator``) is its only source of randomness: the same seed gives the same
states.  ``init`` is ``"random"`` (every unit on with probability 1/2), ``"off"`` or an array of
states; ``clamp`` holds units fixed (see :func:`bmexp.samplers.normalize_clamp`).
:func:`bmexp.testing.assert_sampler_api` checks all of this.

A sampler may also carry a :class:`Kernel` in its ``kernel`` attribute: which single-site update
it applies (``heat_bath`` or ``metropolis``) in which order (``sequential`` or ``random``).
Checks that compare samples with the exact output of a schedule need it (the exact output
depends on the kernel); a sampler without one is :data:`UNKNOWN_KERNEL`, and those checks then
test equilibrium only.  A sampler whose chain is more than one kernel (parallel tempering) may
also give its exact output itself: a method ``schedule_output(model, schedule)`` returning the
distribution over all states (or None when it cannot), which the schedule check then uses.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from ..errors import InputError

__all__ = [
    "HEAT_BATH_SEQUENTIAL",
    "KERNEL_RULES",
    "KERNEL_SCANS",
    "Kernel",
    "Sampler",
    "UNKNOWN_KERNEL",
    "kernel_of",
    "sampler_argument",
    "states_of",
]

#: single-site update rules with an exact transition: ``heat_bath`` sets the unit on with
#: probability ``sigmoid(gap / T)`` whatever its state (the post's flip rule, accepted with
#: ``sigmoid(-dE / T)``, is the same kernel for two-state units; so is dwave's "Gibbs");
#: ``metropolis`` flips it with probability ``min(1, exp(-dE / T))``.
KERNEL_RULES = ("heat_bath", "metropolis")
#: ``sequential``: units 0, 1, ..., n-1 once per sweep (clamped units skipped); ``random``: n
#: updates per sweep, each at a unit drawn uniformly from all n (a clamped unit drawn stays).
KERNEL_SCANS = ("sequential", "random")


@dataclass(frozen=True)
class Kernel:
    """What a sampler's Markov chain is: an update ``rule`` applied in a ``scan`` order.

    ``Kernel("unknown", "unknown")`` (:data:`UNKNOWN_KERNEL`) is a sampler that declares nothing.
    """

    rule: str
    scan: str

    def __post_init__(self) -> None:
        if (self.rule, self.scan) == ("unknown", "unknown"):
            return
        if self.rule not in KERNEL_RULES:
            raise InputError(f"kernel rule must be one of {list(KERNEL_RULES)}; received {self.rule!r}")
        if self.scan not in KERNEL_SCANS:
            raise InputError(f"kernel scan must be one of {list(KERNEL_SCANS)}; received {self.scan!r}")

    @property
    def known(self) -> bool:
        return self.rule != "unknown"

    def __str__(self) -> str:
        return f"{self.rule}/{self.scan}" if self.known else "unknown"

    def to_dict(self) -> dict:
        return {"rule": self.rule, "scan": self.scan}


UNKNOWN_KERNEL = Kernel("unknown", "unknown")
HEAT_BATH_SEQUENTIAL = Kernel("heat_bath", "sequential")


def kernel_of(sampler) -> Kernel:
    """The :class:`Kernel` a sampler declares in its ``kernel`` attribute, else :data:`UNKNOWN_KERNEL`."""
    kernel = getattr(sampler, "kernel", None)
    if kernel is None:
        return UNKNOWN_KERNEL
    if not isinstance(kernel, Kernel):
        raise InputError(f"sampler.kernel must be a bmexp.samplers.Kernel or None; received {kernel!r}")
    return kernel


@runtime_checkable
class Sampler(Protocol):
    """The call signature every check uses (see the module notes)."""

    def __call__(self, model, *, rng: np.random.Generator, n_chains: int, schedule, init="random", clamp=None): ...


def sampler_argument(sampler, name: str = "sampler"):
    """``sampler`` if it can be called as the contract calls it, else InputError naming ``name``:
    not callable, or a signature that does not take ``(model, *, rng, n_chains, schedule, init, clamp)``
    (found before any work, not as a bare TypeError from deep inside a check)."""
    if not callable(sampler):
        raise InputError.bad(
            name, "a callable sampler (see bmexp.samplers.Sampler)", sampler, shown=type(sampler).__name__
        )
    try:
        signature = inspect.signature(sampler)
    except (TypeError, ValueError):  # (a builtin or C callable: nothing to inspect)
        return sampler
    try:
        signature.bind(None, rng=None, n_chains=1, schedule=None, init="random", clamp=None)
    except TypeError as exc:
        raise InputError(
            f"{name} must be callable as sampler(model, *, rng, n_chains, schedule, init='random', clamp=None) "
            f"(bmexp.samplers.Sampler); {getattr(sampler, '__name__', type(sampler).__name__)}{signature} "
            f"does not accept that: {exc}"
        ) from None
    return sampler


def states_of(result, *, n_chains: int | None = None, n_units: int | None = None) -> np.ndarray:
    """The states a sampler returned (an array or an object with ``.states``), as floats.

    With ``n_chains`` / ``n_units`` given, the shape is checked: a sampler that returns something
    else breaks the contract, and a check must not test the wrong thing.
    """
    what = getattr(result, "states", result)
    try:
        raw = np.asarray(what)
        # text, bytes, dates, complex numbers: not unit values, even where they would parse as numbers
        numeric = raw.dtype.kind in "biuf" or (raw.dtype.kind == "O" and raw.size > 0)
        states = raw.astype(float) if numeric else None
    except (TypeError, ValueError):
        states = None
    if states is None:
        dtype = f" of dtype {raw.dtype}" if isinstance(what, np.ndarray) else ""
        raise InputError(
            "a sampler must return states (an array of numbers or an object with .states); received "
            f"{type(result).__name__}{dtype}"
        )
    if n_chains is not None and states.shape != (n_chains, n_units):
        raise InputError(
            f"a sampler must return states of shape (n_chains, n_units) = ({n_chains}, {n_units}); "
            f"received shape {states.shape}"
        )
    return states
