"""Kaufman's exact 2D Ising thermodynamics (bmexp.lattice) and the lattice model (bmexp.zoo.lattice):
against enumeration, against 60-digit differentiation, against Onsager's infinite lattice."""

import math

import mpmath as mp
import numpy as np
import pytest

from bmexp import lattice as lat
from bmexp import zoo
from bmexp.errors import InputError
from bmexp.exact import energies
from bmexp.model import BoltzmannMachine

TEMPERATURES = (1.0, 1.5, 2.0, 2.269, lat.CRITICAL_TEMPERATURE, 3.0, 5.0)


def _ising_energy(states, L, J):
    """-J sum over the 2 L^2 torus bonds (right and lower neighbour), by explicit loops."""
    e = np.zeros(len(states))
    for k, s in enumerate(states):
        g = s.reshape(L, L)
        e[k] = -J * sum(g[r, c] * (g[r, (c + 1) % L] + g[(r + 1) % L, c]) for r in range(L) for c in range(L))
    return e


@pytest.mark.parametrize("L", [2, 3, 4])
@pytest.mark.parametrize("J", [1.0, 0.7])
def test_exact_formula_matches_enumeration(L, J):
    e = energies(zoo.lattice(L, J))  # all 2^(L^2) states, energies in units where T = 1 is the machine
    for T in TEMPERATURES:
        x = -e / T
        log_z = x.max() + np.log(np.exp(x - x.max()).sum())
        p = np.exp(x - log_z)
        mean = p @ e
        var = p @ (e - mean) ** 2
        t = lat.thermo(L, T, J)
        # measured: worst 2e-15 (log Z, <E>) and 1.1e-14 (Var E) relative; 1e-12 leaves room for
        # summation order and nothing for a wrong term (the four terms differ at O(1))
        assert t.log_z == pytest.approx(log_z, rel=1e-12, abs=0)
        assert t.mean_energy == pytest.approx(mean, rel=1e-12, abs=1e-12 * L * L * J)
        assert t.energy_variance == pytest.approx(var, rel=1e-12, abs=0)
        assert t.specific_heat == pytest.approx(var / (L * L * T * T), rel=1e-12)
        assert t.energy_per_site == pytest.approx(mean / (L * L), rel=1e-12, abs=1e-12 * J)


def _log_z_mp(L, K):
    """Kaufman's log Z term by term at mpmath's precision (no log-space tricks, no derivatives)."""
    K = mp.mpf(K)
    a = mp.cosh(2 * K) * mp.coth(2 * K)
    g = [2 * K + mp.log(mp.tanh(K))] + [mp.acosh(a - mp.cos(mp.pi * q / L)) for q in range(1, 2 * L)]
    x = [L * gq / 2 for gq in g]
    z = [
        mp.fprod(f(x[q]) * 2 for q in range(start, 2 * L, 2))
        for f, start in ((mp.cosh, 1), (mp.sinh, 1), (mp.cosh, 0), (mp.sinh, 0))
    ]
    return mp.log(mp.mpf(1) / 2) + L * L / 2 * mp.log(2 * mp.sinh(2 * K)) + mp.log(mp.fsum(z))


@pytest.mark.parametrize("L", [16, 64])
def test_analytic_derivatives_match_high_precision_differentiation(L):
    with mp.workdps(60):
        for T in (1.0, lat.CRITICAL_TEMPERATURE, 2.3) if L == 64 else (1.0, 2.0, lat.CRITICAL_TEMPERATURE, 2.3, 5.0):
            K = mp.mpf(1) / T
            d1 = mp.diff(lambda k: _log_z_mp(L, k), K, 1)
            d2 = mp.diff(lambda k: _log_z_mp(L, k), K, 2)
            t = lat.thermo(L, T)
            # measured worst: 6e-15 (<E>), 5e-14 (Var E, near T_c at L = 64)
            assert t.log_z == pytest.approx(float(_log_z_mp(L, K)), rel=1e-14)
            assert t.mean_energy == pytest.approx(-float(d1), rel=1e-13)
            assert t.energy_variance == pytest.approx(float(d2), rel=1e-12)


def test_large_lattice_approaches_onsager():
    for T in (2.0, 3.0):  # correlation length ~2-4 sites: finite-size terms ~exp(-64 / xi), measured 3e-14
        assert lat.thermo(64, T).energy_per_site == pytest.approx(lat.onsager_energy(T), abs=1e-12)
    assert lat.onsager_energy(lat.CRITICAL_TEMPERATURE) == pytest.approx(-math.sqrt(2), rel=1e-15)
    # at T_c the torus energy is -sqrt(2) + a / L (measured a = -0.62): L = 32 and 64 agree on a
    a = [L * (lat.thermo(L, lat.CRITICAL_TEMPERATURE).energy_per_site + math.sqrt(2)) for L in (32, 64)]
    assert a[0] == pytest.approx(a[1], rel=0.01) and -0.7 < a[1] < -0.5
    # specific heat at T_c grows as (8 K_c^2 / pi) ln L (Ferdinand & Fisher 1969): c(64) - c(32)
    kc = 1 / lat.CRITICAL_TEMPERATURE
    growth = lat.thermo(64, 1 / kc).specific_heat - lat.thermo(32, 1 / kc).specific_heat
    assert growth == pytest.approx(8 * kc**2 / math.pi * math.log(2), rel=0.02)  # measured 0.8%


