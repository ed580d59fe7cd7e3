"""Schemas shared by every API resource."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, fields, validate

from aftercare.domain.vocab import MAX_ID


class UtcDateTime(fields.DateTime):
    """Stored naive-UTC datetimes, written with their offset (…+00:00)."""

    def _serialize(self, value: datetime | None, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.isoformat()


def Won(**kwargs: Any) -> fields.Integer:  # noqa: N802 - reads like a field class
    """An integer amount of won; strict, so 1.5 or "100" is refused."""
    kwargs.setdefault("validate", validate.Range(min=0))
    return fields.Integer(strict=True, **kwargs)


def Id(**kwargs: Any) -> fields.Integer:  # noqa: N802 - reads like a field class
    """A row id: a strict integer from 1 to the largest value a database id holds."""
    kwargs.setdefault("validate", validate.Range(min=1, max=MAX_ID))
    kwargs.setdefault("strict", True)  # query strings pass strict=False: their values are text
    return fields.Integer(**kwargs)


class ListQuery(Schema):
    limit = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))
    cursor = fields.String(load_default=None)


class ErrorSchema(Schema):
    code = fields.Integer()
    status = fields.String()
    message = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    reason = fields.String()
    current_status = fields.String()


def list_schema(item: type[Schema], name: str) -> type[Schema]:
    """`{"items": [...], "next_cursor": ...}` around `item`."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item)),
            "next_cursor": fields.String(allow_none=True),
        },
        name=name,
    )


# The request body of an upload: one multipart field `file` (OpenAPI).
MULTIPART_FILE = {
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        }
    }
}
