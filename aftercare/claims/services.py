"""Claims: creation on confirmation, line eligibility, approval, rejection, void (SPEC §5)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Row,
    Select,
    Update,
    bindparam,
    func,
    literal,
    select,
    text,
    true,
)
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from aftercare.audit.services import ChainHead, chain_head_of, locked_chain_head, record_event
from aftercare.auth.models import User
from aftercare.auth.viewer import Viewer
from aftercare.claims.models import Claim
from aftercare.db import utcnow
from aftercare.domain.claim_states import next_claim_status
from aftercare.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from aftercare.domain.money import Share, cost_share, refusal_reason
from aftercare.domain.text import N_
from aftercare.extensions import db
from aftercare.ledger.models import FirmUsage, FiscalYear, LedgerAccount
from aftercare.ledger.queries import fiscal_year_by_year
from aftercare.ledger.services import (
    InsufficientBalance,
    PlannedPosting,
    lock_accounts,
    plan_posting,
    post_planned,
    post_transaction,
    posting_statement,
)
from aftercare.meisters.models import CostLine
from aftercare.notifications.services import firm_user_ids, notify
from aftercare.tickets.models import Ticket
from aftercare.tickets.services import transition
from aftercare.timeutil import seoul_today
from aftercare.transactions import begin_write, commit_keeping

REFUSAL_MESSAGES = {
    "share_below_unit": "The computed share is below the rounding unit",
    "firm_cap_exhausted": "The firm's cap for this support type is used up",
    "pool_exhausted": "The programme pool is exhausted",
}


# ---------------------------------------------------------------- access


@functools.cache
def _locked_claim() -> Select:
    return (
        select(Claim)
        .where(Claim.id == bindparam("claim_id"))
        .options(lazyload(Claim.ticket), lazyload(Claim.fiscal_year))
        .with_for_update(of=Claim)
        .execution_options(populate_existing=True)
    )


@functools.cache
def _locked_claim_and_year(dialect: str) -> Select:
    """The claim as `_locked_claim`, with the fiscal year of a given year (or None) and
    the ids of its firm's active users (whom a decision notifies) beside it."""
    user = User.__table__
    collect = func.array_agg if dialect == "postgresql" else func.group_concat
    firm_users = (
        select(collect(user.c.id))
        .where(user.c.firm_id == Claim.firm_id, user.c.active.is_(True))
        .scalar_subquery()
    )
    return (
        select(Claim, FiscalYear, firm_users.label("firm_users"))
        .outerjoin(FiscalYear, FiscalYear.year == bindparam("year"))
        .where(Claim.id == bindparam("claim_id"))
        .options(lazyload(Claim.ticket), lazyload(Claim.fiscal_year))
        .with_for_update(of=Claim)
        .execution_options(populate_existing=True)
    )


def _user_ids(collected: list[int] | str | None) -> list[int]:
    """The ids `_locked_claim_and_year` collected: a list (PostgreSQL), "1,2" (SQLite)."""
    if isinstance(collected, str):
        return [int(part) for part in collected.split(",")]
    return list(collected or [])


def claim_for(actor: User, claim_id: int, lock: bool = False) -> Claim:
    """The claim if `actor` may see it: managers and auditors all, a firm its own (else 404)."""
    _may_see_claims(actor)
    if lock:  # a decision: the claim row alone, locked; its ticket loads if it is needed
        claim = db.session.scalar(_locked_claim(), {"claim_id": claim_id})
    else:
        claim = db.session.get(Claim, claim_id)
    return _visible(actor, claim)


def _may_see_claims(actor: Viewer) -> None:
    if actor.role not in ("manager", "auditor", "firm"):
        raise Forbidden("Your role may not see claims")


def _visible(actor: Viewer, claim: Claim | None) -> Claim:
    if claim is None or (actor.role == "firm" and claim.firm_id != actor.firm_id):
        raise NotFound("No such claim")
    return claim


def _may_decide(actor: Viewer) -> None:
    if actor.role != "manager":
        raise Forbidden("Only programme managers decide claims")


def _manager_claim(actor: User, claim_id: int) -> Claim:
    begin_write()
    claim = claim_for(actor, claim_id, lock=True)
    _may_decide(actor)
    return claim


@dataclass
class _ToApprove:
    claim: Claim
    fiscal_year: FiscalYear | None  # the open fiscal year of today (Seoul), if any
    firm_users: list[int]


