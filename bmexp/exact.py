"""Exact enumeration of small Boltzmann machines.

All ``2**n`` states are visited in the bit order of :mod:`bmexp.states` without ever
materialising the ``(2**n, n)`` state array: the units are split into a high block and
a low block of at most ``block_bits`` units, the low block's energies are tabulated
once, and each batch of high states adds its own energy and the cross term
``s_H^T W_HL s_L`` with one matrix product.  Memory is the ``2**n`` energy and
probability vectors plus ``O(2**block_bits)`` work space: at ``n = 24`` about 0.4 GB.

Time grows as ``2**n``: measured here (benchmarks/exact.py) about 0.03 s at ``n = 20`` and 0.3-0.6 s at 24.
Models above ``max_units`` (default :data:`MAX_UNITS`) are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from . import arguments
from .conventions import Convention, check_states
from .errors import InputError
from .model import BoltzmannMachine
from .states import MAX_INDEX_UNITS, all_states, states_from_indices

__all__ = [
    "MAX_UNITS",
    "ExactDistribution",
    "boltzmann",
    "check_enumerable",
    "energies",
    "log_partition",
    "expectations",
]

#: Default largest model that exact enumeration accepts.
MAX_UNITS = 24


def check_enumerable(model: BoltzmannMachine, max_units: int = MAX_UNITS) -> None:
    """Raise InputError unless ``model`` is small enough to enumerate."""
    if not isinstance(model, BoltzmannMachine):
        raise InputError(f"model must be a BoltzmannMachine; received {type(model).__name__}")
    max_units = arguments.integer(max_units, "max_units", low=1, high=MAX_INDEX_UNITS)
    if model.n_units > max_units:
        raise InputError(
            f"model has n_units = {model.n_units} but exact enumeration is limited to "
            f"max_units = {max_units} (2**n states); pass a larger max_units to allow it"
        )


def energies(model: BoltzmannMachine, *, max_units: int = MAX_UNITS, block_bits: int = 14) -> np.ndarray:
    """Energies of all ``2**n`` states, in index order (see :mod:`bmexp.states`)."""
    check_enumerable(model, max_units)
    block_bits = arguments.integer(block_bits, "block_bits", low=1, high=24)
    n = model.n_units
    m = min(n, block_bits)  # low block: the last m units
    h = n - m
    w, b, conv = model.weights, model.biases, model.convention
    lo = all_states(m, conv)  # (2**m, m)
    w_ll, b_l = w[h:, h:], b[h:]
    e_lo = -0.5 * np.einsum("ki,ki->k", lo @ w_ll, lo) - lo @ b_l
    if h == 0:
        return e_lo
    w_hh, w_hl, b_h = w[:h, :h], w[:h, h:], b[:h]
    out = np.empty(2**n)
    n_hi = 2**h
    batch = max(1, min(n_hi, 2**20 // 2**m))
    for start in range(0, n_hi, batch):
        stop = min(n_hi, start + batch)
        hi = states_from_indices(np.arange(start, stop), h, conv)  # (B, h)
        e_hi = -0.5 * np.einsum("ki,ki->k", hi @ w_hh, hi) - hi @ b_h
        block = e_hi[:, None] + e_lo[None, :] - (hi @ w_hl) @ lo.T  # (B, 2**m)
        out[start * 2**m : stop * 2**m] = block.ravel()
    return out


def _log_z(e: np.ndarray, chunk: int = 2**16) -> float:
    """``logsumexp(-e)`` in chunks, without a full-size temporary."""
    shift = -float(e.min())
    total = 0.0
    for start in range(0, e.size, chunk):
        total += float(np.exp(-e[start : start + chunk] - shift).sum())
    return shift + float(np.log(total))


def boltzmann(energies_: np.ndarray) -> tuple[float, np.ndarray]:
    """``(log Z, p)`` for a vector of energies: ``p = exp(-E - log Z)``, without overflow."""
    e = np.asarray(energies_, dtype=np.float64)
    log_z = _log_z(e)
    p = np.negative(e)
    p -= log_z
    np.exp(p, out=p)
    return log_z, p


def log_partition(model: BoltzmannMachine, *, max_units: int = MAX_UNITS) -> float:
    """``log Z = log sum_s exp(-E(s))`` by a (chunked) logsumexp over all states."""
    return _log_z(energies(model, max_units=max_units))


def expectations(probs, n_units: int, convention: Convention | str, *, chunk: int = 2**14):
    """``(<s_i>, <s_i s_j>)`` under a distribution ``probs`` over all ``2**n_units`` states.

    Computed in chunks of states so that memory stays ``O(chunk * n)``.
    """
    n_units = arguments.integer(n_units, "n_units", low=1, high=MAX_INDEX_UNITS)
    chunk = arguments.integer(chunk, "chunk", low=1)
    from .validation.gof import check_probabilities

    p = check_probabilities(probs, "probs")
    if p.shape != (2**n_units,):
        raise InputError(f"probs must have shape ({2**n_units},) for n_units = {n_units}; received {p.shape}")
    mean = np.zeros(n_units)
    second = np.zeros((n_units, n_units))
    for start in range(0, p.size, chunk):
        s = states_from_indices(np.arange(start, min(p.size, start + chunk)), n_units, convention)
        ps = p[start : start + chunk]
        mean += ps @ s
        second += s.T @ (ps[:, None] * s)
    return mean, second


@dataclass(frozen=True, eq=False)
class ExactDistribution:
    """The exact Boltzmann distribution of a model, by enumeration.

    Build with :meth:`of`.  ``energies`` and ``p`` are read-only vectors over all states in
    index order; every table is computed from them.
    """

    model: BoltzmannMachine
    energies: np.ndarray
    log_z: float
    p: np.ndarray

    @classmethod
    def of(cls, model: BoltzmannMachine, *, max_units: int = MAX_UNITS) -> "ExactDistribution":
        e = energies(model, max_units=max_units)
        log_z, p = boltzmann(e)
        e.flags.writeable = False
        p.flags.writeable = False
        return cls(model=model, energies=e, log_z=log_z, p=p)

    # ------------------------------------------------------------- basics
    @property
    def n_units(self) -> int:
        return self.model.n_units

    @property
    def z(self) -> float:
        with np.errstate(over="ignore"):  # inf beyond float64, as the table shows it, without a warning
            return float(np.exp(self.log_z))

    def _units(self, units: Iterable[int | str], name: str = "units") -> list[int]:
        names = self.model.unit_names
        out = []
        for u in units:
            if isinstance(u, str):
                if u not in names:
                    raise InputError.about(name, f"{{argument}} must name units among {list(names)}; received {u!r}")
                out.append(names.index(u))
            elif isinstance(u, (int, np.integer)) and not isinstance(u, bool) and 0 <= u < self.n_units:
                out.append(int(u))
            else:
                raise InputError.about(
                    name, f"{{argument}} must be unit indices in [0, {self.n_units}) or names; received {u!r}"
                )
        if len(set(out)) != len(out):
            raise InputError.about(name, f"{{argument}} must not repeat a unit; received {list(units)!r}")
        return out

    def _frame(
        self, units: list[int], probs: np.ndarray, extra: Mapping[str, np.ndarray] | None = None, top: int | None = None
    ):
        """Rows for every state (index order), or only the ``top`` most probable (by ``probs``)."""
        rows = np.arange(probs.size)
        if top is not None and top < probs.size:
            rows = np.sort(np.argpartition(-probs, top - 1)[:top])  # no (2**n, n) array for the rest
        states = states_from_indices(rows, len(units), self.model.convention)
        cols = {self.model.unit_names[u]: states[:, k].astype(np.int8) for k, u in enumerate(units)}
        cols.update({k: v[rows] for k, v in (extra or {}).items()})
        cols["p"] = probs[rows]
        df = pd.DataFrame(cols, index=pd.Index(rows, name="state"))
        return df

    # ------------------------------------------------------------- joint
    def table(self, top: int | None = None) -> pd.DataFrame:
        """Every state with its unit values, ``-E``, ``exp(-E)`` and ``p``, in index order (or only
        the ``top`` most probable states: at 24 units the whole table is 16 million rows, 3 GB)."""
        with np.errstate(over="ignore"):
            boltz = np.exp(-self.energies)
        return self._frame(list(range(self.n_units)), self.p, {"-E": -self.energies, "exp(-E)": boltz}, top=top)

    # --------------------------------------------------------- marginals
    def marginal_p(self, units: Iterable[int | str]) -> np.ndarray:
        """Marginal probabilities of ``units`` (in the order given), indexed like a state of them."""
        idx = self._units(units)
        cube = self.p.reshape((2,) * self.n_units)
        drop = tuple(i for i in range(self.n_units) if i not in idx)
        kept = sorted(idx)
        marg = cube.sum(axis=drop) if drop else cube
        marg = np.transpose(marg, [kept.index(u) for u in idx]) if idx else marg
        return np.ascontiguousarray(marg).reshape(-1)

    def marginal(self, units: Iterable[int | str]) -> pd.DataFrame:
        idx = self._units(units)
        return self._frame(idx, self.marginal_p(idx))

    def visible_p(self) -> np.ndarray:
        """``p(v)`` over the ``2**n_visible`` visible states."""
        nv, nh = self.model.n_visible, self.model.n_hidden
        return self.p.reshape(2**nv, 2**nh).sum(axis=1)

    def visible_marginal(self) -> pd.DataFrame:
        return self._frame(list(range(self.model.n_visible)), self.visible_p())

    # ------------------------------------------------------ conditionals
    def _clamp(self, clamp: Mapping[int | str, float]) -> tuple[list[int], np.ndarray]:
        if not isinstance(clamp, Mapping):
            raise InputError(f"clamp must be a mapping unit -> value; received {clamp!r}")
        idx = self._units(clamp.keys(), name="clamp")
        vals = check_states(np.array(list(clamp.values()), dtype=float), self.model.convention, name="clamp values")
        return idx, vals

    def conditional_p(self, clamp: Mapping[int | str, float]) -> np.ndarray:
        """``p(free units | clamped units = values)`` over the free units' states (free units in order)."""
        idx, vals = self._clamp(clamp)
        on = self.model.convention.values[1]
        cube = self.p.reshape((2,) * self.n_units)
        sel = [slice(None)] * self.n_units
        for u, v in zip(idx, vals):
            sel[u] = int(v == on)
        sub = cube[tuple(sel)].reshape(-1)
        total = sub.sum()
        if not total > 0:
            raise InputError(f"clamp {dict(clamp)!r} has probability 0 (underflow); cannot condition on it")
        return sub / total

    def conditional(self, clamp: Mapping[int | str, float]) -> pd.DataFrame:
        """Table of ``p(free | clamp)`` with the free units' values."""
        idx, _ = self._clamp(clamp)
        free = [u for u in range(self.n_units) if u not in idx]
        return self._frame(free, self.conditional_p(clamp))

    def block_clamp(self, values, start: int, count: int, name: str) -> dict[int, float]:
        """``{start + k: values[k]}`` for a block of ``count`` units, checked against the convention."""
        vals = check_states(np.asarray(values, dtype=float).reshape(-1), self.model.convention, name=name)
        if vals.shape != (count,):
            raise InputError.about(
                name, f"{{argument}} must have {count} values; received {np.asarray(values).tolist()!r}"
            )
        return {start + k: v for k, v in enumerate(vals)}

    def p_visible_given_hidden(self, h) -> pd.DataFrame:
        """``p(v | h = h)``."""
        return self.conditional(self.block_clamp(h, self.model.n_visible, self.model.n_hidden, "h"))

    def p_hidden_given_visible(self, v) -> pd.DataFrame:
        """``p(h | v = v)``."""
        return self.conditional(self.block_clamp(v, 0, self.model.n_visible, "v"))

    def hidden_given_visible_p(self) -> np.ndarray:
        """Matrix ``P[v, h] = p(h | v)`` (rows: visible states)."""
        joint = self.p.reshape(2**self.model.n_visible, 2**self.model.n_hidden)
        return joint / joint.sum(axis=1, keepdims=True)

    # ----------------------------------------------------------- moments
    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """``(<s_i>, <s_i s_j>)`` under the model."""
        return expectations(self.p, self.n_units, self.model.convention)

    def moments_table(self) -> pd.DataFrame:
        """``<s_i s_j>`` as a labelled table with ``<s_i>`` in an extra column ``mean``."""
        mean, second = self.moments()
        names = list(self.model.unit_names)
        df = pd.DataFrame(second, index=names, columns=names)
        df.insert(0, "mean", mean)
        return df

    def to_dict(self) -> dict:
        return {"log_z": self.log_z, "z": self.z, "p": self.p.tolist()}
