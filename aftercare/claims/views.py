"""Pages of the claims feature."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("claims", __name__, url_prefix="/claims")
