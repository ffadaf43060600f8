"""Provenance of a run: bmexp version, git commit, config hash."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

__all__ = ["config_hash", "job_hash", "git_commit", "provenance_tags"]


def config_hash(config: dict) -> str:
    """SHA-256 (first 16 hex digits) of the canonical JSON of a config."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


def job_hash(resolved: dict) -> str:
    """The hash of a job's resolved config that names its experiment: not where it is logged
    (``tracking``) or how many threads ran it (``threads``).  A resumed sweep skips the hashes it finished."""
    return config_hash({k: v for k, v in resolved.items() if k not in ("tracking", "threads")})


def git_commit(path: str | Path | None = None) -> str | None:
    """The commit checked out at ``path`` (default: the package's checkout), or None."""
    where = Path(path) if path else Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def provenance_tags() -> dict[str, str]:
    from . import __version__

    tags = {"bmexp.version": __version__}
    commit = git_commit()
    if commit:
        tags["bmexp.git_commit"] = commit
    return tags
