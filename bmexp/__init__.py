"""bmexp: statistical validation and experiment tracking for Boltzmann machines."""

from . import early_signal  # noqa: F401  (first: the CLI's process records a SIGTERM from here on)
from .conventions import Convention, as_convention, convert_states
from .errors import InputError
from .exact import MAX_UNITS, ExactDistribution, energies, log_partition
from .model import BoltzmannMachine, convert_model
from .states import all_states, indices_from_states, states_from_indices
from .zoo import random_model, seed_target, slide35

__version__ = "0.1.0"

__all__ = [
    "BoltzmannMachine",
    "Convention",
    "ExactDistribution",
    "InputError",
    "MAX_UNITS",
    "all_states",
    "as_convention",
    "convert_model",
    "convert_states",
    "energies",
    "indices_from_states",
    "log_partition",
    "random_model",
    "seed_target",
    "slide35",
    "states_from_indices",
]
