"""Built-in models: the post's example, its training target, and random models."""

from __future__ import annotations

import inspect
import math

import numpy as np

from . import arguments
from .conventions import Convention
from .errors import InputError
from .model import BoltzmannMachine, connectivity_mask

__all__ = [
    "slide35",
    "seed_target",
    "random_model",
    "random_rbm",
    "ferromagnet",
    "lattice",
    "lattice_parameters",
    "ferromagnet_parameters",
    "SLIDE35_WEIGHTS",
    "build",
]

#: Hinton's slide-35 example: v1 v2 h1 h2, binary units, zero biases.
SLIDE35_WEIGHTS = np.array([[0, 0, 2, 0], [0, 0, 0, 1], [2, 0, 0, -1], [0, 1, -1, 0]], dtype=float)


def slide35(convention: Convention | str = "binary") -> BoltzmannMachine:
    """The post's 2 visible + 2 hidden example (Z = 39.69 in the binary convention)."""
    return BoltzmannMachine(SLIDE35_WEIGHTS, np.zeros(4), n_visible=2).to(convention)


def seed_target(convention: Convention | str = "binary") -> BoltzmannMachine:
    """``0.3 * slide35`` (b = 0, binary), the target the post's notebook trains towards."""
    return BoltzmannMachine(0.3 * SLIDE35_WEIGHTS, np.zeros(4), n_visible=2).to(convention)


#: largest weight_scale / bias_scale / |coupling| / |bias| of a built-in model: beyond it energies
#: leave the range where Boltzmann probabilities are computed in float64 (|E| up to ~1e12)
MAX_SCALE = 1e6


def random_model(
    n_visible: int,
    n_hidden: int,
    *,
    rng: np.random.Generator,
    weight_scale: float = 1.0,
    bias_scale: float = 0.5,
    convention: Convention | str = "binary",
    connectivity="full",
) -> BoltzmannMachine:
    """Weights ``N(0, weight_scale^2)`` (symmetric, zero diagonal) and biases ``N(0, bias_scale^2)``.

    The parameters are drawn in ``convention``; biases are non-zero unless ``bias_scale = 0``.
    ``connectivity``: ``"full"`` (every pair coupled), ``"restricted"`` (an RBM: visible-hidden
    pairs only), ``"semi_restricted"`` (no hidden-hidden pairs) or an ``(n, n)`` mask; excluded weights are drawn, then
    zeroed, so the same seed gives the same weights where they are allowed.
    """
    nv, nh = arguments.integer(n_visible, "n_visible", low=0), arguments.integer(n_hidden, "n_hidden", low=0)
    if nv + nh < 1:
        raise InputError(f"n_visible + n_hidden must be >= 1; received {nv} + {nh}")
    ws = arguments.number(weight_scale, "weight_scale", low=0, high=MAX_SCALE)
    bs = arguments.number(bias_scale, "bias_scale", low=0, high=MAX_SCALE)
    n = nv + nh
    # (n, n): the mask (1 byte) and ~6 float arrays alive at once (draw, triu, sum, masked, the model's copies)
    name, value = ("n_visible", nv) if nv >= nh else ("n_hidden", nh)
    arguments.within(name, value, memory=49.0 * n * n, what=f"the weights and mask of {nv} + {nh} units")
    mask = connectivity_mask(connectivity, n, nv)[1]  # a name or an explicit (n, n) mask, validated
    arguments.generator(rng)
    w = np.triu(rng.normal(0.0, ws, size=(n, n)), k=1)
    w = (w + w.T) * mask
    b = rng.normal(0.0, bs, size=n)
    return BoltzmannMachine(w, b, n_visible=nv, convention=convention, connectivity=connectivity)


def random_rbm(n_visible: int, n_hidden: int, **kwargs) -> BoltzmannMachine:
    """:func:`random_model` with ``connectivity="restricted"`` (keyword arguments passed on)."""
    return random_model(n_visible, n_hidden, connectivity="restricted", **kwargs)


def ferromagnet(
    n_visible: int = 4,
    n_hidden: int = 4,
    *,
    coupling: float = 0.25,
    bias: float = 0.05,
    convention: Convention | str = "binary",
) -> BoltzmannMachine:
    """Every pair of units coupled by ``coupling`` and every unit biased by ``bias``, in spin units.

    Metastable: single-site Gibbs chains fall into the all-up or the all-down well and rarely
    cross, so how the schedule anneals matters (8 units, J = 0.25: 5 sweeps per temperature end
    at TV 0.075 from Boltzmann, 40 at 0.005).
    """
    nv, nh = arguments.integer(n_visible, "n_visible", low=0), arguments.integer(n_hidden, "n_hidden", low=0)
    n = nv + nh
    if n < 2:
        raise InputError(f"n_visible + n_hidden must be >= 2 for a ferromagnet; received {nv} + {nh}")
    arguments.number(coupling, "coupling", low=-MAX_SCALE, high=MAX_SCALE)
    arguments.number(bias, "bias", low=-MAX_SCALE, high=MAX_SCALE)
    w = np.full((n, n), float(coupling))
    np.fill_diagonal(w, 0.0)
    return BoltzmannMachine(w, np.full(n, float(bias)), n_visible=nv, convention="spin").to(convention)


def _lattice_weights(L: int, k: float) -> np.ndarray:
    n = L * L
    site = np.arange(n).reshape(L, L)
    w = np.zeros((n, n))
    for nb in (np.roll(site, -1, axis=1), np.roll(site, -1, axis=0)):  # right and lower neighbours
        np.add.at(w, (site.ravel(), nb.ravel()), k)
    return w + w.T


