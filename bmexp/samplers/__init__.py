"""Samplers: the contract every sampler follows, and bmexp's own Gibbs sampler.

* :mod:`bmexp.samplers.contract` -- the :class:`Sampler` protocol, the :class:`Kernel` a sampler
  may declare (rule x scan), :func:`kernel_of`, :func:`states_of`;
* :mod:`bmexp.samplers.gibbs` -- vectorised / compiled Gibbs sampling over many chains
  (heat-bath, the post's flip rule, Metropolis; sequential or random scan), clamping, one long chain;
* :mod:`bmexp.samplers.pt` -- parallel tempering (replica exchange) over many chains, any of those
  kernels inside each replica, geometric / explicit / adaptive ladders.

Third-party samplers (dimod, dwave-samplers) are wrapped by :mod:`bmexp.adapters`.
"""

from .contract import (
    HEAT_BATH_SEQUENTIAL,
    KERNEL_RULES,
    KERNEL_SCANS,
    UNKNOWN_KERNEL,
    Kernel,
    Sampler,
    kernel_of,
    sampler_argument,
    states_of,
)
from .gibbs import (
    BACKENDS,
    RULES,
    SCANS,
    GibbsSampler,
    SampleResult,
    gibbs_sample,
    normalize_clamp,
    run_chains,
    sample_chain,
    set_threads,
    thresholds_inplace,
)
from .pt import LADDERS, SWAPS, ParallelTempering, PTResult

__all__ = [
    "BACKENDS",
    "HEAT_BATH_SEQUENTIAL",
    "KERNEL_RULES",
    "KERNEL_SCANS",
    "RULES",
    "SCANS",
    "UNKNOWN_KERNEL",
    "GibbsSampler",
    "LADDERS",
    "ParallelTempering",
    "PTResult",
    "SWAPS",
    "Kernel",
    "SampleResult",
    "Sampler",
    "gibbs_sample",
    "kernel_of",
    "normalize_clamp",
    "run_chains",
    "sample_chain",
    "set_threads",
    "sampler_argument",
    "states_of",
    "thresholds_inplace",
]
