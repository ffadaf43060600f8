"""Compiled Gibbs kernel (numba), chain-major and parallel over chains.

``noise[c]`` is chain c's own row: ``n`` uniforms for the random start, then ``U`` logistic
thresholds ``L = log(u / (1 - u))`` (one per update), then, for random scan, ``U``
uniforms that choose the sites.  A unit is set on (heat bath) when ``L < gap / T``, which
happens with probability ``sigmoid(gap / T)``; the post's flip rule accepts a flip when
``L < -dE / T``.  No transcendental function runs inside the loop.
"""

from __future__ import annotations

import types

import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange
from numba import types as nbtypes
from numba.extending import intrinsic

# The OpenMP layer keeps its threads spinning after a kernel returns, which starves the
# threads that draw the next block of uniforms (measured: 0.23 s vs 0.17 s per 40M updates).
# workqueue does not spin.  It must not be entered from two Python threads at once; bmexp
# never does that (parallel sweeps use processes).


def _threading_layer() -> None:
    """Choose workqueue when the user has not chosen a layer: set at first use, not on import."""
    if numba.config.THREADING_LAYER == "default":
        numba.config.THREADING_LAYER = "workqueue"


HEAT_BATH, FLIP = 0, 1
#: Measured (benchmarks/sampler.py): for wide models the field update through a row view
#: vectorises and runs about 2x faster; for 4 units the view costs more than it saves.  The
#: choice is compiled in (``_WIDE`` is a constant of each compiled copy), since a runtime branch
#: between the two loops made both slow.  (Narrow copies updating the fields whether or not the
#: unit flipped, as PT's do, measured no better: faster for some workloads, slower for others.)
WIDE_MIN_UNITS = 16
_WIDE = False
#: Recording energies or traces at the end of sweeps, even when never taken, halves the speed
#: of the wide kernel (measured), so it is compiled in only where asked for.
_RECORD = False
#: The chains draw their own numbers (Philox) or read them from ``noise``: see ``KERNELS``.
_PHILOX = False
#: chains side by side in the Gibbs row kernel, and its fewest groups (see :func:`_gibbs_kernel`)
_ROW_GROUP, _ROW_GROUPS_MIN = 8, 16
#: chains side by side in the PT row kernel (of R replicas each; see :func:`_pt_kernel`) from
#: PT_WIDE_GROUP_MIN_UNITS units
_PT_ROW_GROUP = 2
#: ... and 4 below PT_WIDE_GROUP_MIN_UNITS units.  One thread, R = 4, heat bath, ns an update (groups of 2 / 3 / 4
#: chains): 5.1 / 5.0 / 5.2 at 16 units, 5.9 / 5.3 / 5.2 at 32, 6.2 / 6.3 / 5.6 at 64, 8.3 / 10.3 / 8.8 at 128,
#: 13.0 / 13.4 / 13.1 at 256.
_PT_ROW_GROUP_NARROW = 4
PT_WIDE_GROUP_MIN_UNITS = 96
#: Indices as unsigned integers where a loop reads through a computed index: numba checks a signed index
#: for wrap-around (a compare and a select each; 4 units, one thread: PT 3.45 -> 2.92, Gibbs 2.76 -> 2.46 ns
#: an update from the table kernels' reads and the swap round)
_U, _ONE = np.uint64, np.uint64(1)


@njit(inline="always")
def _axpy(field, d, row, n):
    for m in range(n):
        field[m] += d * row[m]


@njit(inline="always")
def _fields(field, s, W, b, n):
    """``field = b + W s``, row by row of ``W`` (symmetric: ``W[m]`` is column m), so that the loop vectorises.
    The sum for unit i runs over m in order, as ``b[i] + sum_m W[i, m] s[m]`` would, with the same products:
    the same numbers, bit for bit.  (The sum per unit is a dependent chain LLVM does not vectorise without
    reordering it: 1,000 chains of 256 units took 31 ms before their first sweep.)"""
    for i in range(n):
        field[i] = b[i]
    for m in range(n):
        _axpy(field, s[m], W[m], n)


# ----------------------------------------------------------------------------- thresholds
# The thresholds ``log(u / (1 - u))`` and ``log u`` cost more than the kernel itself when numpy
# computes them (its float64 log is scalar libm code on AVX2: about 6 ns a value here, against
# 1.5-3 ns for the kernel's update).  This is fdlibm's ``__ieee754_log`` (error < 1 ulp; numpy's
# log is within 1 ulp too, and the two differ by 1 ulp on about 7% of values) written with integer
# operations AVX2 has, so that LLVM vectorises the loop: the exponent comes from a logical shift
# of the biased bits and turns into a float by the 2**52 trick (AVX2 has neither an arithmetic
# 64-bit shift nor an int64 -> float64 conversion).  ``error_model="numpy"`` drops numba's
# division-by-zero checks, whose branches stopped the vectoriser.


@intrinsic
def _bits(typingctx, x):
    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return nbtypes.uint64(nbtypes.float64), codegen


@intrinsic
def _float(typingctx, x):
    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return nbtypes.float64(nbtypes.uint64), codegen


_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10
_LG1, _LG2, _LG3 = 6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01
_LG4, _LG5 = 2.222219843214978396e-01, 1.818357216161805012e-01
_LG6, _LG7 = 1.531383769920937332e-01, 1.479819860511658591e-01
#: bits of sqrt(2) / 2 less the exponent bias: ``(bits(x) - _SHIFT) >> 52`` is k + 1023 for
#: x = 2**k m with m in [sqrt(2) / 2, sqrt(2)), never negative for x >= 2**-1022
_SHIFT = np.uint64((0x3FE6A09E667F3BCD - (1023 << 52)) % 2**64)  # wraps: adds 1023 << 52 less those bits
_TWO52 = np.uint64(0x4330000000000000)  # the bits of 2.0**52


@njit(inline="always", error_model="numpy")
def _log(x):
    """log(x) for x = 0 (-inf) and normal x > 0 (fdlibm's algorithm); not for subnormals, inf or NaN."""
    ix = _bits(x)
    kb = (ix - _SHIFT) >> np.uint64(52)  # k + 1023
    f = _float(ix - ((kb - np.uint64(1023)) << np.uint64(52))) - 1.0  # m - 1, m in [sqrt(2)/2, sqrt(2))
    dk = (_float(kb | _TWO52) - 4503599627370496.0) - 1023.0  # float(k), exactly
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    r = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7))) + w * (_LG2 + w * (_LG4 + w * _LG6))
    v = s * (hfsq + r) + dk * _LN2_LO - hfsq + f + dk * _LN2_HI
    return v if x > 0.0 else -np.inf