def _claim_to_approve(actor: Viewer, claim_id: int) -> _ToApprove:
    """The locked claim, today's open fiscal year and the firm's users, in one statement."""
    begin_write()
    _may_see_claims(actor)
    dialect = db.session.get_bind().dialect.name
    row = db.session.execute(
        _locked_claim_and_year(dialect), {"claim_id": claim_id, "year": seoul_today().year}
    ).first()
    claim, fiscal_year, firm_users = row if row is not None else (None, None, None)
    _visible(actor, claim)
    _may_decide(actor)
    if fiscal_year is not None and not fiscal_year.is_open:
        fiscal_year = None
    return _ToApprove(claim, fiscal_year, _user_ids(firm_users))


# ---------------------------------------------------------------- totals


def totals_of(ticket_id: int) -> tuple[int, int]:
    """(eligible total, ineligible total) of all cost lines of a ticket's visits."""
    rows = db.session.execute(
        select(CostLine.eligible, func.coalesce(func.sum(CostLine.amount), 0))
        .where(CostLine.ticket_id == ticket_id)
        .group_by(CostLine.eligible)
    ).all()
    by_flag = {bool(flag): int(total) for flag, total in rows}
    return by_flag.get(True, 0), by_flag.get(False, 0)


def create_claim(ticket: Ticket, actor: User | None) -> Claim:
    """The pending claim of a confirmed ticket (in the caller's transaction)."""
    eligible, ineligible = totals_of(ticket.id)
    claim = Claim(
        ticket_id=ticket.id,
        firm_id=ticket.firm_id,
        support_type=ticket.support_type,
        status="pending",
        eligible_total=eligible,
        ineligible_total=ineligible,
        created_at=utcnow(),
    )
    db.session.add(claim)
    db.session.flush()
    record_event(
        actor.id if actor else None,
        "claim.create",
        "claim",
        claim.id,
        after={"ticket_id": ticket.id, "eligible_total": eligible, "ineligible_total": ineligible},
    )
    return claim


# ---------------------------------------------------------------- figures


@dataclass
class Figures:
    """What a manager sees before approving (SPEC §5)."""

    fiscal_year: int | None
    eligible_total: int
    ineligible_total: int
    computed_share: int
    firm_cap: int
    firm_used: int
    firm_remaining: int
    pool_available: int
    government_share: int
    firm_share: int
    limited_by: str
    refusal: str | None


def _usage(fiscal_year_id: int, firm_id: int, support_type: str) -> tuple[int, int]:
    row = db.session.execute(
        select(FirmUsage.reserved, FirmUsage.paid).where(
            FirmUsage.fiscal_year_id == fiscal_year_id,
            FirmUsage.firm_id == firm_id,
            FirmUsage.support_type == support_type,
        )
    ).first()
    return (row.reserved, row.paid) if row else (0, 0)


def _pool_available(fiscal_year_id: int) -> LedgerAccount:
    return db.session.scalar(
        select(LedgerAccount).where(
            LedgerAccount.fiscal_year_id == fiscal_year_id, LedgerAccount.name == "pool_available"
        )
    )


def approval_year() -> FiscalYear | None:
    """The open fiscal year of today's date in Seoul (a claim belongs to its approval year)."""
    fiscal_year = fiscal_year_by_year(seoul_today().year)
    return fiscal_year if fiscal_year is not None and fiscal_year.is_open else None


def preview(claim: Claim) -> Figures | None:
    """The figures approval would use now (None when no fiscal year is open)."""
    fiscal_year = approval_year()
    if fiscal_year is None:
        return None
    reserved, paid = _usage(fiscal_year.id, claim.firm_id, claim.support_type)
    cap = fiscal_year.cap_for(claim.support_type)
    pool = _pool_available(fiscal_year.id).balance
    share = cost_share(
        claim.eligible_total,
        fiscal_year.share_rate_bp,
        fiscal_year.rounding_unit,
        cap - reserved - paid,
        pool,
    )
    return _figures(fiscal_year, claim, share, cap, reserved + paid, pool)


def _figures(
    fiscal_year: FiscalYear, claim: Claim, share: Share, cap: int, used: int, pool: int
) -> Figures:
    return Figures(
        fiscal_year=fiscal_year.year,
        eligible_total=claim.eligible_total,
        ineligible_total=claim.ineligible_total,
        computed_share=share.computed_share,
        firm_cap=cap,
        firm_used=used,
        firm_remaining=max(cap - used, 0),
        pool_available=pool,
        government_share=share.government_share,
        firm_share=share.firm_share,
        limited_by=share.limited_by,
        refusal=refusal_reason(share),
    )


# ---------------------------------------------------------------- decisions


