"""Pages of the meisters feature."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("meisters", __name__, url_prefix="/meisters")
