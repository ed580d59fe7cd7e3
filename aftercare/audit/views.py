"""Audit log pages (auditors and managers): the events, chain verification, CSV export.

GET   /audit              index        events, newest first, with filters
POST  /audit/verify       verify       walk the hash chain
GET   /audit/export.csv   export_csv   the same filters, streamed
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, or_, select
from werkzeug.datastructures import MultiDict

from aftercare.audit.checkpoints import verify_checkpoints
from aftercare.audit.models import AuditEvent
from aftercare.audit.readable import (
    MAX_CHANGES,
    action_label,
    change_text,
    changes,
    object_label,
    object_links,
)
from aftercare.audit.services import verify_chain
from aftercare.auth.login import role_required
from aftercare.auth.models import User
from aftercare.core.exports import CSV_MIMETYPE, stream_csv, streamed
from aftercare.core.pagination import decode_cursor, keyset_page, parse_limit
from aftercare.core.web.labels import AUDIT_ACTION_LABELS, AUDIT_OBJECT_LABELS
from aftercare.domain.errors import ValidationFailed
from aftercare.domain.time import seoul_midnight_utc, seoul_today, to_seoul
from aftercare.domain.vocab import MAX_ID
from aftercare.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/audit")

SEARCH_CHARS = 100
# Signing in and out, locks and API tokens: their own tab, apart from the work done.
SIGN_IN_ACTIONS = (
    "user.sign_in",
    "user.locked",
    "user.unlock",
    "user.sign_out_everywhere",
    "token.issue",
    "token.revoke",
    "token.revoke_all",
)
TABS = ("events", "sign_ins")
# The reasons aftercare.domain.audit_chain gives, in words for the page.
BROKEN_LINK_REASONS = {
    "prev_hash does not match the previous event": _l(
        "its link to the previous event does not match"
    ),
    "hash does not match the event's content": _l("its content was changed after it was written"),
    "a plain SHA-256 event follows HMAC events": _l("it was written without the audit key"),
}
EXPORT_COLUMNS = (
    "번호 (ID)",
    "시각 (When)",
    "수행자 번호 (Actor ID)",
    "수행자 이메일 (Actor e-mail)",
    "작업 코드 (Action)",
    "작업 (Action label)",
    "대상 유형 (Object type)",
    "대상 번호 (Object ID)",
    "변경 내용 (Changes)",
    "변경 전 (Before)",
    "변경 후 (After)",
    "요청 ID (Request ID)",
    "이전 해시 (Previous hash)",
    "해시 (Hash)",
)


@bp.before_request
@role_required("auditor", "manager")
def _auditors_and_managers() -> None:
    return None


@dataclass
class AuditFilters:
    """Filters from the query string; a value that does not parse is reported and ignored."""

    action: str = ""
    object_type: str = ""
    q: str = ""
    tab: str = ""  # "" (the export of everything), events (but sign-ins) or sign_ins
    object_id: int | None = None
    actor_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args: MultiDict) -> AuditFilters:
        filters = cls(
            action=args.get("action", "").strip()[:64],
            object_type=args.get("object_type", "").strip()[:32],
            q=args.get("q", "").strip()[:SEARCH_CHARS],
            tab=args.get("tab", "") if args.get("tab", "") in TABS else "",
        )
        for name in ("object_id", "actor_id"):
            raw = args.get(name, "").strip()
            if raw:
                if raw.isascii() and raw.isdigit() and int(raw) <= MAX_ID:
                    setattr(filters, name, int(raw))
                else:
                    filters.errors[name] = _("Enter a whole number.")
        for name in ("date_from", "date_to"):
            raw = args.get(name, "").strip()
            if raw:
                try:
                    setattr(filters, name, date.fromisoformat(raw))
                except ValueError:
                    filters.errors[name] = _("Enter a date as YYYY-MM-DD.")
        if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
            filters.errors["date_to"] = _("The end date is before the start date.")
            filters.date_to = None
        return filters

    def apply(self, stmt: Select) -> Select:
        if self.tab == "sign_ins":
            stmt = stmt.where(AuditEvent.action.in_(SIGN_IN_ACTIONS))
        elif self.tab == "events":
            stmt = stmt.where(AuditEvent.action.not_in(SIGN_IN_ACTIONS))
        if self.action in AUDIT_ACTION_LABELS:
            stmt = stmt.where(AuditEvent.action == self.action)
        elif self.action:  # an older link's prefix ("claim.")
            stmt = stmt.where(AuditEvent.action.startswith(self.action, autoescape=True))
        if self.q:
            stmt = stmt.where(_search(self.q))
        if self.object_type:
            stmt = stmt.where(AuditEvent.object_type == self.object_type)
        if self.object_id is not None:
            stmt = stmt.where(AuditEvent.object_id == self.object_id)
        if self.actor_id is not None:
            stmt = stmt.where(AuditEvent.actor_id == self.actor_id)
        # Dates are Asia/Seoul days; created_at is naive UTC.
        if self.date_from:
            stmt = stmt.where(AuditEvent.created_at >= seoul_midnight_utc(self.date_from))
        if self.date_to:
            stmt = stmt.where(
                AuditEvent.created_at < seoul_midnight_utc(self.date_to + timedelta(days=1))
            )
        return stmt

    def as_args(self) -> dict[str, str]:
        """The valid filters as query arguments (for the export link)."""
        values = {
            "tab": self.tab,
            "q": self.q,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "actor_id": self.actor_id,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def _search(q: str):
    """Words in the changes (stored JSON), the actor's name or e-mail, or an action's or
    object type's label in the reader's language."""
    actions = [code for code in AUDIT_ACTION_LABELS if q.lower() in action_label(code).lower()]
    kinds = [kind for kind in AUDIT_OBJECT_LABELS if q.lower() in object_label(kind).lower()]
    actors = select(User.id).where(
        or_(User.name.icontains(q, autoescape=True), User.email.icontains(q, autoescape=True))
    )
    return or_(
        AuditEvent.before.icontains(q, autoescape=True),
        AuditEvent.after.icontains(q, autoescape=True),
        AuditEvent.action.icontains(q, autoescape=True),
        AuditEvent.action.in_(actions),
        AuditEvent.object_type.in_(kinds),
        AuditEvent.actor_id.in_(actors),
    )


def action_choices(tab: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The actions of the tab by object type, in words: [(group label, [(code, label)])]."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code in AUDIT_ACTION_LABELS:
        if (code in SIGN_IN_ACTIONS) != (tab == "sign_ins"):
            continue
        groups.setdefault(code.split(".", 1)[0], []).append((code, action_label(code)))
    names = {"ledger": "payout_batch", "recovery": "recovery_case", "token": "api_token"}
    return [(object_label(names.get(prefix, prefix)), items) for prefix, items in groups.items()]


def object_type_choices() -> list[tuple[str, str]]:
    return [(kind, object_label(kind)) for kind in AUDIT_OBJECT_LABELS]


@bp.route("")
def index():
    filters = AuditFilters.from_args(request.args)
    filters.tab = filters.tab or "events"
    try:
        if (decode_cursor(request.args.get("cursor")) or 0) > MAX_ID:
            raise ValidationFailed({"cursor": ["Not a valid cursor."]})
        page = keyset_page(
            filters.apply(select(AuditEvent)),
            AuditEvent.id,
            parse_limit(request.args.get("limit")),
            request.args.get("cursor"),
        )
    except ValidationFailed:
        flash(_("The page address was not valid; showing the first page."), "warning")
        return redirect(url_for("audit.index", **filters.as_args()))
    actor_ids = {e.actor_id for e in page.items if e.actor_id is not None}
    actors = (
        {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(actor_ids)))}
        if actor_ids
        else {}
    )
    return render_template(
        "audit/index.html",
        page=page,
        filters=filters,
        actors=actors,
        links=object_links(page.items, current_user.role),
        changes=changes,
        max_changes=MAX_CHANGES,
        action_label=action_label,
        object_label=object_label,
        action_choices=action_choices(filters.tab),
        object_type_choices=object_type_choices(),
    )


@bp.route("/verify", methods=["POST"])
def verify():
    count, broken = verify_chain()
    checked, problems = verify_checkpoints()
    db.session.rollback()
    if problems:
        flash(
            _(
                "%(count)d of %(checked)d checkpoints disagree with the chain (a rewritten or "
                "cut-off tail); `flask audit verify` names them.",
                count=len(problems),
                checked=checked,
            ),
            "danger",
        )
    if broken is None:
        if not problems:
            flash(_("The audit chain is intact: %(count)d events checked.", count=count), "success")
    else:
        event_id, why = broken
        flash(
            _(
                "The audit chain is broken at event #%(id)d: %(why)s.",
                id=event_id,
                why=BROKEN_LINK_REASONS.get(why, why),
            ),
            "danger",
        )
    return redirect(url_for("audit.index", **AuditFilters.from_args(request.args).as_args()))


def _export_rows(filters: AuditFilters):
    stmt = filters.apply(
        select(
            AuditEvent.id,
            AuditEvent.created_at,
            AuditEvent.actor_id,
            User.email,
            AuditEvent.action,
            AuditEvent.object_type,
            AuditEvent.object_id,
            AuditEvent.before,
            AuditEvent.after,
            AuditEvent.request_id,
            AuditEvent.prev_hash,
            AuditEvent.hash,
        ).outerjoin(User, User.id == AuditEvent.actor_id)
    ).order_by(AuditEvent.id)  # chain order
    labels = {code: action_label(code) for code in AUDIT_ACTION_LABELS}
    for row in streamed(stmt):
        yield (
            row.id,
            to_seoul(row.created_at).isoformat(timespec="seconds"),
            row.actor_id if row.actor_id is not None else "",
            row.email or "",
            row.action,
            labels.get(row.action, row.action),
            row.object_type,
            row.object_id if row.object_id is not None else "",
            change_text(row.before, row.after, row.object_type),
            row.before,
            row.after,
            row.request_id,
            row.prev_hash,
            row.hash,
        )


@bp.route("/export.csv")
def export_csv():
    filters = AuditFilters.from_args(request.args)
    name = f"audit-events-{seoul_today().isoformat()}.csv"
    return Response(
        stream_with_context(stream_csv(EXPORT_COLUMNS, _export_rows(filters))),
        mimetype=CSV_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
