"""Bar plot of observed vs expected frequencies with the 95% band under the null."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure  # figures without pyplot: no backend chosen or changed on import


def _subplots(*args, figsize, **kwargs):
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(*args, **kwargs)


MAX_BARS = 64


def bar_plot(result, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = result.table
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
