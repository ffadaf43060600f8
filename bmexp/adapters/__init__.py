"""Third-party samplers behind bmexp's sampler contract (optional: ``pip install -e '.[ocean]'``).

* :class:`~bmexp.adapters.ocean.DimodSampler` -- any dimod sampler that takes a beta schedule
  and initial states (dwave-samplers' ``SimulatedAnnealingSampler`` declares its kernel);
* :func:`~bmexp.adapters.ocean.dwave_sampler` -- that sampler with a named acceptance criterion
  (``"gibbs"`` or ``"metropolis"``) and order (``"sequential"`` or ``"random"``);
* :mod:`bmexp.adapters.sklearn` -- scikit-learn's ``BernoulliRBM`` to and from a bmexp RBM
  (``from_sklearn``, ``to_sklearn``; ``pip install -e '.[sklearn]'``), conventions documented there.

Nothing here is imported by the rest of bmexp; importing this package does not import dimod.
"""

__all__ = ["DimodSampler", "dwave_sampler"]


def __getattr__(name):  # lazy: dimod is imported only when an adapter is used
    if name in __all__:
        from . import ocean

        return getattr(ocean, name)
    raise AttributeError(f"module 'bmexp.adapters' has no attribute {name!r}")
