"""Held-out evaluation (AIS log-likelihood, pseudo-log-likelihood, reconstruction), training beyond
enumeration, and the digits data."""

import numpy as np
import pytest

from bmexp import ExactDistribution, InputError, zoo
from bmexp.data import check_digits_model, digits
from bmexp.estimate import exact_samples
from bmexp.evaluation import EVALUATION_COLUMNS, HeldOut, pseudo_log_likelihood, reconstruction_error
from bmexp.states import all_states, indices_from_states
from bmexp.training import METRIC_COLUMNS, train


@pytest.mark.parametrize("connectivity", ["full", "restricted"])
def test_pseudo_log_likelihood_is_the_exact_sum_of_one_unit_conditionals(connectivity):
    model = zoo.random_model(5, 3, rng=np.random.default_rng(0), connectivity=connectivity)
    p_v = ExactDistribution.of(model).visible_p()
    v = all_states(5)
    expected = np.zeros(len(v))
    for i in range(5):
        flipped = v.copy()
        flipped[:, i] = 1 - flipped[:, i]
        p, q = p_v[indices_from_states(v)], p_v[indices_from_states(flipped)]
        expected += np.log(p / (p + q))
    assert pseudo_log_likelihood(model, v) == pytest.approx(expected.mean(), rel=1e-12)


def test_reconstruction_error_is_the_mean_field_round_trip_and_nan_unless_restricted():
    model = zoo.random_rbm(3, 2, rng=np.random.default_rng(0))
    w, b = model.weights, model.biases
    v = np.array([[1.0, 0.0, 1.0]])
    h = 1 / (1 + np.exp(-(v @ w[:3, 3:] + b[3:])))
    r = 1 / (1 + np.exp(-(h @ w[3:, :3] + b[:3])))
    assert reconstruction_error(model, v) == pytest.approx(np.mean((v - r) ** 2))
    assert np.isnan(reconstruction_error(zoo.random_model(3, 2, rng=np.random.default_rng(0)), v))


def test_digits_are_binarised_at_8_of_16_and_split_by_seed():
    pytest.importorskip("sklearn")
    train_a, held_a = digits(seed=0)
    train_b, held_b = digits(seed=0)
    assert train_a.shape == (1438, 64) and held_a.shape == (359, 64)
    np.testing.assert_array_equal(held_a, held_b)
    assert set(np.unique(train_a)) == {0.0, 1.0}
    from sklearn.datasets import load_digits

    pixels = load_digits().data
    everything = np.vstack([train_a, held_a])
    assert (
        np.mean(everything) == pytest.approx(np.mean(pixels >= 8)) == pytest.approx(0.323, abs=5e-4)
    )  # the 32%
    np.testing.assert_array_equal(
        np.sort(everything @ 2.0 ** np.arange(64)), np.sort((pixels >= 8) @ 2.0 ** np.arange(64))
    )
    _, held_c = digits(seed=1)
    assert not np.array_equal(held_a, held_c)
    spin, _ = digits(seed=0, convention="spin")
    np.testing.assert_array_equal(spin, 2 * train_a - 1)


def test_digits_refuse_a_model_without_64_visible_units():
    check_digits_model(zoo.random_rbm(64, 3, rng=np.random.default_rng(0)))
    with pytest.raises(InputError) as err:
        check_digits_model(zoo.random_rbm(63, 3, rng=np.random.default_rng(0)))
    assert str(err.value) == "n_visible must be 64 for data=digits (8 x 8 pixels); received 63"


def test_training_with_held_out_evaluation_matches_the_exact_log_likelihood():
    teacher = zoo.random_rbm(6, 4, rng=np.random.default_rng(0), weight_scale=1.5)
    data = exact_samples(teacher, 400, rng=np.random.default_rng(1))
    held = exact_samples(teacher, 200, rng=np.random.default_rng(2))
    student = zoo.random_rbm(6, 4, rng=np.random.default_rng(3), weight_scale=0.1)
    evaluation = HeldOut(held, every=2, n_chains=500, betas=200, seed=4, confidence=0.999)
    res = train(
        student, rng=np.random.default_rng(5), data=data, variant="pcd", eta=0.2, epochs=4, evaluation=evaluation
    )
    m = res.metrics
    assert tuple(m.columns) == METRIC_COLUMNS + EVALUATION_COLUMNS
    assert list(m["ais_log_likelihood"].notna()) == [True, False, True, False, True]
    exact = ExactDistribution.of(res.model)
    truth = float(np.mean(np.log(exact.visible_p()[indices_from_states(held)])))
    last = m.iloc[-1]
    # one seeded 99.9% interval covers the truth (fails wrongly with probability 0.001)
    assert last["ais_ci_low"] <= truth <= last["ais_ci_high"], (last["ais_ci_low"], truth, last["ais_ci_high"])
    assert last["ais_log_likelihood"] > m.iloc[0]["ais_log_likelihood"]  # training improved it


