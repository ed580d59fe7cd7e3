"""The recovery pages in Korean: a manager opens a case from a settled claim's page,
another decides it, the firm sees what it owes and objects, a form error stays in place,
the restriction register and its export, and the triage warning on a restricted firm."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from sqlalchemy import select

from aftercare.auth.models import User
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.firms.models import Restriction
from aftercare.recovery.models import RecoveryCase
from aftercare.tickets.services import file_ticket
from tests.integration.ledger_support import ONE_APPROVER, settled_claim

PDF = b"%PDF-1.4\n%grounds\n"


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _settled(make) -> tuple[int, User]:
    """A settled claim (1,000,000 won paid) of a new firm, and that firm's user."""
    firm = make.firm()
    firm_user = make.user("firm", firm=firm, language="ko")
    return settled_claim(make.user("manager"), firm.id), firm_user


def _year(make) -> None:
    make.fiscal_year(year=seoul_today().year, second_approval_from=ONE_APPROVER)


def _open_case(client, auth, make, claim_id: int) -> int:
    opener = make.user("manager", language="ko")
    auth.login(opener)
    answer = client.post(
        f"/recovery/new?claim_id={claim_id}",
        data={
            "claim_ids": [str(claim_id)],
            "grounds": "false_invoice",
            "grounds_note": "공급기업이 발행하지 않은 세금계산서",
            "amount": "1000000",
            "files": (io.BytesIO(PDF), "위조 세금계산서.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302, _text(answer)
    auth.logout()
    return db.session.scalar(select(RecoveryCase.id).order_by(RecoveryCase.id.desc()))


def test_a_manager_opens_a_case_from_the_settled_claims_page(client, auth, make):
    _year(make)
    claim_id, _ = _settled(make)
    auth.login(make.user("auditor", language="ko"))

    claim_page = _text(client.get(f"/claims/{claim_id}"))
    form = _text(client.get(f"/recovery/new?claim_id={claim_id}"))
    too_much = client.post(
        f"/recovery/new?claim_id={claim_id}",
        data={"claim_ids": [str(claim_id)], "grounds": "false_invoice", "amount": "1000001"},
    )

    assert "환수 사건 접수" in claim_page
    assert f"청구 #{claim_id}" in form
    assert "지급 1,000,000원" in form
    assert too_much.status_code == 422
    assert "금액은 이 청구들에 지급된 지원금을 넘을 수 없습니다." in _text(too_much)
    assert db.session.scalar(select(RecoveryCase.id)) is None


def test_another_manager_decides_and_the_firm_sees_what_it_owes_and_objects(client, auth, make):
    _year(make)
    claim_id, firm_user = _settled(make)
    case_id = _open_case(client, auth, make, claim_id)
    decider = make.user("manager", language="ko")
    auth.login(decider)
    due = (seoul_today() + timedelta(days=30)).isoformat()

    decided = client.post(f"/recovery/{case_id}/decide", data={"amount": "800000", "due_on": due})
    page = _text(client.get(f"/recovery/{case_id}"))

    assert decided.status_code == 302
    assert "결정했습니다." in page
    assert "800,000원" in page
    auth.logout()
    auth.login(firm_user)
    owed = _text(client.get(f"/recovery/{case_id}"))
    assert f"납부할 환수금 800,000원, 기한 {due}." in owed
    assert "참여제한" in owed  # false documents exclude the firm
    empty = client.post(f"/recovery/{case_id}/objection", data={"text": ""})
    assert empty.status_code == 422
    assert db.session.get(RecoveryCase, case_id).status == "decided"
    filed = client.post(f"/recovery/{case_id}/objection", data={"text": "정상 발행된 계산서입니다"})
    assert filed.status_code == 302
    assert "이의신청을 접수했습니다." in _text(client.get(f"/recovery/{case_id}"))
    db.session.expire_all()
    assert db.session.get(RecoveryCase, case_id).status == "objected"


def test_the_opener_is_told_another_manager_decides(client, auth, make):
    _year(make)
    claim_id, _ = _settled(make)
    opener = make.user("manager", language="ko")
    auth.login(opener)
    client.post(
        f"/recovery/new?claim_id={claim_id}",
        data={"claim_ids": [str(claim_id)], "grounds": "firm_share_unpaid", "amount": "5000"},
    )
    case_id = db.session.scalar(select(RecoveryCase.id))

    page = _text(client.get(f"/recovery/{case_id}"))
    refused = client.post(
        f"/recovery/{case_id}/decide",
        data={"amount": "5000", "due_on": (seoul_today() + timedelta(days=9)).isoformat()},
        follow_redirects=True,
    )

    assert "이 사건을 접수한 사람은 결정할 수 없습니다" in page
    assert "환수 결정</button>" not in page
    assert "다른 운영자가 결정합니다" in _text(refused)
    assert db.session.get(RecoveryCase, case_id).status == "open"


def test_the_firm_sees_only_its_own_cases_and_a_meister_none(client, auth, make):
    _year(make)
    claim_id, _ = _settled(make)
    case_id = _open_case(client, auth, make, claim_id)
    other_firm_user = make.user("firm", firm=make.firm(), language="ko")

    auth.login(other_firm_user)
    assert client.get(f"/recovery/{case_id}").status_code == 404
    assert "환수 사건이 없습니다." in _text(client.get("/recovery"))
    auth.logout()
    auth.login(make.meister())
    assert client.get("/recovery").status_code == 403


def test_the_export_and_the_receivable_ledger_are_in_korean(client, auth, make):
    _year(make)
    claim_id, _ = _settled(make)
    case_id = _open_case(client, auth, make, claim_id)
    auth.login(make.user("manager", language="ko"))
    client.post(
        f"/recovery/{case_id}/decide",
        data={"amount": "1000000", "due_on": (seoul_today() + timedelta(days=30)).isoformat()},
    )

    exported = client.get("/recovery/export.csv").get_data(as_text=True).lstrip("\ufeff")
    cases = list(csv.reader(io.StringIO(exported)))
    ledger = client.get("/recovery/receivable.csv")

    assert cases[0][:4] == [
        "사건 (Case)",
        "기업 (Firm)",
        "사업자등록번호 (Registration)",
        "상태 (Status)",
    ]
    assert cases[1][3] == "환수 결정"
    assert cases[1][4] == "허위 세금계산서·서류"
    assert ledger.status_code == 200
    rows = list(csv.reader(io.StringIO(ledger.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][2:4] == ["환수 결정", str(case_id)]


def test_a_manager_records_an_outside_restriction_and_triage_warns(client, auth, make):
    _year(make)
    firm = make.firm(name="제한기업")
    firm_user = make.user("firm", firm=firm, language="ko")
    manager = make.user("manager", language="ko")
    auth.login(manager)

    bad = client.post(
        "/recovery/restrictions/new",
        data={"firm_id": str(firm.id), "starts_on": seoul_today().isoformat(), "years": "11",
              "source_note": "다른 부처 처분", "reason": "허위 서류"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert "1년에서 10년 사이로 입력하세요." in _text(bad)
    made = client.post(
        "/recovery/restrictions/new",
        data={"firm_id": str(firm.id), "starts_on": seoul_today().isoformat(), "years": "2",
              "source_note": "다른 부처 처분 제12호", "reason": "허위 서류"},
    )  # fmt: skip
    assert made.status_code == 302
    register = _text(client.get("/recovery/restrictions?state=active&firm=제한"))
    assert "제한기업" in register
    assert "제한 중" in register
    export = client.get("/recovery/restrictions?format=csv").get_data(as_text=True)
    assert "외부 처분" in export
    assert "다른 부처 처분 제12호" in export

    ticket = file_ticket(firm_user, {"category": "breakdown", "severity": "high", "title": "고장"})
    page = _text(client.get(f"/tickets/{ticket.id}"))
    assert "이 A/S 요청은 접수할 수 없습니다" in page
    restriction = db.session.scalar(select(Restriction))
    assert restriction.ends_on == seoul_today().replace(year=seoul_today().year + 2)
