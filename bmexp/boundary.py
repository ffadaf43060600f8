"""The one boundary between a composed config and the library.

Only the command line calls this module.  Each ``build_*`` turns one part of a composed Hydra
config into library arguments, and :func:`validate_run_config` (and its siblings for the other
commands) checks everything a job needs *before* any work starts or anything is written: types
(by the schemas in :mod:`bmexp.config`), values (by the library, once, in :mod:`bmexp.arguments`),
seeds, names that reach paths and filter strings, and the work and memory a job would take.

Library errors name library arguments (``eta``); here each call runs under a mapping from its
arguments to the config keys a user typed (``training.eta``), so errors are renamed by argument
(:meth:`bmexp.errors.InputError.renamed`), never by rewriting messages.
"""

from __future__ import annotations

import re
import subprocess
from contextlib import contextmanager

import numpy as np
from omegaconf import DictConfig, OmegaConf

from . import arguments
from .errors import InputError

__all__ = [
    "MEMORY_LIMIT",
    "WORK_LIMIT",
    "build_model",
    "build_sampler",
    "build_schedule",
    "build_training",
    "config_keys",
    "validate_check_config",
    "validate_report_config",
    "refuse_added_keys",
    "validate_run_config",
    "validate_table_config",
    "validate_tracking",
    "validate_train_config",
    "validate_ui_config",
]

#: Memory a job may plan to allocate (bytes; this machine has 24 GiB).
MEMORY_LIMIT = arguments.MEMORY_LIMIT
#: Spin updates a job may plan (about 6 hours at 50 million a second on one core).
WORK_LIMIT = arguments.WORK_LIMIT
#: Sweep names and experiment names reach paths (multirun/<sweep>/, reports/<sweep>/) and MLflow
#: filter strings: letters, digits, '_', '-', '.', not starting with '.', at most 100 characters.
NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")

MODEL_KEYS = {
    "name": "model.name",
    "n_visible": "model.n_visible",
    "n_hidden": "model.n_hidden",
    "weight_scale": "model.weight_scale",
    "bias_scale": "model.bias_scale",
    "seed": "model.seed",
    "coupling": "model.coupling",
    "bias": "model.bias",
    "L": "model.L",
    "J": "model.J",
    "temperature": "model.temperature",
    "convention": "convention",
}
SAMPLER_KEYS = {
    "rule": "sampler.rule",
    "scan": "sampler.scan",
    "backend": "sampler.backend",
    "name": "sampler.name",
    "acceptance": "sampler.rule",
    "order": "sampler.scan",
    "replicas": "sampler.replicas",
    "ladder": "sampler.ladder",
    "T_max": "sampler.T_max",
    "swap": "sampler.swap",
    "tune_chains": "sampler.tune_chains",
    "tune_sweeps": "sampler.tune_sweeps",
}
#: replicas of training=pt's negative chains when the sampler is not parallel tempering (its default)
PT_NEGATIVE_REPLICAS = 4
#: the keys only parallel tempering reads (null for the other samplers)
PT_KEYS = ("replicas", "ladder", "T_max", "swap", "tune_chains", "tune_sweeps")
TRAINING_KEYS = {
    "eta": "training.eta",
    "epochs": "training.epochs",
    "variant": "training.variant",
    "trainer": "training.trainer",
    "weight_decay": "training.weight_decay",
    "n_negative": "training.n_negative",
    "pcd_sweeps": "training.pcd_sweeps",
    "max_weight": "training.max_weight",
    "measure": "training.measure",
    "metrics_every": "training.metrics_every",
    "batch_size": "training.batch_size",
    "every": "training.eval_every",
    "n_chains": "training.eval_chains",
    "betas": "training.eval_betas",
    "heldout": "data.heldout",
    "threshold": "data.threshold",
    "n": "data.n",
    "path": "data.path",
    "source": "data.source",
}


@contextmanager
def config_keys(mapping: dict[str, str]):
    """Rename the library argument of an InputError raised inside to its config key."""
    try:
        yield
    except InputError as exc:
        if exc.argument in mapping:
            raise exc.renamed(mapping[exc.argument]) from exc.__cause__
        raise


def _within(key: str, value, *, memory: float = 0.0, work: float = 0.0, what: str) -> None:
    """Refuse a value whose planned memory or work exceeds the limits, with the estimate."""
    arguments.within(key, value, memory=memory, work=work, what=what, memory_limit=MEMORY_LIMIT, work_limit=WORK_LIMIT)


def _seed(value, key: str) -> int:
    with config_keys({"seed": key}):
        return arguments.seed(value)


# ------------------------------------------------------------------------------- builders
def build_model(cfg: DictConfig, *, max_units: int | None = None):
    """The model selected by ``cfg.model`` in convention ``cfg.convention``."""
    from .zoo import build

    m = cfg.model
    with config_keys(MODEL_KEYS):
        arguments.seed(m.seed)
        if m.name in ("random", "rbm", "ferromagnet"):  # the n x n weights (and a copy or two) before building them
            nv = arguments.integer(m.n_visible, "n_visible", low=0)
            nh = arguments.integer(m.n_hidden, "n_hidden", low=0)
            key, shown = (
                ("model.n_hidden", f"{nh} (+ {nv} visible)")
                if nh > nv
                else ("model.n_visible", f"{nv} (+ {nh} hidden)")
            )
            _within(key, shown, memory=24.0 * (nv + nh) ** 2, what="the weights")  # the larger one is blamed
        model = build(
            m.name,
            convention=cfg.convention,
            n_visible=m.n_visible,
            n_hidden=m.n_hidden,
            weight_scale=m.weight_scale,
            bias_scale=m.bias_scale,
            seed=m.seed,
            coupling=m.coupling,
            bias=m.bias,
            L=m.L,
            J=m.J,
            temperature=m.temperature,
        )
    if max_units is not None and model.n_units > max_units:
        raise InputError(
            f"model.n_visible + model.n_hidden must be <= {max_units} (exact enumeration); "
            f"received {model.n_visible} + {model.n_hidden} = {model.n_units}"
        )
    return model


def build_schedule(sc: DictConfig):
    """The annealing schedule described by ``cfg.schedule``."""
    from .schedules import Schedule

    keys = {
        k: f"schedule.{k}"
        for k in ("T0", "step", "factor", "T_end", "sweeps_per_temperature", "final_sweeps", "temperatures", "kind")
    }
    keys["temperature"] = "schedule.temperatures"
    keys["sweeps"] = "schedule.sweeps" if sc.kind == "constant" else "schedule.sweeps_per_temperature"
    with config_keys(keys):
        kind = arguments.one_of(sc.kind, "kind", ("linear", "geometric", "explicit", "constant"))
        if kind == "linear":
            return Schedule.linear(
                sc.T0,
                sc.step,
                sweeps_per_temperature=sc.sweeps_per_temperature,
                T_end=sc.T_end,
                final_sweeps=sc.final_sweeps,
            )
        if kind == "geometric":
            return Schedule.geometric(
                sc.T0,
                sc.factor,
                sweeps_per_temperature=sc.sweeps_per_temperature,
                T_end=sc.T_end,
                final_sweeps=sc.final_sweeps,
            )
        if kind == "explicit":
            return Schedule.explicit(list(sc.temperatures), sweeps_per_temperature=sc.sweeps_per_temperature)
        return Schedule.constant(sc.sweeps)


