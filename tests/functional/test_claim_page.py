"""The claim page says the year's rule in words, names who decided and when, links the batch."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from aftercare.claims.models import Claim
from aftercare.core.web.templating import rate_text
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.payouts.settlement import settle_for_date
from tests.helpers import make_all_settleable, pending_claim


def _text(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("basis_points", "text"), [(5000, "50"), (5050, "50.5"), (3333, "33.33"), (10000, "100")]
)
def test_rate_text_has_no_float_rounding(basis_points, text):
    assert rate_text(basis_points) == text


@pytest.mark.parametrize(
    ("rounding_unit", "korean"),
    [
        (1000, "50 %, 천 원 단위 절사"),
        (10_000, "50 %, 만 원 단위 절사"),
        (1, "50 %, 원 단위 절사"),
        (2_500, "50 %, 2,500원 단위 절사"),
    ],
)
def test_pending_claim_states_the_rounding_unit_of_the_year(
    client, auth, api, make, rounding_unit, korean
):
    make.fiscal_year(year=seoul_today().year, rounding_unit=rounding_unit)
    facts = pending_claim(api, make)
    manager = make.user("manager", language="ko")
    auth.login(manager)
    html = _text(client, f"/claims/{facts['claim_id']}")
    assert f"산정 지원금({korean})" in html


@pytest.mark.parametrize(
    ("rounding_unit", "english"),
    [(1000, "50 %, rounded down to 1,000 won"), (2_500, "50 %, rounded down to 2,500원")],
)
def test_rounding_rule_in_english(client, auth, api, make, rounding_unit, english):
    make.fiscal_year(year=seoul_today().year, rounding_unit=rounding_unit)
    facts = pending_claim(api, make)
    auth.login(make.user("manager", language="en"))
    assert f"Computed share ({english})" in _text(client, f"/claims/{facts['claim_id']}")


def test_refusal_is_said_in_words_not_a_code(client, auth, api, make):
    make.fiscal_year(year=seoul_today().year, budget=999)  # less than one rounding unit
    facts = pending_claim(api, make)
    auth.login(make.user("manager", language="ko"))
    html = _text(client, f"/claims/{facts['claim_id']}")
    assert "승인할 수 없음: 사업 재원이 소진되었습니다" in html
    assert "pool_exhausted" not in html


def test_decisions_name_the_approver_and_the_batch(client, auth, api, make):
    make.fiscal_year(year=seoul_today().year)
    facts = pending_claim(api, make)
    approver = make.user("manager", name="이승인", language="ko")
    assert api.as_(approver).post(f"/claims/{facts['claim_id']}/approve").status_code == 200
    auth.login(make.user("auditor", language="ko"))
    html = _text(client, f"/claims/{facts['claim_id']}")
    assert re.search(r"1차 승인</dt><dd[^>]*>이승인 · \d{4}-\d\d-\d\d \d\d:\d\d", html)
    assert "지급 배치" not in html  # not settled yet

    make_all_settleable()
    batch = settle_for_date()
    claim = db.session.scalar(select(Claim).where(Claim.id == facts["claim_id"]))
    assert claim.status == "settled"
    db.session.rollback()
    html = _text(client, f"/claims/{facts['claim_id']}")
    day = seoul_today().isoformat()
    assert f'<a href="/ledger/batches/{batch.id}">{day} 지급 배치</a>' in html

    auth.logout()
    auth.login(make.user("firm", firm=claim.ticket.firm, language="ko"))
    html = _text(client, f"/claims/{facts['claim_id']}")
    assert f"{day} 지급 배치" in html
    assert "/ledger/batches/" not in html  # the ledger is not the firm's


def test_rejection_names_who_rejected(client, auth, api, make):
    make.fiscal_year(year=seoul_today().year)
    facts = pending_claim(api, make)
    manager = make.user("manager", name="최반려", language="ko")
    rejected = api.as_(manager).post(
        f"/claims/{facts['claim_id']}/reject", json={"reason": "증빙 불충분"}
    )
    assert rejected.status_code == 200
    auth.login(manager)
    html = _text(client, f"/claims/{facts['claim_id']}")
    assert re.search(r"반려</dt><dd[^>]*>최반려 · ", html)


def test_cost_lines_say_eligible_in_words(client, auth, api, make):
    make.fiscal_year(year=seoul_today().year)
    facts = pending_claim(api, make)
    auth.login(make.user("auditor", language="ko"))
    html = _text(client, f"/claims/{facts['claim_id']}")
    assert "✓ 지원 대상" in html
    assert "✔" not in html
