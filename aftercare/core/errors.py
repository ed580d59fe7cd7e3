"""One place per edge to turn errors into answers: JSON under /api/, HTML elsewhere."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from aftercare.domain.errors import DomainError, ValidationFailed
from aftercare.extensions import db

JSON_PREFIXES = ("/api/", "/choices/")  # the API, and the lists choosers search


def wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES)


def json_error(
    code: int,
    message: str,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Any:
    """The error body of SPEC §8."""
    payload: dict[str, Any] = {
        "code": code,
        "status": HTTP_STATUS_CODES.get(code, "Unknown"),
        "message": message,
    }
    if errors is not None:
        payload["errors"] = errors
    payload.update({k: v for k, v in extra.items() if v is not None})
    return jsonify(payload), code, headers or {}


def flatten_messages(messages: Any) -> dict[str, list[str]]:
    """webargs nests messages by location ({"json": {field: [...]}}); clients want fields."""
    flat: dict[str, list[str]] = {}
    if not isinstance(messages, dict):
        return {"_schema": [str(messages)]}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            for field, msgs in fields.items():
                flat.setdefault(str(field), []).extend(_as_list(msgs))
        else:
            flat.setdefault(str(location), []).extend(_as_list(fields))
    return flat


def _as_list(msgs: Any) -> list[str]:
    if isinstance(msgs, list):
        return [m if isinstance(m, str) else str(m) for m in msgs]
    if isinstance(msgs, dict):  # nested (list items, sub-objects)
        return [f"{k}: {v}" for k, v in msgs.items()]
    return [str(msgs)]


def render_error_page(code: int, message: str | None = None) -> Any:
    return render_template("errors/error.html", code=code, message=message), code


def handle_http_exception(error: HTTPException) -> Any:
    if error.response is not None:  # an answer made for the occasion (the sign-in throttle)
        return error.response
    code = error.code or 500
    if wants_json():
        data = getattr(error, "data", None) or {}
        errors = flatten_messages(data["messages"]) if "messages" in data else None
        if code == 422 and errors is not None:
            message = "Validation failed"
        else:
            message = data.get("message") or error.description or ""
        headers = dict(data.get("headers") or {})
        if code == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="aftercare"')
        return json_error(code, message, errors=errors, headers=headers)
    if code == 405 or code >= 500 or code in (400, 401, 403, 404, 413, 429):
        return render_error_page(code, _error_text(code))
    return render_error_page(code, error.description)


def _error_text(code: int) -> str:
    texts = {
        400: _("The request could not be understood."),
        401: _("Please sign in first."),
        403: _("You do not have permission to do this."),
        404: _("The page you asked for does not exist or is not yours to see."),
        405: _("This address does not accept that kind of request."),
        413: _("The file is too large."),
        429: _("Too many attempts. Please wait a minute and try again."),
        500: _("Something went wrong on our side. The team has been told."),
        503: _("The service is busy. Please try again shortly."),
    }
    return texts.get(code, texts[500])


def handle_domain_error(error: DomainError) -> Any:
    db.session.rollback()
    code = error.http_status
    if wants_json():
        errors = error.errors if isinstance(error, ValidationFailed) else None
        return json_error(code, error.message, errors=errors, **error.extra)
    return render_error_page(code, error.message or _error_text(code))


def handle_unexpected(error: Exception) -> Any:
    db.session.rollback()
    if isinstance(error, OperationalError):
        current_app.logger.warning("database unavailable: %s", error)
        code = 503
    else:
        current_app.logger.exception("unhandled error")
        code = 500
    if wants_json():
        return json_error(code, "Internal server error" if code == 500 else "Service unavailable")
    return render_error_page(code, _error_text(code))


def init_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(Exception, handle_unexpected)
