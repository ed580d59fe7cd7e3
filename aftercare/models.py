"""Imports every model so SQLAlchemy's metadata (and Alembic) sees the whole schema."""

from aftercare.api.idempotency_model import IdempotencyRecord
from aftercare.approvals.models import ApprovalRequest
from aftercare.assets.models import Asset
from aftercare.audit.models import AuditEvent
from aftercare.auth.models import ApiToken, User
from aftercare.claims.models import Claim, FirmPayment
from aftercare.firms.models import Firm, Restriction
from aftercare.jobs.models import JobRun, SchedulerLease
from aftercare.ledger.models import (
    FirmUsage,
    FiscalYear,
    LedgerAccount,
    LedgerTransaction,
    Posting,
)
from aftercare.meisters.models import CostLine, MeisterProfile, TicketDecline, Visit
from aftercare.notifications.models import Notification, NotificationPreference
from aftercare.payouts.models import PayoutBatch, PayoutLine, ReconciliationRun
from aftercare.recovery.models import (
    RecoveryCase,
    RecoveryClaim,
    RecoveryEvent,
    RecoveryFile,
    RecoveryPayment,
)
from aftercare.suppliers.models import Supplier
from aftercare.tickets.models import Attachment, Comment, Ticket, TicketHistory

__all__ = [
    "ApiToken",
    "ApprovalRequest",
    "Asset",
    "Attachment",
    "AuditEvent",
    "Claim",
    "Comment",
    "CostLine",
    "Firm",
    "FirmPayment",
    "FirmUsage",
    "FiscalYear",
    "IdempotencyRecord",
    "JobRun",
    "LedgerAccount",
    "LedgerTransaction",
    "MeisterProfile",
    "Notification",
    "NotificationPreference",
    "PayoutBatch",
    "PayoutLine",
    "Posting",
    "ReconciliationRun",
    "RecoveryCase",
    "RecoveryClaim",
    "RecoveryEvent",
    "RecoveryFile",
    "RecoveryPayment",
    "Restriction",
    "SchedulerLease",
    "Supplier",
    "Ticket",
    "TicketDecline",
    "TicketHistory",
    "User",
    "Visit",
]  # fmt: skip
