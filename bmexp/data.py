"""Training data: visible vectors drawn from a teacher, or loaded from .npy / .csv files.

Vectors may be in either convention ({0, 1} or {-1, 1}); they are converted to the
student's.  Files are read without pickle (``numpy.load(allow_pickle=False)``, ``numpy.loadtxt``).
"""

from __future__ import annotations

import numpy as np

from . import arguments
from .conventions import Convention, as_convention, convert_states
from .errors import InputError
from .exact import ExactDistribution
from .model import BoltzmannMachine
from .states import indices_from_states, states_from_indices

__all__ = ["sample_visible", "load_vectors", "empirical_distribution", "as_convention_of"]


def sample_visible(teacher: BoltzmannMachine, n: int, *, rng: np.random.Generator) -> np.ndarray:
    """``n`` visible vectors drawn i.i.d. from the teacher's exact visible marginal (teacher's convention)."""
    n = arguments.integer(n, "n", low=1)
    arguments.generator(rng)
    p_v = ExactDistribution.of(teacher).visible_p()
    idx = rng.choice(p_v.size, size=int(n), p=p_v)
    return states_from_indices(idx, teacher.n_visible, teacher.convention)


def _detect(values: np.ndarray, source: str) -> Convention:
    present = set(np.unique(values).tolist())
    if present <= {0.0, 1.0}:
        return Convention.BINARY
    if present <= {-1.0, 1.0}:
        return Convention.SPIN
    bad = sorted(present - {0.0, 1.0, -1.0})
    if bad:
        raise InputError(f"{source} must hold unit values {{0, 1}} or {{-1, 1}}; found {bad[:3]}")
    raise InputError(f"{source} must use one convention, {{0, 1}} or {{-1, 1}}; found all of {sorted(present)}")


def as_convention_of(vectors, n_visible: int, convention, *, source: str = "data") -> np.ndarray:
    """Check shape and values of visible vectors (either convention) and convert to ``convention``."""
    arr = np.asarray(vectors)
    if (
        arr.dtype == object
        or np.issubdtype(arr.dtype, np.complexfloating)
        or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool)
    ):
        raise InputError(f"{source} must be real numbers; received dtype {arr.dtype}")
    arr = arr.astype(float)
    if arr.ndim == 1 and n_visible == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != n_visible:
        raise InputError(
            f"{source} must have shape (n_vectors, {n_visible}) to match n_visible = {n_visible}; "
            f"received shape {arr.shape}"
        )
    if arr.shape[0] < 1:
        raise InputError(f"{source} must contain at least one vector; received 0")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{source} must be finite; found {arr[~np.isfinite(arr)][0].item()!r}")
    return convert_states(arr, _detect(arr, source), as_convention(convention))


def load_vectors(path, n_visible: int, convention) -> np.ndarray:
    """Visible vectors from a ``.npy`` or ``.csv`` file (no pickle), converted to ``convention``."""
    path = arguments.path(path, "path", suffixes=(".npy", ".csv"))
    try:
        if path.suffix == ".npy":
            arr = np.load(path, allow_pickle=False)
        else:
            arr = np.loadtxt(path, delimiter=",", ndmin=2)
    except ValueError as exc:  # pickled objects, malformed numbers, ragged rows
        raise InputError(f"data file {str(path)!r} could not be read as numbers without pickle: {exc}") from None
    except OSError as exc:
        raise InputError(f"data file {str(path)!r} could not be read: {exc.strerror or exc}") from None
    return as_convention_of(arr, n_visible, convention, source=f"data file {str(path)!r}")


def empirical_distribution(vectors: np.ndarray, convention) -> np.ndarray:
    """Frequencies of the ``2**n_visible`` visible states (index order of :mod:`bmexp.states`)."""
    idx = indices_from_states(vectors, convention)
    return np.bincount(idx, minlength=2 ** vectors.shape[1]) / len(idx)