SAMPLERS = ("gibbs", "pt", "dwave")


def build_sampler(sc: DictConfig):
    """bmexp's Gibbs sampler or parallel tempering, or dwave-samplers' simulated annealing through the
    dimod adapter."""
    with config_keys(SAMPLER_KEYS):
        name = arguments.one_of(sc.get("name", "gibbs"), "name", SAMPLERS)
        if name != "pt":
            for key in PT_KEYS:
                if sc.get(key) is not None:
                    raise InputError.bad(
                        key, f"null with sampler={name} (parallel tempering's keys: sampler=pt)", sc[key]
                    )
        if name == "gibbs":
            from .samplers import GibbsSampler

            return GibbsSampler(rule=sc.rule, scan=sc.scan, backend=sc.backend)
        if name == "pt":
            from .samplers import ParallelTempering

            if sc.get("backend") not in (None, "numba"):
                raise InputError.bad("backend", "numba or null with sampler=pt (its kernel is compiled)", sc.backend)
            given = {key: sc.get(key) for key in PT_KEYS if sc.get(key) is not None}  # null: the default
            if OmegaConf.is_config(given.get("ladder")):
                given["ladder"] = OmegaConf.to_container(given["ladder"])
            return ParallelTempering(rule=sc.rule, scan=sc.scan, **given)
        from .adapters.ocean import dwave_sampler

        acceptance = {"heat_bath": "gibbs", "metropolis": "metropolis"}
        if sc.rule not in acceptance:
            raise InputError.bad(
                "rule", f"one of {list(acceptance)} with sampler=dwave (its Gibbs and Metropolis criteria)", sc.rule
            )
        arguments.one_of(sc.scan, "scan", ("sequential", "random"))
        if sc.get("backend") is not None:
            raise InputError.bad("backend", "null with sampler=dwave (backends are bmexp Gibbs's)", sc.backend)
        return dwave_sampler(acceptance[sc.rule], sc.scan)


#: where training data come from (``data.source``)
DATA_SOURCES = ("teacher", "file", "exact", "digits")


#: who fits the model (``training.trainer``): bmexp's Boltzmann rule, or scikit-learn's ``BernoulliRBM``
TRAINERS = ("bmexp", "sklearn")


def _trainer(trainer, variant: str, teacher, source: str, model_name: str) -> str:
    """``training.trainer``, checked: ``sklearn`` fits an RBM by persistent contrastive divergence
    on data vectors, and needs scikit-learn."""
    trainer = arguments.one_of(trainer, "trainer", TRAINERS)
    if trainer == "bmexp":
        return trainer
    if teacher.connectivity != "restricted" or teacher.n_hidden == 0:
        raise InputError.about(
            "trainer",
            f"{{argument}} = 'sklearn' fits a BernoulliRBM, which needs a restricted model (model=rbm); "
            f"received model={model_name} (connectivity {teacher.connectivity!r}, n_hidden = {teacher.n_hidden})",
        )
    if variant != "pcd":
        raise InputError.about(
            "trainer",
            f"{{argument}} = 'sklearn' is persistent contrastive divergence: use training=pcd; "
            f"received training.variant = {variant!r}",
        )
    if source == "exact":
        raise InputError.about("trainer", "{argument} = 'sklearn' needs data vectors; data.source = 'exact' has none")
    try:
        import sklearn.neural_network  # noqa: F401
    except ImportError:
        raise InputError.about(
            "trainer", "{argument} = 'sklearn' needs scikit-learn: pip install 'bmexp[sklearn]'"
        ) from None
    return trainer