def lattice(L: int, J: float = 1.0, *, temperature: float = 1.0) -> BoltzmannMachine:
    """The 2D Ising model on an ``L x L`` torus at ``temperature``, as a Boltzmann machine.

    Spin units, all visible (unit ``r L + c`` is site (r, c)), zero biases, and ``J / temperature``
    added to ``W_ij`` for each of the ``2 L^2`` torus bonds (every site to its right and lower
    neighbour): so the model's energy ``-1/2 s^T W s`` is the Ising energy ``-J sum_<ij> s_i s_j``
    divided by ``temperature``, and the machine at T = 1 samples the Ising model at ``temperature``.
    For L = 2 each pair of neighbours is bonded twice (``W_ij = 2 J / temperature``), as in
    Kaufman's formula (:mod:`bmexp.lattice`).  The weights are a dense ``n x n`` matrix (n = L^2):
    128 MB at L = 64, 2 GB at L = 128 (L is limited to 128).  ``J > 0`` (ferromagnetic).
    """
    L = arguments.integer(L, "L", low=2, high=64)  # dense weights: 128 MB at 64, 2 GB (and copies) at 128
    J = arguments.number(J, "J", low=0, low_open=True, high=MAX_SCALE)
    T = arguments.number(temperature, "temperature", low=0, low_open=True)
    if not J / T <= MAX_SCALE:
        raise InputError.about(
            "temperature", f"{{argument}} must keep J / temperature <= {MAX_SCALE:g}; received {temperature!r}"
        )
    n = L * L
    return BoltzmannMachine(_lattice_weights(L, J / T), np.zeros(n), n_visible=n, convention="spin")


def lattice_parameters(model: BoltzmannMachine) -> tuple[int, float] | None:
    """``(L, K)`` when ``model`` is :func:`lattice` ``(L, J, temperature=T)`` (``K = J / T``), in
    either convention (a binary model is compared in spin units, within 1e-12 relative); else None."""
    n = model.n_units
    L = math.isqrt(n)
    if L < 2 or L * L != n or model.n_hidden != 0:
        return None
    spin = model.to(Convention.SPIN)
    K = float(spin.weights[0, 1]) / (2.0 if L == 2 else 1.0)
    tol = 1e-12 * abs(K)
    if not K > 0 or np.any(np.abs(spin.biases) > tol) or np.any(np.abs(spin.weights - _lattice_weights(L, K)) > tol):
        return None
    return L, K


def ferromagnet_parameters(model: BoltzmannMachine) -> tuple[int, float, float] | None:
    """``(n, J, h)`` when ``model`` is :func:`ferromagnet` (every pair coupled by ``J``, every unit
    biased by ``h``, in spin units; either convention, within 1e-12), else None."""
    n = model.n_units
    if n < 2:
        return None
    spin = model.to(Convention.SPIN)
    J, h = float(spin.weights[0, 1]), float(spin.biases[0])
    expected = np.full((n, n), J)
    np.fill_diagonal(expected, 0.0)
    tol = 1e-12 * max(1.0, abs(J), abs(h))
    if np.any(np.abs(spin.weights - expected) > tol) or np.any(np.abs(spin.biases - h) > tol):
        return None
    return n, J, h


_BUILTIN = ("slide35", "seed_target", "random", "rbm", "ferromagnet", "lattice")


#: The parameters each built-in model uses (the others must keep their defaults).
PARAMETERS = {
    "slide35": (),
    "seed_target": (),
    "random": ("n_visible", "n_hidden", "weight_scale", "bias_scale", "seed"),
    "rbm": ("n_visible", "n_hidden", "weight_scale", "bias_scale", "seed"),
    "ferromagnet": ("n_visible", "n_hidden", "coupling", "bias"),
    "lattice": ("L", "J", "temperature"),
}


def build(
    name: str,
    *,
    convention: Convention | str = "binary",
    n_visible: int = 4,
    n_hidden: int = 2,
    weight_scale: float = 1.0,
    bias_scale: float = 0.5,
    seed: int = 0,
    coupling: float = 0.25,
    bias: float = 0.05,
    L: int = 4,
    J: float = 1.0,
    temperature: float = 1.0,
) -> BoltzmannMachine:
    """A built-in model by name (what the ``model`` config group selects).  A parameter the model does not
    use (``PARAMETERS``) must keep its default: it would otherwise be ignored without a word."""
    if name in PARAMETERS:
        given = dict(
            n_visible=n_visible, n_hidden=n_hidden, weight_scale=weight_scale, bias_scale=bias_scale, seed=seed,
            coupling=coupling, bias=bias, L=L, J=J, temperature=temperature,
        )  # fmt: skip
        defaults = {k: v.default for k, v in inspect.signature(build).parameters.items() if k in given}
        for key, value in given.items():
            if key not in PARAMETERS[name] and value != defaults[key]:
                users = [m for m, used in PARAMETERS.items() if key in used]
                raise InputError.about(
                    key,
                    f"{{argument}} = {value!r} does not apply to model {name!r} (it has no such parameter); "
                    f"it applies to {', '.join(users)}: choose one of those, or leave it at {defaults[key]!r}",
                )
    if name == "slide35":
        return slide35(convention)
    if name == "seed_target":
        return seed_target(convention)
    if name in ("random", "rbm"):
        return random_model(
            n_visible,
            n_hidden,
            rng=np.random.default_rng(arguments.seed(seed)),
            weight_scale=weight_scale,
            bias_scale=bias_scale,
            convention=convention,
            connectivity="restricted" if name == "rbm" else "full",
        )
    if name == "ferromagnet":
        return ferromagnet(n_visible, n_hidden, coupling=coupling, bias=bias, convention=convention)
    if name == "lattice":
        return lattice(L, J, temperature=temperature).to(convention)
    raise InputError.bad("name", f"one of {list(_BUILTIN)}", name)
