"""Exact thermodynamics of the 2D Ising model on an L x L torus (Kaufman 1949).

The model: spins ``s_i = +-1`` on an ``L x L`` square lattice with periodic boundaries, energy
``E = -J sum_<ij> s_i s_j`` over the ``2 N`` bonds (``N = L^2``; each site bonds to its right and
lower neighbour), no field, ``J > 0``.  At inverse temperature ``beta = 1 / T`` and ``K = beta J``::

    Z = 1/2 (2 sinh 2K)^(N/2) (Z1 + Z2 + Z3 + Z4)
    Z1 = prod_r 2 cosh(L g_{2r+1} / 2)    Z2 = prod_r 2 sinh(L g_{2r+1} / 2)
    Z3 = prod_r 2 cosh(L g_{2r} / 2)      Z4 = prod_r 2 sinh(L g_{2r} / 2)      (r = 0 .. L-1)

with ``cosh g_q = cosh 2K coth 2K - cos(pi q / L)`` (``g_q > 0`` for ``q >= 1``) and
``g_0 = 2K + log tanh K``, which is *negative* below T_c (``K > K_c``), so ``Z4 < 0`` there.

L = 2: the torus then bonds each pair of neighbours twice (right and left are the same site), so
the formula is the Ising model with coupling ``2J`` between neighbours.  bmexp keeps the formula
as it is and builds the Boltzmann machine to match (:func:`bmexp.zoo.lattice` adds ``J`` per bond:
``W_ij = 2J`` for L = 2, ``J`` for L >= 3); the energy per site stays in ``[-2J, 2J]`` for every L.

Everything is computed in log space; the derivatives with respect to ``K`` are analytic (chain rule
through ``g_q(K)``; the factor ``2 sinh(L g_0 / 2)``, which vanishes at T_c, by the product rule),
and the variance is accumulated centred on the mean, so no O(N^2) terms cancel.  Accuracy
(measured, tests/test_lattice.py): against exact enumeration for L = 2, 3, 4 at T = 1 .. 5, log Z
and <E> to 2e-15 and Var E to 1.1e-14 relative; against 60-digit mpmath differentiation of log Z
for L = 5, 16, 64 at T = 1 .. 5, <E> to 6e-15 and Var E to 5e-14 relative (worst near T_c at
L = 64).  One call costs O(L): under a millisecond at L = 64.  T is refused below J / 100.
Against Onsager's infinite lattice: at L = 64 the energy per site agrees to 3e-14 at T = 2 and 3;
at T_c it is ``-sqrt 2 - 0.62 / L``, and the specific heat grows as ``(8 K_c^2 / pi) ln L``.

``J <= 0`` is refused: the formula above is for the ferromagnet (for even L the antiferromagnet
has the same thermodynamics by flipping one sublattice; for odd L it is frustrated and different).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import arguments
from .errors import InputError

__all__ = [
    "CRITICAL_TEMPERATURE",
    "LatticeThermo",
    "correlation_length",
    "critical_temperature",
    "onsager_energy",
    "thermo",
]

#: T_c / J = 2 / ln(1 + sqrt 2) = 2.2691853...
CRITICAL_TEMPERATURE = 2.0 / math.log1p(math.sqrt(2.0))


def critical_temperature(J: float = 1.0) -> float:
    """Onsager's critical temperature ``2 J / ln(1 + sqrt 2)`` of the infinite lattice."""
    return CRITICAL_TEMPERATURE * _coupling(J)


def _coupling(J) -> float:
    return arguments.number(J, "J", low=0, low_open=True, high=1e6)


def _size(L) -> int:
    return arguments.integer(L, "L", low=2, high=1024)


def _temperature(T) -> float:
    return arguments.number(T, "T", low=0, low_open=True)