@njit(nogil=True, cache=True, error_model="numpy")
def thresholds_flat(flat, rows, stride, width, logistic):
    """In place on ``flat[r stride : r stride + width]`` for each of ``rows`` rows (``flat`` is 1-D
    and contiguous, so the inner loop vectorises): ``log(u / (1 - u))`` if ``logistic`` else
    ``log(u)``, for uniforms ``u`` in [0, 1) as numpy draws them (0 or at least 2**-53)."""
    for r in range(rows):
        # a slice, not flat[o + j]: the index's wrap-around check for negative values stopped the vectoriser
        _to_thresholds(flat[r * stride : r * stride + width], logistic)


@njit(inline="always", error_model="numpy")
def _to_thresholds(row, logistic):
    """``row <- log(row / (1 - row))`` if ``logistic`` else ``log(row)``, in place (vectorised)."""
    if logistic:
        for j in range(row.shape[0]):
            x = row[j]
            row[j] = _log(x / (1.0 - x))
    else:
        for j in range(row.shape[0]):
            row[j] = _log(row[j])


# ----------------------------------------------------------------------------- Philox
# Each chain draws its own numbers inside the kernel from the counter-based generator Philox4x32-10
# (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011; the generator of JAX and
# cuRAND): block (m, chain, purpose) under the call's key, laid out in :mod:`bmexp.streams`, whose
# NumPy implementation gives the same numbers.  A chain fills a small buffer (``_CHUNK`` numbers, in
# L1) at a time in a loop LLVM vectorises (four lanes of vpmuludq: about 2.3 ns a uniform here,
# against 2.6 ns for NumPy's PCG64), turns it into thresholds, and runs the updates that read them:
# nothing is stored, and a chain's numbers do not depend on the number of chains, threads or blocks.

#: Philox4x32-10's round multipliers and key increments (Random123)
_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)
_LOW32, _S32 = np.uint64(0xFFFFFFFF), np.uint64(32)
_ONE_BITS = np.uint64(0x3FF0000000000000)  # the bits of 1.0
_HALF_ULP_BITS = np.uint64(0x3CA0000000000000)  # the bits of 2**-53
_START, _UPDATES, _SWAPS = np.uint64(0), np.uint64(1), np.uint64(2)  # bmexp.streams' purposes (tested equal)
#: numbers a chain draws at a time (even, so a block of two never straddles two fills)
_CHUNK = 256
#: the same for the PT kernels: a chain's swap numbers are a few per sweep, and drawn a few at a time they
#: ran in the vectorised loop's scalar remainder (4 units, 4 replicas, one thread: 3.85 -> 3.51 ns an
#: update with 1024; the Gibbs table kernel gained 3% from 1024, so it keeps 256, in L1 for its 8 chains)
_PT_CHUNK = 1024


