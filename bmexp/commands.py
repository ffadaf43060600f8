"""The commands of ``python -m bmexp``: each turns a composed Hydra config into library calls.

Only this module and :mod:`bmexp.cli` read Hydra configs; the library takes plain arguments.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from .boundary import (
    build_model,
    build_sampler,
    build_schedule,
    build_training,
    config_keys,
    validate_check_config,
    validate_report_config,
    validate_run_config,
    validate_table_config,
    validate_train_config,
    validate_ui_config,
)
from .errors import InputError, one_line
from .exact import MAX_UNITS

__all__ = [
    "COMMANDS",
    "build_model",
    "build_sampler",
    "build_schedule",
    "build_training",
    "ui_command",
    "validate_run_config",
]


def _fmt(df: pd.DataFrame) -> str:
    return df.to_string(index=False, float_format=lambda x: f"{x:.3f}")


#: Most states ``table`` prints per table (the most probable; the Python API has them all).
MAX_PRINTED_STATES = 256


def _top(df: pd.DataFrame) -> pd.DataFrame:
    if len(df) <= MAX_PRINTED_STATES:
        return df
    return df.sort_values("p", ascending=False, kind="stable").head(MAX_PRINTED_STATES)


def _shown(df: pd.DataFrame) -> str:
    if len(df) <= MAX_PRINTED_STATES:
        return ""
    return (
        f"({MAX_PRINTED_STATES} most probable of {len(df)} states; all of them: "
        "bmexp.exact.ExactDistribution.of(model).table())\n"
    )


def cmd_table(cfg: DictConfig) -> None:
    from .exact import ExactDistribution

    model = validate_table_config(cfg)
    exact = ExactDistribution.of(model, max_units=cfg.max_units)
    print(f"# {cfg.model.name} ({model.convention.value}), n_visible = {model.n_visible}, n_hidden = {model.n_hidden}")
    full = exact.table(top=MAX_PRINTED_STATES)
    more = (
        ""
        if exact.p.size <= MAX_PRINTED_STATES
        else (
            f"({MAX_PRINTED_STATES} most probable of {exact.p.size} states; all of them: "
            "bmexp.exact.ExactDistribution.of(model).table())\n"
        )
    )
    print(more + _fmt(full.iloc[::-1]))
    shown_z = f"{exact.z:.2f}" if np.isfinite(exact.z) else f"e^{exact.log_z:.6g} (beyond float64)"
    print(f"Z = {shown_z}   (log Z = {exact.log_z:.6f})")
    if model.n_visible:
        print("\n# visible marginal p(v)")
        marginal = exact.visible_marginal()
        print(_shown(marginal) + _fmt(_top(marginal.iloc[::-1])))
    if model.n_hidden and model.n_visible:
        on = model.convention.values[1]
        given = list(cfg.given_hidden) if cfg.given_hidden is not None else [on] * model.n_hidden
        print(f"\n# conditional p(v | h = {given})")
        with config_keys({"h": "given_hidden"}):
            table = exact.p_visible_given_hidden(given)
        print(_shown(table) + _fmt(_top(table.iloc[::-1])))


def cmd_check(cfg: DictConfig) -> None:
    from .experiment import _CountingSampler
    from .validation.checks import run_check

    args = validate_check_config(cfg)
    model = args["model"]
    sampler = _CountingSampler(args["sampler"])  # parallel tempering's swap and round-trip counts
    with config_keys({"hidden": "check.hidden", "h": "check.hidden"}):
        result = run_check(cfg.check.name, model, sampler, **args["kwargs"])
    schedule = (
        cfg.schedule.kind
        if args["kwargs"]["schedule"] is not None
        else "constant at T = 1 (the check's equilibration sweeps at each temperature; check.own_schedule)"
    )
    print(
        f"# {cfg.model.name} ({model.convention.value}), schedule {schedule}: "
        f"{result.n} samples, sampler {cfg.sampler.name}, rule {cfg.sampler.rule}, scan {cfg.sampler.scan}"
    )
    print(result.report())
    if sampler.diagnostics.calls:
        print(sampler.diagnostics.summary())
    if cfg.check.plot:
        result.plot(cfg.check.plot)
        print(f"plot: {cfg.check.plot}")
    if not result.passed:
        raise SystemExit(1)  # a failed check is a finding, not bad input: exit 1


class _Progress:
    """A one-line progress bar on stderr when it is a terminal; silent otherwise."""

    def __init__(self, total: int):
        self.total, self.live = total, sys.stderr.isatty()

    def __call__(self, row: dict) -> None:
        if not self.live:
            return
        done = int(row["epoch"])
        bar = "#" * (30 * done // self.total)
        shown = (
            f"KL(data||model) {row['kl_data']:.2e}"
            if np.isfinite(row["kl_data"])
            else f"pseudo-log-likelihood (train) {row['pll_train']:.4g}"
        )
        if np.isfinite(row.get("ais_log_likelihood", np.nan)):
            shown += f"  held-out AIS log-lik {row['ais_log_likelihood']:.2f}"
        sys.stderr.write(f"\r[{bar:<30}] epoch {done}/{self.total}  {shown}")
        if done == self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def cmd_train(cfg: DictConfig) -> None:
    from .experiment import _CountingSampler
    from .training import conditional_table, train

    args = validate_train_config(cfg)
    progress = _Progress(cfg.training.epochs)
    if args.get("sampler") is not None:
        args["sampler"] = _CountingSampler(args["sampler"])  # parallel tempering's swap and round-trip counts
    result = train(callback=progress, **args)
    if progress.live and result.diverged:
        sys.stderr.write("\n")
    m = result.metrics
    print(
        f"# {result.variant} training of {cfg.model.name} ({cfg.convention}), eta = {result.eta:g}, "
        f"{int(m['epoch'].iloc[-1])} epochs: {'DIVERGED: ' + result.reason if result.diverged else result.reason}"
    )
    print(f"# measured by {result.measured_by}")
    shown = m.iloc[np.unique(np.linspace(0, len(m) - 1, min(len(m), 6)).astype(int))]
    shown = shown[[c for c in shown.columns if shown[c].notna().any()]]  # no all-NaN (KL or PLL) columns
    print(shown.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    if "w_dist_teacher_unidentifiable" in shown:
        print("(w_dist_teacher_unidentifiable = the post's ||W - W_teacher||_F^2: not identifiable with hidden units)")
    counted = getattr(args.get("sampler"), "diagnostics", None)
    if counted is not None and counted.calls:  # sampler=pt: every call (both phases)
        print(f"sampler calls, {counted.summary()}")
    elif result.pt is not None and result.pt.calls:  # training=pt's own PT (the sampler is not PT)
        print(f"negative phase, {result.pt.summary()}")
    if "pll_train" in shown:
        print(
            "(pll_* = mean pseudo-log-likelihood sum_i log p(v_i | v_-i), nats per vector, not a KL; "
            f"reconstruction_heldout = fraction of held-out visible units wrong after v -> h -> v; "
            f"{len(args.get('heldout') if args.get('heldout') is not None else [])} vectors held out)"
        )
    if cfg.metrics_csv:
        Path(cfg.metrics_csv).parent.mkdir(parents=True, exist_ok=True)
        m.to_csv(cfg.metrics_csv, index=False)
        print(f"metrics: {cfg.metrics_csv}")
    if args["student"].n_units > MAX_UNITS:
        return  # the table below enumerates
    models = {"random initial": result.initial, "trained": result.model}
    if args["teacher"] is not None:  # (data from a file or the digits: no teacher)
        models = {"teacher": args["teacher"].to(cfg.convention), **models}
    table = conditional_table(models)
    print(f"\n# p(v | h = {table.attrs['hidden']}) and p(v)")
    print(_fmt(table))


# ----------------------------------------------------------------------------- run / sweep
def _set_threads(threads: int) -> None:
    if threads:
        from .samplers import set_threads

        set_threads(threads)


def _run_name() -> str:
    from hydra.core.hydra_config import HydraConfig

    try:
        name = HydraConfig.get().job.override_dirname
    except ValueError:
        name = ""
    return name or "single"


def _in_multirun() -> tuple[bool, str | None]:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    try:
        hc = HydraConfig.get()
    except ValueError:
        return False, None
    multi = hc.mode == RunMode.MULTIRUN
    return multi, (hc.sweep.dir if multi else None)


def _check_cache(sweep_dir: str):
    """The sweep's cache of check results: ``<sweep name dir>/.bmexp-cache/checks``, beside the
    invocations' timestamped directories, so a resumed sweep reuses what the killed one computed."""
    from .cache import ResultCache

    return ResultCache(Path(sweep_dir).absolute().parent / ".bmexp-cache" / "checks")


