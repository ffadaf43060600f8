"""The Boltzmann machine: a frozen, validated set of weights, biases and a unit convention.

Energy of a state ``s`` (a vector over all units, visible first)::

    E(s) = -1/2 s^T W s - b^T s

with ``W`` symmetric and zero on the diagonal.  Units ``0 .. n_visible-1`` are visible,
the rest hidden.  A model never changes: conversion returns a new model.

Connectivity: which pairs of units may be coupled -- ``"full"`` (every pair, the default),
``"restricted"`` (visible-hidden pairs only: an RBM), ``"semi_restricted"`` (visible-visible
allowed too, no hidden-hidden) or an explicit symmetric boolean mask with a False diagonal.
Weights of pairs the mask excludes must be 0: a model refuses anything else, so samplers never
see a masked coupling, and :mod:`bmexp.training` masks its gradient so it never creates one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import arguments
from .conventions import Convention, as_convention, check_states, numeric_array
from .errors import InputError

__all__ = ["BoltzmannMachine", "CONNECTIVITIES", "connectivity_mask", "convert_model", "MAX_ENERGY", "SYMMETRY_RTOL"]

#: Weights count as symmetric when ``|W - W^T| <= SYMMETRY_RTOL * max(1, max|W|)``
#: element-wise; the stored matrix is then exactly symmetrised as ``(W + W^T) / 2``.
SYMMETRY_RTOL = 1e-10
#: Largest energy magnitude a model may reach (0.5 sum|W| + sum|b| bounds |E| for units in
#: [-1, 1]): beyond ~1e12 energy differences lose the precision Boltzmann probabilities need,
#: and near 1e308 they overflow to inf and NaN.
MAX_ENERGY = 1e12


#: Named connectivities (see the module docstring); "custom" names a model built from a mask.
CONNECTIVITIES = ("full", "restricted", "semi_restricted")


def connectivity_mask(connectivity, n_units: int, n_visible: int) -> tuple[str, np.ndarray]:
    """``(name, mask)`` for a named connectivity or an explicit ``(n, n)`` mask (name ``"custom"``).

    A mask must be boolean (or 0/1), symmetric, with a False diagonal: one clear error each.
    """
    n, nv = n_units, n_visible
    if isinstance(connectivity, str):
        arguments.one_of(connectivity, "connectivity", CONNECTIVITIES)
        mask = ~np.eye(n, dtype=bool)
        if connectivity != "full":
            mask[nv:, nv:] = False
        if connectivity == "restricted":
            mask[:nv, :nv] = False
        return connectivity, mask
    m = numeric_array(connectivity, "connectivity", f"one of {list(CONNECTIVITIES)} or a boolean ({n}, {n}) mask")
    if m.shape != (n, n) or not (m.dtype == bool or (np.issubdtype(m.dtype, np.number) and np.isin(m, (0, 1)).all())):
        raise InputError.about(
            "connectivity",
            f"{{argument}} must be one of {list(CONNECTIVITIES)} or a boolean ({n}, {n}) mask; received "
            + (f"shape {m.shape}" if m.shape != (n, n) else f"values other than 0/1 (dtype {m.dtype})"),
        )
    m = m.astype(bool)
    if np.any(np.diag(m)):
        i = int(np.flatnonzero(np.diag(m))[0])
        raise InputError.about(
            "connectivity",
            f"{{argument}} must have a False (zero) diagonal: no unit couples to itself; mask[{i}, {i}] = True",
        )
    if np.any(m != m.T):
        i, j = (int(k) for k in np.argwhere(m != m.T)[0])
        raise InputError.about(
            "connectivity",
            f"{{argument}} must be symmetric (a coupling is shared by both units); mask[{i}, {j}] = {bool(m[i, j])} "
            f"but mask[{j}, {i}] = {bool(m[j, i])}",
        )
    return "custom", m


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64, copy=True)
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class BoltzmannMachine:
    """A fully connected Boltzmann machine with visible and hidden units.

    Parameters
    ----------
    weights : (n, n) array
        Symmetric (within :data:`SYMMETRY_RTOL`), zero diagonal, finite.
    biases : (n,) array
        Finite.
    n_visible : int
        Number of visible units, in ``[0, n]``; they are the first ``n_visible`` units.
    convention : "binary" or "spin"
        Unit values {0, 1} or {-1, 1}.
    connectivity : "full", "restricted", "semi_restricted" or an (n, n) boolean mask
        Which pairs may be coupled (module docstring); ``weights`` must be 0 elsewhere.  Stored as
        its name (``"custom"`` for a mask) with the boolean ``mask``.
    """

    weights: np.ndarray
    biases: np.ndarray
    n_visible: int
    convention: Convention = Convention.BINARY
    connectivity: str = "full"
    unit_names: tuple[str, ...] = field(init=False)
    mask: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        conv = as_convention(self.convention)
        w = numeric_array(self.weights, "weights", "a numeric (n, n) array").astype(np.float64, copy=False)
        if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] < 1:
            raise InputError(f"weights must be a square (n, n) array with n >= 1; received shape {w.shape}")
        if not np.all(np.isfinite(w)):
            raise InputError(f"weights must be finite; received {w[~np.isfinite(w)].flat[0].item()!r}")
        n = w.shape[0]
        diag = np.diag(w)
        if np.any(diag != 0):
            i = int(np.flatnonzero(diag)[0])
            raise InputError(f"weights must have a zero diagonal; weights[{i}, {i}] = {diag[i].item()!r}")
        tol = SYMMETRY_RTOL * max(1.0, float(np.max(np.abs(w))))
        asym = np.abs(w - w.T)
        if np.any(asym > tol):
            i, j = np.unravel_index(int(np.argmax(asym)), asym.shape)
            raise InputError(
                f"weights must be symmetric within {tol:g}; weights[{i}, {j}] = {w[i, j].item()!r} "
                f"but weights[{j}, {i}] = {w[j, i].item()!r}"
            )
        b = numeric_array(self.biases, "biases", "a numeric (n,) array").astype(np.float64, copy=False)
        if b.shape != (n,):
            raise InputError(f"biases must have shape ({n},) to match weights; received shape {b.shape}")
        if not np.all(np.isfinite(b)):
            raise InputError(f"biases must be finite; received {b[~np.isfinite(b)].flat[0].item()!r}")
        nv = arguments.integer(self.n_visible, "n_visible", low=0, high=n)
        with np.errstate(over="ignore"):
            reach = 0.5 * float(np.abs(w).sum()) + float(np.abs(b).sum())
        if not reach <= MAX_ENERGY:
            raise InputError(
                f"weights and biases must keep every energy within {MAX_ENERGY:g} in magnitude "
                f"(0.5 sum|W| + sum|b|); received a model that reaches {reach:.3g}"
            )
        name, mask = connectivity_mask(self.connectivity, n, nv)
        outside = (w != 0) & ~mask
        if np.any(outside):
            i, j = (int(k) for k in np.argwhere(outside)[0])
            raise InputError(
                f"weights must be 0 where connectivity = {name!r} allows no coupling; "
                f"weights[{i}, {j}] = {w[i, j].item()!r}"
            )
        mask = mask.copy()
        mask.flags.writeable = False
        object.__setattr__(self, "connectivity", name)
        object.__setattr__(self, "mask", mask)
        object.__setattr__(self, "weights", _readonly((w + w.T) / 2.0))
        object.__setattr__(self, "biases", _readonly(b))
        object.__setattr__(self, "n_visible", int(nv))
        object.__setattr__(self, "convention", conv)
        names = tuple(f"v{i + 1}" for i in range(nv)) + tuple(f"h{i + 1}" for i in range(n - nv))
        object.__setattr__(self, "unit_names", names)

    # ------------------------------------------------------------------ sizes
    @property
    def n_units(self) -> int:
        return self.weights.shape[0]

    @property
    def n_hidden(self) -> int:
        return self.n_units - self.n_visible

    # --------------------------------------------------------------- energies
    def _states(self, states, name: str = "states") -> np.ndarray:
        s = check_states(states, self.convention, name=name)
        if s.ndim == 0 or s.shape[-1] != self.n_units:
            raise InputError(f"{name} must have last axis of length n_units = {self.n_units}; received shape {s.shape}")
        return s

    def local_fields(self, states) -> np.ndarray:
        """Local field ``W s + b`` of every unit, shape like ``states``."""
        s = self._states(states)
        return s @ self.weights + self.biases

    def energy(self, states) -> np.ndarray | float:
        """Energy ``-1/2 s^T W s - b^T s`` of one state (shape (n,)) or a batch (shape (..., n))."""
        s = self._states(states)
        e = -0.5 * np.einsum("...i,...i->...", s @ self.weights, s) - s @ self.biases
        return float(e) if np.ndim(e) == 0 else e

    def activation_gaps(self, states) -> np.ndarray:
        """``E(s with unit i off) - E(s with unit i on)`` for every unit: ``(on - off) * field_i``.

        The heat-bath rule turns unit i on with probability ``sigmoid(gap_i / T)``.
        For binary units the gap is the field, for spin units twice the field.
        """
        off, on = self.convention.values
        return (on - off) * self.local_fields(states)

    def flip_gaps(self, states) -> np.ndarray:
        """``E(s with unit i flipped) - E(s)`` for every unit, from local fields alone."""
        s = self._states(states)
        off, on = self.convention.values
        delta = (on + off) - 2.0 * s  # new value minus old value
        return -delta * (s @ self.weights + self.biases)

    # ------------------------------------------------------------ conversion
    def to(self, convention: Convention | str) -> "BoltzmannMachine":
        """The same distribution in another convention (a new model)."""
        return convert_model(self, convention)[0]

    def replace(self, **changes) -> "BoltzmannMachine":
        """A new, validated model with some fields changed (the connectivity kept unless changed)."""
        unknown = sorted(set(changes) - {"weights", "biases", "n_visible", "convention", "connectivity"})
        if unknown:
            raise InputError(
                f"{unknown[0]} is not a field of BoltzmannMachine; allowed: weights, biases, n_visible, convention, "
                "connectivity"
            )
        fields = dict(
            weights=self.weights,
            biases=self.biases,
            n_visible=self.n_visible,
            convention=self.convention,
            connectivity=self.mask if self.connectivity == "custom" else self.connectivity,
        )
        fields.update(changes)
        return BoltzmannMachine(**fields)

    def _updated(self, weights: np.ndarray, biases: np.ndarray) -> "BoltzmannMachine":
        """This model with new parameters, *not* validated: for training's intermediate mini-batch
        updates only, whose parameters are finite (checked there), exactly symmetric, masked and
        zero on the diagonal by construction (``replace`` would store the same numbers; its checks
        cost about 1 ms per update of a 64 + 64 RBM, more than the update).  Copies the arrays."""
        new = object.__new__(BoltzmannMachine)
        for name in ("n_visible", "convention", "connectivity", "unit_names", "mask"):
            object.__setattr__(new, name, getattr(self, name))
        object.__setattr__(new, "weights", _readonly(weights))
        object.__setattr__(new, "biases", _readonly(biases))
        return new

    @property
    def hidden_factorise(self) -> bool:
        """True when the connectivity couples no two hidden units (restricted, semi-restricted): the
        hidden units are then independent given the visible ones, and ``p(h | v)`` is exact per unit."""
        nv = self.n_visible
        return self.n_hidden > 0 and not np.any(self.mask[nv:, nv:])

    @classmethod
    def rbm(cls, weights, visible_biases, hidden_biases, *, convention="binary") -> "BoltzmannMachine":
        """A restricted Boltzmann machine from its ``(n_visible, n_hidden)`` weights and two bias vectors."""
        w = numeric_array(weights, "weights", "a numeric (n_visible, n_hidden) array").astype(np.float64)
        bv = numeric_array(visible_biases, "visible_biases", "a numeric (n_visible,) array").astype(np.float64)
        bh = numeric_array(hidden_biases, "hidden_biases", "a numeric (n_hidden,) array").astype(np.float64)
        bv, bh = bv.reshape(-1), bh.reshape(-1)
        if w.ndim != 2 or w.shape != (bv.size, bh.size):
            raise InputError(
                f"weights must have shape (n_visible, n_hidden) = ({bv.size}, {bh.size}) to match the biases; "
                f"received shape {w.shape}"
            )
        nv, n = bv.size, bv.size + bh.size
        full = np.zeros((n, n))
        full[:nv, nv:], full[nv:, :nv] = w, w.T
        return cls(full, np.concatenate([bv, bh]), n_visible=nv, convention=convention, connectivity="restricted")

    def to_dict(self) -> dict:
        out = {
            "weights": self.weights.tolist(),
            "biases": self.biases.tolist(),
            "n_visible": self.n_visible,
            "convention": self.convention.value,
        }
        if self.connectivity != "full":  # absent for fully connected models: their dicts are unchanged
            out["connectivity"] = self.mask.tolist() if self.connectivity == "custom" else self.connectivity
        return out

    def __repr__(self) -> str:
        return (
            f"BoltzmannMachine(n_visible={self.n_visible}, n_hidden={self.n_hidden}, "
            f"convention={self.convention.value!r}"
            + (f", connectivity={self.connectivity!r})" if self.connectivity != "full" else ")")
        )


def convert_model(model: BoltzmannMachine, convention: Convention | str) -> tuple[BoltzmannMachine, float]:
    """Convert ``model`` exactly to ``convention``.

    Returns ``(new_model, c)`` with ``model.energy(s) == new_model.energy(s') + c`` for
    every state ``s`` and its converted state ``s'``; the distributions are identical.

    binary -> spin (``x = 2 s - 1``): ``W' = W / 4``, ``b' = b / 2 + W 1 / 4``,
    ``c = -1^T W 1 / 8 - 1^T b / 2``.  spin -> binary: ``W = 4 W'``, ``b = 2 b' - 2 W' 1``,
    and ``c`` is minus the constant of the reverse conversion.
    """
    arguments.model(model)
    target = as_convention(convention)
    w, b = model.weights, model.biases
    if target is model.convention:
        return model, 0.0
    if target is Convention.SPIN:
        new_w, new_b = w / 4.0, b / 2.0 + w.sum(axis=1) / 4.0
        c = -w.sum() / 8.0 - b.sum() / 2.0
    else:
        new_w, new_b = 4.0 * w, 2.0 * b - 2.0 * w.sum(axis=1)
        c = -(-new_w.sum() / 8.0 - new_b.sum() / 2.0)
    return model.replace(weights=new_w, biases=new_b, convention=target), float(c)
