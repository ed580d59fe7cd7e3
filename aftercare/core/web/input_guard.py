"""Refuse NUL characters in any input before a view sees them.

PostgreSQL cannot store U+0000 in text, so a NUL in a search box or a title would
otherwise end as a 500 there (SQLite would quietly store it). One check for every
request: query string, form fields and JSON bodies.
"""

from __future__ import annotations

from typing import Any

from flask import request

from aftercare.domain.errors import ValidationFailed

MESSAGE = "NUL characters are not allowed."


def _fields_with_nul(pairs) -> list[str]:
    return sorted({key.replace("\x00", "") or "_" for key, value in pairs if "\x00" in key + value})


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _json_fields_with_nul(body: Any) -> list[str]:
    """Top-level field names whose value holds a NUL anywhere inside."""
    if isinstance(body, dict):
        return sorted(
            str(k).replace("\x00", "") or "_" for k, v in body.items() if _has_nul(k) or _has_nul(v)
        )
    return ["_"] if _has_nul(body) else []


def _is_html_form() -> bool:
    """Page forms only: the API takes JSON and answers any other body itself (400)."""
    form_types = ("application/x-www-form-urlencoded", "multipart/form-data")
    return request.mimetype in form_types and not request.path.startswith("/api/")


def refuse_nul_characters() -> None:
    bad = _fields_with_nul(request.args.items(multi=True))
    if request.is_json:
        bad += _json_fields_with_nul(request.get_json(silent=True))
    elif _is_html_form():
        bad += _fields_with_nul(request.form.items(multi=True))
    if bad:
        raise ValidationFailed({name: [MESSAGE] for name in bad}, message=MESSAGE)
