"""Ticket use cases: filing, triage, cancel, extension, comments, attachments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, insert, select, update

from aftercare.assets.models import Asset
from aftercare.assets.services import ticket_asset_errors
from aftercare.audit.services import record_event, record_events
from aftercare.auth.models import User
from aftercare.db import utcnow
from aftercare.domain import sla
from aftercare.domain.eligibility import eligibility_findings, is_eligible
from aftercare.domain.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from aftercare.domain.filetypes import (
    ALLOWED,
    clean_filename,
    sniff_content_type,
    with_extension,
)
from aftercare.domain.states import (
    CATEGORIES,
    FINAL_STATUSES,
    SEVERITIES,
    SYSTEM,
    Status,
    next_status,
    support_type_for,
)
from aftercare.domain.support_types import EMERGENCY, GROWTH
from aftercare.domain.text import N_
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.firms.restrictions import active_restriction
from aftercare.ledger.queries import current_fiscal_year, fiscal_year_by_year
from aftercare.ledger.support_types import check_open_for_tickets
from aftercare.notifications.services import firm_user_ids, manager_ids, notify
from aftercare.tickets import storage
from aftercare.tickets.models import Attachment, Comment, Ticket, TicketHistory

TITLE_MAX = 200
# Project months when no fiscal year says otherwise (SPEC §3: 6 months, one 2-month extension).
PROJECT_MONTHS = 6
EXTENSION_MONTHS = 2
RESTRICTED = N_("The firm is under a participation restriction: its tickets cannot be accepted.")
TEXT_MAX = 10_000
MAX_TAGS = 10


class PayloadTooLarge(DomainError):
    http_status = 413


@dataclass
class Upload:
    """A file as received: its given name and its bytes."""

    filename: str
    data: bytes


# ---------------------------------------------------------------- access


def ticket_for(
    actor: User, ticket_id: int, lock: bool = False, options: Sequence[Any] = ()
) -> Ticket:
    """The ticket if `actor` may see it; 404 otherwise (existence is not revealed).

    `options` are loader options (say, the relationships a page shows, in the same query).
    """
    if actor.role == "admin":
        raise Forbidden("Administrators do not see tickets")
    ticket = db.session.get(
        Ticket, ticket_id, with_for_update={"of": Ticket} if lock else None, options=options
    )
    if ticket is None or not can_see(actor, ticket):
        raise NotFound("No such ticket")
    return ticket


def can_see(actor: User, ticket: Ticket) -> bool:
    if actor.role == "firm":
        return ticket.firm_id == actor.firm_id
    if actor.role == "meister":
        return ticket.meister_id == actor.id
    return actor.role in ("manager", "auditor")


def _require_role(actor: User, *roles: str) -> None:
    if actor.role not in roles:
        raise Forbidden("Your role may not do this")


def _require_reason(reason: str | None, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({field: [N_("Give a reason.")]})
    if len(reason) > TEXT_MAX:
        raise ValidationFailed({field: [N_("The text is too long.")]})
    return reason


# ---------------------------------------------------------------- history


def write_history(
    ticket: Ticket,
    actor: User | None,
    action: str,
    from_status: str | None,
    to_status: str | None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """A history row and its audit event, in the caller's transaction."""
    db.session.add(
        TicketHistory(
            ticket_id=ticket.id,
            actor_id=actor.id if actor else None,
            action=action,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            details=details or {},
            created_at=utcnow(),
        )
    )
    record_event(
        actor.id if actor else None,
        f"ticket.{action}",
        "ticket",
        ticket.id,
        before={"status": from_status},
        after={"status": to_status, "reason": reason, **(details or {})},
    )


