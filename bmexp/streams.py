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

__all__ = ["Ahead", "fill_uniforms", "logit_inplace", "parallel_rows", "scratch", "set_threads", "split_streams"]


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


def logit_inplace(u: np.ndarray, chunk: int = 2**15) -> None:
    """``u <- log(u / (1 - u))`` (2-D, in blocks of rows): logistic thresholds.

    ``1 - u`` is exact for numpy's uniforms (multiples of 2**-53), the quotient is correctly
    rounded, and ``u = 0`` gives ``-inf``.  A small scratch buffer keeps the work in cache.
    """
    rows, width = u.shape
    if u.size == 0:
        return
    step = max(1, chunk // width)
    tmp = np.empty((min(step, rows), width))
    with np.errstate(divide="ignore"):
        for r0 in range(0, rows, step):
            part = u[r0 : r0 + step]
            t = tmp[: part.shape[0]]
            np.subtract(1.0, part, out=t)
            np.divide(part, t, out=part)
            np.log(part, out=part)
