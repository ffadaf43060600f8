"""Reports: a sweep's runs as tables and plots that answer the post's open questions.

Reads runs through :mod:`bmexp.tracking` (which alone talks to MLflow), then:

* a summary table, one row per job (CSV);
* Holm-adjusted verdicts for the *implementation* family (samples against the exact output of
  their schedule: is the sampler right?) and Benjamini-Hochberg for the *equilibrium* family
  (samples against Boltzmann distributions: was the schedule long enough?);
* plots: p-value and TV heatmaps over T0 x sweeps per temperature for each convention, KL
  curves by convention, final KL and divergence against eta;
* a few sentences that say what the sweep answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure  # figures without pyplot: no backend chosen or changed on import

from . import comparison, metastable
from .errors import InputError
from .experiment import IMPLEMENTATION_TESTS, KL_THRESHOLDS, SCHEDULE_TESTS
from .tracking import CONFIG_HASH_TAG, CONFIGURATIONS_TAG
from .validation.checks import SHORTFALL_TV
from .validation.multiple import benjamini_hochberg, holm


def _subplots(*args, figsize, **kwargs):
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(*args, **kwargs)


__all__ = ["plot_training_curve", "SweepReport", "build_report", "AXES"]

#: sweep axes, as config keys
AXES = ("convention", "schedule.T0", "schedule.step", "schedule.sweeps_per_temperature", "training.eta")
#: what identifies a sampler and the model it ran on (the sampler table of sweep=samplers)
SAMPLER_AXES = ("sampler.name", "sampler.rule", "sampler.scan", "sampler.backend", "model.name")
#: what a trainer comparison (sweep=digits) varies besides eta
TRAINER_AXES = ("training.trainer", "training.variant", "seed")
#: what annealing against parallel tempering (sweep=metastable) varies besides the schedule
TEMPERING_AXES = ("sampler.replicas", "sampler.ladder", "sampler.T_max", "schedule.kind", "schedule.sweeps")
SCHEDULE_TV_OK = SHORTFALL_TV  # the one adequacy threshold (bmexp.validation.checks)
#: the schedule keys each kind reads: a run's others are the schema's defaults, unused, and left blank
#: (parallel tempering's constant schedule has no T0, step or sweeps per temperature)
SCHEDULE_READS = {
    "linear": ("T0", "step", "sweeps_per_temperature"),
    "geometric": ("T0", "sweeps_per_temperature"),
    "explicit": ("sweeps_per_temperature",),
    "constant": ("sweeps",),
}


def plot_training_curve(metrics: pd.DataFrame, path) -> Path:
    """KL(data || model) and KL(teacher || model) per epoch, with the finite-data floor; beyond
    enumeration (no KL) the pseudo-log-likelihoods and the held-out reconstruction error instead."""
    path = Path(path)
    fig, ax = _subplots(figsize=(6, 4))
    if metrics["kl_data"].isna().all() and "pll_train" in metrics:
        for col in ("pll_train", "pll_heldout"):
            if metrics[col].notna().any():
                ax.plot(metrics["epoch"], metrics[col], marker=".", label=col)
        ax.set_xlabel("epoch")
        ax.set_ylabel("pseudo-log-likelihood (nats per vector; not a KL)")
        if metrics["reconstruction_heldout"].notna().any():
            twin = ax.twinx()
            twin.plot(metrics["epoch"], metrics["reconstruction_heldout"], color="C3", ls="--", label="reconstruction")
            twin.set_ylabel("held-out reconstruction error (dashed)")
        ax.legend(fontsize=8)
        return _save(fig, path)
    ax.semilogy(metrics["epoch"], metrics["kl_data"], label="KL(data || model)")
    if metrics["kl_teacher"].notna().any():
        ax.semilogy(metrics["epoch"], metrics["kl_teacher"], label="KL(teacher || model)")
    floor = float(metrics["kl_floor"].iloc[0])
    if floor > 0:
        ax.axhline(floor, color="0.5", ls="--", label="finite-data floor (K-1)/2N")
    ax.set_xlabel("epoch")
    ax.set_ylabel("KL divergence (nats)")
    ax.legend(fontsize=8)
    return _save(fig, path)


def plot_held_out_curve(metrics: pd.DataFrame, path) -> Path:
    """Held-out AIS log-likelihood per evaluated epoch with its interval, and the held-out
    pseudo-log-likelihood (``pll_heldout``, :mod:`bmexp.likelihood`) where it was measured."""
    path = Path(path)
    m = metrics.dropna(subset=["ais_log_likelihood"])
    fig, ax = _subplots(figsize=(6, 4))
    err = np.vstack([m["ais_log_likelihood"] - m["ais_ci_low"], m["ais_ci_high"] - m["ais_log_likelihood"]])
    ax.errorbar(m["epoch"], m["ais_log_likelihood"], yerr=err, marker="o", capsize=3, label="AIS log-likelihood")
    pll = metrics.dropna(subset=["pll_heldout"])
    ax.plot(pll["epoch"], pll["pll_heldout"], marker=".", ls="--", label="pseudo-log-likelihood")
    ax.set_xlabel("epoch")
    ax.set_ylabel("held-out nats per vector")
    ax.legend(fontsize=8)
    return _save(fig, path)


def digit_canvas(model, *, rng: np.random.Generator, n: int = 64, sweeps: int = 1000) -> np.ndarray:
    """``n`` 8 x 8 images in a square grid (grey borders): the visible units of ``n`` independent
    Gibbs chains after ``sweeps`` sweeps at T = 1 from random starts (samples from the model, approximately)."""
    from .samplers import GibbsSampler
    from .schedules import Schedule

    states = GibbsSampler()(model, rng=rng, n_chains=n, schedule=Schedule.constant(sweeps)).states
    on = model.convention.values[1]
    images = (np.asarray(states)[:, :64] == on).reshape(n, 8, 8)
    side = int(np.ceil(np.sqrt(n)))
    canvas = np.ones((side * 9 + 1, side * 9 + 1)) * 0.5
    for k, img in enumerate(images):
        r, c = divmod(k, side)
        canvas[1 + 9 * r : 9 + 9 * r, 1 + 9 * c : 9 + 9 * c] = img
    return canvas


def plot_digit_samples(model, path, *, rng: np.random.Generator, n: int = 64, sweeps: int = 1000) -> Path:
    """A grid of ``n`` 8 x 8 images sampled from ``model`` (:func:`digit_canvas`)."""

    canvas = digit_canvas(model, rng=rng, n=n, sweeps=sweeps)
    fig, ax = _subplots(figsize=(4, 4))
    ax.imshow(canvas, cmap="gray_r", interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(f"{n} samples, {sweeps} Gibbs sweeps each", fontsize=8)
    return _save(fig, path)


def _save(fig, path) -> Path:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return Path(path)


def _number(value):
    if value == "None":  # a null setting (e.g. parallel tempering's keys for another sampler): blank
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _setting(params: dict, key: str):
    """A run's setting ``key``, or None where the run does not read it (see :data:`SCHEDULE_READS`)."""
    kind = params.get("schedule.kind")
    if key.startswith("schedule.") and key != "schedule.kind" and kind in SCHEDULE_READS:
        if key.removeprefix("schedule.") not in SCHEDULE_READS[kind]:
            return None
    return _number(params.get(key))