def build_training(cfg: DictConfig) -> dict:
    """Teacher, random student, data and keyword arguments for :func:`bmexp.training.train`.

    Beyond enumeration the teacher's vectors come from independent chains of the configured sampler
    through the schedule (not exact draws), and training is measured by pseudo-log-likelihood and
    reconstruction (``training.measure``); ``data.heldout`` of the vectors are held out (null: 0 when
    measured by KL, 0.2 otherwise), chosen with ``data.seed``.  ``data=digits`` (always beyond
    enumeration) splits its images by ``data.heldout`` too and also scores the held-out part by AIS
    (``training.eval_*``)."""
    from .data import load_vectors, sample_visible, sample_visible_by_chains, split_heldout
    from .exact import MAX_UNITS, ExactDistribution
    from .training import _measure
    from .zoo import random_model

    teacher = build_model(cfg)
    if teacher.n_visible < 1:  # (training's own message would name its "student", a model the user never set)
        raise InputError.about(
            "model.n_visible",
            "{argument} must be >= 1 for run and train (a student learns the visible units); "
            f"received {teacher.n_visible}",
        )
    tc, dc = cfg.training, cfg.data
    student_seed, data_seed = _seed(tc.seed, "training.seed"), _seed(dc.seed, "data.seed")
    with config_keys({"weight_scale": "training.init_scale"}):
        student = random_model(
            teacher.n_visible,
            teacher.n_hidden,
            rng=np.random.default_rng(student_seed),
            weight_scale=tc.init_scale,
            bias_scale=0.0,
            connectivity=teacher.connectivity if teacher.connectivity != "custom" else "full",
        ).to(cfg.convention)
    largest = float(np.max(np.abs(student.weights), initial=0.0))
    arguments.number(tc.max_weight, "training.max_weight", low=0, low_open=True)
    if largest > tc.max_weight and cfg.get("train", True):
        raise InputError.about(
            "training.init_scale",
            f"{{argument}} = {tc.init_scale!r} starts the student beyond training.max_weight: its max |W| = "
            f"{largest:.3g} > {tc.max_weight:g}, so training would stop as diverged at its first epoch; "
            "lower training.init_scale or raise training.max_weight",
        )
    kwargs = dict(
        teacher=teacher,
        variant=tc.variant,
        eta=tc.eta,
        epochs=tc.epochs,
        schedule=build_schedule(cfg.schedule),
        n_negative=tc.n_negative,
        pcd_sweeps=tc.pcd_sweeps,
        weight_decay=tc.weight_decay,
        learn_biases=tc.learn_biases,
        max_weight=tc.max_weight,
        sampler=build_sampler(cfg.sampler),
        metrics_every=tc.metrics_every,
    )
    beyond = teacher.n_units > MAX_UNITS
    with config_keys(TRAINING_KEYS):
        # (run train=false: unused; training=sklearn: BernoulliRBM draws its own chains, the sampler serves the checks)
        pcd_on_pt = tc.variant == "pcd" and cfg.sampler.name == "pt" and tc.get("trainer") != "sklearn"
        if pcd_on_pt and cfg.get("train", True):
            raise InputError.about(
                "variant",
                "{argument} = 'pcd' with sampler.name = 'pt': pcd's persistent chains keep only the T = 1 "
                "replica, so parallel tempering would restart its ladder every epoch; use training=pt "
                "(persistent parallel tempering with sampler=pt's settings), or training=pcd with sampler=gibbs",
            )
        _refuse_ignored_training_keys(tc)
        kwargs["measure"] = measure = _measure(student, tc.measure, tc.variant)
        source = arguments.one_of(dc.source, "source", DATA_SOURCES)
        _refuse_ignored_data_keys(dc, source)
        kwargs["trainer"] = _trainer(tc.get("trainer", "bmexp"), tc.variant, teacher, source, cfg.model.name)
        if source == "digits":  # before anything else about the data: the model must hold 8 x 8 pixels
            from .data import check_digits_model

            with config_keys(MODEL_KEYS):
                check_digits_model(teacher)
        if source == "exact" and beyond:
            raise InputError.about(
                "source",
                f"{{argument}} = 'exact' trains on the teacher's exact p(v), which needs n_units <= {MAX_UNITS}; "
                f"the model has {teacher.n_units} units: use 'teacher' or 'file'",
            )
        if tc.metrics_every is not None:
            arguments.integer(tc.metrics_every, "metrics_every", low=1)
        if tc.batch_size is not None:
            kwargs["batch_size"] = arguments.integer(tc.batch_size, "batch_size", low=1)
        fraction = dc.get("heldout")
        if fraction is None:
            fraction = 0.2 if measure == "pll" else 0.0
        # measured by pseudo-likelihood (and always on the digits, scored by held-out AIS) the held-out
        # reconstruction needs held-out vectors: 0 would silently drop the measure
        held_needed = measure == "pll" or source == "digits"
        fraction = arguments.number(fraction, "heldout", low=0, high=1, low_open=held_needed, high_open=True)
        if fraction and source == "exact":
            raise InputError.about("heldout", f"{{argument}} = {fraction:g} needs data vectors (data.source = exact)")
        if source == "teacher":
            n = arguments.integer(dc.n, "n", low=1)
            _within(
                "data.n",
                n,
                memory=24.0 * n * max(1, teacher.n_units if beyond else teacher.n_visible),
                what="the data vectors",
            )
            rng = np.random.default_rng(data_seed)
            if beyond:
                kwargs["data"] = sample_visible_by_chains(
                    teacher, n, rng=rng, sampler=kwargs["sampler"], schedule=kwargs["schedule"]
                )
            else:
                kwargs["data"] = sample_visible(teacher, n, rng=rng)
        elif source == "digits":  # its own split (a permutation from data.seed); AIS scores the held-out part
            from .data import digits
            from .evaluation import HeldOut

            kwargs["data"], kwargs["heldout"] = digits(
                seed=data_seed, heldout=fraction, threshold=dc.threshold, convention=cfg.convention, n=dc.n
            )
            kwargs["teacher"] = None  # the model config is the architecture only: no teacher to compare with
            _evaluation_cost(tc, teacher.n_units, int(arguments.integer(tc.epochs, "epochs", low=1)))
            kwargs["evaluation"] = HeldOut(
                kwargs["heldout"], every=tc.eval_every, n_chains=tc.eval_chains, betas=tc.eval_betas, seed=data_seed
            )
        elif source == "file":
            if not dc.get("path"):
                raise InputError.bad("path", "a .npy or .csv file of visible vectors", None)
            kwargs["data"] = load_vectors(dc.path, teacher.n_visible, cfg.convention)
            kwargs["teacher"] = None  # the vectors came from the file, not from the model config: no teacher
        else:
            kwargs["p_data"] = ExactDistribution.of(teacher).visible_p()
        if fraction and source != "digits":
            kwargs["data"], kwargs["heldout"] = split_heldout(
                kwargs["data"], fraction, rng=np.random.default_rng([data_seed, 1])
            )
    return {"student": student, "rng": np.random.default_rng(student_seed + 1), **kwargs}


def _refuse_ignored_training_keys(tc: DictConfig) -> None:
    """bmexp's training keys a variant does not read, given other than their defaults, are refused rather
    than ignored: ``n_negative`` and ``batch_size`` (the sampled variants: not exact), ``pcd_sweeps``
    (pcd and pt).  (scikit-learn's trainer reads its own: not checked here.)"""
    from .config import TrainingConfig

    if tc.get("trainer", "bmexp") != "bmexp":
        return
    default = TrainingConfig()
    reads = {
        "n_negative": ("annealed", "pcd", "pt"),
        "pcd_sweeps": ("pcd", "pt"),
        "batch_size": ("annealed", "pcd", "pt"),
    }
    for key, variants in reads.items():
        value = tc.get(key)
        if value is not None:  # (a bad value is named as bad first, whatever the variant)
            arguments.integer(value, f"training.{key}", low=1)
        if tc.variant not in variants and value != getattr(default, key):
            raise InputError.about(
                f"training.{key}",
                f"{{argument}} = {value!r} is ignored with training.variant = {tc.variant!r} (only "
                f"{', '.join(variants)} read it): leave it at its default ({getattr(default, key)!r})",
            )


def _refuse_ignored_data_keys(dc: DictConfig, source: str) -> None:
    """A data key the source does not read, given other than its default, is refused rather than ignored:
    ``n`` (teacher and digits), ``threshold`` (digits), ``path`` (file)."""
    from .config import DataConfig

    default = DataConfig()
    reads = {"n": ("teacher", "digits"), "threshold": ("digits",), "path": ("file",)}
    for key, sources in reads.items():
        value = dc.get(key)
        if source not in sources and value is not None and value != getattr(default, key):
            raise InputError.about(
                key,
                f"{{argument}} = {value!r} is ignored with data.source = {source!r} (only {' and '.join(sources)} "
                f"read it): leave it at its default ({getattr(default, key)!r})",
            )


