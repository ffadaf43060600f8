import numpy as np
import pytest

from bmexp import ExactDistribution, InputError, random_model, slide35
from bmexp.samplers import GibbsSampler, gibbs_sample, run_chains
from bmexp.schedules import Schedule
from bmexp.states import all_states, indices_from_states
from bmexp.validation import gof_test, required_samples

RULES = ["heat_bath", "flip", "metropolis"]
BACKENDS = ["numba", "numpy"]


def models():
    six = random_model(4, 2, rng=np.random.default_rng(11), weight_scale=1.0, bias_scale=0.7)
    assert np.all(six.biases != 0)
    return {"slide35": slide35(), "random6": six}


# --------------------------------------------------- deterministic conditionals
def _p_on_by_bisection(model, i, rule, scan, backend, temperature):
    """P(unit i ends on | rest) read off the real kernel by bisection on its uniform."""
    n = model.n_units
    states = all_states(n, model.convention)
    clamped = np.ones(n, dtype=bool)
    clamped[i] = False
    sched = Schedule.constant(1, T=temperature)
    on = model.convention.values[1]

    def ends_on(u):
        width = n + n * (2 if scan == "random" else 1)
        uniforms = np.full((len(states), width), 0.5)
        uniforms[:, n] = u  # the first update slot
        if scan == "random":
            uniforms[:, 2 * n] = (i + 0.5) / n  # slot 0 picks unit i
            uniforms[:, 2 * n + 1 :] = ((i + 1) % n + 0.5) / n  # later slots pick a clamped unit
        else:
            uniforms[:, n : 2 * n] = 0.5
            uniforms[:, n + i] = u
        s = states.copy()
        run_chains(model, s, uniforms, sched, clamped=clamped, rule=rule, scan=scan, backend=backend)
        return s[:, i] == on

    at_zero = ends_on(np.zeros(len(states)))
    lo, hi = np.zeros(len(states)), np.ones(len(states))
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        same = ends_on(mid) == at_zero
        lo, hi = np.where(same, mid, lo), np.where(same, hi, mid)
    return np.where(at_zero, lo, 1.0 - lo)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("scan", ["sequential", "random"])
@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("convention", ["binary", "spin"])
@pytest.mark.parametrize("name", ["slide35", "random6"])
def test_update_probability_equals_the_boltzmann_ratio(name, convention, rule, scan, backend):
    model = models()[name].to(convention)
    off, on = model.convention.values
    states = all_states(model.n_units, model.convention)
    for temperature in (1.0, 2.5):
        for i in range(model.n_units):
            s_on, s_off = states.copy(), states.copy()
            s_on[:, i], s_off[:, i] = on, off
            e_on, e_off = model.energy(s_on), model.energy(s_off)
            if rule == "metropolis":  # flip accepted with min(1, exp(-dE / T)): depends on the current value
                expected = np.where(
                    states[:, i] == on,
                    1.0 - np.minimum(1.0, np.exp((e_on - e_off) / temperature)),
                    np.minimum(1.0, np.exp((e_off - e_on) / temperature)),
                )
            else:
                expected = 1.0 / (1.0 + np.exp((e_on - e_off) / temperature))
            got = _p_on_by_bisection(model, i, rule, scan, backend, temperature)
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


# ------------------------------------------------------------ determinism
def test_backends_give_identical_states():
    m = random_model(4, 2, rng=np.random.default_rng(0), convention="spin")
    for rule in RULES:
        for scan in ("sequential", "random"):
            kw = dict(n_chains=300, schedule=Schedule.post(), rule=rule, scan=scan, record_energy=True)
            a = gibbs_sample(m, rng=np.random.default_rng(5), backend="numba", **kw)
            b = gibbs_sample(m, rng=np.random.default_rng(5), backend="numpy", **kw)
            np.testing.assert_array_equal(a.states, b.states)
            np.testing.assert_allclose(a.mean_energy, b.mean_energy, rtol=1e-12)


@pytest.mark.parametrize("clamped", [0, 18], ids=["free", "18-of-20-clamped"])
def test_backends_give_identical_states_on_the_row_kernels(clamped):
    """20 units run the row kernel, whose starting fields are b + W s summed row by row of W (vectorised),
    or, with few free units among many clamped ones, unit by unit for the free ones: NumPy's reference
    path gives the same states either way."""
    m = random_model(10, 10, rng=np.random.default_rng(3), weight_scale=0.5, convention="spin")
    clamp = {i: (1.0 if i % 3 else -1.0) for i in range(clamped)}
    for scan in ("sequential", "random"):
        kw = dict(n_chains=40, schedule=Schedule.linear(4, 1, sweeps_per_temperature=3), scan=scan, clamp=clamp)
        a = gibbs_sample(m, rng=np.random.default_rng(8), backend="numba", record_energy=True, **kw)
        b = gibbs_sample(m, rng=np.random.default_rng(8), backend="numpy", record_energy=True, **kw)
        np.testing.assert_array_equal(a.states, b.states)
        np.testing.assert_allclose(a.mean_energy, b.mean_energy, rtol=1e-12)
        c = gibbs_sample(m, rng=np.random.default_rng(8), backend="numba", **kw)  # (recording needs every field)
        np.testing.assert_array_equal(c.states, b.states)


