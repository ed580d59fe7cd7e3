"""Imports every model so SQLAlchemy's metadata (and Alembic) sees the whole schema."""

from aftercare.audit.models import AuditEvent
from aftercare.auth.models import ApiToken, User
from aftercare.firms.models import Firm
from aftercare.jobs.models import JobRun, SchedulerLease
from aftercare.ledger.models import FirmUsage, FiscalYear, LedgerAccount, LedgerTransaction, Posting
from aftercare.meisters.models import MeisterProfile
from aftercare.notifications.models import Notification
from aftercare.tickets.models import Attachment, Comment, Ticket, TicketHistory

__all__ = [
    "ApiToken", "Attachment", "AuditEvent", "Comment", "Firm", "FirmUsage", "FiscalYear",
    "JobRun", "LedgerAccount", "LedgerTransaction", "MeisterProfile", "Notification", "Posting",
    "SchedulerLease", "Ticket", "TicketHistory", "User",
]  # fmt: skip
