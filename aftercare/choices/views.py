"""GET /choices/<kind>?q=…: the matches a chooser shows, as [{id, label, detail}]."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from aftercare.choices.fields import filter_chooser
from aftercare.choices.kinds import KINDS, MAX_QUERY, Kind
from aftercare.core.errors import json_error

bp = Blueprint("choices", __name__, url_prefix="/choices")
bp.add_app_template_global(filter_chooser, "filter_chooser")


def _answer(kind: Kind) -> Any:
    """Signed in with a role that picks from `kind` (else 401/403), a short query, the matches."""
    if not current_user.is_authenticated:
        return json_error(401, _("Please sign in first."))
    if current_user.role not in kind.roles:
        return json_error(403, _("You do not have permission to do this."))
    q = request.args.get("q", "")
    if len(q) > MAX_QUERY:
        message = _("Search with at most %(count)d characters.", count=MAX_QUERY)
        return json_error(400, message, errors={"q": [message]})
    include_inactive = request.args.get("inactive") == "1"
    response = jsonify([choice.as_json() for choice in kind.search(q, include_inactive)])
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/firms")
def firms() -> Any:
    return _answer(KINDS["firms"])


@bp.get("/meisters")
def meisters() -> Any:
    return _answer(KINDS["meisters"])


@bp.get("/suppliers")
def suppliers() -> Any:
    return _answer(KINDS["suppliers"])
