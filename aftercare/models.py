"""Imports every model so SQLAlchemy's metadata (and Alembic) sees the whole schema."""

from aftercare.audit.models import AuditEvent
from aftercare.auth.models import ApiToken, User
from aftercare.firms.models import Firm
from aftercare.ledger.models import FirmUsage, FiscalYear, LedgerAccount, LedgerTransaction, Posting
from aftercare.meisters.models import MeisterProfile

__all__ = [
    "ApiToken", "AuditEvent", "Firm", "FirmUsage", "FiscalYear", "LedgerAccount",
    "LedgerTransaction", "MeisterProfile", "Posting", "User",
]  # fmt: skip