def _k(T, J) -> float:
    """K = J / T, refused beyond 100 (T < J / 100: sinh 2K overflows, and every state but the two
    ground states has probability below e^-400)."""
    T, J = _temperature(T), _coupling(J)
    if J / T > 100:
        raise InputError.about("T", f"{{argument}} must be >= J / 100 = {J / 100:g}; received {T!r}")
    return J / T


def correlation_length(T: float, J: float = 1.0) -> float:
    """``1 / |g_0|`` = ``1 / |2K + log tanh K|``: the infinite lattice's correlation length above
    T_c (twice it below T_c); infinite at T_c."""
    K = _k(T, J)
    g0 = abs(2 * K + math.log(math.tanh(K)))
    return math.inf if g0 == 0 else 1.0 / g0


@dataclass(frozen=True)
class LatticeThermo:
    """Exact results for one (L, T, J): log Z, energy and its variance, specific heat.

    ``mean_energy`` and ``energy_variance`` are of the total energy E; ``energy_per_site`` is
    ``<E> / N``; ``specific_heat`` is ``Var(E) / (N T^2)`` (per site, k_B = 1).
    """

    L: int
    T: float
    J: float
    log_z: float
    mean_energy: float
    energy_variance: float

    @property
    def n_sites(self) -> int:
        return self.L * self.L

    @property
    def energy_per_site(self) -> float:
        return self.mean_energy / self.n_sites

    @property
    def specific_heat(self) -> float:
        return self.energy_variance / (self.n_sites * self.T**2)


def _log2cosh(x):
    ax = np.abs(x)
    return ax + np.log1p(np.exp(-2.0 * ax))


def _log2sinh(x):  # x > 0
    return x + np.log1p(-np.exp(-2.0 * x))


def _gammas(K: float, L: int):
    """g_q and its first two K-derivatives for q = 1 .. 2L-1 (positive branch)."""
    q = np.arange(1, 2 * L)
    s2, c2 = math.sinh(2 * K), math.cosh(2 * K)
    # cosh g - 1 = (sinh 2K - 1)^2 / sinh 2K + 2 sin^2(pi q / 2L): no cancellation near g = 0
    delta = (s2 - 1.0) ** 2 / s2 + 2.0 * np.sin(np.pi * q / (2 * L)) ** 2
    sh = np.sqrt(delta * (delta + 2.0))  # sinh g
    g = np.log1p(delta + sh)  # arccosh(1 + delta)
    a1 = 2.0 * c2 * (1.0 - 1.0 / s2**2)  # d/dK of cosh 2K coth 2K
    a2 = 4.0 * (s2 - 1.0 / s2 + 2.0 * c2**2 / s2**3)
    g1 = a1 / sh
    g2 = (a2 - (1.0 + delta) * g1**2) / sh
    return g, g1, g2


def _log_factors(x, x1, x2, kind: str):
    """sum_r log(2 h(x_r)) and its first two K-derivatives (h = cosh or sinh, x_r > 0 for sinh)."""
    if kind == "cosh":
        t = np.tanh(x)
        return float(np.sum(_log2cosh(x))), float(np.sum(x1 * t)), float(np.sum(x2 * t + x1**2 * (1.0 - t**2)))
    ct = 1.0 / np.tanh(x)
    return float(np.sum(_log2sinh(x))), float(np.sum(x1 * ct)), float(np.sum(x2 * ct + x1**2 * (1.0 - ct**2)))


