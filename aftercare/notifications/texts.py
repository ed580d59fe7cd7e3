"""What each kind of notification says, in the reader's language."""

from __future__ import annotations

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from aftercare.domain.text import N_
from aftercare.notifications.models import Notification

TEXTS = {
    "ticket_filed": N_("New ticket #%(ticket)s waits for triage"),
    "ticket_rejected": N_("Ticket #%(ticket)s was rejected at triage"),
    "assigned": N_("Ticket #%(ticket)s was assigned to you"),
    "accepted": N_("The Meister accepted ticket #%(ticket)s"),
    "declined": N_("The Meister declined ticket #%(ticket)s"),
    "resolved": N_("Ticket #%(ticket)s was resolved: please confirm the work"),
    "confirmed": N_("The firm confirmed ticket #%(ticket)s"),
    "reopened": N_("The firm reopened ticket #%(ticket)s"),
    "sla_breach": N_("Ticket #%(ticket)s is past its SLA"),
    "project_overdue": N_("Ticket #%(ticket)s is past its project deadline"),
    "claim_approved": N_("The claim for ticket #%(ticket)s was approved"),
    "claim_rejected": N_("The claim for ticket #%(ticket)s was rejected"),
    "reconciliation_breach": N_("Ledger reconciliation found a breach"),
    "firm_payment_overdue": N_(
        "The firm's share for ticket #%(ticket)s is not confirmed 60 days after approval"
    ),
    "recovery_opened": N_("A recovery case was opened on settled claims"),
    "recovery_decided": N_("A recovery case was decided"),
    "recovery_objection": N_("The firm objected to a recovery decision"),
    "recovery_objection_decided": N_("The objection to a recovery decision was answered"),
    "recovery_due_soon": N_("A recovery payment is due within 7 days"),
    "recovery_overdue": N_("A recovery payment is overdue"),
}


def render_text(notification: Notification, language: str | None = None) -> str:
    template = TEXTS.get(notification.kind, "%(ticket)s")
    if language is None:
        return gettext(template, ticket=notification.ticket_id or "")
    with force_locale(language):
        return gettext(template, ticket=notification.ticket_id or "")


# What each kind is about, for the settings page (no ticket number: it names the event).
KIND_LABELS = {
    "ticket_filed": _l("A new ticket waits for triage"),
    "ticket_rejected": _l("Your ticket was rejected at triage"),
    "assigned": _l("A ticket was assigned to you"),
    "accepted": _l("The Meister accepted your ticket"),
    "declined": _l("A Meister declined a ticket"),
    "resolved": _l("Your ticket was resolved and waits for your confirmation"),
    "confirmed": _l("The firm confirmed the work"),
    "reopened": _l("The firm reopened a ticket"),
    "sla_breach": _l("A ticket is past its SLA"),
    "project_overdue": _l("A project is past its deadline"),
    "claim_approved": _l("A cost-share claim was approved"),
    "claim_rejected": _l("A cost-share claim was rejected"),
    "reconciliation_breach": _l("Ledger reconciliation found a breach"),
    "firm_payment_overdue": _l("A firm's own share is not confirmed 60 days after approval"),
    "recovery_opened": _l("A recovery case was opened"),
    "recovery_decided": _l("A recovery case was decided"),
    "recovery_objection": _l("A firm objected to a recovery decision"),
    "recovery_objection_decided": _l("An objection to a recovery decision was answered"),
    "recovery_due_soon": _l("A recovery payment is due within 7 days"),
    "recovery_overdue": _l("A recovery payment is overdue"),
}
