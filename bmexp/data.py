"""Training data: visible vectors drawn from a teacher, or loaded from .npy / .csv files.

Vectors may be in either convention ({0, 1} or {-1, 1}); they are converted to the
student's.  Files are read without pickle (``numpy.load(allow_pickle=False)``, ``numpy.loadtxt``).
"""

from __future__ import annotations

import os

import numpy as np

from . import arguments
from .conventions import Convention, as_convention, convert_states
from .errors import InputError
from .exact import ExactDistribution
from .model import BoltzmannMachine
from .states import indices_from_states, states_from_indices

__all__ = [
    "DIGITS_PIXELS",
    "sample_visible",
    "sample_visible_by_chains",
    "split_heldout",
    "load_vectors",
    "empirical_distribution",
    "as_convention_of",
    "check_digits_model",
    "digits",
]

#: scikit-learn's digits are 8 x 8 images: a model trained on them has 64 visible units
DIGITS_PIXELS = 64


def sample_visible(teacher: BoltzmannMachine, n: int, *, rng: np.random.Generator) -> np.ndarray:
    """``n`` visible vectors drawn i.i.d. from the teacher's exact visible marginal (teacher's convention)."""
    n = arguments.integer(n, "n", low=1)
    arguments.within("n", n, memory=16.0 * n * max(1, teacher.n_visible), what="the visible vectors")
    arguments.generator(rng)
    p_v = ExactDistribution.of(teacher).visible_p()
    idx = rng.choice(p_v.size, size=int(n), p=p_v)
    return states_from_indices(idx, teacher.n_visible, teacher.convention)


def sample_visible_by_chains(teacher: BoltzmannMachine, n: int, *, rng: np.random.Generator, sampler, schedule):
    """``n`` visible vectors from ``n`` independent chains of ``sampler`` through ``schedule`` (teacher's
    convention): the teacher's data beyond enumeration, as good as the sampler's equilibration, not exact."""
    from .samplers import states_of

    n = arguments.integer(n, "n", low=1)
    arguments.generator(rng)
    states = states_of(sampler(teacher, rng=rng, n_chains=n, schedule=schedule), n_chains=n, n_units=teacher.n_units)
    return states[:, : teacher.n_visible].copy()


def split_heldout(vectors: np.ndarray, fraction: float, *, rng: np.random.Generator):
    """``(train, heldout)``: a random ``fraction`` of the vectors (rounded, at least one when the
    fraction is positive, at least one left to train on) held out, in their original order."""
    fraction = arguments.number(fraction, "heldout", low=0, high=1, high_open=True)
    arguments.generator(rng)
    k = int(round(fraction * len(vectors)))
    if fraction > 0:
        k = max(1, k)
    if k >= len(vectors):
        raise InputError.about(
            "heldout",
            f"{{argument}} = {fraction:g} of {len(vectors)} vectors leaves none to train on; "
            f"use a smaller fraction or more data",
        )
    held = np.zeros(len(vectors), dtype=bool)
    held[rng.choice(len(vectors), size=k, replace=False)] = True
    return vectors[~held], vectors[held]


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


def _check_npy_header(path) -> None:
    """The array a ``.npy`` file's header claims, before it is read: its memory (as floats, converted and
    checked: about 3 copies) within the limit, and the bytes it needs in the file (a header may claim
    any shape: numpy would allocate it first)."""
    from numpy.lib import format as npy

    try:
        with open(path, "rb") as f:
            version = npy.read_magic(f)
            read = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}.get(version)
            if read is None:  # (a newer format: numpy.load checks it)
                return
            shape, _, dtype = read(f)
            start = f.tell()
    except (ValueError, OSError, EOFError):  # (not a .npy file, a malformed header: numpy.load says what, below)
        return
    size = int(np.prod(shape, dtype=object))
    arguments.within("path", repr(str(path)), memory=24.0 * size, what=f"the {shape} array its header declares")
    needed = size * dtype.itemsize
    if not dtype.hasobject and os.path.getsize(path) - start < needed:
        raise InputError(
            f"data file {str(path)!r} is cut short: its header declares a {shape} array of {dtype} ({needed:,} "
            f"bytes), the file holds {os.path.getsize(path) - start:,}"
        )