def runs_frame(runs: list[dict]) -> pd.DataFrame:
    """One row per run: status, the sweep axes (blank where the run does not read them) and every metric."""
    rows = []
    for r in runs:
        row = {"run_id": r["run_id"], "status": r["status"], "diverged": r["tags"].get("bmexp.diverged")}
        row["config_hash"] = r["tags"].get(CONFIG_HASH_TAG)
        row.update({k: _setting(r["params"], k) for k in AXES + SAMPLER_AXES + TRAINER_AXES + TEMPERING_AXES})
        row.update(r["metrics"])
        rows.append(row)
    return pd.DataFrame(rows)


def _adjust(df: pd.DataFrame, tests, method, alpha: float, suffix: str) -> np.ndarray | None:
    """Adjust all p-values of ``tests`` over all runs as one family; add ``check.<test>.<suffix>`` columns."""
    cols = [f"check.{t}.p_value" for t in tests if f"check.{t}.p_value" in df]
    if not cols:
        return None
    stacked = df[cols].to_numpy(dtype=float).ravel()
    ok = np.isfinite(stacked)
    adj = np.full(stacked.shape, np.nan)
    if ok.any():
        adj[ok] = method(stacked[ok], alpha)[0]
    adj = adj.reshape(len(df), len(cols))
    for j, col in enumerate(cols):
        df[col.replace("p_value", suffix)] = adj[:, j]
    return adj


