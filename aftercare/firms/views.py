"""Pages of the firms feature."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("firms", __name__, url_prefix="/firms")