@pytest.mark.parametrize("scan", ["sequential", "random"])
def test_the_streams_layout_and_clamped_units_draw_nothing(scan):
    """Chain c reads its own Philox streams under one key drawn from rng: n start uniforms, then one
    per update that runs (a sequential sweep skips clamped units, so they draw nothing), two with
    random scan -- the documented layout, run through the explicit path by hand."""
    from bmexp.streams import draw_key, explicit_uniforms

    m = random_model(4, 3, rng=np.random.default_rng(1), weight_scale=0.8)
    n, sched, clamp_units = m.n_units, Schedule.linear(3, 1, sweeps_per_temperature=2), [1, 4]
    values = np.array([1.0, 0.0])
    for backend in BACKENDS:
        got = gibbs_sample(
            m,
            rng=np.random.default_rng(7),
            n_chains=6,
            schedule=sched,
            clamp=(clamp_units, values),
            scan=scan,
            backend=backend,
        ).states
        n_free = n if scan == "random" else n - len(clamp_units)
        u = explicit_uniforms(
            draw_key(np.random.default_rng(7)), np.arange(6), n, sched.total_sweeps * n_free, scan == "random"
        )
        s = np.where(u[:, :n] < 0.5, 1.0, 0.0)
        s[:, clamp_units] = values
        clamped = np.isin(np.arange(n), clamp_units)
        run_chains(m, s, u, sched, clamped=clamped, rule="heat_bath", scan=scan, backend="numpy", compact=True)
        np.testing.assert_array_equal(got, s)


@pytest.mark.parametrize("rule", ["heat_bath", "flip"])
def test_the_field_table_kernel_gives_the_other_kernels_states(rule):
    """Models of <= TABLE_MAX_UNITS units run the field-table kernel (chains in groups of _GROUP,
    here with a last group of 3); the narrow and wide kernels, on the same thresholds, must give
    the same states and energies -- from T = 20 (most updates flip) down to T = 1, with clamped
    units and with random scan."""
    from bmexp import _kernels
    from bmexp.samplers.gibbs import _recording, thresholds_inplace

    m = random_model(5, 4, rng=np.random.default_rng(3), weight_scale=0.7, bias_scale=0.4, convention="spin")
    n, sched, chains = m.n_units, Schedule.linear(20, 1, sweeps_per_temperature=3), 25 * _kernels._GROUP + 3
    assert _kernels.kernel_kind(n) == "table"
    rng = np.random.default_rng(4)
    for scan, clamped in (("sequential", [0, 6]), ("random", [2])):
        is_clamped = np.isin(np.arange(n), clamped)
        free = np.flatnonzero(~is_clamped)
        width = n + sched.total_sweeps * n * (2 if scan == "random" else 1)
        noise = rng.random((chains, width))
        thresholds_inplace(noise[:, n : n + sched.total_sweeps * n], rule)
        start = np.where(rng.random((chains, n)) < 0.5, 1.0, -1.0)
        outs = []
        for kind in ("table", "narrow", "wide"):
            states = start.copy()
            betas, record_at, energy, trace_at, trace = _recording(sched, chains, n, True, 2)
            _kernels.KERNELS[(kind, False, True, False)](
                states,
                m.weights,
                m.biases,
                -1.0,
                1.0,
                betas,
                record_at,
                is_clamped,
                free,
                free,
                n,
                noise,
                0,
                0,
                0,
                True,
                _kernels.HEAT_BATH if rule == "heat_bath" else _kernels.FLIP,
                scan == "random",
                energy,
                trace_at,
                trace,
            )
            outs.append((states, energy, trace))
        for states, energy, trace in outs[1:]:
            np.testing.assert_array_equal(states, outs[0][0])
            np.testing.assert_array_equal(trace, outs[0][2])
            np.testing.assert_allclose(energy, outs[0][1], rtol=1e-12, atol=1e-12)
        assert np.all(outs[0][0][:, clamped] == start[:, clamped])
        assert not np.array_equal(outs[0][0], start)


