"""Random streams for many chains: counter-based per-chain streams (Philox4x32-10).

Per-chain streams.  A sampler call draws one 64-bit key from the caller's
``numpy.random.Generator`` (:func:`draw_key`: ``rng`` advances by one draw, and the same seed
gives the same key).  Chain ``c`` of the call owns the Philox4x32-10 blocks ``(m, c, purpose)``
under that key (counter words: ``m`` low and high, ``c``, ``purpose``), two 53-bit uniforms each
(:func:`philox_uniforms`; the compiled kernels compute the same numbers inside their loops,
:mod:`bmexp._kernels`):

* ``START``: block ``m`` holds the random start of units ``2m`` and ``2m + 1`` (of replica-major
  units ``r n + i`` for parallel tempering);
* ``UPDATES``: the threshold uniforms of the updates that run, in order, two per block (a
  sequential sweep updates the unclamped units); with random scan block ``k`` holds update ``k``'s
  threshold uniform and the uniform that picks its site;
* ``SWAPS`` (parallel tempering): the swaps' uniforms in the order :func:`pt_explicit_uniforms`
  lays them out, two per block (with "deo" one per pair attempted; else ``R`` a sweep, the first
  choosing the pairs of a random round).

So a chain's numbers depend only on the key and its index -- never on how many chains run, in how
many threads, or in what blocks.  :func:`explicit_uniforms` lays them out as the NumPy reference
reads them.

Any bit generator serves (the key is one draw), and nothing is stored: a chain's numbers are
computed where they are used.  :func:`thresholds_inplace` turns uniforms into the kernels' thresholds.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "START",
    "SWAPS",
    "UPDATES",
    "draw_key",
    "explicit_uniforms",
    "philox4x32",
    "philox_uniforms",
    "pt_explicit_uniforms",
    "thresholds_inplace",
]


def thresholds_inplace(u: np.ndarray, logistic: bool = True) -> None:
    """``u <- log(u / (1 - u))`` (logistic thresholds) or ``u <- log(u)`` in place, for a 2-D
    array of numpy's uniforms whose rows are contiguous (any row stride): compiled and vectorised
    (:func:`bmexp._kernels.thresholds_flat`, error < 1 ulp).  ``1 - u`` is exact for numpy's
    uniforms (multiples of 2**-53), the quotient is correctly rounded, and ``u = 0`` gives ``-inf``.
    """
    from ._kernels import thresholds_flat

    if u.ndim != 2 or u.size == 0:
        raise ValueError(f"thresholds_inplace needs a non-empty 2-D array, got shape {u.shape}")
    rows, width = u.shape
    if u.dtype != np.float64 or u.strides[1] != 8 or u.strides[0] % 8 or u.strides[0] < 8 * width:
        raise ValueError(f"thresholds_inplace needs float64 rows that are contiguous, got strides {u.strides}")
    stride = u.strides[0] // 8
    # one contiguous 1-D view from the first element to the last (all inside u's buffer)
    flat = np.lib.stride_tricks.as_strided(u, shape=((rows - 1) * stride + width,), strides=(8,))
    thresholds_flat(flat, rows, stride, width, logistic)


# ----------------------------------------------------------------------------- Philox streams
#: stream purposes (counter word 3; word 2 is the chain)
START, UPDATES, SWAPS = 0, 1, 2
#: Philox4x32-10's round multipliers and key increments (Random123)
PHILOX_M = (np.uint64(0xD2511F53), np.uint64(0xCD9E8D57))
PHILOX_W = (np.uint64(0x9E3779B9), np.uint64(0xBB67AE85))
_LOW32, _S32, _S11 = np.uint64(0xFFFFFFFF), np.uint64(32), np.uint64(11)


def draw_key(rng: np.random.Generator) -> int:
    """One 64-bit Philox key from ``rng`` (advancing it by one draw)."""
    return int(rng.integers(0, 2**64, dtype=np.uint64))


def philox4x32(counter, key):
    """Philox4x32-10 in NumPy, vectorised: ``counter`` four arrays of 32-bit words, ``key`` two
    (Salmon et al., SC 2011; Random123's known answers are tested)."""
    c0, c1, c2, c3 = (np.asarray(x, dtype=np.uint64) for x in counter)
    k0, k1 = (np.uint64(k) for k in key)
    for _ in range(10):
        p0, p1 = PHILOX_M[0] * c0, PHILOX_M[1] * c2
        c0, c1, c2, c3 = (p1 >> _S32) ^ c1 ^ k0, p1 & _LOW32, (p0 >> _S32) ^ c3 ^ k1, p0 & _LOW32
        k0, k1 = (k0 + PHILOX_W[0]) & _LOW32, (k1 + PHILOX_W[1]) & _LOW32
    return c0, c1, c2, c3


def philox_uniforms(key: int, chains, purpose: int, n_blocks: int, block0: int = 0) -> np.ndarray:
    """``(len(chains), 2 n_blocks)`` uniforms: blocks ``block0 ..`` of each chain's ``purpose``
    stream, two per block (words 1:0, then 3:2, as 64-bit integers; their top 53 bits times 2**-53:
    multiples of 2**-53 in [0, 1), as NumPy's own uniforms)."""
    m = np.arange(block0, block0 + n_blocks, dtype=np.uint64)[None, :]
    c = np.asarray(chains, dtype=np.uint64).reshape(-1, 1)
    x0, x1, x2, x3 = philox4x32(
        (m & _LOW32, m >> _S32, np.broadcast_to(c, (c.shape[0], n_blocks)), np.uint64(purpose)),
        (np.uint64(key) & _LOW32, np.uint64(key) >> _S32),
    )
    out = np.empty((c.shape[0], n_blocks, 2))
    out[:, :, 0] = (((x1 << _S32) | x0) >> _S11).astype(np.float64)
    out[:, :, 1] = (((x3 << _S32) | x2) >> _S11).astype(np.float64)
    out *= 2.0**-53
    return out.reshape(c.shape[0], 2 * n_blocks)


def explicit_uniforms(key: int, chains, n: int, n_updates: int, random_scan: bool) -> np.ndarray:
    """The per-chain streams of ``chains`` laid out as explicit uniforms (a row per chain): ``n``
    start uniforms, the threshold uniform of each of the ``n_updates`` updates that run, then for
    random scan the site uniform of each -- the compact layout of :func:`bmexp.samplers.run_chains`."""
    chains = np.asarray(chains).reshape(-1)
    out = np.empty((chains.size, n + n_updates * (2 if random_scan else 1)))
    out[:, :n] = philox_uniforms(key, chains, START, (n + 1) // 2)[:, :n]
    if random_scan:
        pairs = philox_uniforms(key, chains, UPDATES, n_updates).reshape(chains.size, n_updates, 2)
        out[:, n : n + n_updates] = pairs[:, :, 0]
        out[:, n + n_updates :] = pairs[:, :, 1]
    else:
        out[:, n:] = philox_uniforms(key, chains, UPDATES, (n_updates + 1) // 2)[:, :n_updates]
    return out


def pt_explicit_uniforms(key: int, chains, R: int, n: int, n_sweeps: int, random_scan: bool, swap: str) -> np.ndarray:
    """Parallel tempering's per-chain streams laid out as the explicit uniforms of its kernels (a row per
    chain, :func:`bmexp._kernels._pt_kernel`): ``R n`` start uniforms, the threshold uniform of update
    ``(t R + r) n + i`` (every unit, clamped or not), for random scan the site uniforms in the same order,
    then the swaps' uniforms (``swap``: "deo" draws ``R - 1`` a pair of sweeps, one per pair attempted in its
    two rounds, a last odd sweep's pair in full; the others ``R`` a sweep)."""
    chains = np.asarray(chains).reshape(-1)
    n_upd = n_sweeps * R * n
    n_swap = ((n_sweeps + 1) // 2) * (R - 1) if swap == "deo" else n_sweeps * R
    parts = [philox_uniforms(key, chains, START, (R * n + 1) // 2)[:, : R * n]]
    if random_scan:
        pairs = philox_uniforms(key, chains, UPDATES, n_upd).reshape(chains.size, n_upd, 2)
        parts += [pairs[:, :, 0], pairs[:, :, 1]]
    else:
        parts.append(philox_uniforms(key, chains, UPDATES, (n_upd + 1) // 2)[:, :n_upd])
    parts.append(philox_uniforms(key, chains, SWAPS, (n_swap + 1) // 2)[:, :n_swap])
    return np.concatenate(parts, axis=1)
