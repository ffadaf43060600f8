"""Trainers side by side: the report of a sweep over ``training.trainer`` (``sweep=digits``).

A trainer is ``training.trainer``; when bmexp's runs use more than one ``training.variant`` (pcd and
pt) each variant is its own trainer, ``bmexp pcd`` and ``bmexp pt``.  For each learning rate, each
trainer's runs (one per seed) give a held-out AIS log-likelihood (nats per image, the last epoch's);
the table shows each trainer's mean, its standard error over seeds, every run's value with its AIS
interval and, where logged, the forward and reverse AIS ``log Z`` of the median run; the verdicts
compare each of bmexp's trainers with sklearn (or the first two trainers by name) by Welch's t-test
(unequal variances), Holm-adjusted over all comparisons; the figure shows samples of every
trainer's model side by side (for each trainer the run with the median score).

The seeds' spread is the error bar that matters: an AIS interval is the error of one model's
``log Z``; training another seed moves the score by more (README).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .validation.multiple import holm

__all__ = ["TRAINER", "LOG_LIKELIHOOD", "Verdict", "compare", "trainer_table", "trainer_verdicts", "plot_samples"]

TRAINER = "training.trainer"
VARIANT = "training.variant"
LOG_LIKELIHOOD = "train.final_ais_log_likelihood"


@dataclass(frozen=True)
class Verdict:
    """``first`` against ``second``: difference of the mean scores (first - second, nats per image),
    its standard error over seeds, Welch's p-value (``p_adjusted``: Holm over the comparisons)."""

    first: str
    second: str
    n_first: int
    n_second: int
    difference: float
    stderr: float
    p_value: float
    p_adjusted: float
    alpha: float
    family: int = 1  # how many comparisons p_adjusted is adjusted over (Holm)

    @property
    def better(self) -> str | None:
        """The better trainer, or None when the test cannot tell (or there are too few seeds)."""
        if not self.p_adjusted <= self.alpha:  # NaN (too few seeds) is no verdict
            return None
        return self.first if self.difference > 0 else self.second

    def sentence(self) -> str:
        diff = f"{self.first} - {self.second} = {self.difference:+.2f} nats per image"
        if min(self.n_first, self.n_second) < 2:
            return (
                f"{diff} from {self.n_first} and {self.n_second} run(s): too few seeds for an error bar "
                "(at least 2 per trainer)"
            )
        p = f"Welch p = {self.p_value:.2g}" + (
            f", Holm-adjusted over {self.family} comparisons {self.p_adjusted:.2g}" if self.family > 1 else ""
        )
        if self.better is None:
            return (
                f"neither is better at alpha = {self.alpha:g}: {diff}, standard error {self.stderr:.2f} "
                f"over seeds ({p})"
            )
        return (
            f"{self.better} is better by {abs(self.difference):.2f} nats per image (standard error "
            f"{self.stderr:.2f} over seeds, {p}, alpha = {self.alpha:g})"
        )


def compare(first, second, *, names: tuple[str, str] = ("bmexp", "sklearn"), alpha: float = 0.01) -> Verdict:
    """Welch's t-test of the scores ``first`` against ``second`` (one per seed, nats per image)."""
    from scipy.stats import ttest_ind

    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    diff = float(a.mean() - b.mean()) if a.size and b.size else float("nan")
    if min(a.size, b.size) < 2:
        se = p = float("nan")
    else:
        se = float(np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size))
        p = float(ttest_ind(a, b, equal_var=False).pvalue)
    return Verdict(names[0], names[1], int(a.size), int(b.size), diff, se, p, p, alpha)


def _finished(df: pd.DataFrame) -> pd.DataFrame:
    """The finished, scored runs, their ``training.trainer`` relabelled ``bmexp <variant>`` when bmexp's
    runs use more than one variant."""
    if TRAINER not in df or LOG_LIKELIHOOD not in df:
        return df.iloc[0:0]
    done = df[(df["status"] == "FINISHED") & df[LOG_LIKELIHOOD].notna() & df[TRAINER].notna()].copy()
    ours = done[TRAINER] == "bmexp"
    if VARIANT in done and done.loc[ours, VARIANT].nunique() > 1:
        done.loc[ours, TRAINER] = "bmexp " + done.loc[ours, VARIANT].astype(str)
    return done


def applies(df: pd.DataFrame) -> bool:
    """A sweep over trainers scored by held-out AIS."""
    return _finished(df)[TRAINER].nunique() >= 2


def _etas(df: pd.DataFrame) -> list:
    return sorted(df["training.eta"].unique()) if "training.eta" in df else [None]


def _at(df: pd.DataFrame, eta) -> pd.DataFrame:
    return df if eta is None else df[df["training.eta"] == eta]


