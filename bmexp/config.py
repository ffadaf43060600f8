"""Structured-config schemas (dataclasses) registered in Hydra's ConfigStore.

Only the CLI reads a Hydra config; it turns these nodes into plain arguments for the
library.  Types are checked by OmegaConf when the config is composed; value ranges are
checked by the library constructors, which raise :class:`bmexp.errors.InputError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.core.config_store import ConfigStore

from .schedules import DEFAULT_LINEAR

__all__ = [
    "CheckCommandConfig",
    "CheckConfig",
    "ModelConfig",
    "SamplerConfig",
    "ScheduleConfig",
    "TableConfig",
    "register",
]


@dataclass
class ModelConfig:
    name: str = "slide35"  # slide35 | seed_target | random | rbm | ferromagnet | lattice
    n_visible: int = 4  # random, rbm only
    n_hidden: int = 2  # random, rbm only
    weight_scale: float = 1.0  # random, rbm only
    bias_scale: float = 0.5  # random, rbm only
    seed: int = 0  # random, rbm only
    coupling: float = 0.25  # ferromagnet only
    bias: float = 0.05  # ferromagnet only
    L: int = 4  # lattice only: L x L torus (4: the largest enumerable; check=energy at any L)
    J: float = 1.0  # lattice only: coupling (> 0)
    temperature: float = 1.0  # lattice only: weights J / temperature (the machine at T = 1 is the Ising model at it)


@dataclass
class ScheduleConfig:
    kind: str = "linear"  # linear | geometric | explicit | constant
    T0: float = DEFAULT_LINEAR["T0"]  # linear, geometric (the one default: bmexp.schedules)
    step: float = DEFAULT_LINEAR["step"]  # linear
    factor: float = 0.5  # geometric
    T_end: float = 1.0  # linear, geometric
    sweeps_per_temperature: int = DEFAULT_LINEAR["sweeps_per_temperature"]
    final_sweeps: Optional[int] = DEFAULT_LINEAR["final_sweeps"]  # null: twice sweeps_per_temperature
    temperatures: list[float] = field(default_factory=list)  # explicit
    sweeps: int = 20  # constant


@dataclass
class SamplerConfig:
    name: str = "gibbs"  # gibbs (bmexp's) | pt (bmexp's parallel tempering) | dwave (dwave-samplers' SA)
    rule: str = "heat_bath"  # heat_bath | flip | metropolis (dwave: heat_bath = "Gibbs" | metropolis)
    scan: str = "sequential"  # sequential | random
    backend: Optional[str] = "numba"  # gibbs only: numba | numpy (null for other samplers)
    # pt only (null for other samplers; conf/sampler/pt.yaml sets them):
    replicas: Optional[int] = None  # R >= 2 (null: 4, or the explicit ladder's length)
    ladder: Any = None  # geometric | adaptive | [1, T_2, ..., T_R] (strictly increasing)
    T_max: Optional[float] = None  # top of the geometric ladder (adaptive: its start)
    swap: Optional[str] = None  # deo (non-reversible even/odd) | seo | random_pair
    tune_chains: Optional[int] = None  # adaptive: chains of the tuning run
    tune_sweeps: Optional[int] = None  # adaptive: tuning sweeps (rounds 32, 64, ...; the last takes the rest)


@dataclass
class CheckConfig:
    name: str = "conditional"  # conditional | joint | random_hidden | schedule | invariance | blocks
    n: Optional[int] = None  # null: planned n (detects TV 0.02 with power 0.9)
    alpha: float = 0.01
    hidden: Optional[list[float]] = None  # conditional: clamp h (null: all on)
    blocks: Optional[list[Any]] = None  # blocks: lists of unit indices or names (null: random blocks)
    n_blocks: Optional[int] = None  # blocks: random blocks (null: 8, fewer if they do not fit)
    block_size: Optional[int] = None  # blocks: units per random block, <= 12 (null: 10, fewer in small models)
    contexts: int = 64  # blocks: states of the rest drawn from the sampler's chains
    sweeps: list[int] = field(default_factory=lambda: [1, 2, 8])  # invariance: sweeps at T = 1
    temperatures: Optional[list[float]] = None  # energy: the machine's temperatures (null: T/J 2, T_c, 3)
    init: str = "ordered"  # energy: ordered | random starts
    own_schedule: bool = True  # energy: its equilibration sweeps (false: the schedule group's schedule)
    plot: Optional[str] = "reports/check_${check.name}.png"  # null: no plot


@dataclass
class TrainingConfig:
    variant: str = "annealed"  # annealed | pcd | pt (persistent parallel tempering) | exact
    trainer: str = "bmexp"  # bmexp | sklearn (BernoulliRBM: model=rbm, variant pcd, extra bmexp[sklearn])
    eta: float = 0.01
    epochs: int = 300
    n_negative: int = 100  # free chains in the negative phase
    pcd_sweeps: int = 1  # pcd, pt: sweeps at T = 1 per epoch for the persistent chains
    weight_decay: float = 0.0
    learn_biases: bool = True
    max_weight: float = 10.0  # |W| past this: diverged
    init_scale: float = 0.5  # random start: W ~ N(0, init_scale^2), b = 0 (binary), converted
    seed: int = 0
    measure: str = "auto"  # kl (exact, n <= 24) | pll (pseudo-log-likelihood, reconstruction) | auto
    metrics_every: Optional[int] = None  # epochs between metrics (null: see bmexp.training.train)
    batch_size: Optional[int] = None  # null: one full-batch update per epoch; else one per mini-batch
    eval_every: int = 5  # data=digits: held-out AIS log-likelihood every k epochs
    eval_chains: int = 100  # data=digits: AIS chains per evaluation
    eval_betas: int = 1000  # data=digits: AIS inverse temperatures per evaluation


@dataclass
class DataConfig:
    source: str = "teacher"  # teacher: draw n vectors from the model's p(v); file: load path; exact: p(v) itself;
    # digits: scikit-learn's 8 x 8 digits, binarised (needs n_visible = 64 and the extra bmexp[sklearn])
    n: Optional[int] = 1000  # teacher: vectors drawn; digits: training images used (null: all; the default there)
    path: Optional[str] = None  # .npy or .csv, either convention
    seed: int = 1  # teacher: the draw and the held-out split; digits: the train / held-out split
    heldout: Optional[float] = None  # fraction held out (null: 0 with measure kl, 0.2 with pll -- digits: 0.2)
    threshold: int = 8  # digits: a pixel (0-16) is on at >= threshold


@dataclass
class TableConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    convention: str = "binary"
    given_hidden: Optional[list[int]] = None  # p(v | h = given_hidden); null = all hidden on
    max_units: int = 24


def grid_params(params, grids) -> list[dict]:
    """The sweeper params of each grid of ``hydra.sweeper.grids`` (``hydra/sweeper=bmexp``): ``params``
    with the grid's axes added (a grid's value for a key replaces params'); ``[params]`` without grids."""
    from omegaconf import OmegaConf

    def plain(node) -> dict:
        node = OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node
        return dict(node or {})

    base = plain(params)
    if grids is None:
        return [base]
    if OmegaConf.is_config(grids):
        grids = OmegaConf.to_container(grids)
    if not isinstance(grids, list) or not grids or not all(isinstance(g, dict) for g in grids):
        from .errors import InputError

        raise InputError.bad(
            "hydra.sweeper.grids",
            "a non-empty list of grids, each a mapping of sweep axes (or null: one product)",
            grids,
        )
    return [{**base, **plain(grid)} for grid in grids]