def cmd_run(cfg: DictConfig) -> None:
    import tempfile

    from omegaconf import OmegaConf

    from . import tracking
    from .experiment import run_experiment
    from .provenance import job_hash, provenance_tags

    multirun, sweep_dir = _in_multirun()
    args = validate_run_config(cfg)  # bad input: exit 2 before anything is written
    _set_threads(cfg.threads)
    resolved = OmegaConf.to_container(cfg, resolve=True)
    chash = job_hash(resolved)
    store = tracking.Store.default(uri=cfg.tracking.uri)
    parent = tracking.parent_from_env(sweep_dir) if multirun else None
    experiment = cfg.tracking.experiment
    if multirun:
        if "bmexp.hydra_callbacks" in sys.modules:  # an in-process launcher (basic): the store must be open
            sys.modules["bmexp.hydra_callbacks"].check_open()
        if parent is None:
            raise tracking.StoreError(
                f"tracking store {store.name}: the sweep's parent run was not created; no job runs without one"
            )
        # claimed, not just skipped: one process at a time runs a configuration of this sweep
        state, holder = tracking.claim(store, experiment, chash)
        if state == "taken":
            print(f"job [{_run_name()}]: skipped, being run by process {holder}")
            return
        if state == "finished" or tracking.finished_run(store, experiment, chash):
            if state != "finished":
                tracking.release(store, experiment, chash, finished=True)
            print(f"run [{_run_name()}]: already finished, skipped")
            return
        if holder:
            print(f"job [{_run_name()}]: taken over from ended process {holder}")
    else:
        store.preflight()
        tracking.mark_stale_runs(store)
    tags = {**provenance_tags(), tracking.CONFIG_HASH_TAG: chash, tracking.SWEEP_TAG: cfg.tracking.sweep_name}
    training = {k: v for k, v in args.items() if k not in ("rng", "schedule", "sampler", "checks", "model")}
    finished = False
    try:
        t_run = time.perf_counter()
        with tracking.job_run(store, experiment, run_name=_run_name(), parent_id=parent, tags=tags) as job:
            job.params(resolved)
            result = run_experiment(
                args["model"],
                rng=np.random.default_rng(cfg.seed),
                schedule=args["schedule"],
                sampler=args["sampler"],
                checks=args["checks"],
                check_n=cfg.checks.n,
                alpha=cfg.checks.alpha,
                training=training if cfg.train else None,
                cache=_check_cache(sweep_dir) if multirun and cfg.checks.reuse else None,
            )
            job.metrics(result.metrics())
            for step, values in result.step_metrics():
                job.metrics(values, step=step)
            job.tags(_job_tags(result))
            with tempfile.TemporaryDirectory() as tmp:
                _write_artifacts(Path(tmp), resolved, result, plots=cfg.checks.plot)
                job.artifacts(tmp)
            job.flush()
            # what tracking cost this run: all but the work (the last metric and ending the run excepted)
            elapsed = time.perf_counter() - t_run
            job.metrics({"tracking.overhead_fraction": max(0.0, elapsed - result.seconds) / elapsed})
            run_id = job.run_id
        finished = True
    except tracking.StoreError:
        raise  # the store is gone: the sweep stops (one line, exit 2) rather than fail every job alike
    except Exception as exc:  # the run is FAILED with the error; a sweep goes on
        if not multirun:
            if isinstance(exc, InputError):
                raise
            print(f"bmexp run: job failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            raise SystemExit(1)
        print(f"bmexp sweep: job [{_run_name()}] failed: {type(exc).__name__}: {one_line(exc)}", file=sys.stderr)
        return
    finally:
        if multirun:
            try:
                tracking.release(store, experiment, chash, finished=finished)
            except tracking.StoreError:
                pass  # an unreleased claim of an ended process is taken over by the next launcher
    m = result.metrics()
    summary = ", ".join(
        f"{k} = {m[k]:.3g}"
        for k in (
            "check.joint.p_value",
            "train.final_kl_teacher",
            "train.final_pll_heldout",
            "train.final_ais_log_likelihood",
            "wall_time_s",
        )
        if k in m and m[k] == m[k]  # (NaN: not measured in this run, e.g. no teacher)
    )
    verdicts = ", ".join(f"{name} {'pass' if c.passed else 'FAIL'}" for name, c in result.checks.items())
    if result.training is not None and result.training.diverged:  # (its final metrics are the last finite epoch's)
        summary += f"; training DIVERGED: {result.training.reason}"
    print(f"run {run_id} [{_run_name()}]: {summary}{f'; checks: {verdicts}' if verdicts else ''}")
    for name, why in result.extra.get("skipped", {}).items():
        print(f"note: check {name} skipped: it {why} (the model has {args['model'].n_units} units)", file=sys.stderr)


def _job_tags(result) -> dict[str, str]:
    tags = {}
    if result.training is not None:
        tags["bmexp.diverged"] = str(result.training.diverged).lower()
    if result.extra.get("reused"):
        tags["bmexp.checks_reused"] = ", ".join(result.extra["reused"])
    if result.extra.get("skipped"):
        tags["bmexp.skipped_checks"] = ", ".join(f"{k} ({v})" for k, v in result.extra["skipped"].items())
    return tags


def _write_artifacts(folder: Path, resolved: dict, result, plots: bool) -> None:
    """A job's artifacts, logged in one call: ``config.yaml``, ``checks.csv`` (every check's table,
    the column ``check`` naming it), ``training_metrics.csv``; with ``plots`` (``checks.plot``) also
    ``check_<name>.png`` and ``training_kl.png`` -- with ``data=digits`` (always) ``model.json``, the
    trained model, and (with ``plots``) ``training_held_out.png``
    and ``samples.png``, a grid of 64 digits drawn from the trained model (matplotlib costs about
    half a second a figure)."""
    import yaml

    (folder / "config.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False))
    if result.checks:
        tables = [check.table.assign(check=name) for name, check in result.checks.items()]
        table = pd.concat(tables, ignore_index=True)
        table[["check", *[c for c in table.columns if c != "check"]]].to_csv(folder / "checks.csv", index=False)
    if result.training is not None:
        result.training.metrics.to_csv(folder / "training_metrics.csv", index=False)
        if "ais_log_likelihood" in result.training.metrics:  # data=digits: the report draws its samples
            (folder / MODEL_ARTIFACT).write_text(json.dumps(result.training.model.to_dict()))
    if not plots:
        return
    for name, check in result.checks.items():
        check.plot(folder / f"check_{name}.png")
    if result.training is not None and "ais_log_likelihood" in result.training.metrics:  # data=digits
        from .report import plot_digit_samples, plot_held_out_curve

        plot_held_out_curve(result.training.metrics, folder / "training_held_out.png")
        plot_digit_samples(result.training.model, folder / "samples.png", rng=np.random.default_rng(0))
    elif result.training is not None:
        from .report import plot_training_curve

        plot_training_curve(result.training.metrics, folder / "training_kl.png")


#: a data=digits job's trained model (``BoltzmannMachine.to_dict``), for the report's samples
MODEL_ARTIFACT = "model.json"


def _trained_models(store, runs: list[dict]) -> dict:
    """``{run_id: model}`` for the runs that logged :data:`MODEL_ARTIFACT` (data=digits, trainer compared)."""
    from . import tracking
    from .model import BoltzmannMachine

    models = {}
    for r in runs:
        if r["status"] != "FINISHED" or "train.final_ais_log_likelihood" not in r["metrics"]:
            continue
        if r["params"].get("training.trainer") is None:
            continue
        text = tracking.artifact_text(store, r["run_id"], MODEL_ARTIFACT)
        if text is not None:
            models[r["run_id"]] = BoltzmannMachine(**json.loads(text))
    return models


def cmd_report(cfg: DictConfig) -> None:
    from . import tracking
    from .report import build_report

    validate_report_config(cfg)
    store = tracking.Store.default(uri=cfg.tracking.uri)
    if store.uri.startswith("sqlite:///") and not Path(store.uri[len("sqlite:///") :]).is_file():
        raise InputError(
            f"report.sweep: there is no store at {store.uri[len('sqlite:///') :]}; run `python -m bmexp sweep` first"
        )
    store.preflight()
    tracking.mark_stale_runs(store)
    sweep = tracking.find_sweep(store, cfg.report.sweep)
    if sweep is None:
        which = f"named {cfg.report.sweep!r}" if cfg.report.sweep else "at all"
        raise InputError(f"report.sweep: there is no sweep {which} in {store.uri}; run `python -m bmexp sweep` first")
    runs = tracking.child_runs(store, sweep)
    curves = {r["run_id"]: tracking.metric_history(store, r["run_id"], "train.kl_teacher") for r in runs}
    name = sweep["tags"].get(tracking.SWEEP_TAG, "sweep")
    out = Path(cfg.report.out) / name
    tv_curves = {  # parallel tempering's exact TV after every round (check=lumped)
        r["run_id"]: tracking.metric_history(store, r["run_id"], "check.lumped.tv_by_sweep")
        for r in runs
        if "check.lumped.tv_by_sweep" in r["metrics"]
    }
    report = build_report(
        sweep, runs, curves, out, alpha=cfg.report.alpha, models=_trained_models(store, runs), tv_curves=tv_curves
    )
    print(report.text())
    print(f"\nreport files: {out}/ ({', '.join(f.name for f in report.files)})")
    if cfg.report.log_to_parent:
        tracking.log_folder(store, sweep["run_id"], out, "report")
        print(f"logged on the sweep's parent run {sweep['run_id']} under artifacts/report")


def ui_command(store, host: str, port: int, workers: int) -> list[str]:
    """The ``mlflow ui`` command line for ``store``."""
    cmd = [
        sys.executable,
        "-m",
        "mlflow",
        "ui",
        "--backend-store-uri",
        store.uri,
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    if store.artifact_root:
        cmd[6:6] = ["--default-artifact-root", store.artifact_root]
    return cmd


def cmd_ui(cfg: DictConfig) -> None:
    import subprocess

    from . import tracking

    validate_ui_config(cfg)
    store = tracking.Store.default(uri=cfg.tracking.uri)
    if not store.uri.startswith("sqlite:///"):
        raise InputError(f"tracking.uri {store.uri!r} is a tracking server: open it in a browser instead")
    store.preflight()
    tracking.mark_stale_runs(store)  # also creates the schema, once, before the server's workers touch it
    if cfg.ui.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: ui.host = {cfg.ui.host!r} exposes the runs to the network", file=sys.stderr)
    proc = subprocess.Popen(ui_command(store, cfg.ui.host, cfg.ui.port, cfg.ui.workers))
    print(
        f"MLflow UI for {store.uri}: http://{cfg.ui.host}:{cfg.ui.port}  (pid {proc.pid}; Ctrl-C stops it)", flush=True
    )
    try:
        proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait(timeout=10)


COMMANDS: dict[str, tuple[Callable[[DictConfig], None], str]] = {
    "table": (cmd_table, "exact energy table, Z, p(v) and a conditional p(v | h)"),
    "check": (cmd_check, "one of the post's sampling checks: check=conditional|joint|random_hidden|schedule"),
    "train": (cmd_train, "Boltzmann learning measured by exact KL (or pseudo-likelihood beyond 24 units)"),
    "run": (cmd_run, "one experiment job (checks + training) logged as one MLflow run"),
    "sweep": (cmd_run, "the main job: a multirun of `run` over conventions, T0, step, sweeps, eta"),
    "report": (cmd_report, "tables, verdicts, plots and answers for a sweep (default: the latest)"),
    "ui": (cmd_ui, "start the MLflow UI for the project's store on 127.0.0.1"),
}
