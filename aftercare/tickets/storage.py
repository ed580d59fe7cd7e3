"""Attachment files on disk, outside static/, under random names."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from flask import current_app


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def path_for(stored_name: str) -> Path:
    # stored names are hex we generated; the check keeps any other value off the disk path
    if not stored_name.isalnum():
        raise ValueError("bad stored name")
    return upload_root() / stored_name[:2] / stored_name


def save_bytes(data: bytes) -> tuple[str, str]:
    """Write `data` under a new random name; return (stored name, sha256)."""
    stored_name = secrets.token_hex(16)
    path = path_for(stored_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return stored_name, hashlib.sha256(data).hexdigest()


def remove(stored_name: str) -> None:
    path_for(stored_name).unlink(missing_ok=True)
