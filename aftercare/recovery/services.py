"""Recovery cases (환수): open, decide or dismiss, object, uphold or revise, record the
money coming back, write off (docs/recovery.md).

Every money step is a new ledger transaction (clawback, revise, recovery, write_off),
never an edit. Lock order: the case → the claims (at opening) → the year's accounts
(post_transaction) → the audit chain (record_event, last).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from aftercare.audit.services import record_event
from aftercare.auth.models import User
from aftercare.claims.models import Claim
from aftercare.db import utcnow
from aftercare.domain import recovery as rules
from aftercare.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from aftercare.domain.filetypes import ALLOWED, clean_filename, with_extension
from aftercare.domain.text import N_
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.firms import restrictions
from aftercare.ledger.models import FiscalYear
from aftercare.ledger.services import post_transaction
from aftercare.notifications.services import firm_user_ids, manager_ids, notify
from aftercare.recovery.models import (
    RecoveryCase,
    RecoveryClaim,
    RecoveryEvent,
    RecoveryFile,
    RecoveryPayment,
)
from aftercare.tickets import storage
from aftercare.tickets.services import Upload, check_upload

READERS = ("manager", "auditor", "firm")
OPENERS = ("manager", "auditor")
MONEY_MAX = 10**13
NOTE_MAX = 10_000
DUE_MAX_DAYS = 366


# ---------------------------------------------------------------- reading


def case_for(actor: User, case_id: int, lock: bool = False) -> RecoveryCase:
    """The case if `actor` may see it: managers and auditors all, a firm its own (404)."""
    if actor.role not in READERS:
        raise Forbidden("Your role may not see recovery cases")
    case = db.session.get(
        RecoveryCase,
        case_id,
        with_for_update={"of": RecoveryCase} if lock else None,
        populate_existing=lock,
    )
    if case is None or (actor.role == "firm" and case.firm_id != actor.firm_id):
        raise NotFound("No such recovery case")
    return case


def _rows_of(model, case_id: int) -> list:
    """A case's events, files or payments, oldest first."""
    return list(
        db.session.scalars(select(model).where(model.case_id == case_id).order_by(model.id))
    )


def events_of(case_id: int) -> list[RecoveryEvent]:
    return _rows_of(RecoveryEvent, case_id)


def files_of(case_id: int) -> list[RecoveryFile]:
    return _rows_of(RecoveryFile, case_id)


def payments_of(case_id: int) -> list[RecoveryPayment]:
    return _rows_of(RecoveryPayment, case_id)


def file_for(actor: User, file_id: int) -> RecoveryFile:
    """A case's file if `actor` may see its case (404 otherwise)."""
    found = db.session.get(RecoveryFile, file_id)
    if found is None:
        raise NotFound("No such file")
    try:
        case_for(actor, found.case_id)
    except (NotFound, Forbidden) as error:
        raise NotFound("No such file") from error
    return found


def cases_of_claim(claim_id: int) -> list[RecoveryCase]:
    """The cases a claim is in (the claim page links them)."""
    return list(
        db.session.scalars(
            select(RecoveryCase)
            .join(RecoveryClaim, RecoveryClaim.case_id == RecoveryCase.id)
            .where(RecoveryClaim.claim_id == claim_id)
            .order_by(RecoveryCase.id)
        )
    )


# ---------------------------------------------------------------- helpers


def _require(actor: User, roles: tuple[str, ...], message: str) -> None:
    if actor.role not in roles:
        raise Forbidden(message)


def _note(text: str | None, field: str, required: bool, message: str) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationFailed({field: [message]})
    if len(text) > NOTE_MAX:
        raise ValidationFailed({field: [N_("At most 10,000 characters.")]})
    return text


