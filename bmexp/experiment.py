"""One experiment job: the post's sampling checks and a training run for one configuration.

Library code with plain arguments (no Hydra, no MLflow): the CLI builds the arguments from the
config and hands the result to :mod:`bmexp.tracking`.  Metric names are stable (README):

* ``check.<test>.p_value | statistic | tv | kl | reject`` for the tests ``conditional``,
  ``joint``, ``random_hidden_mixture``, ``random_hidden_pv``, ``schedule_sampler``,
  ``schedule_boltzmann``; ``check.schedule.tv`` (exact schedule output vs Boltzmann);
  ``check.<name>.passed``;
* ``train.<column>`` per epoch (step = epoch) for the columns of :data:`bmexp.training.METRIC_COLUMNS`;
* ``train.<column>`` of :data:`bmexp.evaluation.EVALUATION_COLUMNS` too with an AIS evaluation
  (``data=digits``: held-out AIS log-likelihood, its interval and ESS), and ``train.final_<column>``
  for the last epoch's;
* ``train.final_kl_data``, ``train.final_kl_teacher``, ``train.diverged``, ``train.epochs``,
  ``train.epochs_to_kl_teacher_<threshold>`` (NaN when never reached); beyond enumeration (training
  measured by pseudo-log-likelihood) no ``kl`` metric is logged but ``train.final_pll_train``,
  ``train.final_pll_heldout``, ``train.final_reconstruction_heldout`` and ``train.pll_exact``
  (1 when the pseudo-log-likelihood is exact, 0 when estimated);
* ``sampler.updates_per_s``, ``wall_time_s``, ``schedule.total_sweeps``;
* ``check.lumped.tv | majority_on | majority_on_boltzmann | cost | cost_to_tv`` (exact,
  :mod:`bmexp.validation.lumped`) and, for parallel tempering, ``check.lumped.tv_by_sweep`` at step =
  sweeps;
* with parallel tempering (:class:`bmexp.samplers.pt.PTDiagnostics`, over every call of the job: the
  checks' with ``sampler=pt``, and ``training=pt``'s negative phase whatever the sampler):
  ``pt.swap_acceptance.<k>`` (pair T_k, T_k+1) and ``.min`` / ``.max``,
  ``pt.round_trips_per_1000_sweeps``, ``pt.temperature.<k>``, ``pt.tune_updates``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .cache import ResultCache, content_key
from .evaluation import EVALUATION_COLUMNS
from .model import BoltzmannMachine
from .schedules import Schedule
from .training import METRIC_COLUMNS, PLL_COLUMNS, TrainResult, train
from .validation.checks import REGISTRY, CheckResult, metric_keys, run_check

__all__ = ["ExperimentResult", "check_key", "run_experiment", "KL_THRESHOLDS", "IMPLEMENTATION_TESTS", "SCHEDULE_TESTS"]

#: epochs to KL(teacher || model) below these are reported
KL_THRESHOLDS = (1e-2, 5e-3)
#: Two families.  "Is the implementation right" (Holm): samples against the exact output of the
#: schedule they ran, which a short schedule cannot fail.  "Are the samples at equilibrium"
#: (Benjamini-Hochberg): samples against Boltzmann distributions, which a correct sampler fails
#: when its schedule is too short.
IMPLEMENTATION_TESTS = metric_keys("implementation")
SCHEDULE_TESTS = metric_keys("equilibrium")

_TEST_KEYS = {(name, test): key for name, spec in REGISTRY.items() for test, (key, _) in spec.tests.items()}


class _CountingSampler:
    """Wraps a sampler to add up its updates and time (for ``sampler.updates_per_s``)."""

    def __init__(self, sampler, into: "_CountingSampler | None" = None):
        from .samplers.pt import PTDiagnostics

        self.sampler, self.updates, self.seconds = sampler, 0, 0.0
        self.kernel = getattr(sampler, "kernel", None)  # the checks ask the wrapped sampler's kernel
        self.diagnostics = PTDiagnostics()  # parallel tempering's swap and round-trip counts
        self.into = into or self  # (a tuned copy adds to the job's counts)

    def tuned(self, model, rng, **kwargs):
        """The wrapped sampler's :meth:`~bmexp.samplers.ParallelTempering.tuned` copy, counted with this one."""
        self.into.diagnostics.tune_updates += int(self.sampler.tuning_updates(model.n_units))  # (its cost)
        return _CountingSampler(self.sampler.tuned(model, rng, **kwargs), into=self.into)

    def __getattr__(self, name):  # what else the checks and training ask (PT: schedule_output, temperatures)
        if name == "sampler":
            raise AttributeError(name)
        return getattr(self.sampler, name)

    def __call__(self, model, **kwargs):
        result = self.sampler(model, **kwargs)
        self.into.updates += getattr(result, "n_updates", 0)
        self.into.seconds += getattr(result, "seconds", 0.0)
        self.into.diagnostics.add(result)
        return result


