"""Block-conditional check (``check=blocks``): exact tests on models of any size.

For a block ``B`` of ``k <= 12`` units, the conditional distribution of ``B`` given every other
unit is exact and cheap: ``2**k`` states, with the fields ``b_B + W_BR s_R`` of the clamped rest.
The check

1. draws ``contexts`` states of the whole model from the sampler's own chains (or takes
   ``start``): any state will do, since the conditional is exact given whatever the rest is;
2. for each block, runs ``n`` chains with every unit outside the block clamped, per chain, to one
   of the contexts (chain ``c`` uses context ``c mod contexts``), over the schedule;
3. tests each block's samples against their exact conditionals by the randomised probability
   integral transform: with the block's states ordered by their conditional probability (given
   that chain's context), ``u = P(states more probable than the sample) + V P(states as probable)``
   (``V`` uniform) is exactly uniform on (0, 1) under the null for every context, so the
   :data:`PIT_BINS` equal bins of ``u`` are a multinomial with known cells -- one goodness-of-fit
   test per block, however many contexts;
4. Holm across blocks.

Every coupling between a block and the rest enters its exact conditional, so a coupling read from
the wrong row, a field computed or updated wrongly for high unit indices, or a clamp that is not
held shows at ``n = 1,000`` and beyond.  A sampler that changes a clamped unit fails outright.  The
samples must be at equilibrium *given the context* after the schedule -- a 12-unit problem, which
the default schedule reaches for most models bmexp ships, not all: an outside tester's 13-unit random
spin model (blocks of 10 strongly coupled units) failed after the default 28 sweeps and passed after
1,000.  A block that has not mixed fails here; the message says so, and a longer schedule or the
invariance check (n <= 24) tells it from a wrong kernel.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from .. import arguments
from ..conventions import check_states
from ..errors import InputError
from ..states import all_states, indices_from_states
from .checks import CheckResult, _draw, _prepare
from .gof import gof_test
from .planning import required_samples
from .summaries import combine

__all__ = ["MAX_BLOCK", "MIN_N", "PIT_BINS", "check_blocks", "choose_blocks", "conditional_pit"]

#: Largest block (2**12 states per context).
MAX_BLOCK = 12
#: Equal bins of the probability integral transform.
PIT_BINS = 20
#: Fewest chains per block: every PIT bin expecting at least 5 (Cochran's rule, as bmexp.validation.gof
#: pools); below that the p-value is a Monte Carlo one floored at 1/2000 and the test detects almost nothing.
MIN_N = 5 * PIT_BINS
#: Random blocks when neither their number nor their size is given (fewer and smaller in small models).
DEFAULT_BLOCKS, DEFAULT_BLOCK_SIZE = 8, 10
#: Total variation between the PIT histogram and uniform detected with power 0.9 by the planned n.
PLANNED_TV = 0.05


def random_block_shape(model, n_blocks=None, block_size=None) -> tuple[int, int]:
    """``(count, size)`` of the random blocks.  A value given must fit the model (``n_blocks *
    block_size`` distinct units); one left None is the default (8 blocks, 10 units) cut to fit."""
    n = model.n_units
    if block_size is None:
        size = min(DEFAULT_BLOCK_SIZE, n)
    else:
        size = arguments.integer(block_size, "block_size", low=1, high=MAX_BLOCK)
        if size > n:
            raise InputError.about("block_size", f"{{argument}} = {size} is more than the model's {n} units")
    if n_blocks is None:
        return min(DEFAULT_BLOCKS, n // size), size
    count = arguments.integer(n_blocks, "n_blocks", low=1, high=10**4)
    if count * size > n:
        raise InputError.about(
            "n_blocks",
            f"{{argument}} = {count} disjoint blocks of {size} units need {count * size} units; the model has {n}: "
            f"at most {n // size} blocks of {size} fit (null: as many as fit, up to {DEFAULT_BLOCKS})",
        )
    return count, size


def choose_blocks(model, blocks=None, *, n_blocks=None, block_size=None, rng=None) -> list[np.ndarray]:
    """The blocks: given (lists of unit indices or names; at most 12 units each, disjoint) or
    ``n_blocks`` disjoint random blocks of ``block_size`` units (:func:`random_block_shape`)."""
    n = model.n_units
    if blocks is None:
        count, size = random_block_shape(model, n_blocks, block_size)
        return [np.sort(b) for b in arguments.generator(rng).permutation(n)[: count * size].reshape(count, size)]
    if isinstance(blocks, (str, bytes)) or not hasattr(blocks, "__iter__") or not list(blocks):
        raise InputError.bad("blocks", "a non-empty list of blocks (lists of unit indices or names)", blocks)
    names, seen, out = model.unit_names, {}, []
    for k, block in enumerate(blocks):
        if isinstance(block, (str, bytes)) or not hasattr(block, "__iter__"):
            raise InputError.bad("blocks", "a list of blocks, each a list of unit indices or names", blocks)
        units = []
        for u in block:
            if isinstance(u, str) and u in names:
                units.append(names.index(u))
            elif isinstance(u, (int, np.integer)) and not isinstance(u, (bool, np.bool_)) and 0 <= u < n:
                units.append(int(u))
            else:
                raise InputError(
                    f"blocks[{k}] names unit {u!r}, which is not a unit of the model: allowed are indices in "
                    f"[0, {n}) or names like {names[0]!r}",
                    argument="blocks",
                )
            if units[-1] in units[:-1]:
                raise InputError(f"blocks[{k}] repeats unit {u!r}: a block lists each unit once", argument="blocks")
            if units[-1] in seen:
                raise InputError(
                    f"blocks must not overlap: unit {u!r} is in block {seen[units[-1]]} and block {k}; "
                    f"received {list(map(list, blocks))!r}"[:300],
                    argument="blocks",
                )
            seen[units[-1]] = k
        if not 1 <= len(units) <= MAX_BLOCK:
            raise InputError(
                f"blocks[{k}] has {len(units)} units; a block must have 1 to {MAX_BLOCK} units "
                f"(its exact conditional has 2**k states)",
                argument="blocks",
            )
        out.append(np.array(sorted(units), dtype=np.int64))
    return out


def conditional_pit(model, block: np.ndarray, contexts: np.ndarray, which: np.ndarray, states: np.ndarray, rng):
    """Randomised PIT values of the block's sampled states (``states``, one row per chain, the
    block's columns) under the exact conditionals given ``contexts[which]``; and the exact and
    observed frequency of each block unit being on."""
    conv = model.convention
    on = conv.values[1]
    w, b = model.weights, model.biases
    rest = np.setdiff1d(np.arange(model.n_units), block)
    x = all_states(block.size, conv)  # (2**k, k)
    quad = 0.5 * np.einsum("ik,kl,il->i", x, w[np.ix_(block, block)], x)
    fields = b[block] + contexts[:, rest] @ w[np.ix_(rest, block)]  # (contexts, k)
    log_p = quad[None, :] + fields @ x.T
    log_p -= logsumexp(log_p, axis=1, keepdims=True)
    probs = np.exp(log_p)  # (contexts, 2**k)
    obs = indices_from_states(states, conv)
    u = np.empty(obs.size)
    v = rng.random(obs.size)
    for c in range(contexts.shape[0]):
        rows = np.flatnonzero(which == c)
        if rows.size == 0:
            continue
        p = probs[c]
        desc = np.sort(p)[::-1]
        before = np.concatenate([[0.0], np.cumsum(desc)])
        p_obs = p[obs[rows]]
        more = np.searchsorted(-desc, -p_obs, side="left")  # states strictly more probable
        tied = np.searchsorted(-desc, -p_obs, side="right") - more
        u[rows] = before[more] + v[rows] * tied * p_obs
    expected_on = (probs @ (x == on))[which].mean(axis=0)
    observed_on = (states == on).mean(axis=0)
    return np.clip(u, 0.0, np.nextafter(1.0, 0.0)), expected_on, observed_on


def check_blocks(
    model,
    sampler=None,
    *,
    rng,
    schedule=None,
    blocks=None,
    n_blocks: int | None = None,
    block_size: int | None = None,
    contexts: int = 64,
    start=None,
    n=None,
    alpha=0.01,
) -> CheckResult:
    """Per-chain clamped blocks against their exact conditionals (see the module docstring).

    blocks : lists of unit indices or names (default: ``n_blocks`` random blocks of ``block_size``;
        each None: 8 blocks of 10 units, fewer and smaller where the model has fewer than 80 units;
        given, they must fit)
    contexts : states of the whole model drawn from the sampler's chains (ignored with ``start``)
    start : the contexts themselves, ``(n_units,)`` or ``(m, n_units)``
    n : chains per block, at least :data:`MIN_N` (default: detects TV 0.05 in the PIT histogram with power 0.9 at Holm's
        first threshold ``alpha / blocks``)
    """
    sampler, schedule = _prepare(model, sampler, rng, schedule, alpha)
    chosen = choose_blocks(model, blocks, n_blocks=n_blocks, block_size=block_size, rng=rng)
    if start is None:
        m = arguments.integer(contexts, "contexts", low=1, high=10**6)
        ctx = _draw(sampler, model, rng=rng, n=m, schedule=schedule, clamp=None)
    else:
        ctx = check_states(np.atleast_2d(np.asarray(start, dtype=float)), model.convention, name="start")
        if ctx.ndim != 2 or ctx.shape[1] != model.n_units:
            raise InputError.bad("start", f"states of shape ({model.n_units},) or (m, {model.n_units})", start)
    level = alpha / len(chosen)
    if n is None:
        n = required_samples(np.full(PIT_BINS, 1.0 / PIT_BINS), tv=PLANNED_TV, alpha=level)
    n = arguments.integer(n, "n", low=MIN_N)
    which = np.arange(n) % ctx.shape[0]
    tests, rows = {}, []
    uniform = np.full(PIT_BINS, 1.0 / PIT_BINS)
    for k, block in enumerate(chosen):
        rest = np.setdiff1d(np.arange(model.n_units), block)
        values = ctx[which][:, rest]
        clamp = {int(u): values[:, k] for k, u in enumerate(rest)}  # the contract's mapping form, a value per chain
        states = _draw(sampler, model, rng=rng, n=n, schedule=schedule, clamp=clamp)
        names = " ".join(model.unit_names[u] for u in block)
        label = f"block {k}: {names}"
        moved = int(np.any(states[:, rest] != values, axis=1).sum())
        if moved:
            res = gof_test(np.array([0, n]), np.array([1.0, 0.0]), alpha=alpha)  # an impossible outcome
            why = f"the sampler changed clamped units in {moved} of {n} chains: clamps are not held."
            tests[label] = replace(res, reason=why)
            rows.append({"block": k, "units": names, "max_unit_gap": float("nan"), "clamps_broken": moved})
            continue
        u, expected_on, observed_on = conditional_pit(model, block, ctx, which, states[:, block], rng)
        counts = np.bincount((u * PIT_BINS).astype(np.int64), minlength=PIT_BINS)
        tests[label] = gof_test(counts, uniform, alpha=alpha, rng=rng)
        gap = np.abs(observed_on - expected_on)
        rows.append(
            {
                "block": k,
                "units": names,
                "max_unit_gap": float(gap.max()),
                "worst_unit": model.unit_names[block[int(gap.argmax())]],
                "clamps_broken": 0,
            }
        )
    combined, family = combine(tests, alpha, "holm")
    table = pd.concat([family, pd.DataFrame(rows).drop(columns="block")], axis=1)
    failed = [t for t, r in zip(family["test"], family["reject"]) if r]
    broken = sum(row["clamps_broken"] for row in rows)
    held = f" The sampler changed clamped units in {broken} chains: clamps are not held." if broken else ""
    msg = (
        f"every block of {len(chosen)} follows its exact conditional given the rest ({n} chains per block, "
        f"{ctx.shape[0]} contexts, {model.n_units} units)."
        if not combined.reject
        else f"{len(failed)} of {len(chosen)} blocks do NOT follow their exact conditionals given the rest "
        f"({'; '.join(failed[:3])}{' ...' if len(failed) > 3 else ''}).{held}"
        + (
            ""
            if broken
            else " Either the sampler is wrong, or the schedule is too short for these blocks to mix given their "
            "context (strongly coupled units): run a longer schedule (e.g. schedule=constant schedule.sweeps=1000); "
            "if the blocks still fail it is the sampler (on <= 24 units check=invariance tells the two apart)."
        )
    )
    return CheckResult(
        "blocks",
        n,
        {"blocks": combined},
        table,
        not combined.reject,
        msg,
        model.unit_names if model.n_units <= 64 else tuple(model.unit_names[:64]) + ("...",),
        {"blocks": [[int(u) for u in b] for b in chosen], "contexts": int(ctx.shape[0])},
    )