def _verdict(adjusted: np.ndarray, alpha: float) -> pd.array:
    """Per run: no adjusted p-value <= alpha; NA for a run with no test at all (KILLED, or the checks
    did not run), which has no verdict rather than a passing one."""
    tested = np.isfinite(adjusted).any(axis=1)
    ok = ~np.any(adjusted <= alpha, axis=1)
    return pd.array([bool(o) if t else pd.NA for o, t in zip(ok, tested)], dtype="boolean")


def add_verdicts(df: pd.DataFrame, alpha: float = 0.01) -> pd.DataFrame:
    """Holm over the implementation family, BH over the equilibrium family (adjusted p-values added).

    ``implementation_ok``: no test against the exact schedule output is rejected (Holm).
    ``schedule_adequate``: the exact schedule output is within TV 0.01 of Boltzmann and no test
    against a Boltzmann distribution is rejected (BH).
    """
    df = df.copy()
    impl = _adjust(df, IMPLEMENTATION_TESTS, holm, alpha, "p_holm")
    if impl is not None:
        df["implementation_ok"] = _verdict(impl, alpha)
    equi = _adjust(df, SCHEDULE_TESTS, benjamini_hochberg, alpha, "p_bh")
    if equi is not None:
        df["equilibrium_ok"] = _verdict(equi, alpha)
    if "check.schedule.tv" in df:
        df["schedule_adequate"] = (df["check.schedule.tv"] <= SCHEDULE_TV_OK) & df.get(
            "equilibrium_ok", pd.Series(True, index=df.index)
        )
    return df


def sampler_table(df: pd.DataFrame) -> pd.DataFrame | None:
    """Per sampler and model: implementation verdict (Holm), equilibrium verdict (BH), the exact
    shortfall of the schedule for the sampler's kernel, and updates per second (median over jobs).
    None unless the sweep ran more than one sampler."""
    keys = [k for k in SAMPLER_AXES if k in df and df[k].notna().any()]
    finished = df[df["status"] == "FINISHED"].copy()
    samplers = [k for k in keys if k != "model.name"]
    if finished.empty or not samplers or len(finished.drop_duplicates(samplers)) < 2:
        return None
    if "sampler.name" in finished and "sampler.backend" in finished:  # the backend is bmexp Gibbs's only
        finished.loc[finished["sampler.name"] != "gibbs", "sampler.backend"] = "-"
    agg = {"jobs": ("status", "size")}
    for col, how in (
        ("implementation_ok", "all"),
        ("equilibrium_ok", "all"),
        ("check.schedule.tv", "max"),
        ("sampler.updates_per_s", "median"),
    ):
        if col in finished:
            agg[col.replace("check.", "").replace("sampler.", "")] = (col, how)
    table = finished.groupby(keys, dropna=False).agg(**agg).reset_index()
    return table.rename(columns={"schedule.tv": "exact_shortfall_tv"})