def test_same_seed_same_output_different_seed_different_output():
    m = slide35()
    kw = dict(n_chains=1000, schedule=Schedule.constant(3))
    a = gibbs_sample(m, rng=np.random.default_rng(1), **kw).states
    b = gibbs_sample(m, rng=np.random.default_rng(1), **kw).states
    c = gibbs_sample(m, rng=np.random.default_rng(2), **kw).states
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_each_chain_has_its_own_stream():
    m = random_model(20, 10, rng=np.random.default_rng(0), weight_scale=0.3)
    kw = dict(schedule=Schedule.constant(5))
    many = gibbs_sample(m, rng=np.random.default_rng(9), n_chains=400, **kw).states
    few = gibbs_sample(m, rng=np.random.default_rng(9), n_chains=7, **kw).states
    np.testing.assert_array_equal(many[:7], few)  # a chain does not depend on how many others run
    # 30 weakly coupled units: two independent chains agree on a state with prob ~ 2**-25
    assert len(np.unique(many, axis=0)) == 400


def test_rng_is_advanced_so_consecutive_calls_differ():
    rng = np.random.default_rng(3)
    m = random_model(10, 5, rng=np.random.default_rng(0))
    a = gibbs_sample(m, rng=rng, n_chains=50, schedule=Schedule.constant(2)).states
    b = gibbs_sample(m, rng=rng, n_chains=50, schedule=Schedule.constant(2)).states
    assert not np.array_equal(a, b)


# ------------------------------------------------------------------ clamping
@pytest.mark.parametrize("backend", BACKENDS)
def test_clamped_units_never_change(backend):
    m = random_model(4, 2, rng=np.random.default_rng(2), convention="spin")
    rng = np.random.default_rng(0)
    per_chain = rng.choice([-1.0, 1.0], size=500)
    res = gibbs_sample(
        m,
        rng=rng,
        n_chains=500,
        schedule=Schedule.linear(5, 1, sweeps_per_temperature=2),
        clamp={"v1": per_chain, 4: 1.0},
        backend=backend,
        scan="random",
    )
    np.testing.assert_array_equal(res.states[:, 0], per_chain)
    assert np.all(res.states[:, 4] == 1.0)
    assert len(np.unique(res.states[:, [1, 2, 3, 5]], axis=0)) > 1


def test_init_off_and_given_states():
    m = slide35()
    one = Schedule.constant(1)
    res = gibbs_sample(
        m,
        rng=np.random.default_rng(0),
        n_chains=5,
        schedule=one,
        init=np.ones(4),
        clamp=(["v1", "v2", "h1", "h2"], [1, 1, 1, 1]),
    )
    np.testing.assert_array_equal(res.states, np.ones((5, 4)))
    res = gibbs_sample(
        m, rng=np.random.default_rng(0), n_chains=5, schedule=one, init="off", clamp={0: 0, 1: 0, 2: 0, 3: 0}
    )
    np.testing.assert_array_equal(res.states, np.zeros((5, 4)))


def test_result_fields_and_energy_trace():
    m = slide35()
    res = gibbs_sample(m, rng=np.random.default_rng(0), n_chains=2000, schedule=Schedule.post(), record_energy=True)
    assert res.states.shape == (2000, 4) and res.energies.shape == (2000,)
    np.testing.assert_allclose(res.energies, m.energy(res.states))
    assert res.mean_energy.shape == (6,)
    assert res.mean_energy[-1] == pytest.approx(res.energies.mean())
    assert res.n_updates == 2000 * 12 * 4 and res.updates_per_second > 0
    assert set(res.to_dict()) >= {"n_chains", "updates_per_second", "schedule"}
    with pytest.raises(ValueError):
        res.states[0, 0] = 1


# ---------------------------------------------------------- chi-square tests
ALPHA = 0.01  # each seeded test below is one fixed draw, judged at this level


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("convention", ["binary", "spin"])
@pytest.mark.parametrize("name", ["slide35", "random6"])
def test_free_samples_pass_chi_square_against_enumeration(name, convention, rule):
    model = models()[name].to(convention)
    exact = ExactDistribution.of(model)
    n = required_samples(exact.p)  # detects TV >= 0.02 with power 0.9 at alpha 0.01
    res = gibbs_sample(model, rng=np.random.default_rng(2024), n_chains=n, schedule=Schedule.constant(30), rule=rule)
    counts = np.bincount(indices_from_states(res.states, model.convention), minlength=exact.p.size)
    result = gof_test(counts, exact.p, alpha=ALPHA)
    assert not result.reject, result.summary()
    assert result.tv < 0.02


