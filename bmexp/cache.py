"""A content-addressed cache of JSON results, shared by the worker processes of a sweep.

An entry is named by the SHA-256 of the canonical JSON of everything its value depends on
(:func:`content_key`), plus a fingerprint of bmexp's own source code, so an entry is reused only
by a computation that would give the same value.  :meth:`ResultCache.get_or_compute`:

* reads the entry ``<key>.json`` if it exists;
* otherwise takes an exclusive ``fcntl.flock`` on ``<key>.lock`` (blocking), looks again (another
  worker may just have written it), and only then computes it.  Two processes therefore never
  compute the same entry at the same time; the kernel releases the lock of a process that dies,
  even by ``kill -9``, so no lock is ever left stale;
* writes the value to a temporary file in the same directory and renames it into place with
  ``os.replace`` (atomic on POSIX): a reader sees the whole entry or none.  A writer killed
  half-way leaves only its temporary file, which the next writer of that key removes.

An entry that cannot be read (not JSON: written by something else) counts as missing.
Unix only (``fcntl``), like bmexp's launcher.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

__all__ = ["ResultCache", "code_fingerprint", "content_key"]


def _plain(value: Any) -> Any:
    """JSON for what ``json`` cannot encode itself: arrays by dtype, shape and bytes, numpy scalars."""
    if isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value)
        return {"dtype": arr.dtype.str, "shape": list(arr.shape), "sha256": hashlib.sha256(arr.tobytes()).hexdigest()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot key the cache on a {type(value).__name__}: {value!r}")


def content_key(parts: dict) -> str:
    """SHA-256 of the canonical JSON of ``parts`` (arrays by their exact bytes) and of bmexp's code."""
    text = json.dumps({"code": code_fingerprint(), **parts}, sort_keys=True, default=_plain, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


_FINGERPRINT: list[str] = []


def code_fingerprint() -> str:
    """SHA-256 of every ``.py`` file of the bmexp package (an edited checkout gets new entries)."""
    if not _FINGERPRINT:
        h = hashlib.sha256()
        root = Path(__file__).resolve().parent
        for path in sorted(root.rglob("*.py")):
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
        _FINGERPRINT.append(h.hexdigest())
    return _FINGERPRINT[0]


class ResultCache:
    """JSON values by content key in ``folder`` (created on first write)."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def _entry(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> Any | None:
        """The entry's value, or None if there is none (or it cannot be read)."""
        try:
            return json.loads(self._entry(key).read_text())
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            return None

    @contextmanager
    def _locked(self, key: str) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released by the kernel when this process ends, however
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def put(self, key: str, value: Any) -> None:
        """Write ``value`` whole or not at all (temporary file, then ``os.replace``); call under the lock."""
        for stale in self.folder.glob(f".{key}.*.tmp"):  # left by a writer killed half-way
            stale.unlink(missing_ok=True)
        tmp = self.folder / f".{key}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            json.dump(value, f, allow_nan=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._entry(key))

    def get_or_compute(self, key: str, compute: Callable[[], Any]) -> tuple[Any, bool]:
        """``(value, computed)``: the entry if present, else ``compute()`` stored under ``key``.

        While one process computes an entry, others asking for the same key wait for it.
        """
        value = self.get(key)
        if value is not None:
            return value, False
        with self._locked(key):
            value = self.get(key)
            if value is not None:
                return value, False
            value = compute()
            self.put(key, value)
            return value, True
