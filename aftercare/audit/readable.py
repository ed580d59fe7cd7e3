"""Audit events in words: the action and object in the reader's language, a link to the
object, and before/after as a short field-by-field change ("상태: 대기 → 승인")."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from aftercare.audit.models import AuditEvent
from aftercare.auth.models import User
from aftercare.claims.models import Claim
from aftercare.core.web.labels import (
    AUDIT_ACTION_LABELS,
    AUDIT_FIELD_LABELS,
    AUDIT_OBJECT_LABELS,
    CLAIM_STATUS_LABELS,
    COST_KIND_LABELS,
    LIMITED_BY_LABELS,
    RECOVERY_GROUNDS_LABELS,
    RECOVERY_STATUS_LABELS,
    REVIEW_LABELS,
    ROLE_LABELS,
    SIZE_LABELS,
    STATUS_LABELS,
    SUPPORT_TYPE_LABELS,
    region_label,
)
from aftercare.extensions import db
from aftercare.ledger.models import FiscalYear
from aftercare.meisters.models import CostLine

VALUE_CHARS = 80  # a longer value is cut with an ellipsis
MAX_CHANGES = 8  # fields shown per event; the CSV export has them all

APPROVAL_STATUS_LABELS = {
    "pending": _l("Pending"),
    "confirmed": _l("Confirmed"),
    "refused": _l("Refused"),
}
STATUS_LABELS_BY_OBJECT: dict[str, Mapping[str, Any]] = {
    "ticket": STATUS_LABELS,
    "claim": CLAIM_STATUS_LABELS,
    "recovery_case": RECOVERY_STATUS_LABELS,
    "approval_request": APPROVAL_STATUS_LABELS,
}
# What a `kind` names in the events that carry one: an approval request, a file, an asset,
# a cost line.
KIND_LABELS: dict[str, Any] = {
    "budget": _l("Budget addition"),
    "void": _l("Void of a claim"),
    "settlement": _l("Manual settlement"),
    "account": _l("New privileged account"),
    "password": _l("Password reset"),
    "ticket": _l("Ticket file"),
    "evidence": _l("Evidence"),
    "firm_payment": _l("Proof of the firm's payment"),
    "objection": _l("Objection"),
    "equipment": _l("Equipment"),
    "system": _l("System (software)"),
    **COST_KIND_LABELS,
}
VALUE_LABELS: dict[str, Mapping[str, Any]] = {
    "kind": KIND_LABELS,
    "grounds": RECOVERY_GROUNDS_LABELS,
    "claim": CLAIM_STATUS_LABELS,
    "support_type": SUPPORT_TYPE_LABELS,
    "limited_by": LIMITED_BY_LABELS,
    "review_status": REVIEW_LABELS,
    "size": SIZE_LABELS,
    "role": ROLE_LABELS,
}
MONEY_FIELDS = frozenset(
    {
        "amount",
        "total",
        "budget",
        "government_share",
        "firm_share",
        "computed_share",
        "eligible_total",
        "decided_amount",
        "given_back",
        "owed",
        "second_approval_from",
    }
)
# Objects with a page of their own: (endpoint, its id argument).
OBJECT_PAGES = {
    "ticket": ("tickets.detail", "ticket_id"),
    "claim": ("claims.detail", "claim_id"),
    "firm": ("firms.detail", "firm_id"),
    "supplier": ("suppliers.detail", "supplier_id"),
    "asset": ("assets.detail", "asset_id"),
    "payout_batch": ("ledger.batch", "batch_id"),
    "recovery_case": ("recovery.detail", "case_id"),
}


@dataclass(frozen=True)
class Change:
    field: str
    before: str | None  # None: the field is new (a creation, an added detail)
    after: str


def action_label(action: str) -> str:
    label = AUDIT_ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def object_label(object_type: str) -> str:
    label = AUDIT_OBJECT_LABELS.get(object_type)
    return str(label) if label is not None else object_type


def _loads(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {"": text}
    return value if isinstance(value, dict) else {"": value}


def _cut(text: str) -> str:
    return text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS].rstrip() + "…"


def value_text(key: str, value: Any, object_type: str) -> str:
    """One value as a person reads it: a label, an amount in won, yes or no, a date."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    labels = STATUS_LABELS_BY_OBJECT.get(object_type) if key == "status" else VALUE_LABELS.get(key)
    if labels is not None and isinstance(value, str) and value in labels:
        return str(labels[value])
    if key == "region" and isinstance(value, str):
        return region_label(value)
    if key in MONEY_FIELDS and isinstance(value, int):
        return f"{value:,}원"
    if isinstance(value, list):
        return _cut(", ".join(str(v) for v in value)) if value else "—"
    if isinstance(value, dict):  # a nested detail: its fields in words too
        inner = (
            f"{field_label(k)} {value_text(k, v, object_type)}" for k, v in sorted(value.items())
        )
        return _cut(", ".join(inner)) or "—"
    return _cut(str(value))