# ----------------------------------------------------------------------------- validators
def validate_launcher(lc: DictConfig, store_uri: str | None = None) -> None:
    """The launcher's settings (``hydra.launcher.*``) and, for SLURM, the store, checked before a sweep starts."""
    if str(lc.get("_target_", "")).endswith("SlurmLauncher"):
        _validate_slurm(lc, store_uri)
        return
    if not str(lc.get("_target_", "")).endswith("BmexpLauncher"):
        return  # other launchers check their own settings
    import dataclasses

    from hydra_plugins.bmexp_launcher import BmexpLauncherConf

    known = [f.name for f in dataclasses.fields(BmexpLauncherConf)]
    for key in lc:
        if key not in known:  # (its __init__ takes **_: a key added with + would be ignored)
            raise InputError.about(
                f"hydra.launcher.{key}",
                f"{{argument}} is not a setting of bmexp's launcher (a key added with '+' would be ignored); its "
                f"settings are: {', '.join(k for k in known if k != '_target_')}",
            )
    n_jobs = lc.get("n_jobs")
    if n_jobs != -1 and not (arguments._is_int(n_jobs) and 1 <= n_jobs <= 1024):
        raise InputError.bad("hydra.launcher.n_jobs", "-1 (one worker per core) or an integer in [1, 1024]", n_jobs)
    arguments.number(lc.get("grace_s"), "hydra.launcher.grace_s", low=0, high=3600)


def _validate_slurm(lc: DictConfig, store_uri: str | None) -> None:
    """sweep=slurm: jobs on other machines need a tracking server, and the partition must exist (sinfo)."""
    import os

    uri = store_uri or os.environ.get("MLFLOW_TRACKING_URI")
    if not uri or uri.startswith("sqlite:"):
        raise InputError(
            f"tracking.uri (or MLFLOW_TRACKING_URI) must be a tracking server http(s)://HOST:PORT with sweep=slurm "
            f"(jobs on other machines cannot share a SQLite store); received {uri or 'null (mlruns/mlflow.db)'!r}; "
            f"start one (mlflow server, or scripts/local-cluster.sh start) and pass tracking=server "
            f"tracking.uri=http://HOST:PORT",
            argument="tracking.uri",
        )
    from .slurm import partitions

    try:
        known = partitions()
    except (OSError, subprocess.SubprocessError) as exc:
        raise InputError(f"sweep=slurm needs SLURM's commands (sinfo, sbatch) on this machine: sinfo: {exc}") from None
    partition = lc.get("partition")
    if partition is not None and partition not in known:
        raise InputError.bad(
            "hydra.launcher.partition", f"one of this SLURM cluster's partitions (sinfo: {known}) or null", partition
        )
    for key, low in (("timeout_min", 1), ("cpus_per_task", 1), ("mem_gb", 1), ("array_parallelism", 1)):
        if lc.get(key) is not None:
            arguments.integer(lc.get(key), f"hydra.launcher.{key}", low=low)


def validate_tracking(tc: DictConfig) -> None:
    """Sweep and experiment names (they reach paths and MLflow filter strings) and the store URI."""

    for key, value in (("tracking.sweep_name", tc.sweep_name), ("tracking.experiment", tc.experiment)):
        if not isinstance(value, str) or not NAME.match(value):
            raise InputError.bad(
                key,
                "a name of letters, digits, '_', '-' and '.' (not starting with '.', at most 100 characters)",
                value,
            )
    check_store_uri(tc.uri)


def check_store_uri(uri: str | None, key: str = "tracking.uri") -> None:
    """Refuse store URIs MLflow would misread, lose runs in, or fail on with a traceback later."""
    import os
    from pathlib import Path
    from urllib.parse import urlparse

    from .tracking import Store

    uri = uri or os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        return
    shown = f"{key} (or MLFLOW_TRACKING_URI)"
    allowed = "sqlite:///PATH (a database file), or a tracking server http(s)://HOST:PORT"
    if uri.startswith("sqlite:"):
        if not uri.startswith("sqlite:///") or uri[len("sqlite:///") :] in ("", ":memory:"):
            raise InputError(
                f"{shown} must be {allowed}; received {uri!r} (an in-memory or malformed SQLite URL "
                f"would lose the runs)",
                argument=key,
            )
        if "?" in uri or "#" in uri:  # (MLflow passes them to SQLAlchemy, which warns and makes a file named so)
            raise InputError(
                f"{shown} must be {allowed}; received {uri!r} (query strings and fragments are not supported: "
                "name the database file alone)",
                argument=key,
            )
        path = Path(uri[len("sqlite:///") :])
        if path.is_dir():
            raise InputError(f"{shown} must name a database file; {str(path)!r} is a directory", argument=key)
        if path.exists():
            with open(path, "rb") as fh:
                head = fh.read(16)
            if head and head != b"SQLite format 3\x00":
                raise InputError(
                    f"{shown} must name an SQLite database; {str(path)!r} is another kind of file", argument=key
                )
        else:  # the store's directories get created: the nearest existing ancestor must be a writable directory
            ancestor = path.resolve().parent
            while not ancestor.exists() and ancestor != ancestor.parent:
                ancestor = ancestor.parent
            if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
                raise InputError(
                    f"{shown} must be in a directory bmexp can create; {str(ancestor)!r} is not a writable directory",
                    argument=key,
                )
    else:
        parts = urlparse(uri)
        if parts.scheme in ("http", "https"):
            if not parts.hostname:
                raise InputError(f"{shown} must be {allowed}; received {uri!r} (no host)", argument=key)
        elif parts.scheme not in ("postgresql", "mysql", "mssql"):
            raise InputError(f"{shown} must be {allowed}; received {uri!r}", argument=key)
    with config_keys({"uri": key}):
        Store.default(uri=uri)


def _replicas(sampler) -> int:
    """Chains per chain a sampler runs (parallel tempering: its replicas; else 1)."""
    return int(getattr(sampler, "replicas", 1) or 1)


def _tuning(sampler, model) -> None:
    """An adaptive ladder's tuning run (every call of the sampler tunes one): its chains' memory and
    spin updates, refused past the limits naming ``sampler.tune_chains`` / ``sampler.tune_sweeps``."""
    plan = getattr(sampler, "plan_tuning", None)
    if plan is not None:
        with config_keys(SAMPLER_KEYS):
            plan(model.n_units)