def plain_override(repository, override) -> bool:
    """Is ``override`` (a parsed Hydra override) a plain ``key=value`` on the composed config -- not a
    config group choice, not ``+key`` / ``~key`` / ``key@pkg``, not a ``hydra.`` key, not a dict
    value?  Jobs that differ only in those share their composition up to the value overrides, which
    Hydra then applies in order with its own function (``ConfigLoaderImpl._apply_overrides_to_config``).
    ``repository``: the config loader's, None (nothing is plain) where it cannot be had."""
    key = override.key_or_group
    return (
        repository is not None
        and override.type.name == "CHANGE"
        and override.package is None
        and not key.startswith("hydra")
        and not repository.group_exists(key)
        and not isinstance(override.value(), dict)
    )


def register() -> None:
    # bmexp's launcher (hydra/launcher=bmexp) is a Hydra plugin, found by scanning the directories of
    # the namespace package hydra_plugins; an editable install's directory is not among them, so add it.
    from pathlib import Path

    import hydra_plugins
    import hydra_plugins.bmexp_launcher as plugin

    where = str(Path(plugin.__file__).resolve().parent.parent)
    if where not in [str(Path(p).resolve()) for p in hydra_plugins.__path__ if Path(p).is_dir()]:
        hydra_plugins.__path__.append(where)

    cs = ConfigStore.instance()
    cs.store(name="table_schema", node=TableConfig)
    cs.store(name="check_schema", node=CheckCommandConfig)
    cs.store(group="schema", name="schedule", node=ScheduleConfig)
    cs.store(group="schema", name="sampler", node=SamplerConfig)
    cs.store(group="schema", name="check", node=CheckConfig)
    cs.store(name="train_schema", node=TrainCommandConfig)
    cs.store(group="schema", name="training", node=TrainingConfig)
    cs.store(group="schema", name="data", node=DataConfig)
    cs.store(name="run_schema", node=RunCommandConfig)
    cs.store(group="schema", name="tracking", node=TrackingConfig)
    cs.store(name="report_schema", node=ReportCommandConfig)
    cs.store(name="ui_schema", node=UiCommandConfig)
    cs.store(group="schema", name="model", node=ModelConfig)