def test_onsager_energy_limits():
    assert lat.onsager_energy(0.5) == pytest.approx(-2.0, abs=1e-6)  # ground state: 2 bonds a site
    assert lat.correlation_length(lat.CRITICAL_TEMPERATURE) > 1e10 or math.isinf(
        lat.correlation_length(lat.CRITICAL_TEMPERATURE)
    )
    assert lat.critical_temperature(2.0) == pytest.approx(2 * 2 / math.log(1 + math.sqrt(2)))


@pytest.mark.parametrize("L", [2, 3, 5])
def test_lattice_model_energy_is_the_ising_energy(L):
    J, T = 0.8, 1.6
    model = zoo.lattice(L, J, temperature=T)
    s = np.random.default_rng(L).choice([-1.0, 1.0], size=(20, L * L))
    np.testing.assert_allclose(model.energy(s), _ising_energy(s, L, J) / T, rtol=1e-13, atol=1e-13)
    assert model.convention.value == "spin" and model.n_hidden == 0 and not model.biases.any()
    degree = (model.weights != 0).sum(axis=1)
    assert set(degree) == ({2} if L == 2 else {4})  # L = 2: two neighbours, each bonded twice
    if L == 2:
        assert model.weights[0, 1] == pytest.approx(2 * J / T)


def test_lattice_parameters_recognise_lattices_only():
    assert zoo.lattice_parameters(zoo.lattice(5, 0.5, temperature=2.0)) == (5, pytest.approx(0.25))
    assert zoo.lattice_parameters(zoo.lattice(2, 1.5)) == (2, pytest.approx(1.5))
    assert zoo.lattice_parameters(zoo.lattice(3).to("binary")) == (3, pytest.approx(1.0))
    assert zoo.lattice_parameters(zoo.ferromagnet(8, 8, coupling=1.0, bias=0.0)) is None
    w = zoo.lattice(4).weights.copy()
    w[0, 5] = w[5, 0] = 1.0  # one extra bond
    assert zoo.lattice_parameters(BoltzmannMachine(w, np.zeros(16), n_visible=16, convention="spin")) is None
    assert zoo.lattice_parameters(BoltzmannMachine(w * 0, np.zeros(16), n_visible=16, convention="spin")) is None


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: lat.thermo(1, 2.0), r"L must be an integer in \[2, 1024\]; received 1"),
        (lambda: lat.thermo(2.5, 2.0), r"L must be an integer .*; received 2.5"),
        (lambda: lat.thermo(4, 0.0), r"T must be a finite number > 0; received 0.0"),
        (lambda: lat.thermo(4, -1.0), r"T must be a finite number > 0; received -1.0"),
        (lambda: lat.thermo(4, 0.001), r"T must be >= J / 100 = 0.01; received 0.001"),
        (lambda: lat.thermo(4, 2.0, J=0.0), r"J must be a finite number in \(0, 1e\+06\]; received 0.0"),
        (lambda: lat.thermo(4, 2.0, J=-1.0), r"J must be .*; received -1.0"),
        (lambda: lat.thermo(4, 2.0, J=math.inf), r"J must be .*; received inf"),
        (lambda: zoo.lattice(1), r"L must be an integer in \[2, 64\]; received 1"),
        (lambda: zoo.lattice(3.0), r"L must be an integer .*; received 3.0"),
        (lambda: zoo.lattice(3, math.nan), r"J must be a finite number .*; received nan"),
        (lambda: zoo.lattice(3, -1.0), r"J must be a finite number in \(0, 1e\+06\]; received -1.0"),
        (lambda: zoo.lattice(3, temperature=0), r"temperature must be a finite number > 0; received 0"),
    ],
)
def test_bad_lattice_input(call, match):
    with pytest.raises(InputError, match=match):
        call()


def test_config_lattice_errors_name_model_keys():
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from bmexp import boundary
    from bmexp.cli import config_path
    from bmexp.config import register

    register()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=config_path(), version_base="1.3"):
            cfg = compose("check", overrides=["model=lattice", "model.L=3", "model.J=0.5"])
            assert zoo.lattice_parameters(boundary.build_model(cfg)) == (3, 0.5)
            for override, message in (
                ("model.L=1", "model.L must be an integer in [2, 64]; received 1"),
                ("model.J=-1", "model.J must be a finite number in (0, 1e+06]; received -1.0"),
                ("model.temperature=0", "model.temperature must be a finite number > 0; received 0.0"),
            ):
                with pytest.raises(InputError) as err:
                    boundary.build_model(compose("check", overrides=["model=lattice", override]))
                assert str(err.value) == message
    finally:
        GlobalHydra.instance().clear()