def _money(value: object, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MONEY_MAX:
        raise ValidationFailed({field: [N_("Amount must be a positive number of won.")]})
    return value


def _not_the_same(actor: User, other_id: int | None, message: str) -> None:
    """Four eyes: the step needs a person other than the one who took the last."""
    if other_id == actor.id:
        raise Conflict(message, reason="four_eyes")


def _step(case: RecoveryCase, actor: User | None, action: str, note: str = "", amount=None):
    """Move the case by `action` and write it on its timeline."""
    before = case.status
    case.status = rules.next_status(action, case.status)
    db.session.add(
        RecoveryEvent(
            case_id=case.id,
            actor_id=actor.id if actor else None,
            action=action,
            from_status=before,
            to_status=case.status,
            amount=amount,
            note=note,
            created_at=utcnow(),
        )
    )
    return before


def _audit(actor: User | None, action: str, case: RecoveryCase, before: str, **after) -> None:
    record_event(
        actor.id if actor else None,
        f"recovery.{action}",
        "recovery_case",
        case.id,
        before={"status": before},
        after={"status": case.status, **after},
    )


def _ledger(case: RecoveryCase, kind: str, amount: int, key: str, actor: User) -> int:
    return post_transaction(
        case.fiscal_year_id,
        kind,
        amount,
        key,
        firm_id=case.firm_id,
        recovery_case_id=case.id,
        reason=f"환수 사건 #{case.id} (recovery case)",
        actor_id=actor.id,
    )


def _message(case: RecoveryCase) -> str:
    return f"환수 사건 #{case.id} · {case.firm.name}"


def _store_files(case: RecoveryCase, actor: User, uploads: list[Upload], kind: str) -> list[int]:
    ids = []
    for upload in uploads:
        checked, content_type = check_upload(upload, evidence=True)
        stored_name, digest = storage.save_bytes(db.session(), checked.data, ALLOWED[content_type])
        name = with_extension(clean_filename(checked.filename, fallback="evidence"), content_type)
        row = RecoveryFile(
            case_id=case.id,
            kind=kind,
            original_name=name,
            stored_name=stored_name,
            content_type=content_type,
            size=len(checked.data),
            sha256=digest,
            uploaded_by_id=actor.id,
            created_at=utcnow(),
        )
        db.session.add(row)
        db.session.flush()
        ids.append(row.id)
    return ids


# ---------------------------------------------------------------- opening


@dataclass(frozen=True)
class Opening:
    claim_ids: list[int]
    grounds: str
    grounds_note: str
    amount: int


def _checked_opening(data: Opening) -> Opening:
    errors: dict[str, list[str]] = {}
    ids = sorted(set(data.claim_ids or []))
    if not ids:
        errors["claim_ids"] = [N_("Choose at least one settled claim.")]
    if data.grounds not in rules.GROUNDS:
        errors["grounds"] = [N_("Choose the grounds from the list.")]
    note = (data.grounds_note or "").strip()
    if data.grounds == "other" and not note:
        errors["grounds_note"] = [N_("Other grounds need a description.")]
    if errors:
        raise ValidationFailed(errors)
    return Opening(
        ids, data.grounds, _note(note, "grounds_note", False, ""), _money(data.amount, "amount")
    )


def _claims_to_recover(claim_ids: list[int]) -> list[Claim]:
    """The settled claims, locked, of one firm and one year, in no other live case."""
    claims = list(
        db.session.scalars(
            select(Claim)
            .where(Claim.id.in_(claim_ids))
            .order_by(Claim.id)
            .with_for_update(of=Claim)
        )
    )
    if len(claims) != len(claim_ids):
        raise ValidationFailed({"claim_ids": [N_("No such claim.")]})
    if any(c.status != "settled" for c in claims):
        raise Conflict(N_("Money is recovered on settled claims only."), reason="claim_not_settled")
    if len({c.firm_id for c in claims}) > 1:
        raise ValidationFailed({"claim_ids": [N_("The claims of one case belong to one firm.")]})
    if len({c.fiscal_year_id for c in claims}) > 1:
        raise ValidationFailed(
            {"claim_ids": [N_("The claims of one case belong to one fiscal year.")]}
        )
    live = db.session.scalar(
        select(RecoveryClaim.claim_id)
        .join(RecoveryCase, RecoveryCase.id == RecoveryClaim.case_id)
        .where(RecoveryClaim.claim_id.in_(claim_ids), RecoveryCase.status != "dismissed")
        .limit(1)
    )
    if live is not None:
        raise Conflict(
            N_("A claim of this case is already in another recovery case."), reason="claim_in_case"
        )
    return claims


def open_case(actor: User, data: Opening, uploads: list[Upload] | None = None) -> RecoveryCase:
    """A manager or auditor opens a case on settled claims of one firm."""
    _require(actor, OPENERS, "Only programme managers and auditors open recovery cases")
    data = _checked_opening(data)
    claims = _claims_to_recover(data.claim_ids)
    paid = sum(c.government_share or 0 for c in claims)
    if data.amount > paid:
        raise ValidationFailed(
            {"amount": [N_("The amount may not exceed the government share paid on these claims.")]}
        )
    case = RecoveryCase(
        fiscal_year_id=claims[0].fiscal_year_id,
        firm_id=claims[0].firm_id,
        status="open",
        grounds=data.grounds,
        grounds_note=data.grounds_note,
        amount=data.amount,
        opened_by_id=actor.id,
        opened_at=utcnow(),
    )
    db.session.add(case)
    db.session.flush()
    for claim in claims:
        db.session.add(
            RecoveryClaim(case_id=case.id, claim_id=claim.id, paid=claim.government_share or 0)
        )
    file_ids = _store_files(case, actor, uploads or [], "evidence")
    db.session.add(
        RecoveryEvent(
            case_id=case.id,
            actor_id=actor.id,
            action="open",
            to_status="open",
            amount=data.amount,
            note=data.grounds_note,
            created_at=utcnow(),
        )
    )
    notify(manager_ids(), "recovery_opened", None, _message(case), f"rec_open:c{case.id}")
    notify(
        firm_user_ids(case.firm_id), "recovery_opened", None, _message(case), f"rec_open:c{case.id}"
    )
    record_event(
        actor.id,
        "recovery.open",
        "recovery_case",
        case.id,
        after={
            "status": "open",
            "claim_ids": data.claim_ids,
            "grounds": data.grounds,
            "amount": data.amount,
            "file_ids": file_ids,
        },
    )
    db.session.commit()
    return case


def add_files(
    actor: User, case_id: int, uploads: list[Upload], kind: str = "evidence"
) -> list[int]:
    """More evidence for an open case (managers, auditors) or for the firm's objection."""
    case = case_for(actor, case_id, lock=True)
    if kind == "objection":
        _require(actor, ("firm",), "Only the firm adds files to its objection")
    else:
        _require(actor, OPENERS, "Only programme managers and auditors add evidence")
        if case.status in rules.FINAL:
            raise Conflict(
                N_("The case is closed."), reason="invalid_transition", current_status=case.status
            )
    if not uploads:
        raise ValidationFailed({"file": [N_("Choose a file (PDF, JPEG or PNG).")]})
    ids = _store_files(case, actor, uploads, kind)
    record_event(
        actor.id, "recovery.attach", "recovery_case", case.id, after={"file_ids": ids, "kind": kind}
    )
    db.session.commit()
    return ids


# ---------------------------------------------------------------- deciding


def _manager_case(actor: User, case_id: int) -> RecoveryCase:
    case = case_for(actor, case_id, lock=True)
    _require(actor, ("manager",), "Only programme managers decide recovery cases")
    return case


def _due(due_on: date | None, today: date) -> date:
    if due_on is None:
        raise ValidationFailed({"due_on": [N_("Give the date the money is due.")]})
    if not today < due_on <= date.fromordinal(today.toordinal() + DUE_MAX_DAYS):
        raise ValidationFailed({"due_on": [N_("The due date lies after today and within a year.")]})
    return due_on


def decide(
    actor: User, case_id: int, amount: int, due_on: date | None, note: str = ""
) -> RecoveryCase:
    """A manager other than the opener decides: the amount (at most what was asked) is
    clawed back from paid_out into the receivable; false documents restrict the firm."""
    case = _manager_case(actor, case_id)
    rules.next_status("decide", case.status)  # 409 before anything else
    _not_the_same(actor, case.opened_by_id, N_("You opened this case: another manager decides it."))
    amount = _money(amount, "amount")
    if amount > case.amount:
        raise ValidationFailed(
            {"amount": [N_("The decided amount may not exceed the amount of the case.")]}
        )
    today = seoul_today()
    case.due_on = _due(due_on, today)
    note = _note(note, "note", False, "")
    if not db.session.scalar(
        select(func.count())
        .select_from(RecoveryFile)
        .where(RecoveryFile.case_id == case.id, RecoveryFile.kind == "evidence")
    ):
        raise Conflict(
            N_("Attach the evidence of the grounds before deciding."), reason="evidence_missing"
        )
    _ledger(case, "clawback", amount, f"clawback:case:{case.id}", actor)
    before = _step(case, actor, "decide", note, amount)
    case.decided_amount, case.decided_by_id, case.decided_at = amount, actor.id, utcnow()
    case.decided_on, case.decision_note = today, note
    restriction_id = None
    if rules.restricts(case.grounds):
        restriction_id = restrictions.restrict_for_case(
            case.firm_id, case.id, today, _years(case), actor.id
        )
    notify(
        firm_user_ids(case.firm_id), "recovery_decided", None, _message(case), f"rec_dec:c{case.id}"
    )
    _audit(
        actor,
        "decide",
        case,
        before,
        amount=amount,
        due_on=case.due_on.isoformat(),
        restriction_id=restriction_id,
    )
    db.session.commit()
    return case


def _years(case: RecoveryCase) -> int:
    year = db.session.get(FiscalYear, case.fiscal_year_id)
    return year.restriction_years if year else rules.DEFAULT_RESTRICTION_YEARS


def dismiss(actor: User, case_id: int, reason: str) -> RecoveryCase:
    """A manager other than the opener dismisses the case: nothing is owed."""
    case = _manager_case(actor, case_id)
    rules.next_status("dismiss", case.status)
    _not_the_same(actor, case.opened_by_id, N_("You opened this case: another manager decides it."))
    reason = _note(reason, "reason", True, N_("Give a reason."))
    before = _step(case, actor, "dismiss", reason)
    case.closed_reason, case.decided_by_id, case.decided_at = reason, actor.id, utcnow()
    notify(
        firm_user_ids(case.firm_id), "recovery_decided", None, _message(case), f"rec_dec:c{case.id}"
    )
    _audit(actor, "dismiss", case, before, reason=reason)
    db.session.commit()
    return case


# ---------------------------------------------------------------- the firm's objection


def object_to(
    actor: User, case_id: int, text: str, uploads: list[Upload] | None = None
) -> RecoveryCase:
    """The firm objects to a decision within 30 days of it, with text and files."""
    case = case_for(actor, case_id, lock=True)
    _require(actor, ("firm",), "Only the firm objects to a decision")
    rules.next_status("object", case.status)
    if not rules.may_object(case.decided_on, seoul_today()):
        raise Conflict(
            N_("The 30 days to object to this decision have passed."), reason="objection_late"
        )
    text = _note(text, "text", True, N_("Say why you object."))
    file_ids = _store_files(case, actor, uploads or [], "objection")
    before = _step(case, actor, "object", text)
    case.objection_text, case.objected_by_id, case.objected_at = text, actor.id, utcnow()
    notify(manager_ids(), "recovery_objection", None, _message(case), f"rec_obj:c{case.id}")
    _audit(actor, "object", case, before, file_ids=file_ids)
    db.session.commit()
    return case


def decide_objection(
    actor: User, case_id: int, outcome: str, note: str, amount: int | None = None
) -> RecoveryCase:
    """A manager other than the decider upholds the decision or revises its amount down;
    a revision gives the difference back to paid_out in a new `revise` transaction."""
    case = _manager_case(actor, case_id)
    if outcome not in ("uphold", "revise"):
        raise ValidationFailed({"outcome": [N_("Choose to uphold or to revise.")]})
    rules.next_status(outcome, case.status)
    _not_the_same(
        actor,
        case.decided_by_id,
        N_("You decided this case: another manager answers the objection."),
    )
    note = _note(note, "note", True, N_("Give a reason."))
    given_back = None
    if outcome == "revise":
        amount = _money(amount, "amount")
        if amount >= case.decided_amount:
            raise ValidationFailed(
                {"amount": [N_("A revised amount is lower than the decided one.")]}
            )
        given_back = case.decided_amount - amount
        _ledger(case, "revise", given_back, f"revise:case:{case.id}", actor)
        case.decided_amount = amount
    before = _step(case, actor, outcome, note, amount if outcome == "revise" else None)
    case.objection_decided_by_id, case.objection_decided_at = actor.id, utcnow()
    case.objection_note = note
    notify(
        firm_user_ids(case.firm_id),
        "recovery_objection_decided",
        None,
        _message(case),
        f"rec_objdec:c{case.id}",
    )
    _audit(actor, outcome, case, before, decided_amount=case.decided_amount, given_back=given_back)
    db.session.commit()
    return case


# ---------------------------------------------------------------- money back


def record_payment(
    actor: User, case_id: int, amount: int, received_on: date | None, note: str = ""
) -> RecoveryPayment:
    """A manager records money received from the firm (a `recovery` transaction)."""
    case = _manager_case(actor, case_id)
    owed = case.owed
    action = rules.payment_action(owed, amount if isinstance(amount, int) else 0)
    rules.next_status(action, case.status)
    amount = _money(amount, "amount")
    if amount > owed:
        raise ValidationFailed({"amount": [N_("The payment is more than what is owed.")]})
    if received_on is None or received_on > seoul_today():
        raise ValidationFailed(
            {"received_on": [N_("Give the day the money arrived (not in the future).")]}
        )
    note = _note(note, "note", False, "")
    number = len(payments_of(case.id)) + 1
    txn_id = _ledger(case, "recovery", amount, f"recovery:case:{case.id}:{number}", actor)
    payment = RecoveryPayment(
        case_id=case.id,
        amount=amount,
        received_on=received_on,
        note=note,
        transaction_id=txn_id,
        recorded_by_id=actor.id,
        recorded_at=utcnow(),
    )
    db.session.add(payment)
    case.recovered = case.recovered + amount
    before = _step(case, actor, action, note, amount)
    db.session.flush()
    _audit(actor, "payment", case, before, amount=amount, transaction_id=txn_id, owed=case.owed)
    db.session.commit()
    return payment


def write_off(actor: User, case_id: int, reason: str) -> RecoveryCase:
    """A manager writes off what is still owed (a `write_off` transaction, with a reason)."""
    case = _manager_case(actor, case_id)
    rules.next_status("write_off", case.status)
    reason = _note(reason, "reason", True, N_("Give a reason."))
    owed = case.owed
    if owed > 0:
        _ledger(case, "write_off", owed, f"write_off:case:{case.id}", actor)
    case.written_off = case.written_off + owed
    before = _step(case, actor, "write_off", reason, owed)
    case.closed_reason = reason
    _audit(actor, "write_off", case, before, amount=owed, reason=reason)
    db.session.commit()
    return case


# ---------------------------------------------------------------- the scheduled job


def flag_due(now: datetime) -> dict[str, int]:
    """Tell the firm 7 days before a recovery is due, and firm and managers once it is
    overdue; each case once for each (the job runs every few minutes)."""
    today = seoul_today()
    soon = overdue = 0
    owing = select(RecoveryCase).where(
        RecoveryCase.status.in_(rules.OWING), RecoveryCase.due_on.is_not(None)
    )
    for case in db.session.scalars(owing.order_by(RecoveryCase.id)):
        if rules.is_overdue(case.status, case.due_on, today) and case.overdue_notified_at is None:
            users = firm_user_ids(case.firm_id) + manager_ids()
            notify(users, "recovery_overdue", None, _message(case), f"rec_over:c{case.id}")
            case.overdue_notified_at = now
            overdue += 1
        elif (
            rules.is_due_soon(case.status, case.due_on, today) and case.due_soon_notified_at is None
        ):
            notify(
                firm_user_ids(case.firm_id),
                "recovery_due_soon",
                None,
                _message(case),
                f"rec_soon:c{case.id}",
            )
            case.due_soon_notified_at = now
            soon += 1
    db.session.commit()
    return {"recovery_due_soon": soon, "recovery_overdue": overdue}
