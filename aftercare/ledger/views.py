"""Pages of the ledger feature."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ledger", __name__, url_prefix="/ledger")
