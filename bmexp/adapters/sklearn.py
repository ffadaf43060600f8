"""scikit-learn's ``BernoulliRBM`` and bmexp's restricted Boltzmann machines, parameter for parameter
(optional: ``pip install -e '.[sklearn]'``; nothing else in bmexp imports scikit-learn).

Conventions, checked in tests/adapters/test_sklearn.py (same free energies to 1e-12):

* units: sklearn's RBM is binary ({0, 1}); a bmexp spin model is converted exactly first;
* ``components_`` has shape ``(n_hidden, n_visible)``: bmexp's visible-hidden block is its
  transpose, ``W[:n_visible, n_visible:] = components_.T``;
* ``intercept_visible_`` and ``intercept_hidden_`` are bmexp's visible and hidden biases, with the
  same sign: both write ``E(v, h) = -v^T W h - b_v^T v - b_h^T h`` (bmexp's
  ``-1/2 s^T W s - b^T s`` with W symmetric counts each visible-hidden pair once);
* ``_free_energy(v) = -v . b_v - sum_j log(1 + exp(v . W[:, j] + b_h[j]))`` is bmexp's
  :func:`bmexp.estimate.free_energy`, in nats, no temperature;
* ``score_samples`` is *not* a log-likelihood: it flips one random bit of each vector and returns
  ``n_visible * log sigmoid(F(v_flipped) - F(v))`` (a stochastic pseudo-log-likelihood); held-out
  log-likelihood needs ``log Z`` (:func:`bmexp.estimate.ais`).
"""

from __future__ import annotations

import numpy as np

from .. import arguments
from ..conventions import check_states, numeric_array
from ..errors import InputError
from ..model import BoltzmannMachine

__all__ = ["fit_bernoulli_rbm", "from_sklearn", "to_sklearn"]


def from_sklearn(rbm) -> BoltzmannMachine:
    """A bmexp RBM (binary, ``connectivity="restricted"``) with a fitted ``BernoulliRBM``'s parameters."""
    try:
        components, b_v, b_h = rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_
    except AttributeError:
        raise InputError.bad("rbm", "a fitted sklearn.neural_network.BernoulliRBM", rbm, shown=type(rbm).__name__)
    return BoltzmannMachine.rbm(np.asarray(components).T, b_v, b_h, convention="binary")


#: BernoulliRBM constructor options to_sklearn passes on (n_components comes from the model)
_OPTIONS = ("learning_rate", "batch_size", "n_iter", "verbose", "random_state")


def _batch_memory(batch_size: int, n_visible: int, n_hidden: int) -> None:
    # sklearn keeps batch_size persistent chains and a few (batch, units) float temporaries per update
    arguments.within(
        "batch_size", batch_size, memory=8.0 * 4 * batch_size * (n_visible + n_hidden), what="the mini-batches"
    )


def to_sklearn(model: BoltzmannMachine, **params):
    """A ``BernoulliRBM`` (``params`` passed to its constructor) holding ``model``'s parameters, as if
    fitted: its ``_free_energy``, ``transform``, ``gibbs`` and ``score_samples`` use them."""
    from sklearn.neural_network import BernoulliRBM

    arguments.model(model)
    for key in params:
        if key == "n_components":
            raise InputError.about(
                "n_components", "{argument} comes from the model (its n_hidden); do not pass it to to_sklearn"
            )
        arguments.one_of(key, "keyword argument", _OPTIONS)
    if "batch_size" in params:
        params["batch_size"] = arguments.integer(params["batch_size"], "batch_size", low=1)
        _batch_memory(params["batch_size"], model.n_visible, model.n_hidden)
    nv, w = model.n_visible, model.weights
    if model.n_hidden == 0 or np.any(w[:nv, :nv]) or np.any(w[nv:, nv:]):
        raise InputError.about(
            "model", "{argument} must be a restricted Boltzmann machine (visible-hidden couplings only, n_hidden >= 1)"
        )
    binary = model.to("binary")
    rbm = BernoulliRBM(n_components=binary.n_hidden, **params)
    rbm.components_ = np.array(binary.weights[:nv, nv:].T)
    rbm.intercept_visible_ = np.array(binary.biases[:nv])
    rbm.intercept_hidden_ = np.array(binary.biases[nv:])
    rbm.n_features_in_ = nv
    rbm.h_samples_ = np.zeros((rbm.batch_size, binary.n_hidden))
    return rbm


def fit_bernoulli_rbm(
    vectors, n_hidden: int, *, eta: float, epochs: int, batch_size: int | None, rng: np.random.Generator
) -> BoltzmannMachine:
    """scikit-learn's ``BernoulliRBM(n_components=n_hidden, learning_rate=eta, n_iter=epochs,
    batch_size=batch_size)`` fitted on ``vectors`` (rows; binary or spin, fitted as binary), its
    ``random_state`` drawn from ``rng``; returned as a binary bmexp RBM (:func:`from_sklearn`).
    ``batch_size=None`` is one full-batch update per epoch, as in :func:`bmexp.training.train`.
    sklearn's own choices stay: weights start ~ N(0, 0.01^2), biases at 0, ``batch_size`` persistent
    chains with one Gibbs step per update, mini-batches in a fixed order (no reshuffling)."""
    from sklearn.neural_network import BernoulliRBM

    binary = _binary_vectors(vectors)
    n, nv = binary.shape
    nh = arguments.integer(n_hidden, "n_hidden", low=1)
    # the dense bmexp model built after the fit: (nv + nh)^2 weights, a mask and their copies
    arguments.within("n_hidden", nh, memory=8.0 * 4 * (nv + nh) ** 2, what=f"the {nv} + {nh}-unit bmexp model")
    eta = arguments.number(eta, "eta", low=0, low_open=True)
    epochs = arguments.integer(epochs, "epochs", low=1)
    batch = n if batch_size is None else arguments.integer(batch_size, "batch_size", low=1)
    _batch_memory(batch, nv, nh)
    arguments.within("epochs", epochs, work=float(epochs) * n * nh * nv, what=f"{n} vectors x {nv} x {nh} weights")
    arguments.generator(rng)
    rbm = BernoulliRBM(
        n_components=nh, learning_rate=eta, n_iter=epochs, batch_size=batch, random_state=int(rng.integers(2**32 - 1))
    )
    return from_sklearn(rbm.fit(binary))


def _binary_vectors(vectors) -> np.ndarray:
    """``vectors`` checked like bmexp's training data (a non-empty 2-D array of binary {0, 1} or spin
    {-1, 1} values, one convention) and returned in {0, 1}."""
    v = numeric_array(vectors, "vectors")
    if v.ndim != 2 or v.shape[0] < 1 or v.shape[1] < 1:
        raise InputError.about(
            "vectors", f"{{argument}} must be a non-empty (n_vectors, n_visible) array; received shape {v.shape}"
        )
    convention = "spin" if np.any(v == -1) else "binary"
    return (check_states(v, convention, name="vectors") > 0).astype(np.float64)  # spin {-1, 1} -> {0, 1}
