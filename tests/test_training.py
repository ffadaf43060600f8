import numpy as np
import pytest

from bmexp import ExactDistribution, InputError, random_model, seed_target, slide35
from bmexp.data import sample_visible
from bmexp.likelihood import pseudo_log_likelihood
from bmexp.training import METRIC_COLUMNS, METRIC_VECTORS, PLL_COLUMNS, conditional_table, kl_divergence, train


def start():
    # the same random start in both conventions (converted exactly)
    return random_model(2, 2, rng=np.random.default_rng(0), weight_scale=0.5, bias_scale=0.0)


P_TEACHER = ExactDistribution.of(seed_target()).visible_p()


@pytest.mark.parametrize("convention, eta", [("binary", 2.0), ("spin", 0.5)])
def test_exact_gradient_reaches_the_teacher(convention, eta):
    r = train(
        start().to(convention),
        rng=np.random.default_rng(1),
        p_data=P_TEACHER,
        teacher=seed_target(),
        variant="exact",
        eta=eta,
        epochs=200,
    )
    assert not r.diverged
    assert r.final["kl_teacher"] < 1e-4
    assert r.model.convention.value == convention


def test_spin_converges_faster_than_binary_at_eta_001():
    epochs = {}
    for conv in ("binary", "spin"):
        r = train(
            start().to(conv),
            rng=np.random.default_rng(1),
            p_data=P_TEACHER,
            teacher=seed_target(),
            variant="exact",
            eta=0.01,
            epochs=800,
        )
        epochs[conv] = r.epochs_to(1e-3)
    # theory (units near 50% active): about 140 vs 490 epochs
    assert epochs["spin"] is not None and epochs["binary"] is not None
    assert epochs["spin"] < epochs["binary"]


@pytest.mark.parametrize("variant", ["annealed", "pcd", "pt"])
def test_sampled_variants_reach_the_finite_data_floor(variant):
    data = sample_visible(seed_target(), 1000, rng=np.random.default_rng(2))
    r = train(
        start(), rng=np.random.default_rng(1), data=data, teacher=seed_target(), variant=variant, eta=0.1, epochs=200
    )
    floor = r.final["kl_floor"]
    assert floor == pytest.approx(3 / 2000)
    assert r.final["kl_data"] < 2 * floor
    assert r.metrics["kl_data"].iloc[0] > 10 * floor  # it did learn something


def test_metrics_table_and_identifiability_label():
    r = train(
        start(),
        rng=np.random.default_rng(1),
        p_data=P_TEACHER,
        teacher=seed_target(),
        variant="exact",
        eta=0.5,
        epochs=5,
    )
    assert tuple(r.metrics.columns) == METRIC_COLUMNS
    assert list(r.metrics["epoch"]) == [0, 1, 2, 3, 4, 5]
    assert r.metrics["kl_teacher"].is_monotonic_decreasing
    np.testing.assert_allclose(
        r.metrics["log_likelihood"].iloc[-1], np.sum(P_TEACHER * np.log(ExactDistribution.of(r.model).visible_p()))
    )
    assert r.to_dict()["epochs_run"] == 5


def test_w_stays_symmetric_with_zero_diagonal_and_frozen_biases_stay():
    data = sample_visible(seed_target(), 200, rng=np.random.default_rng(2))
    s = start().replace(biases=np.array([0.1, -0.2, 0.3, 0.0]))
    r = train(s, rng=np.random.default_rng(1), data=data, variant="annealed", eta=0.1, epochs=5, learn_biases=False)
    np.testing.assert_array_equal(r.model.biases, s.biases)
    np.testing.assert_array_equal(r.model.weights, r.model.weights.T)
    assert np.all(np.diag(r.model.weights) == 0)


def test_a_model_beyond_the_energy_bound_is_divergence_not_a_failure():
    """With max_weight set out of the way (an outside tester: eta = 1e13, max_weight = 1e14), the first update
    made a model whose energies a BoltzmannMachine refuses (beyond MAX_ENERGY), and the job FAILED with that
    InputError.  It is divergence: training stops there and keeps what it had."""
    data = sample_visible(seed_target(), 500, rng=np.random.default_rng(2))
    r = train(start(), rng=np.random.default_rng(1), data=data, variant="exact", eta=1e13, epochs=5, max_weight=1e14)
    assert r.diverged and "energies reach" in r.reason and "> 1e+12 at epoch 1" in r.reason, r.reason
    assert np.abs(r.model.weights).max() < 1e3  # the last model within the bound: the start


