"""Deterministic export file names and atomic replacement.

A file is written to a hidden temporary name in the target folder, flushed
to disk, then swapped in with `os.replace`: a reader (or a mail attachment)
sees the old complete file or the new complete file, never a partial one,
and a failed export leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from pipelines.export.periods import Period

FORMATS = ("xlsx", "pdf", "csv", "parquet")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def sites_slug(sites: Sequence[str]) -> str:
    """'all-sites' or the sorted site codes joined by '+', safe for file names."""
    if not sites:
        return "all-sites"
    return "+".join(_UNSAFE.sub("-", site) for site in sorted(set(sites)))


def export_name(period: Period, sites: Sequence[str], lang: str, extension: str) -> str:
    """e.g. serviq_scorecard_week_2026-07-26_all-sites_zh.xlsx (the date is the as-of day)."""
    return (
        f"serviq_scorecard_{period.kind}_{period.end.isoformat()}_"
        f"{sites_slug(sites)}_{lang}.{extension}"
    )


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path next to `target`; on success it replaces `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(target: Path, payload: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(payload)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
