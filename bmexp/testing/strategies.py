"""Hypothesis strategies for Boltzmann machines and their states.

>>> from hypothesis import given
>>> from bmexp.testing.strategies import models
>>> @given(models(max_units=6))
... def test_something(model): ...
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..conventions import Convention
from ..model import BoltzmannMachine

__all__ = ["conventions", "models", "model_and_states", "states"]

conventions = st.sampled_from([Convention.BINARY, Convention.SPIN])


def _weights(n: int, scale: float):
    elems = st.floats(-scale, scale, allow_nan=False, allow_infinity=False, width=64)
    return hnp.arrays(np.float64, (n, n), elements=elems).map(lambda a: np.triu(a, 1) + np.triu(a, 1).T)


@st.composite
def models(
    draw,
    *,
    min_units: int = 1,
    max_units: int = 8,
    weight_scale: float = 3.0,
    bias_scale: float = 2.0,
    convention=None,
    nonzero_biases: bool = True,
) -> BoltzmannMachine:
    """Valid models of ``min_units .. max_units`` units, either convention unless one is given.

    With ``nonzero_biases`` every bias is at least 0.01 in magnitude, so that bugs that drop
    or misplace the bias term cannot hide behind ``b = 0``.
    """
    n = draw(st.integers(min_units, max_units))
    conv = draw(conventions) if convention is None else Convention(convention)
    w = draw(_weights(n, weight_scale))
    mags = st.floats(0.01 if nonzero_biases else 0.0, bias_scale, allow_nan=False)
    signs = st.sampled_from([-1.0, 1.0])
    b = np.array([draw(mags) * draw(signs) for _ in range(n)])
    nv = draw(st.integers(0, n))
    return BoltzmannMachine(w, b, n_visible=nv, convention=conv)


def states(n_units: int, convention: Convention | str, *, max_batch: int = 5):
    """Batches ``(k, n_units)`` of valid states, ``1 <= k <= max_batch``."""
    off, on = Convention(convention).values
    return hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, max_batch), st.just(n_units)),
        elements=st.sampled_from([float(off), float(on)]),
    )


@st.composite
def model_and_states(draw, **model_kwargs):
    """A model and a batch of its states."""
    model = draw(models(**model_kwargs))
    return model, draw(states(model.n_units, model.convention))
