"""Statistical validation: goodness of fit, sample-size planning, multiple testing, the post's checks."""

from .gof import GofResult, gof_test
from .multiple import benjamini_hochberg, holm
from .planning import noncentrality, power_at, required_samples

__all__ = ["GofResult", "benjamini_hochberg", "gof_test", "holm", "noncentrality", "power_at", "required_samples"]
