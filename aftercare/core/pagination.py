"""Keyset pagination: newest first by id, with an opaque cursor (no OFFSET)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam

from aftercare.domain.errors import ValidationFailed
from aftercare.domain.vocab import MAX_ID
from aftercare.extensions import db

MAX_LIMIT = 100


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, _, value = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        if kind != "id" or not value.isdigit() or int(value) > MAX_ID + 1:
            raise ValueError(cursor)
        return int(value)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValidationFailed({"cursor": ["Not a valid cursor."]}) from error


def parse_limit(raw: Any, default: int = 25) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError) as error:
        raise ValidationFailed({"limit": ["Must be a whole number from 1 to 100."]}) from error
    if not 1 <= value <= MAX_LIMIT:
        raise ValidationFailed({"limit": ["Must be a whole number from 1 to 100."]})
    return value


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def keyset_page(stmt: Select, id_column: Any, limit: int, cursor: str | None) -> Page:
    """Run `stmt` newest first: `limit` objects after `cursor` (one more tells if more exist)."""
    stmt = newest_first(stmt, id_column, limit, cursor)
    return page_of(db.session.scalars(stmt).unique().all(), limit)


def newest_first(stmt: Select, id_column: Any, limit: int, cursor: str | None) -> Select:
    """`stmt` ordered newest first: `limit + 1` rows after `cursor` (the extra: more exist).

    The row count is written into the SQL (``LIMIT 26``), not sent as a parameter.
    PostgreSQL keeps a prepared statement's plan only when its generic plan costs no
    more than the custom ones, and with a LIMIT parameter the generic plan looks like
    it fetches a tenth of the table, so every list query was planned afresh: 0.2-0.3 ms
    of the server's CPU per page on the bench data. SQLAlchemy's `literal_execute`
    renders the number at execution time and keeps the compiled statement cached.
    """
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(id_column < after)
    rows = bindparam("page_rows", limit + 1, literal_execute=True)
    return stmt.order_by(id_column.desc()).limit(rows)


def page_of(rows: list[Any], limit: int) -> Page:
    """The page of up to `limit + 1` rows fetched newest first (the extra row: more exist)."""
    items = list(rows[:limit])
    more = len(rows) > limit and items
    return Page(items, encode_cursor(items[-1].id) if more else None)