def _heatmaps(df: pd.DataFrame, value: str, title: str, path: Path, log: bool = False) -> Path | None:
    if value not in df or df[value].isna().all():
        return None
    conventions = sorted(df["convention"].dropna().unique())
    fig, axes = _subplots(1, len(conventions), figsize=(max(6.0, 4.5 * len(conventions)), 4.0), squeeze=False)
    for ax, conv in zip(axes[0], conventions):
        sub = df[df["convention"] == conv]
        grid = sub.pivot_table(
            index="schedule.T0", columns="schedule.sweeps_per_temperature", values=value, aggfunc="median"
        )
        data = np.log10(np.maximum(grid.to_numpy(dtype=float), 1e-300)) if log else grid.to_numpy(dtype=float)
        im = ax.imshow(data, origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(grid.shape[1]), [f"{c:g}" for c in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [f"{r:g}" for r in grid.index])
        ax.set_xlabel("sweeps per temperature")
        ax.set_ylabel("T0")
        ax.set_title(f"{conv}", fontsize=10)
        for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
            ax.text(j, i, f"{v:.2g}", ha="center", va="center", color="w", fontsize=8)
        fig.colorbar(im, ax=ax, label=("log10 " if log else "") + value.split(".")[-1])
    fig.suptitle(f"{title}\n(median over the other axes)", fontsize=10)
    return _save(fig, path)


@dataclass
class SweepReport:
    sweep: dict
    table: pd.DataFrame
    answers: list[str]
    files: list[Path] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # more tables shown in the text

    def text(self) -> str:
        # a setting is shown when it differs between jobs, blank (not read by a job) counting as a value:
        # annealing's T0, step and sweeps per temperature, parallel tempering's replicas and ladder
        varied = [
            c
            for c in (*AXES, *SAMPLER_AXES, *TRAINER_AXES, *TEMPERING_AXES)
            if c in self.table and self.table[c].notna().any() and self.table[c].nunique(dropna=False) > 1
        ]
        cols = [
            c
            for c in (
                "status",
                *varied,
                "check.joint.p_value",
                "check.schedule.tv",
                "implementation_ok",
                "equilibrium_ok",
                "schedule_adequate",
                "train.final_kl_teacher",
                "train.final_ais_log_likelihood",
                "train.diverged",
            )
            if c in self.table
        ]
        lines = [
            f"sweep {self.sweep['tags'].get('bmexp.sweep')} (parent run {self.sweep['run_id']}, "
            f"{len(self.table)} jobs)",
            self.table[cols]
            .assign(**{c: self.table[c].map(_shown) for c in varied})
            .to_string(index=False, float_format=lambda x: f"{x:.3g}"),
            "",
            "What the sweep says:",
        ]
        for title, table in self.tables.items():
            lines[-2:-2] = ["", f"{title}:", table.to_string(index=False, float_format=lambda x: f"{x:.3g}")]
        lines += [f"- {a}" for a in self.answers]
        return "\n".join(lines)


def _shown(value) -> str:
    """A setting in the text table: ``-`` where the job does not read it."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _unfinished(df: pd.DataFrame, planned: int | None) -> list[str]:
    """How many of the sweep's ``planned`` configurations (its ``bmexp.configurations`` tag; None: of
    those that started) finished, each counted once however often it ran (a configuration re-run
    after a kill is one configuration); nothing when all finished."""
    config = df["config_hash"].fillna(df["run_id"]) if "config_hash" in df else df["run_id"]
    done, started = set(config[df["status"] == "FINISHED"]), set(config)
    total = max(planned or 0, len(started))
    if len(done) == total:
        return []
    rest = df[~config.isin(done)].assign(config=config).drop_duplicates("config")  # one run each (the newest)
    statuses = ", ".join(f"{k} {s}" for s, k in rest["status"].value_counts().sort_index().items())
    parts = [f"{len(rest)} started and did not finish ({statuses}; see the bmexp.error tags)"] if len(rest) else []
    if total > len(started):
        parts.append(f"{total - len(started)} never started")
    of = f"{total} configurations" if planned else f"the {total} configurations that started"
    return [f"{len(done)} of {of} finished (each counted once, however often it ran): {' and '.join(parts)}."]


def _answers(df: pd.DataFrame, curves: dict, planned: int | None = None) -> list[str]:
    out = _unfinished(df, planned)
    finished = df[df["status"] == "FINISHED"]
    if "implementation_ok" in finished:
        bad = finished[finished["implementation_ok"].eq(False)]
        out.append(
            "Implementation: in every job the samples match the exact output of their schedule "
            f"(Holm over {len(finished)} jobs)."
            if bad.empty
            else f"Implementation: in {len(bad)} job(s) the samples differ from the exact output of their "
            "schedule after Holm's correction -- a sampler bug; inspect them."
        )
    elif any(c.startswith("check.") for c in finished):  # checks ran, none against a schedule's exact output
        out.append(
            "Implementation: no exact schedule output (more than 12 units), so a sampler bug cannot be "
            "told apart from a short schedule; see the equilibrium tests."
        )
    if "equilibrium_ok" in finished:
        off = finished[finished["equilibrium_ok"].eq(False)]
        out.append(
            f"Equilibrium: {len(finished) - len(off)} of {len(finished)} jobs pass every test against the "
            "Boltzmann distributions (Benjamini-Hochberg)"
            + ("." if off.empty else "; the others ran too short a schedule.")
        )
        if "check.lumped.tv" in finished:  # the exact distance: what too few samples cannot see
            short = finished["check.lumped.tv"] > SCHEDULE_TV_OK
            unseen = int((short & finished["equilibrium_ok"].eq(True)).sum())
            out.append(
                f"Exactly (check.lumped.tv): {int(short.sum())} of {len(finished)} jobs end beyond TV "
                f"{SCHEDULE_TV_OK:g} from Boltzmann"
                + (
                    f", {unseen} of them among those that pass the tests above (their samples are too few to "
                    "tell; checks.n)."
                    if unseen
                    else "."
                )
            )
    keys = ["schedule.T0", "schedule.step", "schedule.sweeps_per_temperature"]
    if "schedule_adequate" in finished and len(finished.drop_duplicates(keys)) > 1:
        good = finished[finished["schedule_adequate"].eq(True)]
        if len(good):
            cost = "schedule.total_sweeps" if "schedule.total_sweeps" in good else "schedule.sweeps_per_temperature"
            best = good.sort_values(cost).iloc[0]
            out.append(
                f"Schedules: {len(good.drop_duplicates(keys))} of {len(finished.drop_duplicates(keys))} "
                f"(T0, step, sweeps) settings end within TV {SCHEDULE_TV_OK} of Boltzmann; the cheapest is "
                f"T0 = {best['schedule.T0']:g}, step = {best['schedule.step']:g}, "
                f"{best['schedule.sweeps_per_temperature']:g} sweeps per temperature"
                + (
                    f" ({best['schedule.total_sweeps']:.0f} sweeps in all)."
                    if cost != "schedule.sweeps_per_temperature"
                    else "."
                )
            )
        else:
            out.append(f"Schedules: no setting ends within TV {SCHEDULE_TV_OK} of Boltzmann.")
        parts = []
        for axis, label in (
            ("schedule.sweeps_per_temperature", "sweeps per temperature"),
            ("schedule.T0", "T0"),
            ("schedule.step", "step"),
        ):
            med = finished.groupby(axis)["check.schedule.tv"].median()
            if len(med) > 1:
                parts.append(f"by {label}: " + ", ".join(f"{k:g}: {v:.2g}" for k, v in med.items()))
        if parts:
            out.append("Exact schedule TV from Boltzmann, median " + "; ".join(parts) + ".")
    thr = KL_THRESHOLDS[0]
    col = f"train.epochs_to_kl_teacher_{thr:g}"
    if col in finished and "training.eta" in finished:
        parts = []
        for eta, sub in finished.groupby("training.eta"):
            med = sub.groupby("convention")[col].median()
            parts.append(
                f"eta = {eta:g}: "
                + ", ".join(f"{conv} {('never' if np.isnan(v) else f'{v:.0f} epochs')}" for conv, v in med.items())
            )
        out.append(f"Convention: median epochs to KL(teacher || model) < {thr:g} -- " + "; ".join(parts) + ".")
    if "train.diverged" in finished:
        div = finished.groupby("training.eta")["train.diverged"].mean()
        bad = [f"{eta:g} ({100 * frac:.0f}% of jobs)" for eta, frac in div.items() if frac > 0]
        out.append(
            "Learning rate: no eta diverged." if not bad else "Learning rate: diverged at eta = " + ", ".join(bad) + "."
        )
        if "train.final_kl_teacher" in finished:
            kl = finished.groupby("training.eta")["train.final_kl_teacher"].median()
            out.append(
                "Final KL(teacher || model), median by eta: "
                + ", ".join(f"{eta:g}: {v:.2g}" for eta, v in kl.items())
                + "."
            )
    return out


def _sampler_answers(table: pd.DataFrame | None) -> list[str]:
    if table is None:
        return []
    name = table.apply(lambda r: " ".join(str(r[k]) for k in SAMPLER_AXES[:-1] if k in r and r[k] != "-"), axis=1)
    out = []
    if "implementation_ok" in table:
        bad = table[table["implementation_ok"].eq(False)]
        out.append(
            "Samplers: every sampler's samples match the exact output of its declared kernel on every model (Holm)."
            if bad.empty
            else "Samplers: samples differ from their kernel's exact output (Holm) for "
            + "; ".join(f"{n} on {m}" for n, m in zip(name[bad.index], bad["model.name"]))
            + "."
        )
    if "equilibrium_ok" in table:
        off = table[table["equilibrium_ok"].eq(False)]
        if len(off):
            detail = [
                f"{n} on {m}" + (f" (exact shortfall {tv:.2g})" if "exact_shortfall_tv" in table else "")
                for n, m, tv in zip(
                    name[off.index],
                    off["model.name"],
                    off.get("exact_shortfall_tv", pd.Series(np.nan, index=off.index)),
                )
            ]
            out.append("Equilibrium: the schedule is too short for " + "; ".join(detail) + ".")
        else:
            out.append("Equilibrium: every sampler passes every test against Boltzmann (BH) on every model.")
    if "updates_per_s" in table:
        speed = table.assign(name=name).groupby("name")["updates_per_s"].median().sort_values(ascending=False)
        out.append(
            "Speed (median updates per second over models): "
            + ", ".join(f"{n} {v / 1e6:.3g} M" for n, v in speed.items())
            + "."
        )
    return out


def build_report(
    sweep: dict,
    runs: list[dict],
    curves: dict[str, list[tuple[int, float]]],
    out_dir,
    alpha: float = 0.01,
    models: dict | None = None,
    tv_curves: dict | None = None,
) -> SweepReport:
    """Tables, verdicts, plots and answers for one sweep; files written under ``out_dir``.  A sweep
    over ``training.trainer`` (``sweep=digits``) adds :mod:`bmexp.comparison`'s table
    (``trainers.csv``), verdicts and, from the trained ``models`` (``{run_id: model}``), both
    trainers' samples side by side (``samples_by_trainer.png``).  A sweep whose jobs measured exact TV
    and cost (``check=lumped``, ``sweep=metastable``) adds :mod:`bmexp.metastable`'s table
    (``costs.csv``), the cheapest setting of annealing and of parallel tempering and their cost ratio,
    and TV against cost (``tv_vs_cost.png``; parallel tempering's curves from ``tv_curves``,
    ``{run_id: [(sweep, tv)]}``)."""
    if not runs:
        raise InputError(f"sweep {sweep['tags'].get('bmexp.sweep')!r} (run {sweep['run_id']}) has no job runs")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    df = add_verdicts(runs_frame(runs), alpha)
    df = df.sort_values([c for c in AXES if c in df]).reset_index(drop=True)
    files = [out_dir / "summary.csv"]
    df.to_csv(files[0], index=False)
    for value, title, log in (
        ("check.joint.p_value", "joint check p-value", False),
        ("check.schedule.tv", "exact schedule output: TV from Boltzmann", True),
        ("check.joint.tv", "joint check: TV of the samples", False),
    ):
        f = _heatmaps(df, value, title, out_dir / f"heatmap_{value.replace('check.', '').replace('.', '_')}.png", log)
        if f:
            files.append(f)
    samplers = sampler_table(df)
    if samplers is not None:
        files.append(out_dir / "samplers.csv")
        samplers.to_csv(files[-1], index=False)
    if any(curves.values()):
        files.append(_plot_curves(df, curves, out_dir / "training_kl_by_convention.png"))
    if "train.final_kl_teacher" in df:
        files.append(_plot_eta(df, out_dir / "final_kl_vs_eta.png"))
    planned = sweep["tags"].get(CONFIGURATIONS_TAG)
    answers = _answers(df, curves, int(planned) if planned else None) + _sampler_answers(samplers)
    tables = {}
    if comparison.applies(df):
        files.append(out_dir / "trainers.csv")
        tables["Trainers (held-out AIS log-likelihood, nats per image)"] = comparison.trainer_table(df)
        next(iter(tables.values())).to_csv(files[-1], index=False)
        answers += comparison.answers(df, alpha)
        figure = comparison.plot_samples(df, models or {}, out_dir / "samples_by_trainer.png")
        if figure is not None:
            files.append(figure)
    if metastable.applies(df):
        title = "Annealing vs parallel tempering (exact TV from Boltzmann, cost in spin updates per chain)"
        tables[title] = metastable.cost_table(df)
        files.append(out_dir / "costs.csv")
        tables[title].to_csv(files[-1], index=False)
        answers += metastable.answers(df)
        files.append(metastable.plot_tv_against_cost(df, tv_curves or {}, out_dir / "tv_vs_cost.png"))
    (out_dir / "answers.txt").write_text("\n".join(answers) + "\n")
    files.append(out_dir / "answers.txt")
    return SweepReport(sweep, df, answers, files, tables)


def _plot_curves(df: pd.DataFrame, curves: dict, path: Path) -> Path:
    etas = sorted(df["training.eta"].dropna().unique())
    fig, axes = _subplots(1, len(etas), figsize=(4.2 * len(etas), 3.6), squeeze=False, sharey=True)
    colors = {"binary": "tab:blue", "spin": "tab:orange"}
    for ax, eta in zip(axes[0], etas):
        for _, row in df[df["training.eta"] == eta].iterrows():
            hist = curves.get(row["run_id"])
            if hist:
                steps, values = zip(*hist)
                ax.semilogy(steps, np.maximum(values, 1e-12), color=colors.get(row["convention"], "k"), alpha=0.5, lw=1)
        ax.set_title(f"eta = {eta:g}", fontsize=10)
        ax.set_xlabel("epoch")
    axes[0][0].set_ylabel("KL(teacher || model)")
    for conv, c in colors.items():
        axes[0][-1].plot([], [], color=c, label=conv)
    axes[0][-1].legend(fontsize=8)
    return _save(fig, path)


def _plot_eta(df: pd.DataFrame, path: Path) -> Path:
    fig, ax = _subplots(figsize=(5.5, 4))
    for conv, marker in (("binary", "o"), ("spin", "s")):
        sub = df[df["convention"] == conv]
        if sub.empty:
            continue
        div = sub.get("train.diverged", pd.Series(0, index=sub.index)).fillna(0) > 0
        ax.scatter(
            sub.loc[~div, "training.eta"],
            sub.loc[~div, "train.final_kl_teacher"],
            marker=marker,
            label=f"{conv}",
            alpha=0.7,
        )
        if div.any():
            ax.scatter(
                sub.loc[div, "training.eta"],
                sub.loc[div, "train.final_kl_teacher"],
                marker="x",
                color="red",
                label=f"{conv} diverged",
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate eta")
    ax.set_ylabel("final KL(teacher || model)")
    ax.legend(fontsize=8)
    return _save(fig, path)