@dataclass(frozen=True, eq=False)
class ExperimentResult:
    checks: dict[str, CheckResult]
    training: TrainResult | None
    seconds: float
    updates_per_s: float
    schedule: Schedule
    extra: dict = field(default_factory=dict)

    def metrics(self) -> dict[str, float]:
        """Scalar metrics (stable names, see the module docstring)."""
        out: dict[str, float] = {
            "wall_time_s": self.seconds,
            "sampler.updates_per_s": self.updates_per_s,
            "schedule.total_sweeps": float(self.schedule.total_sweeps),
        }
        for name, check in self.checks.items():
            out[f"check.{name}.passed"] = float(check.passed)
            for test_name, res in check.tests.items():
                key = _TEST_KEYS.get((name, test_name))
                if key is None:  # a component of a family (e.g. energy at one temperature): in the table
                    continue
                out.update(
                    {
                        f"check.{key}.p_value": res.p_value,
                        f"check.{key}.statistic": res.statistic,
                        f"check.{key}.tv": getattr(res, "tv", float("nan")),  # z-tests have no TV or KL
                        f"check.{key}.kl": getattr(res, "kl", float("nan")),
                        f"check.{key}.reject": float(res.reject),
                    }
                )
            if name == "schedule" and "schedule_tv" in check.extra:  # needs a declared kernel
                out["check.schedule.tv"] = check.extra["schedule_tv"]
            out.update({f"check.{name}.{k}": float(v) for k, v in check.extra.get("metrics", {}).items()})
        out.update(self.extra.get("pt", {}))
        if self.training is not None:
            t = self.training
            final = t.final
            out.update({"train.diverged": float(t.diverged), "train.epochs": float(final["epoch"])})
            if "ais_log_likelihood" in t.metrics:  # an AIS evaluation (data=digits): the last one
                out.update({f"train.final_{c}": final[c] for c in EVALUATION_COLUMNS})
            if t.measured_by != "exact KL":  # beyond enumeration: no KL metrics at all, the PLL ones instead
                out.update({f"train.final_{c}": final[c] for c in PLL_COLUMNS if np.isfinite(final[c])})
                out["train.pll_exact"] = float(t.measured_by.startswith("pseudo-log-likelihood (exact"))
                return out
            out.update({"train.final_kl_data": final["kl_data"], "train.final_kl_teacher": final["kl_teacher"]})
            for thr in KL_THRESHOLDS:
                hit = t.epochs_to(thr, "kl_teacher")
                out[f"train.epochs_to_kl_teacher_{thr:g}"] = float("nan") if hit is None else float(hit)
        return out

    def step_metrics(self) -> list[tuple[int, dict[str, float]]]:
        """Training curves: ``(epoch, {train.<column>: value})``; a check's exact TV after each sweep
        (``check.lumped.tv_by_sweep``, parallel tempering) at step = sweeps."""
        curves = [
            (sweep, {f"check.{name}.tv_by_sweep": float(tv)})
            for name, check in self.checks.items()
            for sweep, tv in enumerate(check.extra.get("tv_by_sweep", []), start=1)
        ]
        if self.training is None:
            return curves
        cols = [c for c in (*METRIC_COLUMNS, *EVALUATION_COLUMNS) if c != "epoch" and c in self.training.metrics]
        return curves + [
            (int(row["epoch"]), {f"train.{c}": float(row[c]) for c in cols if np.isfinite(row[c])})
            for _, row in self.training.metrics.iterrows()
        ]