def test_divergence_stops_and_keeps_metrics_up_to_it():
    data = sample_visible(seed_target(), 500, rng=np.random.default_rng(2))
    r = train(start().to("spin"), rng=np.random.default_rng(1), data=data, variant="exact", eta=10.0, epochs=100)
    assert r.diverged and "max |W|" in r.reason
    assert np.all(
        np.isfinite(
            r.metrics.drop(
                columns=["kl_teacher", "w_dist_teacher_unidentifiable", "grad_norm", *PLL_COLUMNS]
            ).to_numpy()
        )
    )
    assert len(r.metrics) < 101 and np.max(np.abs(r.model.weights)) <= 10


def test_same_seed_same_training():
    data = sample_visible(seed_target(), 300, rng=np.random.default_rng(2))
    a = train(start(), rng=np.random.default_rng(5), data=data, variant="pcd", eta=0.1, epochs=5)
    b = train(start(), rng=np.random.default_rng(5), data=data, variant="pcd", eta=0.1, epochs=5)
    np.testing.assert_array_equal(a.model.weights, b.model.weights)


def test_conditional_table_compares_models():
    t = conditional_table({"teacher": seed_target(), "slide35": slide35()})
    assert list(t.columns[:2]) == ["v1", "v2"]
    np.testing.assert_allclose(t["p(v|h) slide35"], [0.6439, 0.2369, 0.0871, 0.0321], atol=1e-4)
    assert t["p(v) teacher"].sum() == pytest.approx(1.0)


def test_kl_divergence():
    assert kl_divergence([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(np.log(2))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(eta=0), r"eta must be a finite number > 0; received 0"),
        (dict(eta=float("nan")), r"eta must be a finite number > 0; received nan"),
        (dict(epochs=0), r"epochs must be an integer >= 1; received 0"),
        (dict(variant="cd1"), r"variant must be one of \['annealed', 'pcd', 'pt', 'exact'\]; received 'cd1'"),
        (dict(data=np.zeros((5, 3))), r"data must have shape \(n_vectors, 2\) to match n_visible = 2"),
        (dict(data=np.full((5, 2), 2.0)), r"data must hold unit values \{0, 1\} or \{-1, 1\}"),
        (
            dict(teacher=random_model(3, 2, rng=np.random.default_rng(0))),
            r"teacher and student must have the same units; teacher has 3 visible \+ 2 hidden, student 2 \+ 2",
        ),
        (dict(weight_decay=-1.0), r"weight_decay must be a finite number >= 0"),
        (dict(data=None, p_data=P_TEACHER, variant="annealed"), r"variant = 'annealed' clamps data vectors"),
        (dict(data=None), r"give data \(visible vectors\) or p_data"),
    ],
)
def test_bad_input(kwargs, message):
    args = dict(rng=np.random.default_rng(0), data=np.array([[0, 1], [1, 1]]), epochs=2)
    args.update(kwargs)
    with pytest.raises(InputError, match=message):
        train(start(), **args)


# ----------------------------------------------------------------------------- beyond enumeration
def test_pll_measure_logs_pseudo_likelihood_and_no_kl():
    data = sample_visible(seed_target(), 300, rng=np.random.default_rng(2))
    r = train(
        start(),
        rng=np.random.default_rng(1),
        data=data[:250],
        heldout=data[250:],
        measure="pll",
        eta=0.1,
        epochs=4,
        metrics_every=2,
        n_negative=50,
    )
    m = r.metrics
    assert list(m["epoch"]) == [0, 2, 4]
    assert m[["kl_data", "kl_teacher", "kl_floor", "log_likelihood"]].isna().all().all()
    assert m[list(PLL_COLUMNS)].notna().all().all()
    assert r.measured_by == "pseudo-log-likelihood (exact: hidden units summed)"
    # the logged value is the pseudo-log-likelihood of the model it belongs to (2 hidden units: exact),
    # on the first METRIC_VECTORS (200) training vectors
    assert m["pll_train"].iloc[-1] == pytest.approx(
        pseudo_log_likelihood(r.model, data[:METRIC_VECTORS]).value, rel=1e-12
    )
    assert m["pll_heldout"].iloc[0] == pytest.approx(pseudo_log_likelihood(start(), data[250:]).value, rel=1e-12)
    assert 0 <= m["reconstruction_heldout"].min() and m["reconstruction_heldout"].max() <= 1


