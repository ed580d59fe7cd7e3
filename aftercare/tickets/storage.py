"""Attachment files on disk, outside static/, under random names."""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import event

from aftercare.db import Session

# Random hex we generated, with the extension of the sniffed type (older files have none).
STORED_NAME = re.compile(r"[0-9a-f]{32}(\.[a-z]{3,4})?")
PENDING = "aftercare.stored_files"  # on Session.info: files written in the open transaction


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def path_for(stored_name: str) -> Path:
    # the check keeps any other value off the disk path
    if not STORED_NAME.fullmatch(stored_name):
        raise ValueError("bad stored name")
    return upload_root() / stored_name[:2] / stored_name


def save_bytes(session: Session, data: bytes, extension: str) -> tuple[str, str]:
    """Write `data` under a new random name; return (stored name, sha256).

    The file belongs to `session`'s transaction: if that rolls back (or ends without
    a commit), the file is removed, so no file outlives the row that names it.
    """
    stored_name = secrets.token_hex(16) + extension
    path = path_for(stored_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    session.info.setdefault(PENDING, []).append(path)
    return stored_name, hashlib.sha256(data).hexdigest()


@event.listens_for(Session, "after_commit")
def _keep_committed_files(session: Session) -> None:
    session.info.pop(PENDING, None)


@event.listens_for(Session, "after_transaction_end")
def _remove_uncommitted_files(session: Session, transaction) -> None:
    if transaction.parent is None:  # the whole transaction, not a savepoint
        for path in session.info.pop(PENDING, ()):
            path.unlink(missing_ok=True)


def remove(stored_name: str) -> None:
    path_for(stored_name).unlink(missing_ok=True)
