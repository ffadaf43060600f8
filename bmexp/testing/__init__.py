"""Reusable test kit: Hypothesis strategies for models and states."""