# One upsert creates the row if missing and locks it: on a conflict its no-op update
# takes the row lock, and RETURNING gives the row as it is now. Plain SQL that both
# PostgreSQL and SQLite run (SQLAlchemy's dialect upserts are never statement-cached).
UPSERT_USAGE = (
    "INSERT INTO firm_usage (fiscal_year_id, firm_id, support_type, reserved, paid) "
    "VALUES (:fiscal_year_id, :firm_id, :support_type, 0, 0) "
    "ON CONFLICT (fiscal_year_id, firm_id, support_type) "
    "DO UPDATE SET reserved = firm_usage.reserved "
    "RETURNING id, reserved, paid"
)
LOCK_USAGE = text(UPSERT_USAGE)

# PostgreSQL: the same upsert, then the year's two pool accounts locked in id order, in
# one round trip. The lock order stays usage → pool: a row is locked only as the join
# gives it out, and every row it gives out carries the usage row, which exists (locked)
# only once the upsert has run.
LOCK_USAGE_AND_POOL = text(
    f"WITH usage_row AS ({UPSERT_USAGE}) "
    "SELECT account.name, account.id, account.balance, "
    "usage_row.id AS usage_id, usage_row.reserved, usage_row.paid "
    "FROM ledger_account AS account CROSS JOIN usage_row "
    "WHERE account.fiscal_year_id = :fiscal_year_id "
    "AND account.name IN ('pool_available', 'pool_reserved') "
    "ORDER BY account.id FOR UPDATE OF account"
)


@dataclass
class _Locked:
    """The firm's usage row and the pool accounts, locked (claim → usage → pool)."""

    usage_id: int
    reserved: int
    paid: int
    accounts: dict[str, int]  # name → id
    balances: dict[str, int]  # name → balance


def _lock_usage_and_pool(fiscal_year_id: int, firm_id: int, support_type: str) -> _Locked:
    """Lock the firm's usage (created if missing), then the pool (one statement on PostgreSQL)."""
    params = {"fiscal_year_id": fiscal_year_id, "firm_id": firm_id, "support_type": support_type}
    if db.session.get_bind().dialect.name != "postgresql":
        usage = db.session.execute(LOCK_USAGE, params).one()
        accounts, balances = lock_accounts(fiscal_year_id, "pool_available", "pool_reserved")
        return _Locked(usage.id, usage.reserved, usage.paid, accounts, balances)
    rows = db.session.execute(LOCK_USAGE_AND_POOL, params).all()
    first = rows[0]
    return _Locked(
        first.usage_id,
        first.reserved,
        first.paid,
        {row.name: row.id for row in rows},
        {row.name: row.balance for row in rows},
    )


def _locked_usage(fiscal_year_id: int, firm_id: int, support_type: str) -> Row:
    """The firm's usage (id, reserved, paid) for the year and type, created if missing, locked."""
    return db.session.execute(
        LOCK_USAGE,
        {"fiscal_year_id": fiscal_year_id, "firm_id": firm_id, "support_type": support_type},
    ).one()


def approve_claim(actor: Viewer, claim_id: int) -> Claim:
    """Reserve the government share in the pool; never past the pool or the firm's cap.

    `actor` needs only who they are: the API passes a `TokenViewer`, pages the User.
    """
    found = _claim_to_approve(actor, claim_id)
    claim, fiscal_year = found.claim, found.fiscal_year
    next_claim_status("approve", claim.status)
    if fiscal_year is None:
        raise Conflict(
            "No fiscal year is open for today", reason="no_fiscal_year", current_status=claim.status
        )
    # Lock order everywhere: claim → firm usage → pool accounts (in id order) → audit chain.
    locked = _lock_usage_and_pool(fiscal_year.id, claim.firm_id, claim.support_type)
    cap = fiscal_year.cap_for(claim.support_type)
    share = cost_share(
        claim.eligible_total,
        fiscal_year.share_rate_bp,
        fiscal_year.rounding_unit,
        cap - locked.reserved - locked.paid,
        locked.balances["pool_available"],
    )
    if reason := refusal_reason(share):
        raise Conflict(REFUSAL_MESSAGES[reason], reason=reason, current_status=claim.status)
    amount = share.government_share
    _notify_firm(claim, "claim_approved", found.firm_users)
    db.session.flush()  # the notices go out now, not under the audit chain's lock
    posting = plan_posting(
        fiscal_year.id,
        "reserve",
        amount,
        f"reserve:claim:{claim.id}",
        locked.accounts,
        claim_id=claim.id,
        firm_id=claim.firm_id,
        support_type=claim.support_type,
        actor_id=actor.id,
    )
    now = utcnow()
    reservation = {"usage_id": locked.usage_id, "amount": amount, "cap": cap}
    decision = {
        "status": "approved",
        "fiscal_year_id": fiscal_year.id,
        "computed_share": share.computed_share,
        "government_share": amount,
        "firm_share": share.firm_share,
        "limited_by": share.limited_by,
        "approved_at": now,
        "decided_at": now,
        "decided_by_id": actor.id,
    }
    head = _reserve_and_decide(claim, posting, reservation, decision)
    set_committed_value(claim, "fiscal_year", fiscal_year)
    record_event(  # last: the audit chain's lock (PostgreSQL: taken above) is held to the commit
        actor.id,
        "claim.approve",
        "claim",
        claim.id,
        before={"status": "pending"},
        after={
            "status": "approved",
            "fiscal_year": fiscal_year.year,
            "government_share": amount,
            "firm_share": share.firm_share,
            "limited_by": share.limited_by,
        },
        head=head,
    )
    commit_keeping(claim, fiscal_year)
    return claim


