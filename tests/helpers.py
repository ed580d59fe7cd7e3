"""Builders and clients that let tests read as sentences."""

from __future__ import annotations

import itertools
import secrets
from typing import Any

import flask
import flask_babel
from flask.testing import FlaskClient
from sqlalchemy import Executable, select, text

from aftercare.auth.models import User
from aftercare.auth.services import create_user, issue_token
from aftercare.db import utcnow
from aftercare.domain.registration import check_digit
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.firms.services import create_firm
from aftercare.ledger.models import FiscalYear
from aftercare.ledger.services import open_fiscal_year
from aftercare.meisters.services import create_profile
from aftercare.suppliers.models import Supplier
from aftercare.suppliers.services import create_supplier
from aftercare.tickets.models import Attachment

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def forge_audit(sql: str | Executable, **params: Any) -> None:
    """Run `sql` past audit_event's append-only triggers, as a forger owning the tables could.

    PostgreSQL: `SET LOCAL session_replication_role = replica` (a superuser's switch; no
    ordinary trigger fires). SQLite, which cannot switch triggers off: drop them, change,
    and create them again, all in one transaction.
    """
    session = db.session
    statement = text(sql) if isinstance(sql, str) else sql
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
        session.execute(statement, params)
    else:
        triggers = session.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
            {"t": "audit_event"},
        ).all()
        for name, _ in triggers:
            session.execute(text(f'DROP TRIGGER "{name}"'))
        session.execute(statement, params)
        for _, create in triggers:
            session.execute(text(create))
    session.commit()


def valid_brn(seed: int) -> str:
    """A registration number with a correct check digit, different for each seed."""
    first_nine = f"{(seed * 7919) % 10**9:09d}"
    return first_nine + str(check_digit(first_nine))


class Factory:
    """`make.firm()`, `make.user("manager")`, … with sensible defaults."""

    def firm(self, **overrides: Any) -> Firm:
        n = next(_counter)
        data = {
            "name": f"테스트공장 {n}",
            "registration_number": valid_brn(n),
            "size": "small",
            "region": "gyeonggi",
            "industry": "금속가공",
            "built_year": 2019,
            "policy_fund_year": 2020,
        } | overrides
        return create_firm(None, data)

    def supplier(self, **overrides: Any) -> Supplier:
        n = next(_counter)
        data = {
            "name": f"스마트솔루션 {n}",
            "registration_number": valid_brn(50_000 + n),
            "representative": "김대표",
            "region": "gyeonggi",
            "solutions": ["mes"],
        } | overrides
        return create_supplier(None, data)

    def user(self, role: str, firm: Firm | None = None, **overrides: Any) -> User:
        n = next(_counter)
        if role == "firm" and firm is None:
            firm = self.firm()
        kwargs = {
            "email": f"{role}{n}@example.kr",
            "name": f"{role} {n}",
            "password": PASSWORD,
            "role": role,
            "firm_id": firm.id if firm else None,
        } | overrides
        return create_user(None, **kwargs)

    def meister(self, **profile: Any) -> User:
        user = self.user("meister")
        create_profile(None, user.id, {"specialties": ["plc"], "regions": ["seoul"]} | profile)
        return user

    def fiscal_year(self, year: int = 2021, budget: int = 4_400_000_000, **kw: Any) -> FiscalYear:
        return open_fiscal_year(None, year=year, budget=budget, **kw)


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, user_or_email: User | str, password: str = PASSWORD, **kw: Any):
        email = user_or_email.email if isinstance(user_or_email, User) else user_or_email
        return self.client.post("/login", data={"email": email, "password": password}, **kw)

    def logout(self):
        return self.client.post("/logout")


class ApiClient:
    """Calls /api/v1 with a bearer token: `api.as_(user).get("/me")`."""

    def __init__(self, client: FlaskClient, token: str | None = None) -> None:
        self.client = client
        self.token = token

    def as_(self, user: User) -> ApiClient:
        token, _ = issue_token(user)
        return ApiClient(self.client, token)

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return headers | (extra or {})

    def get(self, path: str, headers: dict[str, str] | None = None, **kw: Any):
        return self.client.get(f"/api/v1{path}", headers=self._headers(headers), **kw)

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None, **kw: Any):
        if json is None and "data" not in kw:
            json = {}
        return self.client.post(f"/api/v1{path}", json=json, headers=self._headers(headers), **kw)

    def patch(self, path: str, json: Any = None, headers: dict[str, str] | None = None):
        return self.client.patch(f"/api/v1{path}", json=json, headers=self._headers(headers))

    def delete(self, path: str, headers: dict[str, str] | None = None):
        return self.client.delete(f"/api/v1{path}", headers=self._headers(headers))