def _check_work(model, schedule, names, n, alpha, key: str, options=None, replicas: int = 1, sampler=None) -> None:
    """Memory and updates of the sampling checks, refused past the limits (estimates, not bounds)."""
    from .validation.checks import REGISTRY, planned_chains

    options = options or {}
    prefix = key.rsplit(".", 1)[0]  # "check" or "checks"
    calls = []  # (chains, the config key that decides them, its value)
    for c in names:
        chains = planned_chains(c, model, n=n, alpha=alpha, **options)
        decided_by = [(key, n if n is not None else "null (planned)")] * len(chains)
        if c == "blocks" and chains:  # the first call draws the contexts; one call per block after it
            decided_by[0] = (f"{prefix}.contexts", options.get("contexts") or 64)
            if n is None:
                block_key = (
                    ("blocks", options["blocks"])
                    if options.get("blocks")
                    else ("n_blocks", options.get("n_blocks") or 8)
                )
                decided_by[1:] = [(f"{prefix}.{block_key[0]}", block_key[1])] * (len(chains) - 1)
        elif c == "energy" and n is None and options.get("temperatures"):
            temps = list(options["temperatures"])
            shown = (
                temps
                if len(temps) <= 4
                else f"[{', '.join(f'{t:g}' for t in temps[:3])}, ...] ({len(temps)} temperatures)"
            )
            decided_by = [(f"{prefix}.temperatures", shown)] * len(chains)
        sweeps = [max(schedule.total_sweeps, 8)] * len(chains)
        if c == "invariance":  # one call per entry of check.sweeps, each that many sweeps
            from .validation.invariance import DEFAULT_SWEEPS

            sweeps = [int(k) for k in (options.get("sweeps") or DEFAULT_SWEEPS)]
            if options.get("sweeps"):
                decided_by = [(f"{prefix}.sweeps", list(options["sweeps"]))] * len(chains)
        calls += list(zip(chains, decided_by, sweeps))
    if not calls:
        return
    enumerates = any(REGISTRY[c].needs not in ("any", "lattice", "ferromagnet") for c in names if c in REGISTRY)
    biggest = max(calls, key=lambda call: call[0])  # memory: the largest call
    work_by = {}
    for chains, decided, sweeps in calls:
        updates = chains * sweeps * model.n_units
        work_by[decided[0]] = (work_by.get(decided[0], (0.0, decided[1]))[0] + updates, decided[1])
    heaviest = max(work_by, key=lambda k: work_by[k][0])  # work: the key whose calls add up to the most
    what = "the sampling checks' chains"
    if heaviest == key and n is None:  # planned chains: the schedule's sweeps are what the user gave
        planned = sum(chains for chains, decided, _ in calls if decided[0] == key)
        what += f" ({planned:,} planned chains x {schedule.total_sweeps:,} sweeps of the schedule)"
        constant = getattr(schedule, "kind", None) == "constant"
        heaviest = "schedule.sweeps" if constant else "schedule.sweeps_per_temperature"
        work_by[heaviest] = (
            work_by.pop(key)[0],
            (schedule.total_sweeps if constant else f"{schedule.sweeps[0]} ({schedule.total_sweeps:,} sweeps in all)"),
        )
    one = 32.0 * biggest[0] * model.n_units + (40.0 * 2**model.n_units if enumerates else 0.0)
    if one <= MEMORY_LIMIT:  # within the limit for one replica: the replicas are what exceed it
        _within("sampler.replicas", replicas, memory=one * replicas, what="the sampling checks' chains (all replicas)")
    _within(
        biggest[1][0],
        biggest[1][1],
        memory=32.0 * biggest[0] * replicas * model.n_units + (40.0 * 2**model.n_units if enumerates else 0.0),
        what="the sampling checks' chains",
    )
    work = float(sum(w for w, _ in work_by.values())) * replicas
    tuning = getattr(sampler, "tuning_updates", lambda n_units: 0.0)(model.n_units) * len(calls)  # one run a call
    if tuning > work:  # an adaptive ladder's tuning is most of it
        heaviest = f"sampler.{sampler.tuning_key()}"
        work_by[heaviest] = (tuning, getattr(sampler, sampler.tuning_key()))
        what = f"the sampling checks' chains and the adaptive ladder's tuning (one run in each of {len(calls)} calls)"
    _within(heaviest, work_by[heaviest][1], work=work + tuning, what=what)
    # the random numbers: the compiled samplers draw them where they are used; the NumPy reference lays a
    # chain's whole stream out first (bmexp.samplers.gibbs)
    if getattr(sampler, "backend", None) != "numpy":
        return
    longest = max(calls, key=lambda call: call[2])
    per_chain = model.n_units + longest[2] * model.n_units * replicas * (
        2 if getattr(sampler, "scan", "sequential") == "random" else 1
    )
    by_sweeps = longest[1] if longest[1][0].endswith(".sweeps") else ("schedule", f"{longest[2]} sweeps")
    _within(*by_sweeps, memory=48.0 * per_chain, what="the random numbers of one chain")


def _lumped(model, sampler, schedule) -> None:
    """check=lumped computes its exact output only for the ferromagnet, random-scan heat bath and (PT)
    T = 1 with few enough replicas: refused before any work, naming the key."""
    from .validation.lumped import lumped_requirements

    lumped_requirements(model, sampler, schedule)


def _min_n(names) -> int:
    """The smallest ``n`` the named checks accept (blocks, invariance and energy: their MIN_N)."""
    from .validation import blocks, energy, invariance

    floors = {"blocks": blocks.MIN_N, "invariance": invariance.MIN_N, "energy": energy.MIN_N}
    return max([1, *(floors.get(name, 1) for name in names)])


