"""Bar plot of observed vs expected frequencies with the 95% band under the null."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure  # figures without pyplot: no backend chosen or changed on import


def _subplots(*args, figsize, **kwargs):
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(*args, **kwargs)


MAX_BARS = 64


def family_plot(result, path) -> Path:
    """A check decided by a family of tests (summaries, blocks, sweeps): -log10 p of each test
    (the MAX_BARS smallest), with the Holm-adjusted p-value beside it and the alpha line."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = result.table.sort_values("p_value").head(MAX_BARS)
    x = np.arange(len(table))
    fig, ax = _subplots(figsize=(max(6, 0.3 * len(table) + 2), 4))
    floor = 1e-300
    ax.bar(x - 0.2, -np.log10(np.maximum(table["p_value"], floor)), 0.4, label="p", color="0.4")
    ax.bar(x + 0.2, -np.log10(np.maximum(table["holm_p_value"], floor)), 0.4, label="Holm-adjusted p")
    alpha = next(iter(result.tests.values())).alpha
    ax.axhline(-np.log10(alpha), color="C3", lw=1, label=f"alpha = {alpha:g}")
    ax.set_xticks(x)
    ax.set_xticklabels([str(t)[:24] for t in table["test"]], rotation=90, fontsize=7)
    ax.set_ylabel("-log10 p")
    verdict = "PASS" if result.passed else "FAIL"
    shown = f" ({len(table)} smallest p of {len(result.table)} tests)" if len(result.table) > len(table) else ""
    ax.set_title(f"check {result.check}: {verdict}{shown}", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def energy_plot(result, path) -> Path:
    """``check=energy``: observed mean energy per site (95% band from the exact variance) and the exact
    value at each temperature."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    t = result.table
    fig, ax = _subplots(figsize=(6, 4))
    ax.plot(t["T/J"], t["exact_e"], "o-", color="C0", label="exact (Kaufman)")
    ax.errorbar(t["T/J"], t["observed_e"], yerr=1.96 * t["se"], fmt="s", color="0.25", capsize=3, label="sampler")
    ax.set_xlabel("T / J")
    ax.set_ylabel("mean energy per site")
    ax.set_title(f"check energy: {'PASS' if result.passed else 'FAIL'}", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def bar_plot(result, path) -> Path:
    table = result.table
    if "exact_e" in table.columns:
        return energy_plot(result, path)
    if "observed_p" not in table.columns:
        return family_plot(result, path)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = [c[2:] for c in table.columns if c.startswith("p_")]
    shown = ""
    if len(table) > MAX_BARS:  # thousands of bars say nothing: the most probable states
        table = table.sort_values(f"p_{names[0]}", ascending=False).head(MAX_BARS).sort_index()
        shown = f" ({MAX_BARS} most probable of {len(result.table)} states)"
    x = np.arange(len(table))
    width = 0.8 / (1 + len(names))
    fig, ax = _subplots(figsize=(max(6, 0.35 * len(table) + 2), 4))
    ax.bar(x, table["observed_p"], width, label=f"observed (n = {result.n})", color="0.25")
    for k, name in enumerate(names, start=1):
        p = table[f"p_{name}"].to_numpy()
        lo, hi = table[f"lo95_{name}"].to_numpy(), table[f"hi95_{name}"].to_numpy()
        ax.bar(
            x + k * width,
            p,
            width,
            label=f"exact {name}",
            alpha=0.7,
            yerr=np.clip(np.vstack([p - lo, hi - p]), 0.0, None),
            capsize=2,
        )  # a band may not reach p
    ax.set_xticks(x + width * len(names) / 2)
    ax.set_xticklabels(table["state"], rotation=90 if len(table) > 16 else 0, family="monospace")
    ax.set_xlabel("state (" + " ".join(result.units) + ")")
    ax.set_ylabel("probability")
    verdict = "PASS" if result.passed else "FAIL"
    ax.set_title(f"check {result.check}: {verdict}{shown}", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path
