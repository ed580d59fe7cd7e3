"""Writing and verifying audit events."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from flask import current_app, g, has_request_context
from sqlalchemy import insert, select, text
from sqlalchemy.orm import scoped_session

from aftercare.audit.models import AuditEvent
from aftercare.db import utcnow
from aftercare.domain.audit_chain import GENESIS, HMAC_SCHEME, first_broken_link, link_hmac
from aftercare.extensions import db

# Any constant works; it names the advisory lock that serialises the chain on PostgreSQL.
AUDIT_CHAIN_LOCK = 7_301_021
# PostgreSQL: take that lock, then read the last link with a snapshot taken after it.
CHAIN_HEAD = text("SELECT id, hash FROM audit_chain_head(:k)")


class ChainHead(NamedTuple):
    """The chain's last link as read under its lock (id 0 and GENESIS: no link yet)."""

    id: int
    hash: str


def audit_key() -> bytes:
    """The chain's HMAC key (config AUDIT_KEY), kept outside the database."""
    key = current_app.config.get("AUDIT_KEY")
    if not key:
        raise RuntimeError("AUDIT_KEY가 설정되지 않았습니다 / AUDIT_KEY is not configured")
    return key.encode()


def _payload(event: Mapping[str, Any]) -> dict[str, Any]:
    """What an event's hash covers: its columns but the two hashes, the time in ISO form."""
    return {
        "id": event["id"],
        "created_at": event["created_at"].isoformat(timespec="microseconds"),
        "actor_id": event["actor_id"],
        "action": event["action"],
        "object_type": event["object_type"],
        "object_id": event["object_id"],
        "before": event["before"],
        "after": event["after"],
        "request_id": event["request_id"],
    }


def record_event(
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> int:
    """Append one event to the chain inside the caller's transaction; return its id.

    The chain is serialised: PostgreSQL by an advisory lock held to commit (so call
    this last in a transaction), taken with the read of the last link in one call
    (migration 0009), SQLite by its single writer.
    """
    return record_events(actor_id, action, object_type, [(object_id, before, after)])[0]


def record_events(
    actor_id: int | None,
    action: str,
    object_type: str,
    events: list[tuple[int | None, dict[str, Any] | None, dict[str, Any] | None]],
) -> list[int]:
    """Append one event per (object id, before, after), in order, under one lock."""
    session = db.session
    session.flush()  # the caller's changes go out before the chain is locked, not under it
    key = audit_key()
    last = _read_chain_head(session)
    request_id = g.get("request_id", "") if has_request_context() else ""
    rows = []
    for object_id, before, after in events:
        event = {
            "id": last.id + 1,
            "created_at": utcnow(),
            "actor_id": actor_id,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "before": json.dumps(before or {}, sort_keys=True, ensure_ascii=False, default=str),
            "after": json.dumps(after or {}, sort_keys=True, ensure_ascii=False, default=str),
            "request_id": request_id,
            "prev_hash": last.hash,
            "hash_scheme": HMAC_SCHEME,
        }
        event["hash"] = link_hmac(key, last.hash, _payload(event))
        rows.append(event)
        last = ChainHead(event["id"], event["hash"])
    if rows:
        session.execute(insert(AuditEvent.__table__), rows)
    return [row["id"] for row in rows]


def _read_chain_head(session: scoped_session) -> ChainHead:
    if session.get_bind().dialect.name == "postgresql":
        last = session.execute(CHAIN_HEAD, {"k": AUDIT_CHAIN_LOCK}).first()
    else:
        last = session.execute(
            select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
        ).first()
    return ChainHead(*last) if last else ChainHead(0, GENESIS)


def verify_chain(batch: int = 5000) -> tuple[int, tuple[int, str] | None]:
    """Return (events checked, first broken link or None), reading in batches."""
    events = AuditEvent.__table__

    def rows():
        last_id = 0
        while True:
            chunk = (
                db.session.execute(
                    select(events).where(events.c.id > last_id).order_by(events.c.id).limit(batch)
                )
                .mappings()
                .all()
            )
            if not chunk:
                return
            for event in chunk:
                yield (
                    event["id"],
                    event["prev_hash"],
                    event["hash"],
                    event["hash_scheme"],
                    _payload(event),
                )
            last_id = chunk[-1]["id"]

    count = 0

    def counted():
        nonlocal count
        for row in rows():
            count += 1
            yield row

    broken = first_broken_link(counted(), audit_key())
    return count, broken


def committed_head() -> ChainHead:
    """The last committed link, read without the chain's lock (checkpoints, verification)."""
    last = db.session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    return ChainHead(*last) if last else ChainHead(0, GENESIS)


def hashes_at(sequences: list[int]) -> dict[int, str]:
    """The stored hash of each event whose id is in `sequences`."""
    found: dict[int, str] = {}
    for start in range(0, len(sequences), 500):  # SQLite caps bound parameters
        rows = db.session.execute(
            select(AuditEvent.id, AuditEvent.hash).where(
                AuditEvent.id.in_(sequences[start : start + 500])
            )
        )
        found.update(rows.all())
    return found
