"""Reusable test kit: sampler assertions for your own test suite (:mod:`bmexp.testing.asserts`),
Hypothesis strategies for models and states (:mod:`bmexp.testing.strategies`) and deliberately
wrong samplers (:mod:`bmexp.testing.mutants`)."""

from .asserts import (
    assert_conditional,
    assert_joint,
    assert_random_hidden,
    assert_sampler_api,
    assert_samples_boltzmann,
    assert_schedule,
)

__all__ = [
    "assert_conditional",
    "assert_joint",
    "assert_random_hidden",
    "assert_sampler_api",
    "assert_samples_boltzmann",
    "assert_schedule",
]
