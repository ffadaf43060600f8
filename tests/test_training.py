import numpy as np
import pytest

from bmexp import ExactDistribution, InputError, random_model, seed_target, slide35
from bmexp.data import sample_visible
from bmexp.training import METRIC_COLUMNS, conditional_table, kl_divergence, train


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


def test_divergence_stops_and_keeps_metrics_up_to_it():
    data = sample_visible(seed_target(), 500, rng=np.random.default_rng(2))
    r = train(start().to("spin"), rng=np.random.default_rng(1), data=data, variant="exact", eta=10.0, epochs=100)
    assert r.diverged and "max |W|" in r.reason
    assert np.all(
        np.isfinite(r.metrics.drop(columns=["kl_teacher", "w_dist_teacher_unidentifiable", "grad_norm"]).to_numpy())
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


def test_pt_training_keeps_every_replica_of_its_negative_chains():
    # training=pt: the first epoch anneals from random starts, every later one continues all R
    # replicas of the persistent PT chains (init of shape (n_negative, R, n)) for pcd_sweeps sweeps.
    from bmexp.samplers import ParallelTempering

    calls = []

    class Spy(ParallelTempering):
        def __call__(self, model, **kwargs):
            result = super().__call__(model, **kwargs)
            if kwargs.get("clamp") is None:
                calls.append((kwargs["init"], kwargs["schedule"].total_sweeps, result.replica_states.copy()))
            return result

    data = sample_visible(seed_target(), 50, rng=np.random.default_rng(2))
    train(
        start(),
        rng=np.random.default_rng(1),
        data=data,
        variant="pt",
        epochs=3,
        n_negative=20,
        pcd_sweeps=2,
        sampler=Spy(replicas=3),
    )
    assert isinstance(calls[0][0], str) and [np.shape(c[0]) for c in calls[1:]] == [(20, 3, 4)] * 2
    assert [c[1] for c in calls[1:]] == [2, 2]
    for before, after in zip(calls, calls[1:]):  # each epoch continues where the last one stopped
        np.testing.assert_array_equal(after[0], before[2])
