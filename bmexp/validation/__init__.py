"""Statistical validation: goodness of fit, sample-size planning, multiple testing, the post's checks."""

from .gof import GofResult, gof_test
from .multiple import benjamini_hochberg, holm
from .planning import noncentrality, power_at, required_samples

# The checks module registers the checks of its sibling modules (blocks, invariance, energy), which
# build on it: loading it first lets any of them be imported on its own.
from . import checks as checks  # noqa: E402  isort: skip

__all__ = ["GofResult", "benjamini_hochberg", "gof_test", "holm", "noncentrality", "power_at", "required_samples"]
