"""Random streams for many chains: parallel drawing that gives exactly one sequential stream.

Chain ``c`` of a sampler call reads positions ``[c L, (c + 1) L)`` of the stream of the caller's
``numpy.random.Generator``.  Blocks of rows are filled in several threads from copies of the bit
generator advanced to their offsets (PCG64, PCG64DXSM and Philox can ``advance``), and the next
block can be drawn while the kernel works on the current one: the same numbers, in the same order,
as one ``rng.random(out=...)`` call.
"""

from __future__ import annotations

import os
import threading

import numpy as np

__all__ = [
    "Ahead",
    "fill_uniforms",
    "logit_inplace",
    "parallel_rows",
    "scratch",
    "set_threads",
    "split_streams",
    "thresholds_inplace",
]


class Ahead(threading.Thread):
    """Run ``fn(arg)`` in a thread; ``join`` re-raises its exception."""

    def __init__(self, fn, arg):
        super().__init__(daemon=True)
        self.fn, self.arg, self.error = fn, arg, None
        self.start()

    def run(self):
        try:
            self.fn(self.arg)
        except BaseException as exc:  # re-raised in the caller's thread
            self.error = exc

    def join(self, timeout=None):
        super().join(timeout)
        if self.error is not None:
            raise self.error


_SCRATCH = threading.local()


def scratch(size: int) -> np.ndarray:
    """A reusable buffer of at least ``size`` float64 (one per thread): a fresh 32 MB buffer per
    call costs its page faults every time (measured: about a sixth of a 64-unit run)."""
    buf = getattr(_SCRATCH, "buf", None)
    if buf is None or buf.size < size:
        buf = _SCRATCH.buf = np.empty(max(size, 2**16))
    return buf[:size]


def split_streams(rng: np.random.Generator, sizes: list[int]) -> list[np.random.Generator]:
    """Generators that continue ``rng``'s stream at offsets 0, sizes[0], sizes[0] + sizes[1], ...

    Needs a bit generator that can ``advance`` (PCG64, PCG64DXSM, Philox); ``rng`` itself is
    advanced past all of them.  Each float64 uniform consumes exactly one 64-bit output.
    """
    bg = rng.bit_generator
    gens, offset = [], 0
    for size in sizes:
        twin = type(bg)()
        twin.state = bg.state
        twin.advance(offset)
        gens.append(np.random.Generator(twin))
        offset += size
    bg.advance(offset)
    return gens


_THREADS: list[int] = []


def set_threads(n: int | None) -> None:
    """Threads :func:`parallel_rows` may use (None: one per core); the numbers do not change.
    A sweep's workers run one thread each (``threads=1``): more would only contend for the cores."""
    _THREADS[:] = [] if n is None else [max(1, int(n))]


def parallel_rows(rng: np.random.Generator, out: np.ndarray, work) -> None:
    """Fill the rows of ``out`` with the next ``out.size`` uniforms of ``rng`` (C order) and call
    ``work(rows)`` on each filled row range, in up to ``os.cpu_count()`` threads (see :func:`set_threads`)."""
    n_rows = out.shape[0]
    threads = _THREADS[0] if _THREADS else os.cpu_count() or 1
    parts = min(threads, n_rows) if out.size >= 2**16 and hasattr(rng.bit_generator, "advance") else 1
    if parts == 1:
        rng.random(out=out.reshape(-1))
        work(slice(0, n_rows))
        return
    bounds = np.linspace(0, n_rows, parts + 1).astype(int)
    gens = split_streams(rng, [int(hi - lo) * out.shape[1] for lo, hi in zip(bounds[:-1], bounds[1:])])

    def job(g, lo, hi):
        g.random(out=out[lo:hi].reshape(-1))
        work(slice(lo, hi))

    threads = [threading.Thread(target=job, args=(g, lo, hi)) for g, lo, hi in zip(gens, bounds[:-1], bounds[1:])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def fill_uniforms(rng: np.random.Generator, out: np.ndarray) -> None:
    """``rng.random(out=out)`` (same numbers, same final state of ``rng``), drawn in parallel."""
    parallel_rows(rng, out.reshape(out.shape[0], -1) if out.ndim > 1 else out.reshape(1, -1), lambda rows: None)


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


def logit_inplace(u: np.ndarray) -> None:
    """``u <- log(u / (1 - u))`` in place (2-D): logistic thresholds (see :func:`thresholds_inplace`)."""
    if u.size:
        thresholds_inplace(u if u.ndim == 2 else u.reshape(1, -1), logistic=True)