def _evaluation_cost(tc, n_units: int, epochs: int) -> None:
    """The held-out AIS evaluations' memory and work, refused before anything is built (a ladder of
    ``eval_betas`` temperatures is itself an array): chains x units of state, chains x (2 x temperatures +
    1,000) x units updates per evaluation (forward and reverse AIS, the reverse chains' sweeps), one every
    ``eval_every`` epochs plus the first and the last."""
    chains, betas, every = int(tc.eval_chains), int(tc.eval_betas), int(tc.eval_every)  # ints by the schema
    arguments.integer(betas, "training.eval_betas", low=2)  # (the API also takes a sequence; the config an integer)
    if chains < 2 or every < 1:
        return  # HeldOut says what is allowed
    _within("training.eval_chains", chains, memory=8.0 * 4 * chains * n_units, what="the held-out AIS chains")
    _within("training.eval_betas", betas, memory=8.0 * betas, what="the AIS temperatures")
    sweeps = 2 * betas + 1000  # forward AIS, reverse AIS and its chains' 1,000 sweeps (HeldOut.reverse_sweeps)
    # each temperature or sweep is a step of Python around the vectorised update (about 100 us here, the
    # time of some 1e4 spin updates): a long ladder of few chains costs its steps, not its updates
    from .estimate import STEP_OVERHEAD

    work = (float(chains) * n_units + STEP_OVERHEAD) * sweeps * (epochs // every + 2)
    key, value = ("training.eval_chains", chains) if chains > betas else ("training.eval_betas", betas)
    _within(key, value, work=work, what="the held-out AIS evaluations")


def _training_work(args: dict) -> None:
    from .likelihood import MAX_EXACT_HIDDEN
    from .training import METRIC_VECTORS

    student = args["student"]
    n_units, nv, nh = student.n_units, student.n_visible, student.n_hidden
    epochs, sweeps = int(args["epochs"]), args["schedule"].total_sweeps
    n_data = len(args["data"]) if args.get("data") is not None else 0
    n_held = len(args["heldout"]) if args.get("heldout") is not None else 0
    r = _replicas(args.get("sampler"))  # chains per chain of the sampler (PT: replicas)
    r_neg = r if r > 1 else PT_NEGATIVE_REPLICAS  # training=pt's negative chains
    per_epoch = {
        "annealed": (n_data + args["n_negative"]) * sweeps * r,
        "pcd": (n_data * sweeps + args["n_negative"] * args["pcd_sweeps"]) * r,
        "pt": n_data * sweeps * r + args["n_negative"] * args["pcd_sweeps"] * r_neg,
        "exact": 0,
    }.get(args["variant"], 0) * n_units
    if args.get("measure") == "pll":  # per metrics epoch: sampled PLL (32 hidden draws a vector), reconstruction
        vectors = min(n_data, METRIC_VECTORS) + n_held
        pll = vectors * (32 * sweeps * n_units if nh > MAX_EXACT_HIDDEN else nv * 2.0 ** min(nh, MAX_EXACT_HIDDEN) * nh)
        per_epoch += (pll + 2 * n_held * sweeps * n_units) / (args.get("metrics_every") or 10)
    else:
        per_epoch += 2**n_units * n_units  # exact KL metrics
    held = args.get("evaluation")
    if held is not None:  # AIS every eval_every epochs: chains x temperatures x (visible + hidden) units
        from .estimate import _betas

        reverse = _betas(held.betas).size + held.reverse_sweeps if held.reverse_sweeps is not None else 0
        per_epoch += held.n_chains * (_betas(held.betas).size + reverse) * n_units / held.every
    if args["variant"] != "exact":  # an adaptive ladder tunes in every sampler call: at least one an epoch
        per_epoch += getattr(args.get("sampler"), "tuning_updates", lambda n_units: 0.0)(n_units)
    if args["variant"] != "exact":  # the negative chains (every replica: states, fields and a copy), before any run
        chains = float(args["n_negative"]) * (r_neg if args["variant"] == "pt" else r)
        memory = 8.0 * chains * (3 * n_units + len(args["schedule"].sweeps) + 4)
        factors = {"training.n_negative": args["n_negative"], **({"sampler.replicas": r} if r > 1 else {})}
        key = max(factors, key=lambda k: factors[k])  # (the larger factor is blamed)
        replicas = args["variant"] == "pt" or r > 1
        _within(key, factors[key], memory=memory, what="the negative chains" + (" (every replica)" if replicas else ""))
    # Too much work is blamed on the key furthest above its default (x its default), so that the message names
    # what the user raised: epochs, or what scales one epoch (named by an outside tester: training.epochs = 300
    # was blamed for training.pcd_sweeps = 1e8)
    from .config import TrainingConfig

    scaling = {"training.epochs": (epochs, TrainingConfig.epochs)}
    scaling["training.n_negative"] = (args["n_negative"], TrainingConfig.n_negative)
    if args["variant"] in ("pcd", "pt"):
        scaling["training.pcd_sweeps"] = (args["pcd_sweeps"], TrainingConfig.pcd_sweeps)
    if r > 1:
        scaling["sampler.replicas"] = (r, PT_NEGATIVE_REPLICAS)  # (4: ParallelTempering's default too)
    key = max(scaling, key=lambda k: scaling[k][0] / max(1, scaling[k][1]))
    if key == "training.epochs" or float(per_epoch) <= WORK_LIMIT:
        _within(key, scaling[key][0], work=float(epochs) * per_epoch, what="training")
    else:
        _within(key, scaling[key][0], work=float(per_epoch), what="one epoch of training")


def refuse_added_keys(cfg: DictConfig, prefix: str = "") -> None:
    """A key that no schema declares, added with Hydra's ``+`` (``+sampler.foo=1``), would be
    silently ignored: refused, naming it.  Every node made from a schema dataclass is checked
    (the command's root and its groups), recursively; ``hydra`` is Hydra's own."""
    import dataclasses

    schema = OmegaConf.get_type(cfg)
    known = {f.name for f in dataclasses.fields(schema)} if dataclasses.is_dataclass(schema) else None
    for key in cfg.keys():
        name = f"{prefix}{key}"
        if name == "hydra":
            continue
        if known is not None and key not in known:
            raise InputError(
                f"{name} is not a setting of this command (a key added with '+' would be ignored); "
                f"the settings here are: {', '.join(sorted(known))}",
                argument=name,
            )
        node = cfg._get_node(key)
        if isinstance(node, DictConfig) and not node._is_missing() and not node._is_none():
            refuse_added_keys(node, f"{name}.")


def validate_run_config(cfg: DictConfig) -> dict:
    """Build everything a ``run`` job needs from ``cfg``, or raise InputError naming the key."""
    from .exact import MAX_UNITS
    from .training import check_training
    from .validation.checks import CHECKS, REGISTRY
    from .validation.gof import check_alpha

    names = list(cfg.checks.names)
    for name in names:
        arguments.one_of(name, "checks.names", ["auto", *CHECKS])
    if not names and not cfg.train:
        raise InputError(
            "checks.names = [] with train=false: the job would do nothing; name checks (e.g. checks.names=[auto]) "
            "or train",
            argument="checks.names",
        )
    with config_keys({"alpha": "checks.alpha"}):
        alpha = check_alpha(cfg.checks.alpha)
    if cfg.checks.n is not None:
        arguments.integer(cfg.checks.n, "checks.n", low=1)
    from .samplers.gibbs import check_threads

    check_threads(arguments.integer(cfg.threads, "threads", low=0), "threads")  # (0: all of them)
    _seed(cfg.seed, "seed")
    validate_tracking(cfg.tracking)
    model = build_model(cfg)
    names = resolve_checks(names, model)
    if names:
        _probabilities_representable(cfg, model, conditions={"conditional", "random_hidden"} & set(names))
    if model.n_units > MAX_UNITS and not cfg.train:  # checks only: no data drawn
        args = {"teacher": model, "schedule": build_schedule(cfg.schedule), "sampler": build_sampler(cfg.sampler)}
    else:
        args = build_training(cfg)
        with config_keys(TRAINING_KEYS):
            check_training(**args)
    ran = [c for c in names if REGISTRY[c].skip_reason(model) is None]
    if names and not ran and "auto" not in cfg.checks.names:  # asked for checks, none of which can run
        why = "; ".join(f"{c} {REGISTRY[c].skip_reason(model)}" for c in names)
        raise InputError(
            f"checks.names = {list(cfg.checks.names)}: none applies to this model of {model.n_units} units ({why}); "
            f"checks that apply: {[c for c, s in REGISTRY.items() if s.skip_reason(model) is None]}",
            argument="checks.names",
        )
    if cfg.checks.n is not None:
        arguments.integer(cfg.checks.n, "checks.n", low=_min_n(ran))
    _tuning(args["sampler"], model)
    _check_work(
        model,
        args["schedule"],
        ran,
        cfg.checks.n,
        alpha,
        "checks.n",
        replicas=_replicas(args["sampler"]),
        sampler=args["sampler"],
    )
    if "lumped" in ran:
        _lumped(model, args["sampler"], args["schedule"])
    if cfg.train:
        _training_work(args)
    return {**args, "checks": tuple(names), "model": model}  # model: what the checks sample (teacher: None for digits)


#: Energy differences (in kT) beyond which exp(-dE) underflows float64 (about 745): a model that wide
#: has states of exact probability 0, on which the checks cannot condition (0 / 0).
UNDERFLOW_SPAN = 700.0


def _probabilities_representable(cfg: DictConfig, model, conditions) -> None:
    """Refuse an enumerable model whose exact probabilities the checks cannot use, naming the model's scale key:
    found here, not inside a job whose run is open.  Every exact check plans its test on a distribution with at
    least two cells of probability > 0 that sums to 1 within 1e-9 (float64 loses that when energies reach
    about 1e7); ``conditions`` (conditional, random_hidden) also condition on every visible or hidden state,
    so none may underflow to 0.  Cheap for every sane model: the exact distribution is computed only when a
    bound on the energy span (sum |W_ij| over pairs + 2 sum |b_i|, units in {0, 1} or {-1, 1}) exceeds
    UNDERFLOW_SPAN."""
    from .exact import MAX_UNITS, ExactDistribution
    from .validation.gof import check_probabilities

    w_part = float(np.abs(model.weights).sum())  # each pair i < j: |W_ij| s_i s_j spans at most 2 |W_ij|
    b_part = 2 * float(np.abs(model.biases).sum())
    if model.n_units > MAX_UNITS or w_part + b_part <= UNDERFLOW_SPAN:
        return
    d = ExactDistribution.of(model)
    parts = [("", d.p)] + ([("visible", d.visible_p())] if model.n_visible else [])
    if model.n_hidden:
        parts.append(("hidden", d.marginal_p(range(model.n_visible, model.n_units))))
    problem = None
    empty = [what for what, p in parts[1:] if not np.all(p > 0)] if conditions else []
    if empty:
        problem = f"some {' and '.join(empty)} states have probability 0 in float64, and the checks condition on them"
    elif "conditional" in conditions and model.n_visible and model.n_hidden:  # p(v | h = all on), as it tests
        h = [model.convention.values[1]] * model.n_hidden
        parts.append(("conditional", d.conditional_p(d.block_clamp(h, model.n_visible, model.n_hidden, "hidden"))))
    for what, p in parts if problem is None else ():
        try:
            check_probabilities(p)
            plannable = np.count_nonzero(p) >= 2 or p.size < 2
        except InputError:
            plannable = False
        if not plannable:
            problem = f"the {what + ' ' if what else ''}distribution cannot be tested in float64 (fewer than two "
            problem += "states of probability > 0, or probabilities that do not sum to 1 within 1e-9)"
            break
    if problem is None:
        return
    m, span = cfg.model, w_part + b_part
    if m.name in ("ferromagnet", "lattice"):  # (their keys are spin couplings and fields)
        spin = model.to("spin")
        w_part, b_part = float(np.abs(spin.weights).sum()), 2 * float(np.abs(spin.biases).sum())
    scale = w_part >= b_part  # the larger part of the span: the key to change
    key = {"ferromagnet": "coupling" if scale else "bias", "lattice": "temperature"}.get(m.name)
    if key is None or key not in m:
        key = "weight_scale" if scale else "bias_scale"
    raise InputError.about(
        f"model.{key}",
        f"{{argument}} = {m[key]!r} makes exact probabilities underflow: {problem} (energies span up to "
        f"{span:.3g} kT); allowed: a scale whose energy differences stay below about {UNDERFLOW_SPAN:g} kT",
    )


def resolve_checks(names: list[str], model) -> list[str]:
    """``auto`` -> the exact checks up to 24 units; beyond, those (skipped, with their reason) and
    the checks that need no enumeration."""
    from .validation.checks import default_checks

    out = []
    for name in names:
        for c in default_checks(model) if name == "auto" else [name]:
            if c not in out:
                out.append(c)
    return out


def check_options(check: DictConfig, model) -> dict:
    """The options of ``check=blocks`` / ``invariance`` / ``energy``, validated (``check.*`` keys).  The
    options of the checks not chosen are validated too (type and range): a wrong value is refused
    whichever check runs, rather than ignored today and failing when the check is changed."""
    from omegaconf import OmegaConf

    from .validation.blocks import MAX_BLOCK, choose_blocks, random_block_shape
    from .validation.energy import check_temperatures
    from .validation.invariance import _sweeps
    from .zoo import lattice_parameters

    def plain(value):
        return OmegaConf.to_container(value) if OmegaConf.is_config(value) else value

    keys = {k: f"check.{k}" for k in ("sweeps", "temperatures", "init", "blocks", "n_blocks", "block_size", "contexts")}
    with config_keys(keys):
        sweeps = _sweeps(plain(check.sweeps))
        temps = plain(check.temperatures)
        if temps is not None:
            if not isinstance(temps, list) or not temps:
                raise InputError.bad("temperatures", "a non-empty list of numbers > 0", temps)
            temps = [arguments.number(t, "temperatures", low=0, low_open=True) for t in temps]
        init = arguments.one_of(check.init, "init", ("ordered", "random"))
        given = plain(check.blocks)
        if given is not None and not isinstance(given, list):
            raise InputError.bad("blocks", "a list of blocks (each a list of unit indices or names) or null", given)
        if check.block_size is not None:
            arguments.integer(check.block_size, "block_size", low=1, high=MAX_BLOCK)
        if check.n_blocks is not None:
            arguments.integer(check.n_blocks, "n_blocks", low=1, high=10**4)
        arguments.integer(check.contexts, "contexts", low=1, high=10**6)
        if check.name == "invariance":
            return {"sweeps": sweeps}
        if check.name == "energy":
            params = lattice_parameters(model)
            if temps is not None and params is not None:
                check_temperatures(temps, params[1])
            return {"temperatures": temps, "init": init}
        if check.name != "blocks":
            return {}
        if given is not None:
            choose_blocks(model, given)  # bad blocks are refused before any work
        random_block_shape(model, check.n_blocks, check.block_size)  # given, they must fit the model
    return {"blocks": given, "n_blocks": check.n_blocks, "block_size": check.block_size, "contexts": check.contexts}


def validate_train_config(cfg: DictConfig) -> dict:
    """The arguments of :func:`bmexp.training.train` for ``python -m bmexp train``."""
    from .training import check_training

    args = build_training(cfg)
    with config_keys(TRAINING_KEYS):
        check_training(**args)
    _refuse_unused_sampler(cfg.sampler, args)
    _tuning(args["sampler"], args["student"])
    _training_work(args)
    if cfg.metrics_csv:
        arguments.path(cfg.metrics_csv, "metrics_csv", kind="out_file")
    return args


#: ``python -m bmexp train``'s default sampler (conf/sampler/gibbs.yaml)
DEFAULT_SAMPLER = {"name": "gibbs", "rule": "heat_bath", "scan": "sequential", "backend": "numba"}


def _refuse_unused_sampler(sc: DictConfig, args: dict) -> None:
    """``train`` with a training that samples nothing with the sampler (the exact gradient; scikit-learn's
    BernoulliRBM, which draws its own chains): a sampler other than the default would be ignored, so it is
    refused (``run`` uses it for its checks)."""
    if args["variant"] == "exact":
        why = "training.variant = 'exact' (its gradient is computed exactly: nothing is sampled)"
    elif args.get("trainer") == "sklearn":
        why = "training.trainer = 'sklearn' (scikit-learn's BernoulliRBM draws its own chains)"
    else:
        return
    given = {k: v for k, v in OmegaConf.to_container(sc).items() if v is not None}
    changed = [k for k in given if given[k] != DEFAULT_SAMPLER.get(k)]
    if changed:
        key = "name" if "name" in changed else changed[0]
        raise InputError.about(
            f"sampler.{key}",
            f"{{argument}} = {given[key]!r} is ignored with {why}: leave the sampler at its default "
            "(sampler=gibbs), or use python -m bmexp run, whose checks use it",
        )


def validate_check_config(cfg: DictConfig) -> dict:
    """The model, sampler and keyword arguments of ``python -m bmexp check``."""
    from .validation.checks import CHECKS, REGISTRY
    from .validation.gof import check_alpha

    name = arguments.one_of(cfg.check.name, "check.name", list(CHECKS))
    with config_keys({"alpha": "check.alpha"}):
        alpha = check_alpha(cfg.check.alpha)
    if cfg.check.n is not None:
        arguments.integer(cfg.check.n, "check.n", low=_min_n([name]))
    seed = _seed(cfg.seed, "seed")
    model = build_model(cfg)
    why = REGISTRY[name].skip_reason(model)
    if why:
        raise InputError(
            f"check.name = {name!r} {why}; the model has {model.n_units} units "
            f"(checks that apply to it: {[c for c, s in REGISTRY.items() if s.skip_reason(model) is None]})",
            argument="check.name",
        )
    if name in ("joint", "conditional", "random_hidden", "schedule"):  # the checks against exact probabilities
        _probabilities_representable(cfg, model, conditions={name} & {"conditional", "random_hidden"})
    schedule = build_schedule(cfg.schedule)
    sampler = build_sampler(cfg.sampler)
    options = check_options(cfg.check, model)
    _tuning(sampler, model)
    if name == "lumped":
        _lumped(model, sampler, schedule)
    _check_work(  # energy: sweeps estimated below
        model, schedule, [name], cfg.check.n, alpha, "check.n", options, replicas=_replicas(sampler), sampler=sampler
    )
    if name == "energy" and cfg.check.own_schedule:
        schedule = None  # the check's equilibration sweeps (an annealing schedule would trap chains below T_c)
    kwargs = dict(rng=np.random.default_rng(seed), schedule=schedule, n=cfg.check.n, alpha=alpha, **options)
    if name == "conditional" and cfg.check.get("hidden") is not None:
        kwargs["hidden"] = list(cfg.check.hidden)
    if cfg.check.plot:
        arguments.path(cfg.check.plot, "check.plot", kind="out_file", suffixes=arguments.PLOT_SUFFIXES)
    return {"model": model, "sampler": sampler, "kwargs": kwargs}


def validate_table_config(cfg: DictConfig):
    """The model of ``python -m bmexp table``, refused when its table would not fit in memory."""
    max_units = arguments.integer(cfg.max_units, "max_units", low=1)
    model = build_model(cfg)
    if model.n_units > max_units:
        raise InputError(
            f"model.n_visible + model.n_hidden must be <= max_units = {max_units} (exact "
            f"enumeration); received {model.n_visible} + {model.n_hidden} = {model.n_units}"
        )
    _within("max_units", max_units, memory=80.0 * 2.0**model.n_units, what=f"the table of 2**{model.n_units} states")
    if cfg.given_hidden is not None and not (model.n_visible and model.n_hidden):
        raise InputError.about(
            "given_hidden",
            f"{{argument}} = {OmegaConf.to_container(cfg.given_hidden)!r} is ignored: the table conditions on the "
            f"hidden units only when the model has visible and hidden ones (n_visible = {model.n_visible}, "
            f"n_hidden = {model.n_hidden}); allowed: null",
        )
    # (the table shows p(v | h = given_hidden): no hidden state may underflow)
    _probabilities_representable(cfg, model, ("hidden",) if model.n_visible and model.n_hidden else ())
    return model


def validate_report_config(cfg: DictConfig) -> None:
    from .validation.gof import check_alpha

    with config_keys({"alpha": "report.alpha"}):
        check_alpha(cfg.report.alpha)
    if cfg.report.sweep is not None and not NAME.match(str(cfg.report.sweep)):
        raise InputError.bad("report.sweep", "a sweep name (letters, digits, '_', '-', '.') or null", cfg.report.sweep)
    arguments.path(cfg.report.out, "report.out", kind="out_dir")
    check_store_uri(cfg.tracking.uri)


def validate_ui_config(cfg: DictConfig) -> None:
    import socket

    check_store_uri(cfg.tracking.uri)
    arguments.integer(cfg.ui.port, "ui.port", low=1, high=65535)
    arguments.integer(cfg.ui.workers, "ui.workers", low=1, high=64)
    if not isinstance(cfg.ui.host, str) or not cfg.ui.host:
        raise InputError.bad("ui.host", "a host name or address", cfg.ui.host)
    try:
        socket.getaddrinfo(cfg.ui.host, cfg.ui.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # (socket.gaierror: not a host name or address)
        raise InputError.about(
            "ui.host", f"{{argument}} = {cfg.ui.host!r} is not a host name or address here: {exc.strerror or exc}"
        ) from None
    with socket.socket(socket.AF_INET6 if ":" in cfg.ui.host else socket.AF_INET) as probe:
        try:
            probe.bind((cfg.ui.host, cfg.ui.port))
        except OSError as exc:
            raise InputError.about(
                "ui.port", f"{{argument}} = {cfg.ui.port} cannot be used on {cfg.ui.host}: {exc.strerror or exc}"
            ) from None
