"""bmexp RBMs and scikit-learn's BernoulliRBM: same parameters, same free energies."""

import subprocess
import sys

import numpy as np
import pytest

from bmexp import ExactDistribution, InputError, zoo
from bmexp.estimate import free_energy
from bmexp.states import all_states

sklearn = pytest.importorskip("sklearn")
from sklearn.neural_network import BernoulliRBM  # noqa: E402

from bmexp.adapters.sklearn import from_sklearn, to_sklearn  # noqa: E402


def _fitted(seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.random((200, 7)) < np.linspace(0.1, 0.8, 7)).astype(float)
    return BernoulliRBM(n_components=5, n_iter=3, learning_rate=0.1, random_state=seed).fit(x), x


def test_a_fitted_sklearn_rbm_and_its_bmexp_copy_have_the_same_free_energies():
    rbm, _ = _fitted()
    model = from_sklearn(rbm)
    assert model.connectivity == "restricted" and model.convention.value == "binary"
    np.testing.assert_array_equal(model.weights[:7, 7:], rbm.components_.T)
    np.testing.assert_array_equal(model.biases, np.concatenate([rbm.intercept_visible_, rbm.intercept_hidden_]))
    v = all_states(7)
    np.testing.assert_allclose(free_energy(model, v), rbm._free_energy(v), rtol=0, atol=1e-12)


def test_a_bmexp_rbm_in_either_convention_gives_sklearn_the_same_distribution():
    model = zoo.random_rbm(6, 4, rng=np.random.default_rng(1), convention="spin")
    rbm = to_sklearn(model, random_state=0)
    v = all_states(6)  # sklearn's units are {0, 1}; the spin model converted exactly
    p_sklearn = np.exp(-rbm._free_energy(v))
    np.testing.assert_allclose(p_sklearn / p_sklearn.sum(), ExactDistribution.of(model).visible_p(), rtol=1e-12)
    back = from_sklearn(rbm)
    np.testing.assert_allclose(back.weights, model.to("binary").weights, rtol=0, atol=1e-15)


def test_sklearn_score_samples_is_the_one_bit_pseudo_likelihood_of_the_same_free_energy():
    rbm, x = _fitted(2)
    model = from_sklearn(rbm)
    flip = np.random.RandomState(2).randint(0, 7, len(x))  # sklearn's own draw for random_state=2
    xf = x.copy()
    xf[np.arange(len(x)), flip] = 1 - xf[np.arange(len(x)), flip]
    expected = -7 * np.logaddexp(0, -(free_energy(model, xf) - free_energy(model, x)))
    np.testing.assert_allclose(rbm.score_samples(x), expected, rtol=1e-12)


def test_only_restricted_models_and_fitted_rbms_convert():
    with pytest.raises(InputError, match=r"^model must be a restricted Boltzmann machine"):
        to_sklearn(zoo.random_model(3, 2, rng=np.random.default_rng(0)))
    with pytest.raises(
        InputError, match=r"^rbm must be a fitted sklearn.neural_network.BernoulliRBM; received BernoulliRBM$"
    ):
        from_sklearn(BernoulliRBM())


@pytest.mark.slow  # a fresh interpreter importing bmexp: about 3 s
def test_the_core_imports_without_sklearn():
    code = (
        "import sys; sys.modules['sklearn'] = None\n"  # any import of sklearn now fails
        "import bmexp, bmexp.estimate, bmexp.training, bmexp.adapters, bmexp.cli\n"
        "import numpy as np\n"
        "m = bmexp.BoltzmannMachine.rbm(np.ones((2, 1)), np.zeros(2), np.zeros(1))\n"
        "print(bmexp.estimate.free_energy(m, np.zeros((1, 2)))[0])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout) == pytest.approx(-np.log(2.0))


def test_fit_bernoulli_rbm_is_sklearns_fit_with_the_same_settings():
    # the trainer=sklearn path: BernoulliRBM with n_components, learning_rate, n_iter, batch_size as
    # given and random_state drawn from the job's generator; spin vectors are fitted as binary
    from bmexp.adapters.sklearn import fit_bernoulli_rbm

    _, x = _fitted()
    model = fit_bernoulli_rbm(2 * x - 1, 5, eta=0.1, epochs=3, batch_size=20, rng=np.random.default_rng(7))
    state = int(np.random.default_rng(7).integers(2**32 - 1))
    ref = BernoulliRBM(n_components=5, learning_rate=0.1, n_iter=3, batch_size=20, random_state=state).fit(x)
    np.testing.assert_array_equal(model.weights[:7, 7:], ref.components_.T)
    np.testing.assert_array_equal(model.biases[7:], ref.intercept_hidden_)
    full = fit_bernoulli_rbm(x, 5, eta=0.1, epochs=1, batch_size=None, rng=np.random.default_rng(7))
    ref = BernoulliRBM(n_components=5, learning_rate=0.1, n_iter=1, batch_size=200, random_state=state).fit(x)
    np.testing.assert_array_equal(full.weights[:7, 7:], ref.components_.T)  # None: one full batch per epoch
