"""The support type pages: a manager adds 구독형 and closes a type; auditors read."""

from __future__ import annotations

import re

from sqlalchemy import select

from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.ledger.models import SupportType

FORM = {
    "code": "subscription",
    "name_ko": "구독형",
    "name_en": "Subscription",
    "cap": "7,000,000",
    "share_rate_bp": "5000",
    "rounding_unit": "1000",
    "project_months": "6",
    "extension_months": "2",
    "is_open": "y",
}


def _html(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_a_manager_adds_a_type_and_closes_another(client, auth, make):
    year = seoul_today().year
    make.fiscal_year(year=year)
    auth.login(make.user("manager"))
    path = f"/ledger/years/{year}/support-types"
    page = _html(client.get(path))
    assert "긴급복구형" in page
    assert "성장연계형" in page
    assert "5,000,000원" in page
    added = client.post(path, data=FORM)
    assert added.status_code == 302
    page = _html(client.get(path))
    assert "구독형" in page
    assert "7,000,000원" in page
    closed = client.post(f"{path}/emergency/open", data={"is_open": "0"})
    assert closed.status_code == 302
    row = db.session.scalars(select(SupportType).where(SupportType.code == "emergency")).one()
    assert row.is_open is False
    edit = client.get(f"{path}/subscription")
    assert edit.status_code == 200
    assert "구독형" in _html(edit)


def test_bad_input_is_shown_in_korean(client, auth, make):
    year = seoul_today().year
    make.fiscal_year(year=year)
    auth.login(make.user("manager"))
    response = client.post(
        f"/ledger/years/{year}/support-types", data=FORM | {"cap": "칠백만", "code": "Bad Code"}
    )
    assert response.status_code == 422
    page = _html(response)
    assert "한도는 0원보다 큰 정수(원)여야 합니다." in page
    assert "코드는 영문 소문자로 시작하는" in page
    assert db.session.scalar(select(SupportType.id).where(SupportType.code == "bad")) is None


def test_auditors_read_the_list_but_not_the_form(client, auth, make):
    year = seoul_today().year
    make.fiscal_year(year=year)
    auth.login(make.user("auditor"))
    page = client.get(f"/ledger/years/{year}/support-types")
    assert page.status_code == 200
    assert "지원유형 추가" not in _html(page)
    assert client.post(f"/ledger/years/{year}/support-types", data=FORM).status_code == 403
