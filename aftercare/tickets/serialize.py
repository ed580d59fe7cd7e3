"""Ticket JSON built with plain dicts: the hot path of the list API.

Marshmallow costs about a third of a 25-row list request, so the list and detail
endpoints build their JSON here. `TicketSchema` in api.py still documents the
shape (OpenAPI) and a test checks both give the same JSON for the same ticket.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Response, current_app

from aftercare.pagination import Page


def _utc(value: datetime | None) -> str | None:
    """ISO 8601 in UTC; stored datetimes are naive UTC, so the offset is appended."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.isoformat() + "+00:00"
    return value.astimezone(UTC).isoformat()


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


UTC_TIMES = ("created_at", "updated_at", "triage_due_at", "resolution_due_at", "resolved_at")
CLAIM_FIELDS = (
    ("claim_id", "id"),
    ("claim_status", "status"),
    ("claim_eligible_total", "eligible_total"),
    ("claim_government_share", "government_share"),
)


def ticket_json(row: Any, fields: tuple[str, ...] | None = None) -> dict:
    """The JSON of a ticket row of `queries.ticket_page` / `queries.ticket_row`.

    Built from the column names (zip), not attribute by attribute: a named lookup
    on a row costs as much as the rest of the conversion. A page passes the names
    of its rows once as `fields`.
    """
    data = dict(zip(fields or row._fields, row, strict=True))
    for name in UTC_TIMES:
        data[name] = _utc(data[name])
    data["project_deadline"] = _day(data["project_deadline"])
    data["tags"] = list(data["tags"])
    claim = {key: data.pop(column) for column, key in CLAIM_FIELDS}
    data["claim"] = claim if claim["id"] is not None else None
    return data


def ticket_page_response(page: Page) -> Response:
    fields = page.items[0]._fields if page.items else ()
    items = [ticket_json(t, fields) for t in page.items]
    return current_app.json.response({"items": items, "next_cursor": page.next_cursor})


def ticket_response(row: Any) -> Response:
    return current_app.json.response(ticket_json(row))