def _log_z_and_derivatives(K: float, L: int) -> tuple[float, float, float]:
    """log Z, d log Z / dK, d^2 log Z / dK^2 at coupling K = J / T."""
    N = L * L
    g, g1, g2 = _gammas(K, L)
    half = L / 2.0
    odd, even = slice(0, None, 2), slice(1, None, 2)  # q = 1, 3, ... and q = 2, 4, ...
    s2 = math.sinh(2 * K)
    # the q = 0 factor: x0 = L g0 / 2, g0 = 2K + log tanh K (signed)
    x0 = half * (2 * K + math.log(math.tanh(K)))
    x01 = half * (2.0 + 2.0 / s2)
    x02 = half * (-4.0 * math.cosh(2 * K) / s2**2)
    # each term as A * exp(lQ) with A the q = 0 factor (1 for Z1, Z2), scaled by exp(-|x0|)
    e = math.exp(-2.0 * abs(x0))
    sign0 = 1.0 if x0 >= 0 else -1.0
    cosh_s, sinh_s = 1.0 + e, sign0 * (1.0 - e)  # 2 cosh x0, 2 sinh x0 times exp(-|x0|)
    terms = []
    for kind, sl in (("cosh", odd), ("sinh", odd)):
        lq, d1, d2 = _log_factors(half * g[sl], half * g1[sl], half * g2[sl], kind)
        terms.append((lq, d1, d2, 1.0, 0.0, 0.0))
    for a, a_other in ((cosh_s, sinh_s), (sinh_s, cosh_s)):
        kind = "cosh" if a is cosh_s else "sinh"
        lq, d1, d2 = _log_factors(half * g[even], half * g1[even], half * g2[even], kind)
        terms.append((lq + abs(x0), d1, d2, a, x01 * a_other, x02 * a_other + x01**2 * a))
    m = max(t[0] for t in terms)
    w = [math.exp(t[0] - m) for t in terms]
    S = sum(wi * t[3] for wi, t in zip(w, terms))  # > 0
    mean = sum(wi * (t[4] + t[3] * t[1]) for wi, t in zip(w, terms)) / S  # d log S / dK
    # d^2 log S / dK^2 = sum_i [A'' + 2 A' (d1 - mean) + A (d2 + (d1 - mean)^2)] w_i / S  (centred)
    var = (
        sum(wi * (t[5] + 2.0 * t[4] * (t[1] - mean) + t[3] * (t[2] + (t[1] - mean) ** 2)) for wi, t in zip(w, terms))
        / S
    )
    log_pref = math.log(0.5) + 0.5 * N * (2 * K + math.log1p(-math.exp(-4 * K)))  # (2 sinh 2K)^(N/2) / 2
    return (
        log_pref + m + math.log(S),
        N / math.tanh(2 * K) + mean,
        -2.0 * N / s2**2 + var,
    )


def thermo(L: int, T: float, J: float = 1.0) -> LatticeThermo:
    """Exact log Z, <E>, Var(E) (hence energy per site and specific heat) of the L x L torus.

    L : integer >= 2 (L = 2: neighbours bonded twice, see the module notes).
    T : temperature > 0 (k_B = 1).  J : coupling > 0.
    """
    L, K = _size(L), _k(T, J)
    T, J = float(T), float(J)
    log_z, d1, d2 = _log_z_and_derivatives(K, L)
    # beta-derivatives: <E> = -d log Z / d beta = -J d log Z / dK; Var E = J^2 d^2 log Z / dK^2
    return LatticeThermo(L=L, T=T, J=J, log_z=log_z, mean_energy=-J * d1, energy_variance=J * J * d2)


def onsager_energy(T: float, J: float = 1.0) -> float:
    """Onsager's energy per site of the infinite lattice, ``-J coth 2K [1 + (2/pi)(2 tanh^2 2K - 1) K(k)]``,
    ``k = 2 sinh 2K / cosh^2 2K`` (K(k): complete elliptic integral of the first kind)."""
    from scipy.special import ellipk

    K, J = _k(T, J), float(J)
    k = 2.0 * math.sinh(2 * K) / math.cosh(2 * K) ** 2
    slope = 2.0 * math.tanh(2 * K) ** 2 - 1.0  # zero at T_c, where K(k) diverges (the product -> 0)
    m = k * k  # may round to >= 1 at T_c
    return -J / math.tanh(2 * K) * (1.0 + (2.0 / math.pi * slope * float(ellipk(m)) if m < 1 else 0.0))