@njit(inline="always")
def philox4x32(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of the counter ``(c0, c1, c2, c3)`` under the key ``(k0, k1)``.

    Every argument is a uint64 holding a 32-bit word; the product of two 32-bit words is exact in
    64 bits, so ``p >> 32`` is the high word (mulhi) and ``p & 0xFFFFFFFF`` the low one.  Random123's
    known answers are tested (tests/test_streams.py).
    """
    for _ in range(10):
        p0 = _M0 * c0
        p1 = _M1 * c2
        c0, c1, c2, c3 = (p1 >> _S32) ^ c1 ^ k0, p1 & _LOW32, (p0 >> _S32) ^ c3 ^ k1, p0 & _LOW32
        k0 = (k0 + _W0) & _LOW32
        k1 = (k1 + _W1) & _LOW32
    return c0, c1, c2, c3


@njit(inline="always", error_model="numpy")
def _u53(hi, lo):
    """The top 53 bits of the 64-bit word ``hi:lo`` times 2**-53, exactly (a multiple of 2**-53 in
    [0, 1), as NumPy's uniforms), without an int64 -> float64 conversion (AVX2 has none): the top 52
    bits as the mantissa of a number in [1, 2), less 1, plus the 53rd bit times 2**-53."""
    x = (hi << _S32) | lo
    top = _float((x >> np.uint64(12)) | _ONE_BITS) - 1.0
    return top + _float(((x >> np.uint64(11)) & np.uint64(1)) * _HALF_ULP_BITS)


@njit(inline="always", error_model="numpy")
def _block(m, chain, purpose, k0, k1):
    """The two uniforms of block ``m`` of ``chain``'s ``purpose`` stream under the key ``k0, k1``."""
    mm = np.uint64(m)
    x0, x1, x2, x3 = philox4x32(mm & _LOW32, mm >> _S32, chain, purpose, k0, k1)
    return _u53(x1, x0), _u53(x3, x2)


@njit(inline="always", error_model="numpy")
def _fill(out, block0, chain, purpose, k0, k1):
    """``out[2j], out[2j + 1]`` = the two uniforms of block ``block0 + j`` (``len(out)`` even)."""
    for j in range(out.shape[0] // 2):
        out[2 * j], out[2 * j + 1] = _block(block0 + j, chain, purpose, k0, k1)


@njit(inline="always")
def _segment(per_sweep, n_sweeps, even=False, chunk=_CHUNK):
    """Sweeps whose numbers a chain draws at a time: about ``chunk`` numbers, an even count (a
    block of two never straddles two segments), at least one sweep; ``even``: an even number of
    sweeps (parallel tempering's swap rounds alternate)."""
    if per_sweep == 0 or n_sweeps == 0:
        return 2 if even else 1
    if per_sweep % 2 == 1 or even:
        return 2 * max(1, chunk // (2 * per_sweep))
    return min(n_sweeps, max(1, chunk // per_sweep))


@njit(nogil=True, error_model="numpy")
def _draw(thr, site, chain, drawn, count, key0, key1, random_scan, logistic):
    """A chain's numbers for its updates ``drawn .. drawn + count - 1`` from stream ``chain`` under the
    key (``drawn`` even): ``thr[:count]`` the thresholds and, for random scan, ``site[:count]`` the
    site uniforms (``thr`` has room for ``count + 1``)."""
    k0, k1 = np.uint64(key0), np.uint64(key1)
    if random_scan:  # block k: update k's threshold and the uniform of its site
        for j in range(count):
            thr[j], site[j] = _block(drawn + j, chain, _UPDATES, k0, k1)
    else:  # block m: the thresholds of updates 2m and 2m + 1
        _fill(thr[: count + (count & 1)], drawn // 2, chain, _UPDATES, k0, k1)
    _to_thresholds(thr[:count], logistic)


@njit(inline="always", error_model="numpy")
def _swaps_before(sw, R, swap):
    """The swap numbers of a chain's sweeps before sweep ``sw`` (see :func:`_pt_kernel`)."""
    if swap == DEO:
        return (sw // 2) * (R - 1) + (sw % 2) * (R // 2)
    return sw * R


@njit(error_model="numpy", nogil=True)
def _draw_pt(u, chain, sw, sweeps, R, n, seg, key0, key1, swap, random_scan, logistic):
    """A PT chain's numbers for its sweeps ``sw .. sw + sweeps - 1`` (``sw`` even) into ``u``, laid out as a
    row of ``noise`` whose first sweep is ``sw`` and that has room for ``seg`` sweeps: the thresholds (and
    site uniforms) of updates ``(t R + r) n + i`` from the ``UPDATES`` stream as :func:`_draw`, then the
    swaps' log-uniforms (a choosing uniform stays a uniform), number ``q`` of the chain's swap numbers
    being half ``q % 2`` of block ``q // 2`` of its ``SWAPS`` stream, drawn a block at a time in a vectorised
    loop (``u`` has room for two numbers more than the swaps of ``seg`` sweeps)."""
    per = R * n
    cap = seg * per
    thr0 = per
    swap0 = thr0 + cap * (2 if random_scan else 1)
    _draw(
        u[thr0 : thr0 + cap + 1],
        u[thr0 + cap : thr0 + 2 * cap],
        chain,
        sw * per,
        sweeps * per,
        key0,
        key1,
        random_scan,
        logistic,
    )
    q0 = _swaps_before(sw, R, swap)
    # deo: whole pairs of sweeps (R - 1 numbers; a last odd sweep reads the second part of its pair when the
    # chain's rounds started odd, parity0)
    nq = _swaps_before(sw + sweeps + (sweeps % 2 if swap == DEO else 0), R, swap) - q0
    first = q0 % 2  # q0 is the second half of its block: drop the first number
    _fill(
        u[swap0 : swap0 + first + nq + 1 - (first + nq + 1) % 2],
        q0 // 2,
        chain,
        _SWAPS,
        np.uint64(key0),
        np.uint64(key1),
    )
    if first:
        for j in range(nq):
            u[swap0 + j] = u[swap0 + j + 1]
    if swap == DEO:
        _to_thresholds(u[swap0 : swap0 + nq], False)
    else:  # a choosing uniform stays a uniform
        for j in range(nq):
            if (q0 + j) % R != 0:
                u[swap0 + j] = _log(u[swap0 + j])


@njit(nogil=True, cache=True, error_model="numpy")
def philox_uniforms(key0, key1, chain0, n_chains, purpose, block0, n_blocks):
    """``(n_chains, 2 n_blocks)``: blocks ``block0 ..`` of chains ``chain0 ..``, two uniforms each
    (the compiled twin of :func:`bmexp.streams.philox_uniforms`)."""
    out = np.empty((n_chains, 2 * n_blocks))
    k0, k1 = np.uint64(key0), np.uint64(key1)
    for c in range(n_chains):
        _fill(out[c], block0, np.uint64(chain0 + c), np.uint64(purpose), k0, k1)
    return out


# ----------------------------------------------------------------------------- Gibbs
@njit(inline="always")
def _update_of(u, j, sw, n, n_upd, base, free, cols, clamped, random_scan, dense):
    """(unit, threshold) of update ``j`` of sweep ``sw`` (unit -1: a clamped site of random scan)."""
    if random_scan:
        k = sw * n + j
        i = min(int(u[n + n_upd + k] * n), n - 1)
        return (-1 if clamped[i] else i), u[n + k]
    if dense:  # no unit clamped: no indirection (measured: it cost a third at 4 units)
        return j, u[_U(base + j)]
    return free[j], u[_U(base + cols[j])]


def _gibbs_kernel(
    S,
    W,
    b,
    off,
    on,
    betas,
    record_at,
    clamped,
    free,
    cols,
    stride,
    noise,
    key0,
    key1,
    chain0,
    logistic,
    rule,
    random_scan,
    energy_out,
    trace_at,
    trace_out,
):
    """Sweeps of every chain (``S``, chains x n, in place) through ``betas`` (1 / T, one per sweep).

    Sequential scan updates the units ``free`` in order each sweep; the update of ``free[j]`` in
    sweep ``t`` reads the threshold ``noise[c, n + t stride + cols[j]]`` (``stride = n, cols = free``:
    a column per unit; ``stride = len(free), cols = 0, 1, ...``: clamped units have none).  Random
    scan picks ``n`` sites a sweep (clamped ones stay) and reads the thresholds at ``n + k`` and the
    sites' uniforms at ``n + n sweeps + k``, ``k = t n + j``.

    ``_PHILOX`` copies draw the chains' own numbers instead (chain ``c``: stream ``chain0 + c``
    under the key ``key0, key1``; the compact layout, ``stride = len(free)``), a few sweeps at a time
    into a buffer laid out as a row of ``noise`` for those sweeps (see :func:`_draw`).
    """
    n_chains, n = S.shape
    n_sweeps = betas.shape[0]
    n_upd = n_sweeps * n
    per_sweep = n if random_scan else free.shape[0]
    dense = free.shape[0] == n
    seg = _segment(per_sweep, n_sweeps) if _PHILOX else n_sweeps  # sweeps whose numbers u holds
    cap = seg * per_sweep
    # Chains side by side in groups of up to _ROW_GROUP, at least _ROW_GROUPS_MIN groups (work for every thread):
    # in a sequential sweep unit i's decisions in every chain of the group come first, then the rows of the
    # chains that flipped (a branch per flip, taken right after a long row update, is mispredicted at random)
    size0 = min(_ROW_GROUP, max(1, n_chains // _ROW_GROUPS_MIN))
    n_groups = (n_chains + size0 - 1) // size0
    for gi in prange(n_groups):
        c0 = gi * size0
        size = min(size0, n_chains - c0)
        src = np.empty((size, n + 2 * cap + 1)) if _PHILOX else noise  # the chains' numbers: row row0 + g
        row0 = 0 if _PHILOX else c0
        field = np.zeros((size, n))
        flip_g = np.empty(size, dtype=np.int64)
        flip_d = np.empty(size)
        for g in range(size):
            if _RECORD or 8 * free.shape[0] >= n:
                _fields(field[g], S[c0 + g], W, b, n)
                continue
            for i in free:  # a block of free units among thousands of clamped ones: n x free, not n x n
                acc = b[i]
                for m in range(n):
                    acc += W[i, m] * S[c0 + g, m]
                field[g, i] = acc
        for sw in range(n_sweeps):
            beta = betas[sw]
            t = sw
            if _PHILOX:  # the numbers of the next sweeps, drawn in a loop of their own
                t = sw % seg
                if t == 0:
                    count = min(seg, n_sweeps - sw) * per_sweep
                    for g in range(size):
                        u = src[g]
                        _draw(
                            u[n : n + cap + 1],
                            u[n + cap :],
                            np.uint64(chain0 + c0 + g),
                            sw * per_sweep,
                            count,
                            key0,
                            key1,
                            random_scan,
                            logistic,
                        )
            base = n + t * stride
            for g in range(size if random_scan else 0):  # random scan: a chain at a time
                u = src[row0 + g]
                s = S[c0 + g]
                f = field[g]
                for j in range(per_sweep):
                    i, threshold = _update_of(
                        u, j, t, n, cap if _PHILOX else n_upd, base, free, cols, clamped, True, dense
                    )
                    if i < 0:
                        continue
                    iu = _U(i)  # (unsigned indices: see _U)
                    si = s[iu]
                    # The decision as data, not as a branch (LLVM turned the selects into branches, which hot
                    # chains mispredict, once the kernel drew its own numbers; measured 3 ns an update at 64 units)
                    if rule == HEAT_BATH:
                        new = off + (on - off) * np.float64(threshold < beta * (on - off) * f[iu])
                    else:
                        step = on + off - 2.0 * si  # flip - s_i
                        new = si + step * np.float64(threshold < beta * step * f[iu])  # -dE/T
                    d = new - si
                    if d != 0.0:
                        s[iu] = new
                        if _WIDE:
                            _axpy(f, d, W[i], n)
                        else:
                            for m in range(n):
                                f[m] += d * W[i, m]
            for j in range(0 if random_scan else per_sweep):  # sequential: unit i of every chain of the group
                i, col = j, base + j
                if not dense:
                    i, col = free[j], base + cols[j]
                iu = _U(i)
                k = 0  # chains that flip unit i
                for g in range(size):
                    threshold = src[_U(row0 + g), _U(col)]
                    si = S[_U(c0 + g), iu]
                    x = field[_U(g), iu]
                    if rule == HEAT_BATH:
                        new = off + (on - off) * np.float64(threshold < beta * (on - off) * x)
                    else:
                        step = on + off - 2.0 * si  # flip - s_i
                        new = si + step * np.float64(threshold < beta * step * x)  # -dE/T
                    d = new - si
                    S[_U(c0 + g), iu] = new
                    flip_g[k] = g
                    flip_d[k] = d
                    k += 1 if d != 0.0 else 0
                for q in range(k):
                    g = flip_g[q]
                    d = flip_d[q]
                    if _WIDE:
                        _axpy(field[g], d, W[i], n)
                    else:
                        for m in range(n):
                            field[g, m] += d * W[i, m]
            if not _RECORD:
                continue
            tr = trace_at[sw]
            r = record_at[sw]
            for g in range(size):
                c = c0 + g
                if tr >= 0:
                    for m in range(n):
                        trace_out[c, tr, m] = S[c, m]
                if r >= 0:
                    e = 0.0
                    for m in range(n):
                        e -= 0.5 * S[c, m] * (field[g, m] + b[m])
                    energy_out[c, r] = e


#: The field-table kernel sweeps this many chains side by side, update by update.  A chain's updates
#: are one chain of dependent steps (code -> field -> decision -> code), so a chain alone waits on
#: each (it ran at ~10 ns an update); independent chains side by side keep the CPU busy.  A/B on
#: CPU time, medians of 5 alternated rounds, whole sampler calls: 1.35x (positive phase of the
#: default training, 2 of 4 units clamped), 1.45x (4 units), 1.15-1.2x (7 and 10 units); 16 chains
#: was no better than 8 at 7-10 units, 4 chains 10% slower.
_GROUP = 8


@njit(inline="always")
def _field_table(W, b, off, on):
    """Every unit's local field in every state (bit m of the code: unit m on), ``2**n x n`` flat, summed
    in the order the other kernels' fields start with."""
    n = b.shape[0]
    tab = np.empty((1 << n) * n)
    for code in range(1 << n):
        for i in range(n):
            acc = b[i]
            for m in range(n):
                acc += W[i, m] * (on if (code >> m) & 1 else off)
            tab[code * n + i] = acc
    return tab


@njit(inline="always")
def _coded_update(code, i, threshold, gap, rule):
    """The state ``code`` (bit m: unit m on) after unit i's update, ``gap`` = beta (on - off) x_i for its local
    field x_i: heat bath sets the bit when ``threshold < gap``; the flip rule flips it when ``threshold < -dE / T``
    = beta (flip - s_i) x_i, ``gap`` if the unit is off, ``-gap`` if on.  A data dependency, no branch to
    mispredict."""
    bit = (code >> i) & 1
    if rule == HEAT_BATH:
        new_bit = 1 if threshold < gap else 0
    else:
        new_bit = bit ^ (1 if threshold < (gap if bit == 0 else -gap) else 0)
    return code ^ ((bit ^ new_bit) << i)


def _gibbs_table_kernel(
    S,
    W,
    b,
    off,
    on,
    betas,
    record_at,
    clamped,
    free,
    cols,
    stride,
    noise,
    key0,
    key1,
    chain0,
    logistic,
    rule,
    random_scan,
    energy_out,
    trace_at,
    trace_out,
):
    """The same sweeps as :func:`_gibbs_kernel` for narrow models (at most ``TABLE_MAX_UNITS`` units),
    from a table of the local fields of every state (``2**n x n``), ``_GROUP`` chains side by side
    (each reads its own thresholds in the same order: the states do not depend on the grouping).  With
    ``_PHILOX`` each draws them, a few sweeps at a time, into its row of a buffer laid out as ``noise``."""
    n_chains, n = S.shape
    n_sweeps = betas.shape[0]
    n_upd = n_sweeps * n
    per_sweep = n if random_scan else free.shape[0]
    dense = free.shape[0] == n
    # An update reads its field from the table instead of adding a row of W to all n fields on every
    # flip, and a chain's state is one integer.
    tab = _field_table(W, b, off, on)
    n_groups = (n_chains + _GROUP - 1) // _GROUP
    seg = _segment(per_sweep, n_sweeps) if _PHILOX else n_sweeps  # sweeps whose numbers a row holds
    cap = seg * per_sweep
    for gi in prange(n_groups):
        c0 = gi * _GROUP
        size = min(_GROUP, n_chains - c0)
        # the group's numbers: rows c0 + g of noise, or rows g of its own buffer
        src = np.empty((_GROUP, n + 2 * cap + 1)) if _PHILOX else noise
        row0 = 0 if _PHILOX else c0
        codes = np.zeros(_GROUP, dtype=np.int64)
        for g in range(size):
            for m in range(n):
                if S[c0 + g, m] == on:
                    codes[g] |= 1 << m
        for sw in range(n_sweeps):
            scale = betas[sw] * (on - off)
            t = sw
            if _PHILOX:  # the numbers of the next sweeps, drawn in a loop of their own
                t = sw % seg
                if t == 0:
                    count = min(seg, n_sweeps - sw) * per_sweep
                    for g in range(size):
                        u = src[g]
                        chain = np.uint64(chain0 + c0 + g)
                        _draw(
                            u[n : n + cap + 1],
                            u[n + cap :],
                            chain,
                            sw * per_sweep,
                            count,
                            key0,
                            key1,
                            random_scan,
                            logistic,
                        )
            base = n + t * stride
            sites = n + (cap if _PHILOX else n_upd) + t * n
            for j in range(per_sweep):
                i = j
                col = base + j
                if random_scan:
                    col = n + t * n + j
                elif not dense:
                    i = free[j]
                    col = base + cols[j]
                for g in range(size):
                    r = row0 + g
                    if random_scan:
                        i = min(int(src[r, sites + j] * n), n - 1)
                        if clamped[i]:
                            continue
                    threshold = src[np.uint64(r), np.uint64(col)]
                    code = codes[g]
                    x = tab[np.uint64(code * n + i)]
                    codes[g] = _coded_update(code, i, threshold, scale * x, rule)
            if not _RECORD:
                continue
            tr = trace_at[sw]
            r = record_at[sw]
            for g in range(size):
                code = codes[g]
                if tr >= 0:
                    for m in range(n):
                        trace_out[c0 + g, tr, m] = on if (code >> m) & 1 else off
                if r >= 0:
                    e = 0.0
                    for m in range(n):
                        e -= 0.5 * (on if (code >> m) & 1 else off) * (tab[code * n + m] + b[m])
                    energy_out[c0 + g, r] = e
        for g in range(size):
            for m in range(n):
                S[c0 + g, m] = on if (codes[g] >> m) & 1 else off


def _variant(fn, name, **constants):
    """A copy of ``fn`` named ``name`` whose globals override ``constants``.

    numba freezes globals at compile time, so each copy compiles with its own constants; it keys
    its on-disk cache by qualified name, so each copy needs its own name.
    """
    copy = types.FunctionType(fn.__code__, {**fn.__globals__, **constants}, name, fn.__defaults__, fn.__closure__)
    copy.__qualname__ = name
    return copy


def _compile(kind, parallel, record, philox):
    name = f"gibbs_{kind}_{'parallel' if parallel else 'serial'}{'_record' if record else ''}"
    name += "_philox" if philox else "_explicit"
    if kind == "table":
        fn = _variant(_gibbs_table_kernel, name, _RECORD=record, _PHILOX=philox)
    else:
        fn = _variant(_gibbs_kernel, name, _WIDE=kind == "wide", _RECORD=record, _PHILOX=philox)
    return njit(parallel=parallel, cache=True, nogil=True)(fn)


#: (kind, parallel, record, philox) -> kernel (each compiles on first use, then loads from the disk
#: cache); kind "table" up to TABLE_MAX_UNITS units, "narrow" below WIDE_MIN_UNITS, else "wide".
#: Parallel over chains for large blocks; serial for small blocks, where starting threads
#: (~0.1 ms) costs more than the work.  ``philox``: the chains draw their own numbers (what the
#: samplers run); else they read them from ``noise`` (tests that choose them).  Compiled apart: the
#: drawing code in the same function, even never run, made LLVM compile the update loop worse.
KERNELS = {
    (k, p, r, x): _compile(k, p, r, x)
    for k in ("table", "narrow", "wide")
    for p in (False, True)
    for r in (False, True)
    for x in (False, True)
}
PARALLEL_MIN_UNIFORMS = 2**18
#: Up to this many units the field table (2**n x n float64: 80 KB at 10 units) replaces the fields
TABLE_MAX_UNITS = 10


def kernel_kind(n_units: int, n_uniforms: int | None = None) -> str:
    """The kernel for ``n_units`` units: the field table up to TABLE_MAX_UNITS units, unless the call
    draws fewer numbers (``n_uniforms``) than the table has entries (building it would cost more
    than the sweeps); the kernels give the same states."""
    small = n_uniforms is not None and n_uniforms < (n_units << n_units)
    if n_units <= TABLE_MAX_UNITS and not small:
        return "table"
    return "narrow" if n_units < WIDE_MIN_UNITS else "wide"


def kernel_for(n_units: int, n_uniforms: int, record: bool, philox: bool = True):
    """The kernel for ``n_uniforms`` updates in all (the numbers they read) of ``n_units`` units."""
    _threading_layer()
    kind = kernel_kind(n_units, n_uniforms)
    return KERNELS[(kind, n_uniforms >= PARALLEL_MIN_UNIFORMS, bool(record), bool(philox))]


# ----------------------------------------------------------------------------- parallel tempering
#: swap rounds: even/odd pairs in turn (non-reversible), even or odd at random (reversible), or
#: one neighbour pair chosen uniformly (reversible)
DEO, SEO, RANDOM_PAIR = 0, 1, 2


@njit(inline="always")
def _swap_round(u, row, sw, t, swap, parity0, swap0, swap_betas, energy, slot_of, g, tidx, last, counts, c):
    """After sweep ``sw``: chain c's round of swaps between neighbouring temperatures (``energy[r]``: slot r's
    energy; ``slot_of[g, k]``: the slot at temperature k), then its round trips (see :func:`_pt_kernel`).  Its
    numbers are those of sweep ``t`` (of the same parity) of row ``row`` of ``u``; ``energy[g]`` and ``slot_of[g]``
    are chain c's rows."""
    R = slot_of.shape[1]
    # The pairs attempted, k = first, first + step, ... < stop (only those are visited: the
    # swaps and round trips cost about a fifth of a 4-unit sweep of 4 replicas).
    parity = (sw + parity0) % 2  # (parity0: the sweeps a chain ran in earlier calls, mod 2: deo carries on)
    if swap == DEO:  # pair k reads at + k // 2 (a pair of sweeps reads R - 1 numbers, the even round's first)
        at = swap0 + (t // 2) * (R - 1) + parity * (R // 2)
        first, stop, step = parity, R - 1, 2
    else:  # a uniform choosing, then pair k reads at + 1 + k
        at = swap0 + t * R
        if swap == SEO:
            first, stop, step = (1 if u[row, at] < 0.5 else 0), R - 1, 2
        else:
            first = min(int(u[row, at] * (R - 1)), R - 2)
            stop, step = first + 1, 1
    # (unsigned indices: see _U)
    gu, cu, ru, su = _U(g), _U(c), _U(row), _U(sw)
    k = first
    while k < stop:  # (not range(first, stop, step): its length takes an integer division)
        ku = _U(k)
        lo = slot_of[gu, ku]
        hi = slot_of[gu, ku + _ONE]
        counts[cu, ku] += 1
        where = _U(at + k // 2 if swap == DEO else at + 1 + k)
        # accepted (1) or not (0) as data, not as a branch: about half the swaps are accepted, at random,
        # and a mispredicted branch cost more than the rest of the round (measured: 4.9 -> 3.9 ns per
        # update of a 4-unit model with 4 replicas)
        x = (swap_betas[su, ku] - swap_betas[su, ku + _ONE]) * (energy[gu, _U(lo)] - energy[gu, _U(hi)])
        a = 1 if u[ru, where] < x else 0
        counts[cu, _U(R - 1 + k)] += a
        slot_of[gu, ku] = lo + a * (hi - lo)
        slot_of[gu, ku + _ONE] = hi + a * (lo - hi)
        tidx[cu, _U(lo)] = k + a
        tidx[cu, _U(hi)] = k + 1 - a
        k += step
    # Round trips: only the walkers now at the bottom and at the top change what they visited last.
    # (as data, not branches: which walkers they are is random)
    bottom, top = _U(slot_of[gu, 0]), _U(slot_of[gu, _U(R - 1)])
    counts[cu, _U(2 * (R - 1))] += 1 if last[cu, bottom] == 1 else 0
    last[cu, bottom] = 0
    lt = last[cu, top]
    last[cu, top] = lt + (1 if lt == 0 else 0)


@njit(inline="always")
def _draw_group(buf, size, chain, sw, sweeps, R, n, seg, key0, key1, swap, random_scan, logistic):
    """Rows ``0 .. size - 1`` of ``buf``: the numbers of chains ``chain ..`` for their next ``sweeps`` sweeps."""
    for g in range(size):
        _draw_pt(buf[g], np.uint64(chain + g), sw, sweeps, R, n, seg, key0, key1, swap, random_scan, logistic)


@njit(inline="always")
def _group_betas(out, betas, sw, tidx, c0, size, scale):
    """``out[g R + r]``: sweep ``sw``'s 1 / T of replica r of chain ``c0 + g`` (temperature ``tidx``) x ``scale``."""
    R = tidx.shape[1]
    for g in range(size):
        for r in range(R):
            out[g * R + r] = betas[_U(sw), _U(tidx[c0 + g, r])] * scale


def _pt_kernel(
    S,
    W,
    b,
    off,
    on,
    betas,
    swap_betas,
    clamped,
    noise,
    key0,
    key1,
    chain0,
    logistic,
    rule,
    random_scan,
    swap,
    parity0,
    tidx,
    last,
    counts,
):
    """Parallel tempering: ``R`` replicas per chain, each swept with the Gibbs kernel's update at
    its own temperature, then one round of swaps between neighbouring temperatures.

    ``S`` (chains x R x n): replica ``r`` of chain ``c`` stays in slot ``r``; a swap exchanges
    temperatures, not states: ``tidx[c, r]`` is slot r's temperature index (in / out).  ``betas``
    and ``swap_betas`` (sweeps x R) are 1 / T per temperature index for the updates and for the
    swap acceptance (the same array except in the mutant of :mod:`bmexp.testing.mutants`).
    ``noise[c]``: ``R n`` start uniforms, the thresholds (sweep, replica, update), for random scan
    the site uniforms in the same order, then the swaps: with ``deo`` one log-uniform per pair
    attempted, ``R - 1`` for each pair of sweeps (``R // 2`` for its even round, first, and ``(R - 1) // 2``
    for its odd one; a round is even when ``sweep + parity0`` is, so that a chain carried on from an
    earlier call with an odd number of sweeps goes on alternating); else per sweep
    a uniform choosing the pairs and ``R - 1`` log-uniforms.  A swap is accepted when its
    log-uniform is below ``(beta_k - beta_k+1) (E_k - E_k+1)``.  ``last[c, r]``: the extreme slot r's walker visited
    last (0 bottom, 1 top, -1 neither yet).  ``counts[c]``: attempts per pair, accepts per pair,
    then round trips (bottom -> top -> bottom).  ``_PHILOX`` copies draw the chains' own numbers instead
    (chain ``c``: stream ``chain0 + c`` under the key ``key0, key1``), a few sweeps at a time into a
    buffer laid out as a row of ``noise`` for those sweeps (see :func:`_draw_pt`).
    """
    n_chains, R, n = S.shape
    n_sweeps = betas.shape[0]
    seg = _segment(R * n, n_sweeps, True) if _PHILOX else n_sweeps  # sweeps whose numbers u holds
    n_upd = seg * R * n
    thr0 = R * n
    site0 = thr0 + n_upd
    swap0 = site0 + (n_upd if random_scan else 0)
    width = swap0 + seg * R + 3  # a chain's numbers (+ 3: see _draw_pt)
    # Chains side by side in groups (as the Gibbs row kernel): a sequential sweep takes unit i's decisions in
    # every replica of every chain of the group, then adds the rows of the replicas that flipped.
    group = _PT_ROW_GROUP_NARROW if n < PT_WIDE_GROUP_MIN_UNITS else _PT_ROW_GROUP
    size0 = min(group, max(1, n_chains // _ROW_GROUPS_MIN))
    n_groups = (n_chains + size0 - 1) // size0
    for gi in prange(n_groups):
        c0 = gi * size0
        size = min(size0, n_chains - c0)
        nq = size * R  # replica r of chain c0 + g is q = g R + r, its units at [q n, (q + 1) n) of s and field
        buf = np.empty((size, width)) if _PHILOX else noise  # chain c0 + g's numbers: row row0 + g
        row0 = 0 if _PHILOX else c0
        flat = buf.reshape(buf.size)
        s = S[c0 : c0 + size].reshape(nq * n)  # flat, no views in the loops
        field = np.empty(nq * n)
        energy = np.empty((size, R))
        e_of = energy.reshape(nq)  # (the same numbers, by q)
        slot_of = np.empty((size, R), dtype=np.int64)
        beta_of = np.empty(nq)
        where_of = np.empty(nq, dtype=np.int64)  # q's numbers in flat: where_of[q] + (t R n + i)
        flip_q = np.empty(nq, dtype=np.int64)
        flip_d = np.empty(nq)
        for g in range(size):
            for r in range(R):
                q = g * R + r
                where_of[q] = (row0 + g) * buf.shape[1] + thr0 + r * n
                slot_of[g, tidx[c0 + g, r]] = r
                o = q * n
                _fields(field[o : o + n], s[o : o + n], W, b, n)
                e = 0.0
                for m in range(n):
                    e -= 0.5 * s[o + m] * (field[o + m] + b[m])
                energy[g, r] = e  # then updated flip by flip: a sum over units each sweep halves the speed (measured)
        for sw in range(n_sweeps):
            t = sw % seg
            if _PHILOX and t == 0:
                _draw_group(
                    buf,
                    size,
                    chain0 + c0,
                    sw,
                    min(seg, n_sweeps - sw),
                    R,
                    n,
                    seg,
                    key0,
                    key1,
                    swap,
                    random_scan,
                    logistic,
                )
            _group_betas(beta_of, betas, sw, tidx, c0, size, 1.0)
            if not random_scan:
                # Unit i of every replica in turn, then unit i + 1: each replica still sweeps its
                # units in order with its own thresholds (the same numbers, the same states), and
                # the row W[i] its flips read stays in L1 for the replicas (at 256 units W does
                # not fit in L2; measured 1.3x faster there).
                for i in range(n):
                    if clamped[i]:
                        continue
                    at = t * R * n + i
                    k = 0  # replicas that flip unit i: their q and changes d
                    for q in range(nq):
                        o = q * n
                        threshold = flat[_U(where_of[q] + at)]  # (unsigned indices: see _U)
                        oi = _U(o + i)
                        si = s[oi]
                        if rule == HEAT_BATH:
                            new = off + (on - off) * np.float64(threshold < beta_of[q] * (on - off) * field[oi])
                        else:  # (decisions as data, as in the Gibbs kernel)
                            step = on + off - 2.0 * si
                            new = si + step * np.float64(threshold < beta_of[q] * step * field[oi])
                        d = new - si
                        s[oi] = new
                        if _BRANCHLESS:
                            e_of[_U(q)] -= d * field[oi]  # dE of the flip (W_ii = 0: field_i is unchanged)
                            if _PT_VIEW:
                                _axpy(field[o : o + n], d, W[i], n)
                            else:
                                for m in range(n):
                                    field[o + m] += d * W[i, m]
                        else:  # noted without a branch; the rows added below
                            flip_q[k] = q
                            flip_d[k] = d
                            k += 1 if d != 0.0 else 0
                    # The decisions are independent, so they are all taken before any row is added: a branch
                    # per flip, taken after a long row update, was mispredicted at random (hot replicas flip a
                    # third to a half of their units); measured 20.2 -> 14.3 ns an update at 256 units.  The
                    # energies too change only for the flips (noted as q, not as the offset q n: measured 8.1 ->
                    # 5.8 ns an update at 64 units, 8.0 -> 5.7 at 48, 14.4 -> 12.5 at 256, one thread).
                    for j in range(k):
                        q = flip_q[j]
                        o = q * n
                        d = flip_d[j]
                        e_of[_U(q)] -= d * field[_U(o + i)]
                        if _PT_VIEW:
                            _axpy(field[o : o + n], d, W[i], n)
                        else:
                            for m in range(n):
                                field[o + m] += d * W[i, m]
            for q in range(nq if random_scan else 0):
                g, r = q // R, q % R
                u = buf[row0 + g]
                o = q * n
                beta = beta_of[q]
                base = (t * R + r) * n
                e = energy[g, r]
                for j in range(n):
                    i = min(int(u[site0 + base + j] * n), n - 1)
                    if clamped[i]:
                        continue
                    threshold = u[thr0 + base + j]
                    si = s[o + i]
                    if rule == HEAT_BATH:
                        new = off + (on - off) * np.float64(threshold < beta * (on - off) * field[o + i])
                    else:
                        step = on + off - 2.0 * si
                        new = si + step * np.float64(threshold < beta * step * field[o + i])
                    d = new - si
                    if d != 0.0 or _BRANCHLESS:
                        s[o + i] = new
                        e -= d * field[o + i]  # dE of the flip (W_ii = 0: field_i is unchanged)
                        for m in range(n):  # a row view here (as in the wide Gibbs kernel) ran 1.6x slower
                            field[o + m] += d * W[i, m]
                energy[g, r] = e
            for g in range(size):
                _swap_round(
                    buf,
                    row0 + g,
                    sw,
                    t,
                    swap,
                    parity0,
                    swap0,
                    swap_betas,
                    energy,
                    slot_of,
                    g,
                    tidx,
                    last,
                    counts,
                    c0 + g,
                )


def _pt_table_kernel(
    S,
    W,
    b,
    off,
    on,
    betas,
    swap_betas,
    clamped,
    noise,
    key0,
    key1,
    chain0,
    logistic,
    rule,
    random_scan,
    swap,
    parity0,
    tidx,
    last,
    counts,
):
    """:func:`_pt_kernel` for narrow models (at most ``TABLE_MAX_UNITS`` units), from tables of every state's
    local fields (``2**n x n``, as the Gibbs table kernel) and energies (``2**n``): a replica's state is one
    integer, an update reads its field and a flip changes one bit (no row of W added to n fields), and a
    swap reads the two energies.  The same arguments, uniforms and decisions (tests/test_pt.py compares the
    states, swaps and round trips with the other kernels)."""
    n_chains, R, n = S.shape
    n_sweeps = betas.shape[0]
    seg = _segment(R * n, n_sweeps, True, _PT_CHUNK) if _PHILOX else n_sweeps  # sweeps whose numbers a row holds
    n_upd = seg * R * n
    thr0 = R * n
    site0 = thr0 + n_upd
    swap0 = site0 + (n_upd if random_scan else 0)
    tab = _field_table(W, b, off, on)
    etab = np.empty(1 << n)
    for code in range(1 << n):
        e = 0.0
        for m in range(n):
            e -= 0.5 * (on if (code >> m) & 1 else off) * (tab[code * n + m] + b[m])
        etab[code] = e
    n_groups = (n_chains + _PT_GROUP - 1) // _PT_GROUP
    for gi in prange(n_groups):  # _PT_GROUP chains side by side: their R replicas' updates do not wait on each other
        c0 = gi * _PT_GROUP
        size = min(_PT_GROUP, n_chains - c0)
        codes = np.zeros(_PT_GROUP * R, dtype=np.int64)  # chain c0 + g, replica r at g R + r
        slot_of = np.empty((_PT_GROUP, R), dtype=np.int64)
        scale_of = np.empty(_PT_GROUP * R)
        energy = np.empty((_PT_GROUP, R))
        # the group's numbers: rows c0 + g of noise, or rows g of its own buffer
        src = np.empty((_PT_GROUP, swap0 + seg * R + 3)) if _PHILOX else noise
        row0 = 0 if _PHILOX else c0
        flat = src.reshape(src.size)
        where_of = np.empty(_PT_GROUP * R, dtype=np.int64)  # (chain, replica) q's numbers in flat: where_of[q] + ..
        for g in range(size):
            for r in range(R):
                where_of[g * R + r] = (row0 + g) * src.shape[1] + r * n
                slot_of[g, tidx[c0 + g, r]] = r
                for m in range(n):
                    if S[c0 + g, r, m] == on:
                        codes[g * R + r] |= 1 << m
        for sw in range(n_sweeps):
            t = sw % seg
            if _PHILOX and t == 0:
                _draw_group(
                    src,
                    size,
                    chain0 + c0,
                    sw,
                    min(seg, n_sweeps - sw),
                    R,
                    n,
                    seg,
                    key0,
                    key1,
                    swap,
                    random_scan,
                    logistic,
                )
            _group_betas(scale_of, betas, sw, tidx, c0, size, on - off)
            if not random_scan:  # unit i of every replica of every chain of the group in turn
                for i in range(n):
                    if clamped[i]:
                        continue
                    at = thr0 + t * R * n + i
                    for q in range(size * R):
                        threshold = flat[np.uint64(where_of[q] + at)]
                        code = codes[q]
                        codes[q] = _coded_update(code, i, threshold, scale_of[q] * tab[np.uint64(code * n + i)], rule)
            for q in range(size * R if random_scan else 0):
                g, r = q // R, q % R
                u = src[row0 + g]
                base = (t * R + r) * n
                scale = scale_of[q]
                code = codes[q]
                for j in range(n):
                    i = min(int(u[site0 + base + j] * n), n - 1)
                    if clamped[i]:
                        continue
                    threshold = u[thr0 + base + j]
                    code = _coded_update(code, i, threshold, scale * tab[code * n + i], rule)
                codes[q] = code
            for g in range(size):
                for r in range(R):
                    energy[g, r] = etab[_U(codes[g * R + r])]
                _swap_round(
                    src,
                    row0 + g,
                    sw,
                    t,
                    swap,
                    parity0,
                    swap0,
                    swap_betas,
                    energy,
                    slot_of,
                    g,
                    tidx,
                    last,
                    counts,
                    c0 + g,
                )
        for g in range(size):
            for r in range(R):
                for m in range(n):
                    S[c0 + g, r, m] = on if (codes[g * R + r] >> m) & 1 else off


#: chains side by side in the PT table kernel (see :func:`_pt_table_kernel`)
_PT_GROUP = 4


#: Hot replicas flip about half their units at random, so "did it flip?" is a branch the CPU
#: mispredicts; for narrow models updating the fields unconditionally (d = 0 adds nothing) ran up
#: to 2x faster (measured), for wide ones the skipped row updates win.  Compiled in, as _WIDE.
_BRANCHLESS = False
#: The field update through row views (``field[o : o + n]``, ``W[i]``) vectorises; the indexed
#: loop ``field[o + m]`` does not (its wrap-around check for a negative index stops LLVM).
_PT_VIEW = False
#: Below this many units PT runs branchless; from PT_VIEW_MIN_UNITS on, through row views.  The
#: branching copies take a unit's decisions in every replica of the group first and then add the rows
#: (and the energy changes) of the replicas that flipped.  Measured after that change (R = 4, geometric
#: ladder to T = 5, groups of 2 chains, 128 chains, one thread, heat bath, sequential scan, ns an update,
#: best of 9, round robin; branching-indexed / branching-view / branchless-indexed / branchless-view):
#: 6.8 / 5.2 / 4.6 / 4.6 at 16 units, 7.6 / 5.3 / 5.3 / 5.2 at 24, 8.2 / 5.4 / 5.8 / 5.7 at 28,
#: 8.6 / 5.5 / 5.7 / 5.8 at 32, 9.9 / 5.8 / 7.6 / 7.8 at 48, 11.5 / 7.2 / 9.9 / 10.1 at 64,
#: 15.1 / 8.1 / 12.8 / 12.6 at 96, 18.0 / 9.1 / 15.3 / 15.1 at 128, 33.5 / 13.9 / 25.5 / 25.1 at 256.
PT_BRANCHLESS_MAX_UNITS = 26
PT_VIEW_MIN_UNITS = 26


def _compile_pt(branchless, view, parallel, philox):
    kind = ("branchless" if branchless else "branching") + ("_view" if view else "")
    name = f"pt_{kind}_{'parallel' if parallel else 'serial'}_{'philox' if philox else 'explicit'}"
    return njit(parallel=parallel, cache=True, nogil=True)(
        _variant(_pt_kernel, name, _BRANCHLESS=branchless, _PT_VIEW=view, _PHILOX=philox)
    )


def _compile_pt_table(parallel, philox):
    name = f"pt_table_{'parallel' if parallel else 'serial'}_{'philox' if philox else 'explicit'}"
    return njit(parallel=parallel, cache=True, nogil=True)(_variant(_pt_table_kernel, name, _PHILOX=philox))


#: (branchless, view, parallel, philox) -> parallel-tempering kernel (``philox`` as in ``KERNELS``)
PT_KERNELS = {
    (w, v, p, x): _compile_pt(w, v, p, x)
    for w in (False, True)
    for v in (False, True)
    for p in (False, True)
    for x in (False, True)
}
#: (parallel, philox) -> the table kernel (up to TABLE_MAX_UNITS units)
PT_TABLE_KERNELS = {(p, x): _compile_pt_table(p, x) for p in (False, True) for x in (False, True)}


def pt_variant(n_units: int) -> tuple[bool, bool]:
    """(branchless, view) for a model of ``n_units`` units."""
    return n_units < PT_BRANCHLESS_MAX_UNITS, n_units >= PT_VIEW_MIN_UNITS


def pt_kernel(n_units: int, n_uniforms: int, parallel: bool, philox: bool = True):
    """The PT kernel for ``n_units`` units: the table kernel up to TABLE_MAX_UNITS units, unless the call
    draws fewer numbers (``n_uniforms``) than the table has entries (as :func:`kernel_kind`)."""
    if n_units <= TABLE_MAX_UNITS and n_uniforms >= (n_units << n_units):
        return PT_TABLE_KERNELS[(parallel, philox)]
    return PT_KERNELS[(*pt_variant(n_units), parallel, philox)]


def pt_kernel_for(n_units: int, n_uniforms: int, philox: bool = True):
    _threading_layer()
    return pt_kernel(n_units, n_uniforms, n_uniforms >= PARALLEL_MIN_UNIFORMS, philox)
