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


def ticket_json(t: Any) -> dict:
    """The JSON of a ticket row of `queries.ticket_page` / `queries.ticket_row`."""
    return {
        "id": t.id,
        "firm_id": t.firm_id,
        "firm_name": t.firm_name,
        "category": t.category,
        "support_type": t.support_type,
        "severity": t.severity,
        "title": t.title,
        "description": t.description,
        "system": t.system,
        "tags": list(t.tags),
        "status": t.status,
        "meister_id": t.meister_id,
        "asset_id": t.asset_id,
        "sla_breached": t.sla_breached,
        "project_overdue": t.project_overdue,
        "project_deadline": _day(t.project_deadline),
        "deadline_extended": t.deadline_extended,
        "created_at": _utc(t.created_at),
        "updated_at": _utc(t.updated_at),
        "triage_due_at": _utc(t.triage_due_at),
        "resolution_due_at": _utc(t.resolution_due_at),
        "resolved_at": _utc(t.resolved_at),
        "rating": t.rating,
        "claim": None
        if t.claim_id is None
        else {
            "id": t.claim_id,
            "status": t.claim_status,
            "eligible_total": t.claim_eligible_total,
            "government_share": t.claim_government_share,
        },
    }


def ticket_page_response(page: Page) -> Response:
    items = [ticket_json(t) for t in page.items]
    return current_app.json.response({"items": items, "next_cursor": page.next_cursor})


def ticket_response(row: Any) -> Response:
    return current_app.json.response(ticket_json(row))