def test_training_beyond_enumeration_runs_and_is_labelled_an_estimate():
    teacher = random_model(8, 20, rng=np.random.default_rng(0), weight_scale=0.3)  # 28 units > 24
    data = np.random.default_rng(1).integers(0, 2, size=(40, 8))
    student = random_model(8, 20, rng=np.random.default_rng(2), weight_scale=0.3, bias_scale=0.0)
    r = train(
        student,
        rng=np.random.default_rng(3),
        data=data[:30],
        heldout=data[30:],
        teacher=teacher,
        epochs=2,
        n_negative=10,
    )
    assert r.measured_by.startswith("pseudo-log-likelihood (estimate")
    assert r.metrics["kl_data"].isna().all() and r.metrics["pll_heldout"].notna().all()
    assert np.isfinite(r.metrics["w_dist_teacher_unidentifiable"]).all()


def test_kl_and_the_exact_variant_are_refused_beyond_enumeration():
    big = random_model(20, 6, rng=np.random.default_rng(0))
    data = np.zeros((5, 20))
    with pytest.raises(InputError, match="measure = 'kl' needs exact enumeration"):
        train(big, rng=np.random.default_rng(0), data=data, measure="kl")
    with pytest.raises(InputError, match="variant = 'exact' enumerates the model"):
        train(big, rng=np.random.default_rng(0), data=data, variant="exact")
    with pytest.raises(InputError, match="p_data: measure = 'pll' needs data vectors"):
        train(start(), rng=np.random.default_rng(0), p_data=P_TEACHER, variant="pcd", measure="pll")
    with pytest.raises(InputError, match="^measure = 'pll' with variant = 'exact': the exact variant enumerates"):
        train(start(), rng=np.random.default_rng(0), data=np.zeros((5, 2)), variant="exact", measure="pll")


def test_a_job_trained_beyond_enumeration_logs_no_kl_metric():
    from bmexp.experiment import run_experiment
    from bmexp.samplers import GibbsSampler
    from bmexp.schedules import Schedule

    data = sample_visible(seed_target(), 60, rng=np.random.default_rng(2))
    training = dict(student=start(), data=data[:50], heldout=data[50:], measure="pll", epochs=2, n_negative=10)
    r = run_experiment(
        seed_target(),
        rng=np.random.default_rng(0),
        schedule=Schedule.post(),
        sampler=GibbsSampler(),
        checks=(),
        training=training,
    )
    m = r.metrics()
    assert not [k for k in m if "kl" in k]
    assert m["train.pll_exact"] == 1.0 and np.isfinite(m["train.final_pll_heldout"])
    assert m["train.final_reconstruction_heldout"] == r.training.final["reconstruction_heldout"]
    steps = dict(r.step_metrics())
    assert "train.pll_train" in steps[2] and not [k for k in steps[2] if "kl" in k]


# ------------------------------------------------------------------ restricted connectivity
def test_hidden_means_are_the_exact_conditional_expectations():
    from bmexp.states import all_states
    from bmexp.training import hidden_means
    from bmexp.zoo import random_model

    for conv in ("binary", "spin"):
        model = random_model(3, 3, rng=np.random.default_rng(4), connectivity="semi_restricted", convention=conv)
        exact = ExactDistribution.of(model)
        v = all_states(3, conv)
        h = all_states(3, conv)
        expected = exact.hidden_given_visible_p() @ h  # E[h | v] row by row, by enumeration
        np.testing.assert_allclose(hidden_means(model, v), np.hstack([v, expected]), rtol=0, atol=1e-12)