def _sampler_identity(sampler) -> dict | None:
    """What a sampler is, for the cache key: a frozen dataclass by its type and fields, else None
    (a sampler bmexp cannot describe is never reused: its results are computed every time)."""
    params = getattr(sampler, "__dataclass_params__", None)
    if params is None or not params.frozen:
        return None
    kind = type(sampler)
    return {"type": f"{kind.__module__}.{kind.__qualname__}", "fields": repr(sampler)}


def check_key(name: str, model: BoltzmannMachine, sampler, *, rng, schedule: Schedule, **kwargs) -> str | None:
    """The cache key of ``run_check(name, model, sampler, rng=rng, schedule=schedule, **kwargs)``: a
    pure function of the check's name and arguments, the model, the schedule, the sampler and the
    state of ``rng`` (which the seed determines) -- or None when the sampler cannot be described."""
    ident = _sampler_identity(sampler)
    if ident is None:
        return None
    return content_key(
        {
            "kind": "check",
            "check": name,
            "kwargs": kwargs,
            "model": {
                "weights": model.weights,
                "biases": model.biases,
                "n_visible": model.n_visible,
                "convention": model.convention.value,
            },
            "schedule": schedule.to_dict(),
            "sampler": ident,
            "rng": rng.bit_generator.state,
        }
    )


def _cached_check(cache: ResultCache | None, name, model, counting: _CountingSampler, rng, **kwargs):
    """``run_check`` through ``cache``: ``(result, computed)``.  An entry holds the result, the
    state ``rng`` is left in and the sampler's updates and seconds, so that reusing it leaves the
    job exactly where computing it would have (training draws from the same ``rng`` next)."""
    key = check_key(name, model, counting.sampler, rng=rng, **kwargs) if cache is not None else None
    if key is None:
        return run_check(name, model, counting, rng=rng, **kwargs), True

    def compute() -> dict:
        from .samplers.pt import PTDiagnostics

        updates, seconds, before = counting.updates, counting.seconds, counting.diagnostics
        counting.diagnostics = PTDiagnostics()  # this check's share, kept with it
        try:
            result = run_check(name, model, counting, rng=rng, **kwargs)
            share = counting.diagnostics.state()
        finally:
            before.merge(counting.diagnostics.state())
            counting.diagnostics = before
        return {
            "result": result.to_json(),
            "rng_state": rng.bit_generator.state,
            "updates": counting.updates - updates,
            "seconds": counting.seconds - seconds,
            "pt": share,
        }

    entry, computed = cache.get_or_compute(key, compute)
    if not computed:
        rng.bit_generator.state = entry["rng_state"]
        counting.updates += entry["updates"]
        counting.seconds += entry["seconds"]
        counting.diagnostics.merge(entry.get("pt", {}))
    return CheckResult.from_json(entry["result"]), computed


def run_experiment(
    model: BoltzmannMachine,
    *,
    rng: np.random.Generator,
    schedule: Schedule,
    sampler,
    checks: tuple[str, ...] = ("conditional", "joint", "random_hidden", "schedule"),
    check_n: int | None = None,
    alpha: float = 0.01,
    training: dict | None = None,
    cache: ResultCache | None = None,
) -> ExperimentResult:
    """Run the checks (``schedule`` only where ``n_units <= 12``) and, if given, ``train(**training)``.

    With a ``cache``, each check's result is taken from it when another job of the sweep already
    computed it with the same inputs (the same numbers, to the last bit); ``extra["reused"]`` names
    those checks.
    """
    t0 = time.perf_counter()
    counting = _CountingSampler(sampler)
    results, skipped, reused = {}, {}, []
    for name in checks:
        reason = REGISTRY[name].skip_reason(model)
        if reason:
            skipped[name] = reason
            continue
        results[name], computed = _cached_check(
            cache, name, model, counting, rng, schedule=schedule, n=check_n, alpha=alpha
        )
        if not computed:
            reused.append(name)
    trained = train(rng=rng, schedule=schedule, sampler=counting, **training) if training else None
    if trained is not None and trained.pt is not None and not callable(getattr(sampler, "temperatures", None)):
        counting.diagnostics.merge(trained.pt.state())  # training=pt's own PT (the job's sampler is not PT)
    rate = counting.updates / counting.seconds if counting.seconds > 0 else float("nan")
    extra = {"skipped": skipped, "reused": reused, "pt": counting.diagnostics.metrics()}
    return ExperimentResult(results, trained, time.perf_counter() - t0, rate, schedule, extra)
