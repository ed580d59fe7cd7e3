"""Writing and verifying audit events."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from flask import g, has_request_context
from sqlalchemy import Select, TableValuedAlias, func, insert, select, text
from sqlalchemy.orm import scoped_session

from aftercare.audit.models import AuditEvent
from aftercare.db import utcnow
from aftercare.domain.audit_chain import GENESIS, first_broken_link, link_hash
from aftercare.extensions import db

# Any constant works; it names the advisory lock that serialises the chain on PostgreSQL.
AUDIT_CHAIN_LOCK = 7_301_021
# PostgreSQL: take that lock, then read the last link with a snapshot taken after it.
CHAIN_HEAD = text("SELECT id, hash FROM audit_chain_head(:k)")


class ChainHead(NamedTuple):
    """The chain's last link as read under its lock (id 0 and GENESIS: no link yet)."""

    id: int
    hash: str


def locked_chain_head() -> TableValuedAlias:
    """PostgreSQL: the chain's lock and last link (no row: no link yet), as a FROM item.

    For a caller that takes the lock inside a statement of its own instead of a round
    trip of its own, then passes the link to `record_event` as `head` (`chain_head_of`).
    """
    return func.audit_chain_head(AUDIT_CHAIN_LOCK).table_valued("id", "hash").alias("head")


def chain_head_of(last_id: int | None, last_hash: str | None) -> ChainHead:
    return ChainHead(last_id, last_hash) if last_id is not None else ChainHead(0, GENESIS)


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
    head: ChainHead | None = None,
) -> int:
    """Append one event to the chain inside the caller's transaction; return its id.

    The chain is serialised: PostgreSQL by an advisory lock held to commit (so call
    this late in a transaction), taken with the read of the last link in one call
    (migration 0009), SQLite by its single writer. `head`: the last link, when the
    caller already took the lock and read it in a statement of its own
    (`locked_chain_head`); the caller's unflushed changes then go out under the lock.
    """
    session = db.session
    session.flush()  # the caller's changes go out before the chain is locked, not under it
    last = head if head is not None else _read_chain_head(session)
    event = {
        "id": last.id + 1,
        "created_at": utcnow(),
        "actor_id": actor_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "before": json.dumps(before or {}, sort_keys=True, ensure_ascii=False, default=str),
        "after": json.dumps(after or {}, sort_keys=True, ensure_ascii=False, default=str),
        "request_id": g.get("request_id", "") if has_request_context() else "",
        "prev_hash": last.hash,
    }
    event["hash"] = link_hash(last.hash, _payload(event))
    # A Core insert of plain values: the event is never read back as an object here.
    session.execute(insert(AuditEvent.__table__), event)
    return event["id"]


def _read_chain_head(session: scoped_session) -> ChainHead:
    if session.get_bind().dialect.name == "postgresql":
        last = session.execute(CHAIN_HEAD, {"k": AUDIT_CHAIN_LOCK}).first()
    else:
        last = session.execute(_last_link()).first()
    return chain_head_of(*last) if last else chain_head_of(None, None)


@functools.cache
def _last_link() -> Select:
    return select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)


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
                yield event["id"], event["prev_hash"], event["hash"], _payload(event)
            last_id = chunk[-1]["id"]

    count = 0

    def counted():
        nonlocal count
        for row in rows():
            count += 1
            yield row

    broken = first_broken_link(counted())
    return count, broken