def trainer_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per learning rate and trainer: runs, mean held-out AIS log-likelihood, its standard error over
    seeds, every run's value with its AIS interval (by seed), and the mean seconds of training."""
    done = _finished(df)
    rows = []
    for eta in _etas(done):
        for trainer, g in _at(done, eta).groupby(TRAINER, sort=True):
            g = g.sort_values("seed") if "seed" in g else g
            ll = g[LOG_LIKELIHOOD].to_numpy(float)
            runs = "; ".join(
                f"{int(r['seed']) if 'seed' in g else '?'}: {r[LOG_LIKELIHOOD]:.2f} "
                f"[{r.get('train.final_ais_ci_low', np.nan):.2f}, {r.get('train.final_ais_ci_high', np.nan):.2f}]"
                for _, r in g.iterrows()
            )
            median = g[g["run_id"] == _median_run(g)].iloc[0] if "run_id" in g else g.iloc[0]
            rows.append(
                {
                    "training.eta": eta,
                    "trainer": trainer,
                    "runs": len(g),
                    "mean_ais_log_likelihood": float(ll.mean()),
                    "stderr_over_seeds": float(ll.std(ddof=1) / np.sqrt(len(ll))) if len(ll) > 1 else np.nan,
                    "seconds": float(g["train.seconds"].mean()) if "train.seconds" in g else np.nan,
                    "runs (seed: value [95% AIS interval])": runs,
                    **{f"median run: {label}": _bracket(median, key) for key, label in LOG_Z},
                }
            )
    return pd.DataFrame(rows)


#: the logged forward and reverse AIS log Z of the final model (metric, label in trainers.csv)
LOG_Z = (("ais_log_z", "forward AIS log Z"), ("ais_log_z_reverse", "reverse AIS log Z"))


def _bracket(run: pd.Series, key: str) -> str:
    value = run.get(f"train.final_{key}", np.nan)
    low, high = run.get(f"train.final_{key}_ci_low", np.nan), run.get(f"train.final_{key}_ci_high", np.nan)
    return f"{value:.2f} [{low:.2f}, {high:.2f}]" if np.isfinite(value) else ""


def _pairs(names: list[str]) -> list[tuple[str, str]]:
    """Each of bmexp's trainers against sklearn, else the first two trainers by name."""
    ours = [n for n in names if n == "bmexp" or n.startswith("bmexp ")]
    if "sklearn" in names and ours:
        return [(n, "sklearn") for n in ours]
    return [(names[0], names[1])]


def trainer_verdicts(df: pd.DataFrame, alpha: float = 0.01) -> dict:
    """``{(eta, trainer): Verdict}``: each of bmexp's trainers against sklearn (or the first two trainers
    by name) at each learning rate, Holm-adjusted over all these comparisons."""
    done = _finished(df)
    out = {}
    for eta in _etas(done):
        at = _at(done, eta)
        for first, second in _pairs(sorted(done[TRAINER].unique())):
            out[(eta, first)] = compare(
                *(at.loc[at[TRAINER] == n, LOG_LIKELIHOOD].to_numpy(float) for n in (first, second)),
                names=(first, second),
                alpha=alpha,
            )
    tested = [key for key, v in out.items() if np.isfinite(v.p_value)]
    if tested:
        adjusted, _ = holm([out[key].p_value for key in tested], alpha)
        out.update(
            {key: replace(out[key], p_adjusted=float(p), family=len(tested)) for key, p in zip(tested, adjusted)}
        )
    return out


def answers(df: pd.DataFrame, alpha: float = 0.01) -> list[str]:
    """One sentence per learning rate: which trainer scores higher on the held-out digits, by how much."""
    table = trainer_table(df)
    verdicts = trainer_verdicts(df, alpha)
    out = []
    for eta in dict.fromkeys(key[0] for key in verdicts):
        at = table if eta is None else table[table["training.eta"] == eta]
        means = ", ".join(
            f"{r['trainer']} {r['mean_ais_log_likelihood']:.2f} +- {r['stderr_over_seeds']:.2f}"
            for _, r in at.iterrows()
        )
        where = "" if eta is None else f"eta = {eta:g}: "
        said = "; ".join(v.sentence() for key, v in verdicts.items() if key[0] == eta)
        out.append(
            f"Held-out AIS log-likelihood, {where}{means} nats per image (mean +- standard error over seeds); {said}."
        )
    return out


def _median_run(g: pd.DataFrame) -> str:
    order = g.sort_values(LOG_LIKELIHOOD)
    return order["run_id"].iloc[(len(order) - 1) // 2]


def plot_samples(df: pd.DataFrame, models: dict, path, *, sweeps: int = 1000) -> Path | None:
    """Samples of each trainer's model side by side (columns), one row per learning rate: for each
    the run with the median score (the lower of two middle ones), 64 Gibbs chains of ``sweeps``
    sweeps each from the same seed.  None when no model was logged."""
    from .report import _save, _subplots, digit_canvas

    done = _finished(df)
    done = done[done["run_id"].isin(list(models))]
    if done.empty:
        return None
    etas, trainers = _etas(done), sorted(done[TRAINER].unique())
    fig, axes = _subplots(len(etas), len(trainers), figsize=(3.2 * len(trainers), 3.4 * len(etas)), squeeze=False)
    for i, eta in enumerate(etas):
        for j, trainer in enumerate(trainers):
            ax = axes[i][j]
            ax.set_axis_off()
            g = _at(done, eta)
            g = g[g[TRAINER] == trainer]
            if g.empty:
                continue
            run = _median_run(g)
            score = float(g.loc[g["run_id"] == run, LOG_LIKELIHOOD].iloc[0])
            canvas = digit_canvas(models[run], rng=np.random.default_rng(0), n=64, sweeps=sweeps)
            ax.imshow(canvas, cmap="gray_r", interpolation="nearest")
            where = "" if eta is None else f", eta = {eta:g}"
            ax.set_title(f"{trainer}{where}\nheld-out {score:.2f} nats (median run)", fontsize=8)
    fig.suptitle(f"64 samples per model, {sweeps} Gibbs sweeps each", fontsize=9)
    return _save(fig, path)