def _reserve_and_decide(
    claim: Claim, posting: PlannedPosting, reservation: dict[str, int], decision: dict
) -> ChainHead | None:
    """Post the reserve transaction, reserve the share on the firm's usage row within its
    cap, and write the decision; return the audit chain's head if it was read.

    PostgreSQL does all three in one statement that also takes the audit chain's lock
    and reads its last link (one round trip where SQLite takes six). The pool and the
    usage row are locked: a balance that cannot move or a cap that would be passed
    is refused (and the request's transaction rolled back), never written. The
    loaded claim shows the decision unflushed: on this path the unit of work's flush
    of these columns cost more than the statements.
    """
    columns = tuple(decision)
    values = {"claim_id": claim.id} | {f"v_{key}": value for key, value in decision.items()}
    head = None
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            statement = _posting_reserving_decision(len(posting.legs), columns)
            done = db.session.execute(statement, posting.params() | values | reservation).one()
            posting.posted(done.id)
            decided = done.decided is not None
            head = chain_head_of(done.head_id, done.head_hash)
        else:
            post_planned(posting)
            decided = db.session.execute(_reserve_within_cap(), reservation).rowcount == 1
            if decided:
                db.session.execute(_decision_update(columns), values)
    except InsufficientBalance as error:  # pragma: no cover - the pool rows are locked
        raise Conflict(
            error.message, reason="pool_exhausted", current_status=claim.status
        ) from error
    if not decided:  # pragma: no cover - the usage row is locked
        raise Conflict(
            REFUSAL_MESSAGES["firm_cap_exhausted"],
            reason="firm_cap_exhausted",
            current_status=claim.status,
        )
    for key, value in decision.items():
        set_committed_value(claim, key, value)
    return head


@functools.cache
def _posting_reserving_decision(legs: int, columns: tuple[str, ...]) -> Select:
    """The posting statement, with the reservation within the cap and the decision made
    only if it was (WITH reserved …, decided …), and the audit chain's locked head."""
    claim = Claim.__table__
    decided = _reserving_decision(columns).returning(claim.c.id).cte("decided")
    head = locked_chain_head()
    one_row = select(literal(1).label("one")).subquery("one_row")
    return (
        posting_statement(legs)
        .add_columns(
            select(decided.c.id).scalar_subquery().label("decided"),
            head.c.id.label("head_id"),
            head.c.hash.label("head_hash"),
        )
        .select_from(one_row.outerjoin(head, true()))
    )


@functools.cache
def _reserving_decision(columns: tuple[str, ...]) -> Update:
    """WITH reserved AS (reservation within the cap) UPDATE claim … only if it was made."""
    reserved = _reserve_within_cap().returning(FirmUsage.__table__.c.id).cte("reserved")
    return _decision_update(columns).where(select(reserved.c.id).exists())


@functools.cache
def _decision_update(columns: tuple[str, ...]) -> Update:
    """UPDATE claim SET <column> = :v_<column> …: prefixed, because a statement with a
    nested UPDATE would take a parameter named like a column into that one's SET."""
    table = Claim.__table__
    return (
        table.update()
        .where(table.c.id == bindparam("claim_id"))
        .values({name: bindparam(f"v_{name}", type_=table.c[name].type) for name in columns})
    )


