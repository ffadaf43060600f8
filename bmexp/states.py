"""The one place that fixes the state <-> index bit order.

State index ``k`` of an ``n``-unit model has unit ``i`` on exactly when bit ``n - 1 - i``
of ``k`` is set: unit 0 (``v1``) is the most significant bit.  So for slide35 (v1 v2 h1 h2)
index 0 is ``0000``, index 1 is ``0001`` (only h2 on) and index 15 is ``1111``; the
visible units form the high bits, so ``p.reshape(2**n_visible, 2**n_hidden)`` has one row
per visible state.
"""

from __future__ import annotations

import numpy as np

from . import arguments
from .conventions import Convention, as_convention, check_states
from .errors import InputError

#: The most units a state index (an int64) numbers
MAX_INDEX_UNITS = 62

__all__ = ["states_from_indices", "indices_from_states", "all_states", "state_labels"]


def states_from_indices(indices, n_units: int, convention: Convention | str = "binary") -> np.ndarray:
    """States (float array ``(..., n_units)``) for state indices."""
    conv = as_convention(convention)
    n_units = arguments.integer(n_units, "n_units", low=0, high=MAX_INDEX_UNITS)
    raw = np.asarray(indices)
    if raw.dtype.kind not in "iu" and not (raw.dtype.kind == "f" and np.all(raw == np.round(raw))):
        raise InputError(f"indices must be whole numbers; received {np.ravel(raw)[:5].tolist()}")
    if raw.size and (np.any(raw < 0) or np.any(raw >= 2**n_units)):
        raise InputError(f"indices must lie in [0, 2**{n_units}); received {raw.min()}..{raw.max()}")
    idx = raw.astype(np.int64)
    shifts = np.arange(n_units - 1, -1, -1, dtype=np.int64)
    bits = ((idx[..., None] >> shifts) & 1).astype(np.float64)
    return bits if conv is Convention.BINARY else 2.0 * bits - 1.0


def indices_from_states(states, convention: Convention | str = "binary") -> np.ndarray:
    """State indices (int64) for states of shape ``(..., n_units)``."""
    conv = as_convention(convention)
    s = check_states(states, conv)
    n = s.shape[-1] if s.ndim else 0
    if n > MAX_INDEX_UNITS:  # (the index would not fit in an int64: it wrapped around to -1)
        raise InputError(
            f"states must have at most {MAX_INDEX_UNITS} units to be numbered as int64 indices; received {n}"
        )
    bits = (s == 1).astype(np.int64)
    return bits @ (np.int64(1) << np.arange(n - 1, -1, -1, dtype=np.int64))


def all_states(n_units: int, convention: Convention | str = "binary") -> np.ndarray:
    """All ``2**n_units`` states in index order, shape ``(2**n_units, n_units)``."""
    n_units = arguments.integer(n_units, "n_units", low=0, high=MAX_INDEX_UNITS)
    arguments.within("n_units", n_units, memory=16.0 * 2.0**n_units * max(1, n_units), what="every state")
    return states_from_indices(np.arange(2**n_units), n_units, convention)


def state_labels(n_units: int) -> list[str]:
    """Bit-string labels (``'0110'``) in index order; '1' means on in either convention."""
    return [format(k, f"0{n_units}b") if n_units else "" for k in range(2**n_units)]
