"""Held-out evaluation (AIS log-likelihood), training beyond enumeration with it, and the digits data.
(The pseudo-log-likelihood's tests are in tests/test_likelihood.py.)"""

import numpy as np
import pytest

from bmexp import ExactDistribution, InputError, zoo
from bmexp.data import check_digits_model, digits
from bmexp.estimate import exact_samples
from bmexp.evaluation import EVALUATION_COLUMNS, HeldOut
from bmexp.states import indices_from_states
from bmexp.training import METRIC_COLUMNS, train


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
    # forward and reverse AIS log Z (reverse from 1,000 Gibbs sweeps of training vectors: exact samples for
    # all purposes on 10 units) each cover the exact log Z with their 99.9% intervals (each fails wrongly
    # with probability 0.001), and the reverse log-likelihood is the same mean -F(v) minus the reverse log Z
    log_z = exact.log_z
    assert last["ais_log_z_ci_low"] <= log_z <= last["ais_log_z_ci_high"]
    assert last["ais_log_z_reverse_ci_low"] <= log_z <= last["ais_log_z_reverse_ci_high"]
    assert last["ais_log_likelihood_reverse"] - last["ais_log_likelihood"] == pytest.approx(
        last["ais_log_z"] - last["ais_log_z_reverse"], abs=1e-9
    )
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


def _independent_units(n_vectors):
    """Vectors of 30 independent units with unequal marginals, and a near-zero RBM of 40 units."""
    rng = np.random.default_rng(0)
    data = (rng.random((n_vectors, 30)) < np.linspace(0.1, 0.9, 30)).astype(float)
    return data, zoo.random_rbm(30, 10, rng=np.random.default_rng(1), weight_scale=0.01)


def test_training_beyond_enumeration_runs_on_data_and_reports_held_out_metrics():
    data, student = _independent_units(200)
    evaluation = HeldOut(data[:50], every=4, n_chains=50, betas=100)
    res = train(
        student, rng=np.random.default_rng(2), data=data, variant="pcd", eta=0.5, epochs=4, evaluation=evaluation
    )
    m = res.metrics
    assert not res.diverged and m["kl_data"].isna().all() and m["log_likelihood"].isna().all()
    assert m["ais_log_likelihood"].notna().sum() == 2  # epochs 0 and 4
    # the data are independent units with unequal marginals: learning the biases alone lifts the
    # held-out log-likelihood from the near-uniform start (about -30 log 2 = -20.8 nats)
    assert m["ais_log_likelihood"].iloc[-1] > m["ais_log_likelihood"].iloc[0]
    with pytest.raises(
        InputError, match=r"^variant = 'exact' enumerates the model \(n_units <= 24\); the model has 40 "
    ):
        train(student, rng=np.random.default_rng(2), data=data, variant="exact", epochs=1)


def test_the_same_held_out_vectors_give_the_pll_columns_and_the_ais_columns_at_their_own_epochs():
    # the unified design: heldout= feeds pll_heldout / reconstruction_heldout (bmexp.likelihood, every
    # metrics_every epochs) and the evaluation's AIS (every evaluation.every epochs); both in one table
    data, student = _independent_units(120)
    train_on, held = data[:100], data[100:]
    evaluation = HeldOut(held, every=3, n_chains=20, betas=50)
    res = train(
        student,
        rng=np.random.default_rng(2),
        data=train_on,
        heldout=held,
        variant="pcd",
        epochs=6,
        metrics_every=2,
        evaluation=evaluation,
    )
    m = res.metrics.set_index("epoch")
    assert list(m.index) == [0, 2, 3, 4, 6]  # metrics epochs and evaluated epochs
    assert list(m.index[m["ais_log_likelihood"].notna()]) == [0, 3, 6]
    assert m["pll_heldout"].notna().all() and m["reconstruction_heldout"].notna().all()
    assert res.measured_by == "pseudo-log-likelihood (exact: independent hidden units)"  # an RBM: exact
    assert set(EVALUATION_COLUMNS) == {
        *("ais_log_likelihood", "ais_stderr", "ais_ci_low", "ais_ci_high", "ais_ess"),
        *("ais_log_z", "ais_log_z_ci_low", "ais_log_z_ci_high", "ais_log_likelihood_reverse"),
        *("ais_log_z_reverse", "ais_log_z_reverse_ci_low", "ais_log_z_reverse_ci_high"),
    }
    assert m.loc[6, "ais_log_z_reverse"] > 0 and np.isnan(m.loc[2, "ais_log_z_reverse"])


def test_held_out_refuses_bad_input():
    with pytest.raises(InputError, match=r"^heldout must be at least 2 visible vectors"):
        HeldOut(np.zeros((1, 3)))
    with pytest.raises(InputError, match=r"^betas must be at least 2 inverse temperatures"):
        HeldOut(np.zeros((3, 3)), betas=1)
    with pytest.raises(InputError, match=r"^every must be an integer >= 1; received 0$"):
        HeldOut(np.zeros((3, 3)), every=0)
    with pytest.raises(InputError, match=r"^reverse_sweeps must be an integer >= 0; received -1$"):
        HeldOut(np.zeros((3, 3)), reverse_sweeps=-1)


def test_without_reverse_sweeps_the_reverse_columns_are_nan_and_forward_is_unchanged():
    data, student = _independent_units(60)
    rows = [
        HeldOut(data[:20], n_chains=10, betas=20, reverse_sweeps=r)(student, rng=np.random.default_rng(0), data=data)
        for r in (None, 5)
    ]
    assert np.isnan(rows[0]["ais_log_z_reverse"]) and np.isnan(rows[0]["ais_log_likelihood_reverse"])
    assert np.isfinite(rows[1]["ais_log_z_reverse"])
    assert rows[0]["ais_log_likelihood"] == rows[1]["ais_log_likelihood"]  # the forward run comes first


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