@dataclass
class _ModelAndSampler:
    """What every sampling command shares: a model, a convention, a schedule and a sampler."""

    model: ModelConfig = field(default_factory=ModelConfig)
    convention: str = "binary"
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    sampler: SamplerConfig = field(default_factory=SamplerConfig)


@dataclass
class CheckCommandConfig(_ModelAndSampler):
    check: CheckConfig = field(default_factory=CheckConfig)
    seed: int = 0


@dataclass
class TrainCommandConfig(_ModelAndSampler):  # model: the teacher; convention: the student's
    training: TrainingConfig = field(default_factory=TrainingConfig)
    data: DataConfig = field(default_factory=DataConfig)
    metrics_csv: Optional[str] = None


@dataclass
class ChecksConfig:
    # auto: the exact checks (conditional, joint, random_hidden, schedule) up to 24 units; beyond,
    # blocks (and energy on a lattice), the exact ones reported as skipped
    names: list[str] = field(default_factory=lambda: ["auto"])
    n: Optional[int] = None  # null: planned n per check
    alpha: float = 0.01
    reuse: bool = True  # in a sweep: compute each distinct check once, reuse it in the jobs that share it
    plot: bool = False  # per-job check and training plots as artifacts (the report draws the sweep's)


@dataclass
class TrackingConfig:
    uri: Optional[str] = None  # null: MLFLOW_TRACKING_URI, else sqlite:///<cwd>/mlruns/mlflow.db
    experiment: str = "bmexp-${tracking.sweep_name}"  # one MLflow experiment per sweep name
    sweep_name: str = "single"


@dataclass
class RunCommandConfig(_ModelAndSampler):
    training: TrainingConfig = field(default_factory=TrainingConfig)
    data: DataConfig = field(default_factory=DataConfig)
    checks: ChecksConfig = field(default_factory=ChecksConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    seed: int = 0
    threads: int = 0  # numba threads per job (0: all cores)
    train: bool = True  # false: the sampling checks only


@dataclass
class ReportConfig:
    sweep: Optional[str] = None  # sweep name (tracking.sweep_name); null: the latest sweep
    out: str = "reports"  # written to <out>/<sweep name>/
    alpha: float = 0.01
    log_to_parent: bool = True  # also log the report as artifacts of the sweep's parent run


@dataclass
class ReportCommandConfig:
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    report: ReportConfig = field(default_factory=ReportConfig)


@dataclass
class UiConfig:
    host: str = "127.0.0.1"  # anything else exposes the UI to the network
    port: int = 5000
    workers: int = 1


@dataclass
class UiCommandConfig:
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    ui: UiConfig = field(default_factory=UiConfig)