@pytest.mark.parametrize("convention", ["binary", "spin"])
@pytest.mark.parametrize("name", ["slide35", "random6"])
def test_clamped_samples_pass_chi_square_against_the_conditional(name, convention):
    model = models()[name].to(convention)
    on = model.convention.values[1]
    exact = ExactDistribution.of(model)
    hidden = {model.n_visible + j: on for j in range(model.n_hidden)}
    p_cond = exact.conditional_p(hidden)
    n = required_samples(p_cond)
    res = gibbs_sample(model, rng=np.random.default_rng(77), n_chains=n, schedule=Schedule.constant(30), clamp=hidden)
    counts = np.bincount(indices_from_states(res.states[:, : model.n_visible], model.convention), minlength=p_cond.size)
    result = gof_test(counts, p_cond, alpha=ALPHA)
    assert not result.reject, result.summary()


def test_a_wrong_model_is_rejected_by_the_same_test():
    # the chi-square test above has teeth: samples of slide35 tested against seed_target's p
    from bmexp import seed_target

    p_wrong = ExactDistribution.of(seed_target()).p
    res = gibbs_sample(slide35(), rng=np.random.default_rng(2024), n_chains=19202, schedule=Schedule.constant(30))
    counts = np.bincount(indices_from_states(res.states), minlength=16)
    assert gof_test(counts, p_wrong).reject


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(clamp={7: 1}), r"clamp units must be indices in \[0, 4\) or names in .*received 7"),
        (dict(clamp={"h9": 1}), r"clamp units must be .* received 'h9'"),
        (dict(clamp=([0, 0], [1, 1])), r"clamp units must not repeat"),
        (dict(clamp={0: 2}), r"clamp values must contain only binary values \{0, 1\}; found 2"),
        (dict(clamp={0: -1}), r"clamp values must contain only binary values"),
        (
            dict(clamp={0: np.ones(3)}),
            r"clamp values must be numbers, or arrays of n_chains = 10 numbers; received 0: array",
        ),
        (dict(clamp={1: "x"}), r"clamp values must be numbers, .*; received 1: 'x'"),
        (dict(clamp=([0, 1], np.ones((3, 2)))), r"clamp values must have shape \(2,\) or \(10, 2\); received \(3, 2\)"),
        (dict(clamp=[1, 2]), r"clamp must be None, a mapping"),
        (dict(n_chains=0), r"n_chains must be an integer >= 1; received 0"),
        (dict(n_chains=2.5), r"n_chains must be an integer >= 1; received 2.5"),
        (dict(init=np.ones(3)), r"init must have shape \(4,\) or \(10, 4\); received \(3,\)"),
        (dict(init=np.full(4, 2.0)), r"init must contain only binary values \{0, 1\}; found 2"),
        (dict(init="hot"), r"init must be 'random', 'off' or an array of states; received 'hot'"),
        (dict(rng=42), r"rng must be a numpy.random.Generator; received int"),
        (dict(schedule=[1, 2]), r"schedule must be a bmexp Schedule; received list"),
        (dict(rule="gibbs"), r"rule must be one of \['heat_bath', 'flip', 'metropolis'\]; received 'gibbs'"),
        (dict(scan="checkerboard"), r"scan must be one of \['sequential', 'random'\]"),
        (dict(backend="cuda"), r"backend must be one of \['numba', 'numpy'\]; received 'cuda'"),
    ],
)
def test_bad_input_is_named(kwargs, message):
    args = dict(rng=np.random.default_rng(0), n_chains=10, schedule=Schedule.constant(1))
    args.update(kwargs)
    with pytest.raises(InputError, match=message):
        gibbs_sample(slide35(), **args)


def test_sampler_object_is_the_documented_callable():
    sampler = GibbsSampler(rule="flip", scan="random")
    res = sampler(slide35(), rng=np.random.default_rng(0), n_chains=4, schedule=Schedule.constant(1))
    assert res.states.shape == (4, 4)


def test_a_long_schedule_costs_its_inverse_temperatures_only():
    # The numbers are drawn where they are used: 10**6 sweeps of 10 chains allocate the schedule's 1 / T
    # (8 MB) and little else -- the per-sweep recording arrays (16 MB more) only when recording.  Each call
    # runs once untraced first, so that compiling or loading its kernel is not counted.
    import tracemalloc

    m = random_model(2, 2, rng=np.random.default_rng(0))
    kw = dict(rng=np.random.default_rng(0), n_chains=10, schedule=Schedule.constant(10**6))
    for record, limit in ((False, 9.5e6), (True, 26e6)):
        gibbs_sample(m, record_energy=record, **kw)
        tracemalloc.start()
        gibbs_sample(m, record_energy=record, **kw)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert 8e6 <= peak < limit, (record, peak)