@pytest.mark.parametrize("variant", ["pcd", "exact"])
@pytest.mark.parametrize("connectivity", ["restricted", "semi_restricted"])
def test_training_never_learns_a_masked_coupling(variant, connectivity):
    from bmexp.zoo import random_model

    teacher = random_model(3, 2, rng=np.random.default_rng(0), weight_scale=2.0)  # fully connected
    student = random_model(3, 2, rng=np.random.default_rng(1), connectivity=connectivity, weight_scale=0.1)
    data = sample_visible(teacher, 300, rng=np.random.default_rng(2))
    result = train(student, rng=np.random.default_rng(3), data=data, variant=variant, eta=0.1, epochs=20)
    w = result.model.weights
    assert result.model.connectivity == connectivity and not result.diverged
    assert np.all(w[~student.mask] == 0)  # exactly zero where masked (the model would refuse anything else)
    assert np.all(np.abs(w - student.weights)[student.mask] > 0)  # every allowed coupling learnt


def test_pcd_with_a_parallel_tempering_sampler_is_refused_naming_both():
    # pcd would hand PT only the T = 1 replica each epoch, restarting its ladder: the API refuses
    # it as the config boundary does (training=pcd sampler=pt), before any work.
    from bmexp.samplers import ParallelTempering

    data = sample_visible(seed_target(), 10, rng=np.random.default_rng(2))
    with pytest.raises(InputError, match=r"sampler = ParallelTempering .*variant = 'pcd'.*variant = 'pt'"):
        train(start(), rng=np.random.default_rng(1), data=data, variant="pcd", epochs=1, sampler=ParallelTempering())


def test_sklearn_pcd_ignores_a_parallel_tempering_sampler_instead_of_refusing_it():
    # trainer="sklearn" is pcd by BernoulliRBM, which draws its own chains: a PT sampler (there for a
    # run's checks) restarts nothing, so it is not refused as bmexp's pcd with PT is.
    pytest.importorskip("sklearn")
    from bmexp.samplers import ParallelTempering
    from bmexp.zoo import random_rbm

    data = (np.random.default_rng(1).random((40, 6)) < 0.5).astype(float)
    result = train(
        random_rbm(6, 3, rng=np.random.default_rng(0)),
        rng=np.random.default_rng(2),
        data=data,
        variant="pcd",
        trainer="sklearn",
        epochs=2,
        sampler=ParallelTempering(),
    )
    assert result.variant == "sklearn BernoulliRBM (pcd)"


def test_pt_training_keeps_every_replica_of_its_negative_chains():
    # training=pt: the first epoch anneals from random starts, every later one carries on the last one's
    # PTResult (all R replicas, n_negative x R x n, with their round trips and deo's parity) for pcd_sweeps
    # sweeps, and the result's pt counts every epoch's swaps.
    from bmexp.samplers import ParallelTempering, PTResult

    calls = []

    class Spy(ParallelTempering):
        def __call__(self, model, **kwargs):
            result = super().__call__(model, **kwargs)
            if kwargs.get("clamp") is None:
                calls.append((kwargs["init"], kwargs["schedule"].total_sweeps, result.replica_states.copy()))
            return result

    data = sample_visible(seed_target(), 50, rng=np.random.default_rng(2))
    result = train(
        start(),
        rng=np.random.default_rng(1),
        data=data,
        variant="pt",
        epochs=3,
        n_negative=20,
        pcd_sweeps=2,
        sampler=Spy(replicas=3),
    )
    assert isinstance(calls[0][0], str) and all(isinstance(c[0], PTResult) for c in calls[1:])
    assert [np.shape(c[0].replica_states) for c in calls[1:]] == [(20, 3, 4)] * 2
    assert [c[1] for c in calls[1:]] == [2, 2] and [c[0].sweeps_done for c in calls[1:]] == [12, 14]
    for before, after in zip(calls, calls[1:]):  # each epoch continues where the last one stopped
        np.testing.assert_array_equal(after[0].replica_states, before[2])
    assert result.pt.calls == 3 and result.pt.chain_sweeps == 20 * (12 + 2 + 2)
    assert result.pt.attempts.sum() == 20 * (12 + 2 + 2)  # R = 3: one pair a round (the post schedule: 12 sweeps)
