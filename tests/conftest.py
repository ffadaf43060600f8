import os

from hypothesis import HealthCheck, settings

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

# Deterministic property tests: the same examples on every run (no flaky CI).
settings.register_profile(
    "ci", derandomize=True, max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("BMEXP_HYPOTHESIS_PROFILE", "ci"))


def calibration_counts(sampler, model, schedule, *, replicates=200, n=2000, alpha=0.01, seed=0):
    """Seeded replicates of the test "samples vs the sampler's own exact schedule output".

    One call draws ``replicates * n`` independent chains; replicate r is chains
    [r n, (r + 1) n).  Returns (rejections at ``alpha``, p-values, pooled counts, exact output).
    """
    import numpy as np

    from bmexp.samplers import kernel_of
    from bmexp.states import indices_from_states
    from bmexp.transitions import schedule_output
    from bmexp.validation import gof_test

    exact = schedule_output(model, schedule, kernel=kernel_of(sampler))
    rng = np.random.default_rng(seed)
    states = np.asarray(getattr(sampler(model, rng=rng, n_chains=replicates * n, schedule=schedule), "states"))
    idx = indices_from_states(states, model.convention).reshape(replicates, n)
    counts = np.stack([np.bincount(row, minlength=exact.size) for row in idx])
    pvalues = np.array([gof_test(c, exact, alpha=alpha, rng=rng).p_value for c in counts])
    return int(np.sum(pvalues < alpha)), pvalues, counts.sum(axis=0), exact


def assert_calibrated(rejections, pvalues, replicates, alpha=0.01):
    """The rejection rate's 99% Clopper-Pearson interval holds alpha; the p-values look uniform
    (KS at 0.001).  A calibrated test fails this with probability about 1%, at a fixed seed."""
    from scipy import stats

    ci = stats.binomtest(rejections, replicates, alpha).proportion_ci(confidence_level=0.99)
    assert ci.low <= alpha <= ci.high, (rejections, replicates, ci)
    assert stats.ks_1samp(pvalues, stats.uniform.cdf).pvalue > 0.001