@functools.cache
def _reserve_within_cap() -> Update:
    """reserved += amount unless reserved + paid + amount would pass the cap."""
    usage = FirmUsage.__table__
    amount = bindparam("amount", type_=BigInteger)
    return (
        usage.update()
        .where(
            usage.c.id == bindparam("usage_id"),
            usage.c.reserved + usage.c.paid + amount <= bindparam("cap", type_=BigInteger),
        )
        .values(reserved=usage.c.reserved + amount)
    )


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [N_("Give a reason.")]})
    return reason


def reject_claim(actor: User, claim_id: int, reason: str) -> Claim:
    """Refuse a pending claim; its ticket closes."""
    claim = _manager_claim(actor, claim_id)
    next_claim_status("reject", claim.status)
    reason = _require_reason(reason)
    claim.status = "rejected"
    claim.reason = reason
    claim.decided_at = utcnow()
    claim.decided_by_id = actor.id
    record_event(
        actor.id,
        "claim.reject",
        "claim",
        claim.id,
        before={"status": "pending"},
        after={"status": "rejected", "reason": reason},
    )
    _close_ticket(claim, actor, reason)
    _notify_firm(claim, "claim_rejected")
    db.session.commit()
    return claim


def void_claim(actor: User, claim_id: int, reason: str) -> Claim:
    """Void an approved claim: release its reservation back to the pool."""
    claim = _manager_claim(actor, claim_id)
    next_claim_status("void", claim.status)
    reason = _require_reason(reason)
    amount = claim.government_share or 0
    usage = _locked_usage(claim.fiscal_year_id, claim.firm_id, claim.support_type)
    accounts, _ = lock_accounts(claim.fiscal_year_id, "pool_available", "pool_reserved")
    post_transaction(
        claim.fiscal_year_id,
        "release",
        amount,
        f"release:claim:{claim.id}",
        accounts=accounts,
        claim_id=claim.id,
        firm_id=claim.firm_id,
        support_type=claim.support_type,
        reason=reason,
        actor_id=actor.id,
    )
    firm_usage = FirmUsage.__table__
    db.session.execute(
        firm_usage.update()
        .where(firm_usage.c.id == usage.id)
        .values(reserved=firm_usage.c.reserved - amount)
    )
    claim.status = "voided"
    claim.reason = reason
    claim.decided_at = utcnow()
    claim.decided_by_id = actor.id
    record_event(
        actor.id,
        "claim.void",
        "claim",
        claim.id,
        before={"status": "approved"},
        after={"status": "voided", "released": amount, "reason": reason},
    )
    _close_ticket(claim, actor, reason)
    db.session.commit()
    return claim


def _notify_firm(claim: Claim, kind: str, users: list[int] | None = None) -> None:
    """Tell the firm's users (`users`, else looked up) of a decision (a claim is decided
    once: its id keys it)."""
    if users is None:
        users = firm_user_ids(claim.firm_id)
    if users:
        notify(users, kind, claim.ticket_id, claim.ticket.title, f"{kind}:c{claim.id}")


def _close_ticket(claim: Claim, actor: User | None, reason: str) -> None:
    ticket = db.session.get(Ticket, claim.ticket_id, with_for_update={"of": Ticket})
    if ticket.status == "confirmed":
        transition(ticket, actor, "close", reason, {"claim_id": claim.id, "claim": claim.status})
        ticket.closed_at = utcnow()


def set_line_eligibility(
    actor: User, claim_id: int, line_id: int, eligible: bool, reason: str
) -> Claim:
    """Change a cost line's eligibility (pending claims only, with a reason)."""
    claim = _manager_claim(actor, claim_id)
    if claim.status != "pending":
        raise Conflict(
            "Line eligibility changes only while the claim is pending",
            reason="invalid_transition",
            current_status=claim.status,
        )
    line = db.session.get(CostLine, line_id)
    if line is None or line.ticket_id != claim.ticket_id:
        raise NotFound("No such cost line on this claim")
    reason = _require_reason(reason)
    before = line.eligible
    line.eligible = bool(eligible)
    db.session.flush()
    claim.eligible_total, claim.ineligible_total = totals_of(claim.ticket_id)
    record_event(
        actor.id,
        "claim.line_eligibility",
        "claim",
        claim.id,
        before={"line_id": line.id, "eligible": before},
        after={
            "line_id": line.id,
            "eligible": line.eligible,
            "reason": reason,
            "eligible_total": claim.eligible_total,
        },
    )
    db.session.commit()
    return claim


def lines_of(claim: Claim) -> list[CostLine]:
    return list(
        db.session.scalars(
            select(CostLine).where(CostLine.ticket_id == claim.ticket_id).order_by(CostLine.id)
        )
    )
