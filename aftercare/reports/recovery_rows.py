"""Recovery exports (cases, the receivable's ledger, restrictions) and dashboard figures.

Headers and values are Korean first, as every export: a reader opens them in Excel.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from aftercare.auth.models import User
from aftercare.core.exports import streamed
from aftercare.domain import recovery as rules
from aftercare.domain.time import seoul_midnight_utc, seoul_today, to_seoul
from aftercare.extensions import db
from aftercare.firms.models import Firm, Restriction
from aftercare.ledger.models import LedgerTransaction
from aftercare.recovery.models import RecoveryCase

STATUS = {
    "open": "접수",
    "decided": "환수 결정",
    "dismissed": "기각",
    "objected": "이의신청",
    "upheld": "이의 기각(원결정 유지)",
    "revised": "금액 변경",
    "partly_paid": "일부 납부",
    "paid": "납부 완료",
    "written_off": "결손 처분",
}
GROUNDS = {
    "false_invoice": "허위 세금계산서·서류",
    "firm_share_unpaid": "자부담 미납",
    "obligation_breached": "의무 위반",
    "other": "기타",
}
KIND = {
    "clawback": "환수 결정",
    "revise": "금액 감액",
    "recovery": "납부",
    "write_off": "결손 처분",
}

CASE_HEADER = (
    "사건 (Case)",
    "기업 (Firm)",
    "사업자등록번호 (Registration)",
    "상태 (Status)",
    "사유 (Grounds)",
    "요청 금액 (Amount)",
    "결정 금액 (Decided)",
    "납부 (Recovered)",
    "결손 (Written off)",
    "미수 (Owed)",
    "납부 기한 (Due)",
    "접수 (Opened)",
    "결정 (Decided at)",
)
LEDGER_HEADER = (
    "거래 (Transaction)",
    "일시 (When)",
    "종류 (Kind)",
    "사건 (Case)",
    "기업 (Firm)",
    "금액 (Amount)",
    "미수금 증감 (Receivable change)",
)
RESTRICTION_HEADER = (
    "번호 (ID)",
    "기업 (Firm)",
    "사업자등록번호 (Registration)",
    "근거 (Source)",
    "사건 (Case)",
    "처분 기관 (Imposed by)",
    "사유 (Reason)",
    "시작 (Starts)",
    "종료 (Ends)",
    "상태 (State)",
)


def _when(value: datetime | None) -> str:
    return to_seoul(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _scoped(actor: User, stmt: Select) -> Select:
    return stmt.where(RecoveryCase.firm_id == actor.firm_id) if actor.role == "firm" else stmt


def case_rows(actor: User) -> Iterator[tuple[Any, ...]]:
    stmt = _scoped(
        actor,
        select(RecoveryCase, Firm.name, Firm.registration_number)
        .join(Firm, Firm.id == RecoveryCase.firm_id)
        .order_by(RecoveryCase.id.desc()),
    )
    for case, name, number in streamed(stmt):
        yield (
            case.id,
            name,
            number,
            STATUS.get(case.status, case.status),
            GROUNDS.get(case.grounds, case.grounds),
            case.amount,
            case.decided_amount if case.decided_amount is not None else "",
            case.recovered,
            case.written_off,
            case.owed,
            case.due_on.isoformat() if case.due_on else "",
            _when(case.opened_at),
            _when(case.decided_at),
        )


RECEIVABLE_SIGN = {"clawback": 1, "revise": -1, "recovery": -1, "write_off": -1}


def ledger_rows() -> Iterator[tuple[Any, ...]]:
    """The receivable's ledger: every recovery transaction, oldest first."""
    stmt = (
        select(LedgerTransaction, Firm.name)
        .outerjoin(Firm, Firm.id == LedgerTransaction.firm_id)
        .where(LedgerTransaction.type.in_(tuple(RECEIVABLE_SIGN)))
        .order_by(LedgerTransaction.id)
    )
    for txn, name in streamed(stmt):
        yield (
            txn.id,
            _when(txn.created_at),
            KIND[txn.type],
            txn.recovery_case_id,
            name or "",
            txn.amount,
            RECEIVABLE_SIGN[txn.type] * txn.amount,
        )


def restriction_rows(stmt: Select) -> Iterator[tuple[Any, ...]]:
    today = seoul_today()
    for row in streamed(stmt):
        restriction: Restriction = row[0]
        active = rules.Restriction(restriction.starts_on, restriction.ends_on).active_on(today)
        yield (
            restriction.id,
            restriction.firm.name,
            restriction.firm.registration_number,
            "환수 결정" if restriction.source == "case" else "외부 처분",
            restriction.case_id or "",
            restriction.source_note,
            restriction.reason,
            restriction.starts_on.isoformat(),
            restriction.ends_on.isoformat(),
            "제한 중" if active else "종료",
        )


def totals(actor: User) -> dict[str, int]:
    """Open cases, the amount receivable and what came back this (calendar) year."""
    owing = RecoveryCase.status.in_(tuple(rules.OWING | {"open", "objected"}))
    owed = (
        func.coalesce(RecoveryCase.decided_amount, 0)
        - RecoveryCase.recovered
        - RecoveryCase.written_off
    )
    open_cases, receivable = db.session.execute(
        _scoped(actor, select(func.count(), func.coalesce(func.sum(owed), 0)).where(owing))
    ).one()
    year_start = seoul_midnight_utc(seoul_today().replace(month=1, day=1))
    recovered = select(func.coalesce(func.sum(LedgerTransaction.amount), 0)).where(
        LedgerTransaction.type == "recovery", LedgerTransaction.created_at >= year_start
    )
    if actor.role == "firm":
        recovered = recovered.where(LedgerTransaction.firm_id == actor.firm_id)
    return {
        "open_cases": int(open_cases),
        "receivable": int(receivable),
        "recovered_this_year": int(db.session.scalar(recovered)),
    }
