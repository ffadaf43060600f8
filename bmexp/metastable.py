"""Annealing against parallel tempering at equal cost: the report of ``sweep=metastable``.

Every job ran :mod:`bmexp.validation.lumped` (``check=lumped``) on the ferromagnet, which logged
its exact TV from Boltzmann (``check.lumped.tv``), its cost in spin updates per chain with every
replica counted (``check.lumped.cost``) and the least cost at which it was within TV 0.01
(``check.lumped.cost_to_tv``: parallel tempering's first round that is, from its exact TV after
every round ``check.lumped.tv_by_sweep``; annealing's whole schedule, or NaN).  The table shows
every job; the verdict names the cheapest annealing schedule and the cheapest parallel-tempering
setting that reach TV 0.01, and their cost ratio (or that annealing never does within the sweep's
largest schedule); the figure plots TV against cost, annealing schedules as points, parallel
tempering as its exact TV after each round.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .validation.checks import SHORTFALL_TV

__all__ = ["COST", "TV", "applies", "cost_table", "answers", "plot_tv_against_cost"]

TV, COST, COST_TO_TV = "check.lumped.tv", "check.lumped.cost", "check.lumped.cost_to_tv"
CURVE = "check.lumped.tv_by_sweep"


def _done(df: pd.DataFrame) -> pd.DataFrame:
    if TV not in df or COST not in df:
        return df.iloc[0:0]
    return df[(df["status"] == "FINISHED") & df[TV].notna()]


def applies(df: pd.DataFrame) -> bool:
    """A sweep whose jobs measured exact TV and cost (``check=lumped``)."""
    return not _done(df).empty


def _is_pt(df: pd.DataFrame) -> pd.Series:
    return df.get("sampler.name", pd.Series("gibbs", index=df.index)) == "pt"


def _setting(row) -> str:
    if row.get("sampler.name") == "pt":
        ladder = row.get("sampler.ladder")
        top = row.get("pt.temperature.{}".format(int(row.get("sampler.replicas") or 0)), np.nan)
        return f"PT R = {int(row['sampler.replicas'])}, {ladder} ladder to T = {top:g}"
    return (
        f"annealing T0 = {row['schedule.T0']:g}, step {row['schedule.step']:g}, "
        f"{row['schedule.sweeps_per_temperature']:g} sweeps per temperature"
    )


def cost_table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per job, cheapest first within each method: setting, cost, exact TV and P(majority
    on), cost to TV 0.01, and parallel tempering's swap acceptance range and round trips."""
    done = _done(df)
    rows = []
    for _, r in done.iterrows():
        is_pt = r.get("sampler.name") == "pt"
        rows.append(
            {
                "method": "PT" if is_pt else "annealing",
                "setting": _setting(r),
                "cost": r[COST],
                "tv": r[TV],
                "majority_on": r.get("check.lumped.majority_on", np.nan),
                "cost_to_tv_0.01": r.get(COST_TO_TV, np.nan),
                "swap_acceptance": (
                    f"{r['pt.swap_acceptance.min']:.2f}-{r['pt.swap_acceptance.max']:.2f}"
                    if is_pt and np.isfinite(r.get("pt.swap_acceptance.min", np.nan))
                    else ""
                ),
                # annealing has no swaps: "" as for the acceptance, not NaN
                "round_trips_per_1000": r.get("pt.round_trips_per_1000_sweeps", np.nan) if is_pt else "",
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["cost"] = table["cost"].astype("int64")  # whole spin updates, shown as such
    table["cost_to_tv_0.01"] = table["cost_to_tv_0.01"].round().astype("Int64")
    return table.sort_values(["method", "cost"], kind="stable").reset_index(drop=True)


def answers(df: pd.DataFrame) -> list[str]:
    """The cheapest setting of each method that reaches TV 0.01, and the cost ratio."""
    done = _done(df)
    pt, ann = done[_is_pt(done)], done[~_is_pt(done)]
    exact = done["check.lumped.majority_on_boltzmann"].iloc[0] if "check.lumped.majority_on_boltzmann" in done else None
    out = []
    best = {}
    for name, part in (("annealing", ann), ("parallel tempering", pt)):
        if part.empty:
            continue
        ok = part[part[COST_TO_TV].notna()] if COST_TO_TV in part else part.iloc[0:0]
        if ok.empty:
            largest = part.sort_values(COST, kind="stable").iloc[-1]
            closest = part.sort_values(TV, kind="stable").iloc[0]
            out.append(
                f"Cost: {name} never reaches TV {SHORTFALL_TV:g} within the sweep's budget: its largest setting "
                f"({_setting(largest)}: {largest[COST]:,.0f} spin updates per chain) ends at TV {largest[TV]:.3f}"
                + ("" if closest[TV] >= largest[TV] else f", the closest ({_setting(closest)}) at TV {closest[TV]:.3f}")
                + f"; P(majority on) {closest.get('check.lumped.majority_on', np.nan):.4f} at best"
                + (f", {exact:.4f} under Boltzmann." if exact is not None else ".")
            )
            best[name] = None
            continue
        # ties at the same cost go to the setting with the least tuning (an adaptive ladder's is apart from the cost)
        tuning = ok["pt.tune_updates"].fillna(0.0) if "pt.tune_updates" in ok else pd.Series(0.0, index=ok.index)
        ranked = ok.assign(_tuning=tuning).sort_values([COST_TO_TV, "_tuning", COST], kind="stable")
        top = ranked.iloc[0]
        best[name] = top
        rounds = top[COST_TO_TV] / top[COST] * top.get("schedule.total_sweeps", np.nan)
        tied = [_setting(r) for _, r in ranked.iloc[1:].iterrows() if r[COST_TO_TV] == top[COST_TO_TV]]
        out.append(
            f"Cost: the cheapest {name} setting to reach TV {SHORTFALL_TV:g} is {_setting(top)}"
            + (f" (after {rounds:.0f} round{'s' if rounds != 1 else ''})" if name == "parallel tempering" else "")
            + f": {top[COST_TO_TV]:,.0f} spin updates per chain (every replica counted)"
            + (f"; as cheap, with as much tuning or more: {'; '.join(tied)}." if tied else ".")
        )
    a, p = best.get("annealing", "absent"), best.get("parallel tempering", "absent")
    if p is not None and not isinstance(p, str):
        if a is None:
            largest = ann[COST].max()
            out.append(
                f"Annealing vs parallel tempering: PT reaches TV {SHORTFALL_TV:g} at {p[COST_TO_TV]:,.0f} updates; "
                f"annealing does not within {largest:,.0f} (> {largest / p[COST_TO_TV]:,.0f}x as many)."
            )
        elif not isinstance(a, str):
            out.append(
                f"Annealing vs parallel tempering: annealing needs {a[COST_TO_TV] / p[COST_TO_TV]:,.1f}x the spin "
                f"updates of PT to reach TV {SHORTFALL_TV:g} ({a[COST_TO_TV]:,.0f} vs {p[COST_TO_TV]:,.0f})."
            )
    if "pt.tune_updates" in pt and (pt["pt.tune_updates"] > 0).any():
        tuned = pt.loc[pt["pt.tune_updates"] > 0, "pt.tune_updates"]
        out.append(
            f"Not counted above: tuning an adaptive ladder costs {tuned.min():,.0f}-{tuned.max():,.0f} spin updates "
            "once per sampler call, shared by all its chains."
        )
    return out


def plot_tv_against_cost(df: pd.DataFrame, curves: dict, path) -> Path:
    """TV from Boltzmann (log) against spin updates per chain (log): annealing jobs as points (one
    marker per T0), parallel tempering as its exact TV after every round (one line per job)."""
    from .report import _save, _subplots

    done = _done(df)
    fig, ax = _subplots(figsize=(7, 4.5))
    ann = done[~_is_pt(done)]
    for (T0, sub), marker in zip(ann.groupby("schedule.T0"), "osD^v"):
        sub = sub.sort_values(COST)
        ax.plot(sub[COST], np.maximum(sub[TV], 1e-12), marker=marker, color="k", ls=":", label=f"annealing T0 = {T0:g}")
    for _, r in done[_is_pt(done)].sort_values(["sampler.replicas", "sampler.ladder"]).iterrows():
        hist = curves.get(r["run_id"]) or []
        R = int(r["sampler.replicas"])
        k = R  # one colour per number of replicas
        per_round = r[COST] / max(1.0, r.get("schedule.total_sweeps", 1.0))  # R n updates per round
        style = "-" if r.get("sampler.ladder") == "geometric" else "--"
        label = f"PT R = {R}, {r.get('sampler.ladder')}"
        if hist:
            steps, values = zip(*sorted(hist))
            ax.plot(np.array(steps) * per_round, np.maximum(values, 1e-12), style, color=f"C{k % 10}", label=label)
        else:
            ax.plot([r[COST]], [max(r[TV], 1e-12)], "x", color=f"C{k % 10}", label=label)
    ax.axhline(SHORTFALL_TV, color="0.5", lw=1, label=f"TV {SHORTFALL_TV:g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("spin updates per chain (every replica counted)")
    ax.set_ylabel("exact TV from Boltzmann")
    ax.set_title("annealing vs parallel tempering (exact, random-scan heat bath)", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    return _save(fig, path)