def transition(
    ticket: Ticket,
    actor: User | None,
    action: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> str:
    """Move `ticket` by `action` if the state machine allows it; return the old status."""
    role = actor.role if actor else SYSTEM
    new_status = next_status(action, ticket.status, role)
    old_status = ticket.status
    ticket.status = new_status
    ticket.updated_at = utcnow()
    write_history(ticket, actor, action, old_status, new_status, reason, details)
    return old_status


def close_tickets_of_claims(
    claims: Select, claim_status: str, actor_id: int | None, now: datetime
) -> int:
    """Close the confirmed tickets of `claims` (a select of claim ticket ids), set-based.

    Each closed ticket gets its history row and audit event, as any transition does;
    the state machine decides the new status. Return how many were closed.
    """
    from_status = Status.CONFIRMED.value
    to_status = next_status("close", from_status, SYSTEM if actor_id is None else "manager")
    closing = (Ticket.id.in_(claims), Ticket.status == from_status)
    ticket_ids = list(
        db.session.scalars(select(Ticket.id).where(*closing).order_by(Ticket.id).with_for_update())
    )
    if not ticket_ids:
        return 0
    details = {"claim": claim_status}
    db.session.execute(
        insert(TicketHistory.__table__),  # Core: plain rows, no ORM bookkeeping per row
        [
            {
                "ticket_id": ticket_id,
                "actor_id": actor_id,
                "action": "close",
                "from_status": from_status,
                "to_status": to_status,
                "reason": "",
                "details": details,
                "created_at": now,
            }
            for ticket_id in ticket_ids
        ],
    )
    db.session.execute(
        update(Ticket)
        .where(*closing)  # the rows just locked and read
        .values(status=to_status, closed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    record_events(
        actor_id,
        "ticket.close",
        "ticket",
        [
            (ticket_id, {"status": from_status}, {"status": to_status, "reason": "", **details})
            for ticket_id in ticket_ids
        ],
    )
    return len(ticket_ids)


# ---------------------------------------------------------------- filing


def _search_text(title: str, description: str, system: str, tags: list[str]) -> str:
    return " ".join([title, description, system, *tags]).lower()


def validate_ticket_fields(data: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if data.get("category") not in CATEGORIES:
        errors["category"] = [N_("Choose a category.")]
    if data.get("severity") not in SEVERITIES:
        errors["severity"] = [N_("Choose a severity.")]
    title = (data.get("title") or "").strip()
    if not title:
        errors["title"] = [N_("Enter a title.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [N_("The title may have at most 200 characters.")]
    if len(data.get("description") or "") > TEXT_MAX:
        errors["description"] = [N_("The text is too long.")]
    if len(data.get("system") or "") > 200:
        errors["system"] = [N_("The text is too long.")]
    tags = data.get("tags") or []
    if len(tags) > MAX_TAGS or any(not t or len(t) > 40 for t in tags):
        errors["tags"] = [N_("Use at most 10 tags of up to 40 characters.")]
    return errors


def normalize_tags(raw: str | list[str] | None) -> list[str]:
    """Tags from a comma-separated string or a list: trimmed, lower-case, unique, in order."""
    items = raw.split(",") if isinstance(raw, str) else list(raw or [])
    seen: dict[str, None] = {}
    for item in items:
        tag = str(item).strip().lower()
        if tag:
            seen.setdefault(tag, None)
    return list(seen)


def file_ticket(actor: User, data: dict[str, Any], uploads: list[Upload] | None = None) -> Ticket:
    """File a ticket for the actor's firm (firm users) or for `firm_id` (managers)."""
    _require_role(actor, "firm", "manager")
    data = dict(data)
    data["tags"] = normalize_tags(data.get("tags"))
    errors = validate_ticket_fields(data)
    if actor.role == "firm":
        firm_id = actor.firm_id
    else:
        firm_id = data.get("firm_id")
        if not firm_id or db.session.get(Firm, firm_id) is None:
            errors["firm_id"] = [N_("Choose the firm this ticket is for.")]
    if "firm_id" not in errors:
        errors |= ticket_asset_errors(firm_id, data.get("asset_id"))
    if "category" not in errors:
        errors |= check_open_for_tickets(support_type_for(data["category"]))
    prepared = [check_upload(u) for u in uploads or []]
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    title = data["title"].strip()
    asset = db.session.get(Asset, data["asset_id"]) if data.get("asset_id") else None
    if asset is not None and not (data.get("system") or "").strip():
        data["system"] = asset.name  # the affected system is the asset, unless told otherwise
    ticket = Ticket(
        firm_id=firm_id,
        asset_id=asset.id if asset else None,
        created_by_id=actor.id,
        category=data["category"],
        severity=data["severity"],
        title=title,
        description=(data.get("description") or "").strip(),
        system=(data.get("system") or "").strip(),
        tags=data["tags"],
        status="submitted",
        support_type=support_type_for(data["category"]),
        created_at=now,
        updated_at=now,
        triage_due_at=sla.triage_due_at(now, data["severity"]),
        search_text=_search_text(
            title, data.get("description") or "", data.get("system") or "", data["tags"]
        ),
    )
    db.session.add(ticket)
    db.session.flush()
    write_history(ticket, actor, "file", None, "submitted")
    for upload, content_type in prepared:
        store_attachment(ticket, actor, upload, content_type)
    notify(manager_ids(), "ticket_filed", ticket.id, title, f"filed:t{ticket.id}")
    db.session.commit()
    return ticket


# ---------------------------------------------------------------- triage


def triage_ticket(
    actor: User,
    ticket_id: int,
    decision: str,
    reason: str = "",
    override_reason: str = "",
    support_type: str | None = None,
) -> Ticket:
    """Accept (starting the project) or reject a submitted ticket."""
    ticket = ticket_for(actor, ticket_id, lock=True)
    _require_role(actor, "manager")
    if decision not in ("accept", "reject"):
        raise ValidationFailed({"decision": [N_("Decision must be accept or reject.")]})
    if decision == "reject":
        next_status("triage_reject", ticket.status, actor.role)
        reason = _require_reason(reason)
        transition(ticket, actor, "triage_reject", reason)
        notify(
            _firm_watchers(ticket), "ticket_rejected", ticket.id, ticket.title, f"rej:t{ticket.id}"
        )
        db.session.commit()
        return ticket
    next_status("triage_accept", ticket.status, actor.role)  # 409 before any other check
    restriction = active_restriction(ticket.firm_id)
    if restriction is not None:  # no override: the exclusion is the law's, not a finding
        raise Conflict(
            RESTRICTED,
            reason="firm_restricted",
            restricted_until=restriction.ends_on.isoformat(),
        )
    details: dict[str, Any] = {}
    new_type = support_type or ticket.support_type
    fiscal_year = current_fiscal_year()
    rule = fiscal_year.type_of(new_type) if fiscal_year is not None else None
    if new_type != ticket.support_type:
        if errors := _type_change_errors(new_type):
            raise ValidationFailed(errors)
        details["support_type"] = {"from": ticket.support_type, "to": new_type}
        reason = _require_reason(reason)
    firm = ticket.firm
    findings = eligibility_findings(
        firm.size, firm.built_year, firm.policy_fund_year, new_type, seoul_today().year
    )
    if not is_eligible(findings):
        override_reason = (override_reason or "").strip()
        if not override_reason:
            raise ValidationFailed(
                {"override_reason": [N_("The firm is not eligible: give an override reason.")]}
            )
        details["override"] = [f.code for f in findings if not f.ok]
        ticket.override_reason = override_reason
    now = utcnow()
    today = seoul_today()
    ticket.support_type = new_type
    ticket.triaged_at = now
    ticket.resolution_due_at = sla.resolution_due_at(now, ticket.severity)
    ticket.project_started_on = today
    months = rule.project_months if rule is not None else PROJECT_MONTHS
    ticket.project_deadline = sla.add_months(today, months)
    transition(ticket, actor, "triage_accept", reason or override_reason, details)
    db.session.commit()
    return ticket


def _type_change_errors(code: str) -> dict[str, list[str]]:
    """A type a manager moves a ticket to: open in today's year (or, with no year open,
    one of the two every year offers). A ticket filed under a type since closed may keep it.
    """
    if current_fiscal_year() is None and code not in (EMERGENCY, GROWTH):
        return {"support_type": [N_("Choose a support type of the open fiscal year.")]}
    return check_open_for_tickets(code)


def _firm_watchers(ticket: Ticket) -> list[int]:

    return firm_user_ids(ticket.firm_id)


# ---------------------------------------------------------------- cancel, extend


def cancel_ticket(actor: User, ticket_id: int, reason: str) -> Ticket:
    """Cancel an open ticket (its firm, or a manager)."""
    ticket = ticket_for(actor, ticket_id, lock=True)
    next_status("cancel", ticket.status, actor.role)
    reason = _require_reason(reason)
    transition(ticket, actor, "cancel", reason)
    db.session.commit()
    return ticket


def extend_project(actor: User, ticket_id: int, reason: str) -> Ticket:
    """Extend the project deadline once, by its support type's extension months (2 by
    default), with a reason."""
    ticket = ticket_for(actor, ticket_id, lock=True)
    _require_role(actor, "manager")
    if ticket.project_deadline is None:
        raise Conflict(
            "The project has not started", reason="not_started", current_status=ticket.status
        )
    if ticket.status in FINAL_STATUSES:
        raise Conflict(
            "The ticket is finished", reason="invalid_transition", current_status=ticket.status
        )
    if ticket.deadline_extended:
        raise Conflict(
            "The deadline was already extended once",
            reason="already_extended",
            current_status=ticket.status,
        )
    reason = _require_reason(reason)
    old = ticket.project_deadline
    ticket.project_deadline = sla.add_months(old, _extension_months(ticket))
    ticket.deadline_extended = True
    ticket.project_overdue = ticket.project_deadline < seoul_today()
    ticket.updated_at = utcnow()
    write_history(
        ticket,
        actor,
        "extend",
        ticket.status,
        ticket.status,
        reason,
        {"from": old.isoformat(), "to": ticket.project_deadline.isoformat()},
    )
    db.session.commit()
    return ticket


def _extension_months(ticket: Ticket) -> int:
    """The extension of the ticket's type in the year its project started."""
    fiscal_year = (
        fiscal_year_by_year(ticket.project_started_on.year) if ticket.project_started_on else None
    )
    rule = fiscal_year.type_of(ticket.support_type) if fiscal_year is not None else None
    return rule.extension_months if rule is not None else EXTENSION_MONTHS


# ---------------------------------------------------------------- comments, attachments


def add_comment(actor: User, ticket_id: int, body: str) -> Comment:
    ticket = ticket_for(actor, ticket_id)
    _require_role(actor, "firm", "meister", "manager")
    body = (body or "").strip()
    if not body:
        raise ValidationFailed({"body": [N_("Write a comment.")]})
    if len(body) > TEXT_MAX:
        raise ValidationFailed({"body": [N_("The text is too long.")]})
    comment = Comment(ticket_id=ticket.id, author_id=actor.id, body=body, created_at=utcnow())
    db.session.add(comment)
    db.session.flush()
    record_event(actor.id, "ticket.comment", "ticket", ticket.id, after={"comment_id": comment.id})
    db.session.commit()
    return comment


EVIDENCE_TYPES = ("application/pdf", "image/jpeg", "image/png")


def check_upload(upload: Upload, evidence: bool = False) -> tuple[Upload, str]:
    """The upload and its sniffed type, or a clear error (size, emptiness, type).

    `evidence`: a tax invoice, receipt or proof of payment, so PDF, JPEG or PNG only.
    """
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    if len(upload.data) > limit:
        raise PayloadTooLarge(f"Each file may be at most {limit // (1024 * 1024)} MB")
    if not upload.data:
        raise ValidationFailed({"file": [N_("The file is empty.")]})
    content_type = sniff_content_type(upload.data[:16], upload.data)
    if content_type is None:
        raise ValidationFailed(
            {"file": [N_("Only JPEG, PNG, PDF, XLSX and plain-text files are accepted.")]}
        )
    if evidence and content_type not in EVIDENCE_TYPES:
        raise ValidationFailed({"file": [N_("Evidence must be a PDF, JPEG or PNG file.")]})
    return upload, content_type


def store_attachment(
    ticket: Ticket,
    actor: User,
    upload: Upload,
    content_type: str,
    kind: str = "ticket",
    cost_line_id: int | None = None,
) -> Attachment:
    """Write a checked upload to disk and its row to the session (the caller commits)."""
    stored_name, digest = storage.save_bytes(db.session(), upload.data, ALLOWED[content_type])
    name = with_extension(clean_filename(upload.filename, fallback="attachment"), content_type)
    attachment = Attachment(
        ticket_id=ticket.id,
        uploaded_by_id=actor.id,
        original_name=name,
        stored_name=stored_name,
        content_type=content_type,
        size=len(upload.data),
        sha256=digest,
        created_at=utcnow(),
        kind=kind,
        cost_line_id=cost_line_id,
    )
    db.session.add(attachment)
    db.session.flush()
    record_event(
        actor.id,
        "ticket.attach",
        "ticket",
        ticket.id,
        after={
            "attachment_id": attachment.id,
            "name": name,
            "type": content_type,
            "kind": kind,
            "cost_line_id": cost_line_id,
        },
    )
    return attachment


def add_attachment(actor: User, ticket_id: int, upload: Upload) -> Attachment:
    ticket = ticket_for(actor, ticket_id)
    _require_role(actor, "firm", "meister", "manager")
    checked, content_type = check_upload(upload)
    attachment = store_attachment(ticket, actor, checked, content_type)
    db.session.commit()
    return attachment


def attachment_for(actor: User, attachment_id: int) -> Attachment:
    """The attachment if its ticket is visible to `actor` (404 otherwise)."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound("No such attachment")
    try:
        ticket_for(actor, attachment.ticket_id)
    except (NotFound, Forbidden) as error:
        raise NotFound("No such attachment") from error
    return attachment


def notify_event(ticket: Ticket, kind: str, user_ids: list[int]) -> None:
    """Notify users of the ticket's latest change (one notification per change and user)."""
    db.session.flush()
    latest = db.session.scalar(
        select(func.max(TicketHistory.id)).where(TicketHistory.ticket_id == ticket.id)
    )
    notify(user_ids, kind, ticket.id, ticket.title, f"{kind}:t{ticket.id}:h{latest}")
