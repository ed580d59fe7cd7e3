"""Writing and verifying audit events."""

from __future__ import annotations

import functools
import json
from typing import Any

from flask import g, has_request_context
from sqlalchemy import Select, insert, select, text

from aftercare.audit.models import AuditEvent
from aftercare.db import utcnow
from aftercare.domain.audit_chain import GENESIS, first_broken_link, link_hash
from aftercare.extensions import db

# Any constant works; it names the advisory lock that serialises the chain on PostgreSQL.
AUDIT_CHAIN_LOCK = 7_301_021
# PostgreSQL: take that lock, then read the last link with a snapshot taken after it.
CHAIN_HEAD = text("SELECT id, hash FROM audit_chain_head(:k)")


def _payload(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "created_at": event.created_at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
        "request_id": event.request_id,
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
    this late in a transaction), taken with the read of the last link in one call
    (migration 0009), SQLite by its single writer.
    """
    session = db.session
    session.flush()  # the caller's changes go out before the chain is locked, not under it
    if session.get_bind().dialect.name == "postgresql":
        last = session.execute(CHAIN_HEAD, {"k": AUDIT_CHAIN_LOCK}).first()
    else:
        last = session.execute(_last_link()).first()
    event = AuditEvent(
        id=(last.id + 1) if last else 1,
        created_at=utcnow(),
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=json.dumps(before or {}, sort_keys=True, ensure_ascii=False, default=str),
        after=json.dumps(after or {}, sort_keys=True, ensure_ascii=False, default=str),
        request_id=g.get("request_id", "") if has_request_context() else "",
        prev_hash=last.hash if last else GENESIS,
    )
    event.hash = link_hash(event.prev_hash, _payload(event))
    # A Core insert of the values: the event is never read back as an object here.
    session.execute(
        insert(AuditEvent.__table__),
        {column.key: getattr(event, column.key) for column in AuditEvent.__table__.columns},
    )
    return event.id


@functools.cache
def _last_link() -> Select:
    return select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)


def verify_chain(batch: int = 5000) -> tuple[int, tuple[int, str] | None]:
    """Return (events checked, first broken link or None), reading in batches."""

    def rows():
        last_id = 0
        while True:
            chunk = db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.id > last_id)
                .order_by(AuditEvent.id)
                .limit(batch)
            ).all()
            if not chunk:
                return
            for event in chunk:
                yield event.id, event.prev_hash, event.hash, _payload(event)
            last_id = chunk[-1].id
            db.session.expunge_all()

    count = 0

    def counted():
        nonlocal count
        for row in rows():
            count += 1
            yield row

    broken = first_broken_link(counted())
    return count, broken
