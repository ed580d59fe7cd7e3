"""Backups: SQLite's online backup API; PostgreSQL through pg_dump (custom format)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url


def default_target(url: str, folder: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = ".sqlite" if url.startswith("sqlite") else ".dump"
    return folder / f"aftercare-{stamp}{suffix}"


def backup_sqlite(url: str, target: Path, progress: Callable[[int, int], None]) -> int:
    """Copy a live SQLite database page by page (writers may go on); return its size."""
    source_path = make_url(url).database
    if not source_path:
        raise ValueError("an in-memory SQLite database cannot be backed up")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(source_path)
    destination = sqlite3.connect(target)
    try:
        source.backup(
            destination,
            pages=256,
            progress=lambda _status, remaining, total: progress(total - remaining, total),
        )
    finally:
        destination.close()
        source.close()
    return target.stat().st_size


def backup_postgresql(url: str, target: Path) -> int:
    """pg_dump --format=custom (restore with pg_restore --clean --dbname=…)."""
    if shutil.which("pg_dump") is None:
        raise RuntimeError("pg_dump is not installed (apt-get install postgresql-client)")
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pg_dump", "--format=custom", f"--file={target}", plain], check=True)
    return target.stat().st_size
