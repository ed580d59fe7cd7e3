"""Signed checkpoints of the audit chain's head, kept as files outside the database.

A checkpoint records the chain's last event (sequence = its id, hash) and the time,
signed with AUDIT_KEY. One file per checkpoint, never overwritten: whoever rewrites
or cuts the chain's tail in the database cannot make the files agree with it. The
daily `audit_checkpoint` job and `flask audit checkpoint` write them; `flask audit
verify` checks the chain against them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app

from aftercare.audit.services import audit_key, committed_head, hashes_at
from aftercare.domain.audit_chain import (
    HMAC_SCHEME,
    canonical_json,
    checkpoint_problem,
    checkpoint_signature,
)
from aftercare.extensions import db

FORMAT_VERSION = 1
PATTERN = "audit-checkpoint-*.json"
UNREADABLE = "checkpoint file cannot be read"
FIELDS = ("version", "sequence", "hash", "created_at", "signature")


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    record: dict[str, Any]

    @property
    def sequence(self) -> int:
        return int(self.record["sequence"])


@dataclass(frozen=True)
class CheckpointProblem:
    name: str  # the file's name
    sequence: int | None
    why: str  # one of aftercare.domain.audit_chain's checkpoint reasons, or UNREADABLE


def checkpoint_dir() -> Path:
    return Path(current_app.config["AUDIT_CHECKPOINT_DIR"])


def write_checkpoint(now: datetime | None = None) -> Checkpoint:
    """Sign the committed head of the chain and write it to a new file."""
    head = committed_head()
    db.session.rollback()  # a read only: end it (SQLite holds its write lock meanwhile)
    when = (now or datetime.now(UTC)).astimezone(UTC)
    record: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "scheme": HMAC_SCHEME,
        "sequence": head.id,
        "hash": head.hash,
        "created_at": when.isoformat(timespec="microseconds"),
    }
    record["signature"] = checkpoint_signature(audit_key(), record)
    name = f"audit-checkpoint-{when:%Y%m%dT%H%M%S%fZ}-{head.id}.json"
    path = _write_new_file(checkpoint_dir(), name, canonical_json(record) + "\n")
    return Checkpoint(path, record)


def _write_new_file(directory: Path, name: str, text: str) -> Path:
    """Write to a temporary file, then link it in: a file is whole or absent, never replaced."""
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / name
    temporary = directory / f".{name}.{os.getpid()}.tmp"
    with temporary.open("x", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    try:
        os.link(temporary, final)  # FileExistsError rather than overwrite
    finally:
        temporary.unlink()
    final.chmod(0o444)
    return final


def read_checkpoints(directory: Path) -> tuple[list[Checkpoint], list[CheckpointProblem]]:
    """Every checkpoint file in `directory`, oldest first, and those that cannot be read."""
    found, problems = [], []
    for path in sorted(directory.glob(PATTERN)) if directory.is_dir() else []:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            int(record["sequence"])
            if not all(field in record for field in FIELDS):
                raise KeyError(FIELDS)
        except (OSError, ValueError, KeyError, TypeError):
            problems.append(CheckpointProblem(path.name, None, UNREADABLE))
            continue
        found.append(Checkpoint(path, record))
    return found, problems


def verify_checkpoints() -> tuple[int, list[CheckpointProblem]]:
    """Check the chain against every checkpoint: (checkpoints read, problems found)."""
    checkpoints, problems = read_checkpoints(checkpoint_dir())
    head = committed_head()
    stored = hashes_at(sorted({c.sequence for c in checkpoints}))
    db.session.rollback()
    key = audit_key()
    for checkpoint in checkpoints:
        why = checkpoint_problem(key, checkpoint.record, head.id, stored.get(checkpoint.sequence))
        if why is not None:
            problems.append(CheckpointProblem(checkpoint.path.name, checkpoint.sequence, why))
    return len(checkpoints), problems


def run_checkpoint_job() -> dict:
    """The daily scheduled job: one checkpoint of the chain's head."""
    checkpoint = write_checkpoint()
    return {"sequence": checkpoint.sequence, "file": checkpoint.path.name}
