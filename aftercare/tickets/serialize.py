"""Ticket JSON built with plain dicts: the hot path of the list API.

Marshmallow costs about a third of a 25-row list request, so the list and detail
endpoints build their JSON here. `TicketSchema` (tickets/schemas.py) documents the
shape (OpenAPI) and a test checks both give the same JSON for the same ticket.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import current_app

from aftercare.core.pagination import Page

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

    Datetimes (naive UTC) and dates stay as they are: `iso_response` writes them.
    Tags arrive as their stored JSON text and go out verbatim, never parsed.
    """
    data = dict(zip(fields or row._fields, row, strict=True))
    data["tags"] = orjson.Fragment(data.pop("tags_json"))
    claim = {key: data.pop(column) for column, key in CLAIM_FIELDS}
    data["claim"] = claim if claim["id"] is not None else None
    return data


def ticket_page_body(page: Page) -> bytes:
    fields = page.items[0]._fields if page.items else ()
    items = [ticket_json(t, fields) for t in page.items]
    return current_app.json.iso_body({"items": items, "next_cursor": page.next_cursor})


def ticket_body(row: Any) -> bytes:
    return current_app.json.iso_body(ticket_json(row))