def field_label(key: str) -> str:
    label = AUDIT_FIELD_LABELS.get(key)
    return str(label) if label is not None else key


def changes(before_text: str, after_text: str, object_type: str) -> list[Change]:
    """What changed, field by field, status first; fields the same on both sides are left out."""
    before, after = _loads(before_text), _loads(after_text)
    keys = sorted(before.keys() | after.keys(), key=lambda k: (k != "status", k))
    found = []
    for key in keys:
        if key in before and key in after and before[key] == after[key]:
            continue
        old = value_text(key, before[key], object_type) if key in before else None
        new = value_text(key, after[key], object_type) if key in after else "—"
        found.append(Change(field_label(key), old, new))
    return found


def change_text(before_text: str, after_text: str, object_type: str) -> str:
    """The changes on one line, for the CSV export: "상태: 대기 → 승인; 사유: …"."""
    return "; ".join(
        f"{c.field}: {c.after}" if c.before is None else f"{c.field}: {c.before} → {c.after}"
        for c in changes(before_text, after_text, object_type)
    )


def object_links(events: Iterable[AuditEvent], role: str) -> dict[int, str]:
    """The address of each event's object (event id → URL) where one can be shown.

    Objects without a page of their own lead to their history in the log; a cost line
    leads to its claim, a fiscal year to its ledger page, a Meister to the Meister's form
    (managers only, who may edit it).
    """
    events = [e for e in events if e.object_id is not None]
    lines = _cost_line_claims({e.object_id for e in events if e.object_type == "cost_line"})
    years = _fiscal_years({e.object_id for e in events if e.object_type == "fiscal_year"})
    meisters = _meister_ids({e.object_id for e in events if e.object_type in ("user", "meister")})
    links: dict[int, str] = {}
    for event in events:
        url = _object_url(event, role, lines, years, meisters)
        if url:
            links[event.id] = url
    return links


def _object_url(
    event: AuditEvent,
    role: str,
    lines: dict[int, tuple[int, int | None]],
    years: dict[int, int],
    meisters: set[int],
) -> str | None:
    kind, object_id = event.object_type, event.object_id
    if kind in OBJECT_PAGES:
        endpoint, arg = OBJECT_PAGES[kind]
        return url_for(endpoint, **{arg: object_id})
    if kind == "cost_line" and object_id in lines:
        ticket_id, claim_id = lines[object_id]
        if claim_id is None:
            return url_for("tickets.detail", ticket_id=ticket_id)
        return url_for("claims.detail", claim_id=claim_id, _anchor=f"line-{object_id}")
    if kind == "fiscal_year" and object_id in years:
        return url_for("ledger.pool", year=years[object_id])
    if kind in ("user", "meister") and object_id in meisters and role == "manager":
        return url_for("meisters.edit", user_id=object_id)
    return url_for("audit.index", object_type=kind, object_id=object_id)


def _cost_line_claims(ids: set[int]) -> dict[int, tuple[int, int | None]]:
    """Each cost line's ticket and claim (None before the claim is filed)."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(CostLine.id, CostLine.ticket_id, Claim.id)
        .outerjoin(Claim, Claim.ticket_id == CostLine.ticket_id)
        .where(CostLine.id.in_(ids))
    )
    return {line_id: (ticket_id, claim_id) for line_id, ticket_id, claim_id in rows}


def _fiscal_years(ids: set[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = db.session.execute(select(FiscalYear.id, FiscalYear.year).where(FiscalYear.id.in_(ids)))
    return dict(rows.tuples().all())


def _meister_ids(ids: set[int]) -> set[int]:
    if not ids:
        return set()
    return set(db.session.scalars(select(User.id).where(User.id.in_(ids), User.role == "meister")))