def test_same_training_with_or_without_evaluation():
    # the evaluation draws from its own stream: the trained model is the same
    teacher = zoo.random_rbm(4, 2, rng=np.random.default_rng(0))
    data = exact_samples(teacher, 100, rng=np.random.default_rng(1))
    student = zoo.random_rbm(4, 2, rng=np.random.default_rng(3), weight_scale=0.1)
    a = train(student, rng=np.random.default_rng(5), data=data, variant="pcd", epochs=3)
    b = train(
        student, rng=np.random.default_rng(5), data=data, variant="pcd", epochs=3, evaluation=HeldOut(data, betas=10)
    )
    np.testing.assert_array_equal(a.model.weights, b.model.weights)


def test_training_beyond_enumeration_runs_on_data_and_reports_held_out_metrics():
    rng = np.random.default_rng(0)
    data = (rng.random((200, 30)) < np.linspace(0.1, 0.9, 30)).astype(float)
    student = zoo.random_rbm(30, 10, rng=np.random.default_rng(1), weight_scale=0.01)  # 40 units
    res = train(
        student,
        rng=np.random.default_rng(2),
        data=data,
        variant="pcd",
        eta=0.5,
        epochs=4,
        evaluation=HeldOut(data[:50], every=4, n_chains=50, betas=100),
    )
    m = res.metrics
    assert not res.diverged and m["kl_data"].isna().all() and m["log_likelihood"].isna().all()
    assert m["ais_log_likelihood"].notna().sum() == 2  # epochs 0 and 4
    # the data are independent units with unequal marginals: learning the biases alone lifts the
    # held-out log-likelihood from the near-uniform start (about -30 log 2 = -20.8 nats)
    assert m["ais_log_likelihood"].iloc[-1] > m["ais_log_likelihood"].iloc[0]
    with pytest.raises(
        InputError, match=r"^variant = 'exact' with p_data enumerates all states; the student has 40 units"
    ):
        train(student, rng=np.random.default_rng(2), data=data, variant="exact", epochs=1)


def test_held_out_refuses_bad_input():
    with pytest.raises(InputError, match=r"^held_out must be at least 2 visible vectors"):
        HeldOut(np.zeros((1, 3)))
    with pytest.raises(InputError, match=r"^betas must be at least 2 inverse temperatures"):
        HeldOut(np.zeros((3, 3)), betas=1)
    with pytest.raises(InputError, match=r"^every must be an integer >= 1; received 0$"):
        HeldOut(np.zeros((3, 3)), every=0)


def test_mini_batches_make_one_update_per_batch():
    teacher = zoo.random_rbm(4, 2, rng=np.random.default_rng(0))
    data = exact_samples(teacher, 100, rng=np.random.default_rng(1))
    student = zoo.random_rbm(4, 2, rng=np.random.default_rng(3), weight_scale=0.1)
    full = train(student, rng=np.random.default_rng(5), data=data, variant="pcd", epochs=1, eta=0.1)
    same = train(student, rng=np.random.default_rng(5), data=data, variant="pcd", epochs=1, eta=0.1, batch_size=None)
    np.testing.assert_array_equal(full.model.weights, same.model.weights)
    calls = []

    class Counting:
        def __call__(self, model, **kwargs):
            calls.append(kwargs["n_chains"])
            from bmexp.samplers import GibbsSampler

            return GibbsSampler()(model, **kwargs)

    train(student, rng=np.random.default_rng(5), data=data, variant="pcd", epochs=2, batch_size=30, sampler=Counting())
    assert calls == [100] * 8  # 4 batches (30, 30, 30, 10) a epoch, one negative phase each; positive phase exact
    with pytest.raises(InputError, match=r"^batch_size must be an integer >= 1; received 0$"):
        train(student, rng=np.random.default_rng(5), data=data, variant="pcd", epochs=1, batch_size=0)