def pending_claim(api: ApiClient, make: Factory, unit_price: int = 1_000_000) -> dict[str, Any]:
    """A claim taken through the API from filing to the firm's sign-off (pending approval)."""
    firm = make.firm(region="busan")
    facts = {
        "firm_id": firm.id,
        "firm_name": firm.name,
        "registration_number": firm.registration_number,
    }
    firm_api = api.as_(make.user("firm", firm=firm))
    manager_api = api.as_(make.user("manager"))
    meister_user = make.meister(specialties=["plc"], regions=["busan"])
    meister_api = api.as_(meister_user)
    ticket = firm_api.post(
        "/tickets",
        json={
            "category": "breakdown",
            "severity": "high",
            "title": "PLC 통신 두절",
            "description": "2호 라인 정지",
            "tags": ["plc"],
        },
    )
    assert ticket.status_code == 201, ticket.get_json()
    tid = ticket.get_json()["id"]
    assert (
        manager_api.post(f"/tickets/{tid}/triage", json={"decision": "accept"}).status_code == 200
    )
    assigned = manager_api.post(f"/tickets/{tid}/assign", json={"meister_id": meister_user.id})
    assert assigned.status_code == 200, assigned.get_json()
    assert meister_api.post(f"/tickets/{tid}/accept").status_code == 200
    visit = meister_api.post(
        f"/tickets/{tid}/visits",
        json={
            "visited_on": seoul_today().isoformat(),
            "hours": 2,
            "notes": "교체",
            "cost_lines": [
                {"kind": "labour", "description": "수리", "quantity": 1, "unit_price": unit_price}
            ],
        },
    )
    assert visit.status_code == 201, visit.get_json()
    give_evidence(tid)
    assert meister_api.post(f"/tickets/{tid}/resolve", json={"summary": "완료"}).status_code == 200
    confirmed = firm_api.post(f"/tickets/{tid}/confirm", json={"rating": 5}).get_json()
    return facts | {"ticket_id": tid, "claim_id": confirmed["claim"]["id"]}


def forget_language() -> None:
    """Let the next request find its reader's language again.

    Requests made inside a test share the test's app context, so `g` and Flask-Babel keep
    the first request's language (in a server each request has its own context).
    """
    flask_babel.refresh()
    flask.g.pop("language_code", None)
    flask.g.pop("translations", None)


# ---------------------------------------------------------------- evidence (docs/evidence.md)


def evidence_supplier_id() -> int:
    """The supplier that issues the invoices `give_evidence` writes (one per database)."""
    from aftercare.suppliers.models import Supplier as SupplierRow

    found = db.session.scalar(
        select(SupplierRow.id).where(SupplierRow.name == "증빙 테스트 공급기업")
    )
    if found is not None:
        return found
    supplier = SupplierRow(name="증빙 테스트 공급기업", solutions=[], active=True)
    db.session.add(supplier)
    db.session.flush()
    return supplier.id


def _evidence_file(ticket_id: int, uploader_id: int, kind: str, line_id: int | None = None) -> int:
    """An attachment row standing for a PDF (approval and settlement read rows, not bytes)."""
    attachment = Attachment(
        ticket_id=ticket_id,
        uploaded_by_id=uploader_id,
        original_name="세금계산서.pdf",
        stored_name=secrets.token_hex(16) + ".pdf",
        content_type="application/pdf",
        size=4,
        sha256="0" * 64,
        kind=kind,
        cost_line_id=line_id,
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment.id


def give_evidence(ticket_id: int, commit: bool = True) -> None:
    """Every cost line of the ticket without an invoice gets a supplier, a well-formed
    invoice issued today for its amount (VAT apart), a card payment and an evidence file."""
    from aftercare.meisters.models import CostLine
    from aftercare.tickets.models import Ticket

    today = seoul_today()
    supplier_id = evidence_supplier_id()
    ticket = db.session.get(Ticket, ticket_id)
    for line in db.session.scalars(
        select(CostLine).where(CostLine.ticket_id == ticket_id, CostLine.invoice_number.is_(None))
    ):
        line.supplier_id = supplier_id
        line.invoice_number = f"{today:%Y%m%d}{41000000 + ticket_id % 1000:08d}{line.id:08d}"
        line.invoice_issued_on = today
        line.invoice_supply_amount = line.amount
        line.invoice_vat = line.amount // 10
        line.payment_method = "card"
        line.paid_on = today
        _evidence_file(ticket_id, ticket.created_by_id, "evidence", line.id)
    if commit:
        db.session.commit()


def make_settleable(claim_id: int, commit: bool = True) -> None:
    """Verify the claim's unreviewed eligible lines and confirm the firm's share, as an
    auditor and the firm would have (settlement pays only such claims)."""
    from aftercare.claims.models import Claim, FirmPayment
    from aftercare.meisters.models import CostLine

    claim = db.session.get(Claim, claim_id)
    reviewer = _system_user("auditor")
    for line in db.session.scalars(
        select(CostLine).where(
            CostLine.ticket_id == claim.ticket_id,
            CostLine.eligible.is_(True),
            CostLine.review_status == "pending",
        )
    ):
        line.review_status, line.reviewed_by_id, line.reviewed_at = "verified", reviewer, utcnow()
    if db.session.scalar(select(FirmPayment.id).where(FirmPayment.claim_id == claim_id)) is None:
        recorder = claim.ticket.created_by_id
        db.session.add(
            FirmPayment(
                claim_id=claim_id,
                amount=claim.firm_share or 0,
                method="transfer",
                paid_on=seoul_today(),
                attachment_id=_evidence_file(claim.ticket_id, recorder, "firm_payment"),
                recorded_by_id=recorder,
                recorded_at=utcnow(),
                confirmed_by_id=reviewer,
                confirmed_at=utcnow(),
            )
        )
    if commit:
        db.session.commit()


def make_all_settleable() -> int:
    """`make_settleable` for every approved claim; how many."""
    from aftercare.claims.models import Claim

    ids = db.session.scalars(select(Claim.id).where(Claim.status == "approved")).all()
    for claim_id in ids:
        make_settleable(claim_id, commit=False)
    db.session.commit()
    return len(ids)


def _system_user(role: str) -> int:
    """An inactive user of `role` that stands for the people tests do not name."""
    email = f"stand-in-{role}@example.kr"
    found = db.session.scalar(select(User.id).where(User.email == email))
    if found is not None:
        return found
    user = User(email=email, name=f"stand-in {role}", password_hash="!", role=role, active=False)
    db.session.add(user)
    db.session.flush()
    return user.id