def load_vectors(path, n_visible: int, convention) -> np.ndarray:
    """Visible vectors from a ``.npy`` or ``.csv`` file (no pickle), converted to ``convention``."""
    path = arguments.path(path, "path", suffixes=(".npy", ".csv"))
    if path.suffix == ".npy":
        _check_npy_header(path)
    try:
        if path.suffix == ".npy":
            arr = np.load(path, allow_pickle=False)
        else:
            import warnings

            with warnings.catch_warnings():  # an empty file: its shape error below is the one line, not numpy's warning
                warnings.simplefilter("ignore", UserWarning)
                # (utf-8-sig: a byte-order mark, as spreadsheets write, is not part of the first number; a first
                # line of names, such as "v1,v2", is a header: skipped)
                arr = np.loadtxt(path, delimiter=",", ndmin=2, encoding="utf-8-sig", skiprows=_csv_header(path))
    except (ValueError, EOFError) as exc:  # pickled objects, malformed numbers, ragged rows, an empty .npy
        raise InputError(f"data file {str(path)!r} could not be read as numbers without pickle: {exc}") from None
    except OSError as exc:
        raise InputError(f"data file {str(path)!r} could not be read: {exc.strerror or exc}") from None
    return as_convention_of(arr, n_visible, convention, source=f"data file {str(path)!r}")


def _csv_header(path) -> int:
    """1 when the CSV file's first line is a header (a cell that is not a number, e.g. "v1,v2"), else 0."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            first = f.readline()
    except (OSError, UnicodeError):
        return 0  # (numpy.loadtxt reports it)
    cells = [c.strip() for c in first.split(",")]
    for cell in cells:
        try:
            float(cell)
        except ValueError:
            return 1 if all(c and not c[0].isdigit() and c[0] not in "+-." for c in cells) else 0
    return 0


def empirical_distribution(vectors: np.ndarray, convention) -> np.ndarray:
    """Frequencies of the ``2**n_visible`` visible states (index order of :mod:`bmexp.states`)."""
    idx = indices_from_states(vectors, convention)
    return np.bincount(idx, minlength=2 ** vectors.shape[1]) / len(idx)


def check_digits_model(model: BoltzmannMachine) -> None:
    """Refuse a model that cannot hold 8 x 8 digits (its n_visible must be 64)."""
    arguments.model(model)
    if model.n_visible != DIGITS_PIXELS:
        raise InputError.about(
            "n_visible",
            f"{{argument}} must be {DIGITS_PIXELS} for data=digits (8 x 8 pixels); received {model.n_visible}",
        )


def digits(*, seed: int = 0, heldout: float = 0.2, threshold: int = 8, convention="binary", n: int | None = None):
    """scikit-learn's 1,797 handwritten digits (8 x 8, grey levels 0-16), binarised: a pixel is on
    when its level is >= ``threshold`` (8 of 16: 32% of pixels on).  Returns ``(train, heldout)``
    vectors in ``convention``, split by a permutation drawn from ``seed`` (``heldout`` fraction, > 0:
    the held-out images are what the training's AIS evaluation scores).  ``n``: train on the first
    ``n`` training images only (the held-out images are the same whatever ``n``); None: all of them.
    Needs the optional extra ``bmexp[sklearn]`` (the data ship with it; nothing is downloaded)."""
    seed = arguments.seed(seed)
    if n is not None:
        n = arguments.integer(n, "n", low=1)
    frac = arguments.number(heldout, "heldout", low=0, high=1, low_open=True, high_open=True)
    threshold = arguments.integer(threshold, "threshold", low=1, high=16)
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise InputError(
            "data=digits needs scikit-learn (it ships the digits): pip install 'bmexp[sklearn]'", argument="data"
        ) from None
    images = load_digits().data
    x = (images >= threshold).astype(np.float64)
    order = np.random.default_rng(seed).permutation(len(x))
    n_held = int(round(frac * len(x)))
    if not 2 <= n_held <= len(x) - 1:  # the AIS evaluation needs two held-out images, training one
        raise InputError.about(
            "heldout",
            f"{{argument}} = {frac:g} holds out {n_held} of the {len(x)} images; it must leave at least 2 held out "
            f"and 1 to train on: a fraction in [{2 / len(x):.4f}, {(len(x) - 1) / len(x):.4f}]",
        )
    train, test = x[order[n_held:]], x[order[:n_held]]
    if n is not None and n > len(train):
        raise InputError.about(
            "n",
            f"{{argument}} = {n} training images asked for; the digits have {len(train)} to train on at a held-out "
            f"fraction of {frac:g}: at most {len(train)}, or null for all of them",
        )
    train = train[:n]
    conv = as_convention(convention)
    return convert_states(train, Convention.BINARY, conv), convert_states(test, Convention.BINARY, conv)
