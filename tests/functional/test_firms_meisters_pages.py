"""Firm and Meister management pages: forms, lists, filters, pages, roles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from aftercare.domain.registration import format_registration_number
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.ledger.models import FirmUsage
from aftercare.meisters.models import MeisterProfile
from tests.helpers import valid_brn

# --- helpers ---------------------------------------------------------------------------------


def html(response) -> str:
    return response.get_data(as_text=True)


def has_field_error(page: str, field_id: str) -> bool:
    """The input (or select) with this id is drawn as invalid."""
    tag = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    assert tag is not None, f"no field {field_id} on the page"
    return "is-invalid" in tag.group(0)


def next_cursor(page: str) -> str | None:
    found = re.search(r'href="[^"]*[?&;]cursor=([A-Za-z0-9_\-]+)', page)
    return found.group(1) if found else None


def firm_count() -> int:
    return db.session.scalar(select(func.count(Firm.id)))


def firm_by_number(number: str) -> Firm | None:
    db.session.expire_all()
    return db.session.scalar(select(Firm).where(Firm.registration_number == number))


def profile_of(user_id: int) -> MeisterProfile | None:
    db.session.expire_all()
    return db.session.scalar(select(MeisterProfile).where(MeisterProfile.user_id == user_id))


def firm_form(**overrides) -> dict:
    return {
        "name": "한빛정밀",
        "registration_number": format_registration_number(valid_brn(424242)),
        "size": "small",
        "region": "busan",
        "industry": "금속가공",
        "built_year": "2019",
        "policy_fund_year": "2022",
        "contact_name": "김담당",
        "contact_phone": "051-123-4567",
        "contact_email": "contact@hanbit.example.kr",
    } | overrides


def bad_check_digit(number: str) -> str:
    return number[:9] + str((int(number[9]) + 1) % 10)


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


@pytest.fixture
def manager(auth, make):
    user = make.user("manager")
    auth.login(user)
    return user


# --- firms: create and edit ------------------------------------------------------------------


def test_new_firm_form_renders_for_a_manager(client, manager):
    page = client.get("/firms/new")
    assert page.status_code == 200
    assert 'name="registration_number"' in html(page)
    assert 'value="jeju"' in html(page)


def test_manager_registers_a_firm_with_dashes_and_it_is_stored_without(client, manager):
    number = valid_brn(424242)
    response = client.post("/firms/new", data=firm_form())
    firm = firm_by_number(number)
    assert firm is not None
    assert response.status_code == 302
    assert response.headers["Location"] == f"/firms/{firm.id}"
    assert (firm.name, firm.region, firm.size) == ("한빛정밀", "busan", "small")
    assert (firm.built_year, firm.policy_fund_year) == (2019, 2022)
    assert firm.contact_email == "contact@hanbit.example.kr"


def test_firm_detail_shows_number_users_and_ticket_link(client, manager, make):
    firm = make.firm(name="대성기계")
    worker = make.user("firm", firm=firm, name="박현장")
    page = client.get(f"/firms/{firm.id}")
    assert page.status_code == 200
    text = html(page)
    assert "대성기계" in text
    assert format_registration_number(firm.registration_number) in text
    assert worker.email in text
    assert f"/tickets?firm_id={firm.id}" in text
    assert f"/firms/{firm.id}/edit" in text


def test_bad_check_digit_is_shown_under_the_field_and_nothing_is_created(client, manager):
    number = bad_check_digit(valid_brn(424242))
    response = client.post("/firms/new", data=firm_form(registration_number=number))
    assert response.status_code == 422
    assert has_field_error(html(response), "registration_number")
    assert not has_field_error(html(response), "name")
    assert firm_count() == 0


def test_bad_check_digit_is_reported_with_the_other_form_errors(client, manager):
    number = bad_check_digit(valid_brn(424242))
    response = client.post("/firms/new", data=firm_form(name="", registration_number=number))
    assert response.status_code == 422
    assert has_field_error(html(response), "name")
    assert has_field_error(html(response), "registration_number")
    assert firm_count() == 0


def test_duplicate_registration_number_is_refused(client, manager, make):
    existing = make.firm()
    dashed = format_registration_number(existing.registration_number)
    response = client.post("/firms/new", data=firm_form(registration_number=dashed))
    assert response.status_code == 422
    assert has_field_error(html(response), "registration_number")
    assert firm_count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("size", "large"),
        ("region", "tokyo"),
        ("built_year", "1800"),
        ("built_year", "last year"),
        ("contact_email", "not-an-address"),
    ],
)
def test_firm_form_refuses_bad_values(client, manager, field, value):
    response = client.post("/firms/new", data=firm_form(**{field: value}))
    assert response.status_code == 422
    assert has_field_error(html(response), field)
    assert firm_count() == 0


def test_edit_form_is_filled_with_the_firm(client, manager, make):
    firm = make.firm(name="세운전자", region="daegu")
    page = client.get(f"/firms/{firm.id}/edit")
    assert page.status_code == 200
    assert 'value="세운전자"' in html(page)
    assert format_registration_number(firm.registration_number) in html(page)
    assert re.search(r'<option selected value="daegu">|<option value="daegu" selected>', html(page))


def test_manager_edits_a_firm(client, manager, make):
    firm = make.firm(name="세운전자", region="daegu")
    form = firm_form(
        name="세운전자 2공장",
        registration_number=format_registration_number(firm.registration_number),
        region="ulsan",
        policy_fund_year="",
    )
    response = client.post(f"/firms/{firm.id}/edit", data=form)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/firms/{firm.id}"
    saved = firm_by_number(firm.registration_number)
    assert (saved.id, saved.name, saved.region) == (firm.id, "세운전자 2공장", "ulsan")
    assert saved.policy_fund_year is None


def test_editing_to_another_firms_number_is_refused(client, manager, make):
    first, second = make.firm(name="가나공업"), make.firm(name="다라공업")
    form = firm_form(name="다라공업", registration_number=first.registration_number)
    response = client.post(f"/firms/{second.id}/edit", data=form)
    assert response.status_code == 422
    assert has_field_error(html(response), "registration_number")
    assert firm_by_number(second.registration_number).name == "다라공업"


def test_editing_with_a_bad_check_digit_keeps_the_firm(client, manager, make):
    firm = make.firm(name="마바산업")
    bad = bad_check_digit(firm.registration_number)
    response = client.post(f"/firms/{firm.id}/edit", data=firm_form(registration_number=bad))
    assert response.status_code == 422
    assert has_field_error(html(response), "registration_number")
    assert firm_by_number(firm.registration_number).name == "마바산업"


def test_unknown_firm_is_404(client, manager):
    assert client.get("/firms/999999").status_code == 404
    assert client.get("/firms/999999/edit").status_code == 404


# --- firms: list -----------------------------------------------------------------------------


def test_firm_list_shows_number_region_and_size(client, manager, make):
    firm = make.firm(name="청솔테크", region="jeju", size="micro")
    page = client.get("/firms")
    assert page.status_code == 200
    text = html(page)
    assert "청솔테크" in text
    assert format_registration_number(firm.registration_number) in text
    assert f"/firms/{firm.id}" in text


def test_firm_list_searches_by_name(client, manager, make):
    make.firm(name="한울금속")
    make.firm(name="푸른식품")
    text = html(client.get("/firms", query_string={"q": "금속"}))
    assert "한울금속" in text
    assert "푸른식품" not in text


@pytest.mark.parametrize("dashed", [True, False])
def test_firm_list_searches_by_registration_number(client, manager, make, dashed):
    wanted = make.firm(name="한울금속")
    make.firm(name="푸른식품")
    number = wanted.registration_number
    q = format_registration_number(number) if dashed else number
    text = html(client.get("/firms", query_string={"q": q}))
    assert "한울금속" in text
    assert "푸른식품" not in text


def test_firm_list_filters_by_region_and_size(client, manager, make):
    make.firm(name="부산소공장", region="busan", size="small")
    make.firm(name="부산중공장", region="busan", size="medium")
    make.firm(name="서울소공장", region="seoul", size="small")
    text = html(client.get("/firms", query_string={"region": "busan"}))
    assert "부산소공장" in text
    assert "부산중공장" in text
    assert "서울소공장" not in text
    text = html(client.get("/firms", query_string={"region": "busan", "size": "small"}))
    assert "부산소공장" in text
    assert "부산중공장" not in text
    assert "서울소공장" not in text


def test_firm_list_ignores_unknown_filter_values(client, manager, make):
    make.firm(name="아무공장")
    page = client.get("/firms", query_string={"region": "mars", "size": "huge"})
    assert page.status_code == 200
    assert "아무공장" in html(page)


def test_firm_list_pages_newest_first_by_cursor(client, manager, make):
    firms = [make.firm(name=f"공장-{i:02d}") for i in range(27)]
    first = client.get("/firms")
    assert first.status_code == 200
    first_text = html(first)
    assert "공장-26" in first_text
    assert "공장-02" in first_text
    assert "공장-01" not in first_text
    cursor = next_cursor(first_text)
    assert cursor is not None
    second = client.get("/firms", query_string={"cursor": cursor})
    assert second.status_code == 200
    second_text = html(second)
    assert "공장-01" in second_text
    assert "공장-00" in second_text
    assert "공장-02" not in second_text
    assert next_cursor(second_text) is None
    names_seen = {f.name for f in firms if f.name in first_text or f.name in second_text}
    assert len(names_seen) == 27


def test_firm_list_keeps_filters_when_paging(client, manager, make):
    for i in range(3):
        make.firm(name=f"울산공장-{i}", region="ulsan")
    make.firm(name="대전공장", region="daejeon")
    first = html(client.get("/firms", query_string={"region": "ulsan", "limit": 2}))
    link = re.search(r'href="([^"]*cursor=[^"]*)"', first)
    assert link is not None
    second = html(client.get(link.group(1).replace("&amp;", "&")))
    assert "울산공장-0" in second
    assert "대전공장" not in second


def test_a_broken_cursor_goes_back_to_the_first_page(client, manager):
    response = client.get("/firms", query_string={"cursor": "not-a-cursor!"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/firms"


# --- firms: usage against the caps -----------------------------------------------------------


def test_firm_list_and_detail_show_remaining_caps(client, manager, make):
    fiscal_year = make.fiscal_year(year=seoul_today().year)
    used, fresh = make.firm(name="사용공장"), make.firm(name="새공장")
    db.session.add(
        FirmUsage(
            fiscal_year_id=fiscal_year.id,
            firm_id=used.id,
            support_type="emergency",
            reserved=1_000_000,
            paid=500_000,
        )
    )
    db.session.commit()
    text = html(client.get("/firms"))
    assert "3,500,000원" in text  # 5,000,000 cap − 1,500,000 used
    assert "20,000,000원" in text
    assert "5,000,000원" in text  # the fresh firm's full emergency cap
    detail = html(client.get(f"/firms/{used.id}"))
    assert "3,500,000원" in detail
    assert "1,000,000원" in detail
    assert "500,000원" in detail
    assert "20,000,000원" in detail
    assert "5,000,000원" in html(client.get(f"/firms/{fresh.id}"))


def test_firm_list_without_an_open_fiscal_year_shows_no_caps(client, manager, make):
    make.firm(name="무연도공장")
    page = client.get("/firms")
    assert page.status_code == 200
    assert not re.search(r"\d원", html(page))


def test_firm_list_reads_usage_in_one_query_for_the_page(client, manager, make):
    make.fiscal_year(year=seoul_today().year)
    for _ in range(2):
        make.firm()
    client.get("/firms")  # warm up
    with counting_queries() as few:
        client.get("/firms")
    for _ in range(6):
        make.firm()
    client.get("/firms")  # warm up again: the commits above expired the signed-in user
    with counting_queries() as many:
        client.get("/firms")
    assert len(many) == len(few)
    assert sum("firm_usage" in s for s in many) == 1


# --- firms: who may do what ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["firm", "meister", "admin"])
def test_other_roles_may_not_open_firm_pages(client, auth, make, role):
    firm = make.firm()
    auth.login(make.user(role, firm=firm if role == "firm" else None))
    for path in ("/firms", "/firms/new", f"/firms/{firm.id}", f"/firms/{firm.id}/edit"):
        assert client.get(path).status_code == 403, path
    assert client.post("/firms/new", data=firm_form()).status_code == 403
    assert firm_count() == 1


def test_auditor_reads_firms_but_may_not_change_them(client, auth, make):
    firm = make.firm(name="감사대상공장")
    auth.login(make.user("auditor"))
    listing = client.get("/firms")
    assert listing.status_code == 200
    assert "감사대상공장" in html(listing)
    assert "/firms/new" not in html(listing)
    detail = client.get(f"/firms/{firm.id}")
    assert detail.status_code == 200
    assert f"/firms/{firm.id}/edit" not in html(detail)
    assert client.get("/firms/new").status_code == 403
    assert client.post("/firms/new", data=firm_form()).status_code == 403
    assert client.get(f"/firms/{firm.id}/edit").status_code == 403
    assert client.post(f"/firms/{firm.id}/edit", data=firm_form(name="바뀜")).status_code == 403
    assert firm_count() == 1
    assert firm_by_number(firm.registration_number).name == "감사대상공장"


def test_anonymous_visitors_are_sent_to_sign_in(client, make):
    response = client.get("/firms")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert client.get("/meisters").headers["Location"].startswith("/login")


# --- meisters --------------------------------------------------------------------------------


def meister_form(user_id: int | None = None, **overrides) -> dict:
    data = {
        "specialties": ["plc", "mes"],
        "regions": ["seoul", "gyeonggi"],
        "max_load": "3",
        "active": "y",
    }
    if user_id is not None:
        data["user_id"] = str(user_id)
    return data | overrides


def test_new_profile_form_lists_only_meisters_without_a_profile(client, manager, make):
    free = make.user("meister", name="새마이스터")
    taken = make.meister()
    other = make.user("firm")
    page = client.get("/meisters/new")
    assert page.status_code == 200
    text = html(page)
    assert f'value="{free.id}"' in text
    assert free.email in text
    assert taken.email not in text
    assert other.email not in text
    assert manager.email not in text
    assert 'type="checkbox"' in text
    assert 'value="cnc"' in text
    assert 'value="jeju"' in text


def test_manager_creates_a_meister_profile(client, manager, make):
    user = make.user("meister", name="이마이스터")
    response = client.post("/meisters/new", data=meister_form(user.id))
    assert response.status_code == 302
    assert response.headers["Location"] == "/meisters"
    profile = profile_of(user.id)
    assert profile is not None
    assert profile.specialties == ["mes", "plc"]
    assert profile.regions == ["gyeonggi", "seoul"]
    assert profile.max_load == 3
    assert profile.active is True
    listing = html(client.get("/meisters"))
    assert "이마이스터" in listing
    assert f"/meisters/{user.id}/edit" in listing


def test_new_profile_defaults_to_five_tickets(client, manager, make):
    user = make.user("meister")
    page = html(client.get("/meisters/new"))
    assert re.search(r'<input[^>]*id="max_load"[^>]*value="5"', page)
    client.post("/meisters/new", data=meister_form(user.id, max_load="5"))
    assert profile_of(user.id).max_load == 5


@pytest.mark.parametrize("max_load", ["0", "51", "-1", "many", ""])
def test_bad_max_load_is_refused(client, manager, make, max_load):
    user = make.user("meister")
    response = client.post("/meisters/new", data=meister_form(user.id, max_load=max_load))
    assert response.status_code == 422
    assert has_field_error(html(response), "max_load")
    assert profile_of(user.id) is None


def test_unknown_specialty_is_refused(client, manager, make):
    user = make.user("meister")
    response = client.post("/meisters/new", data=meister_form(user.id, specialties=["welding"]))
    assert response.status_code == 422
    assert has_field_error(html(response), "specialties-0")
    assert profile_of(user.id) is None


def test_a_meister_with_a_profile_cannot_be_chosen_again(client, manager, make):
    taken = make.meister(max_load=4)
    response = client.post("/meisters/new", data=meister_form(taken.id, max_load="9"))
    assert response.status_code == 422
    assert has_field_error(html(response), "user_id")
    db.session.expire_all()
    profiles = db.session.scalars(
        select(MeisterProfile).where(MeisterProfile.user_id == taken.id)
    ).all()
    assert [p.max_load for p in profiles] == [4]


@pytest.mark.parametrize("role", ["firm", "manager", "auditor", "admin"])
def test_a_user_who_is_not_a_meister_cannot_be_chosen(client, manager, make, role):
    other = manager if role == "manager" else make.user(role)
    response = client.post("/meisters/new", data=meister_form(other.id))
    assert response.status_code == 422
    assert has_field_error(html(response), "user_id")
    assert profile_of(other.id) is None


def test_new_profile_page_says_when_nobody_is_left(client, manager, make):
    make.meister()
    page = client.get("/meisters/new")
    assert page.status_code == 200
    assert 'class="alert alert-info"' in html(page)


def test_edit_form_is_filled_with_the_profile(client, manager, make):
    user = make.meister(specialties=["robot"], regions=["jeju"], max_load=7)
    page = client.get(f"/meisters/{user.id}/edit")
    assert page.status_code == 200
    text = html(page)
    assert user.email in text
    assert 'name="user_id"' not in text
    assert re.search(r'<input checked[^>]*value="robot"|<input[^>]*value="robot"[^>]*checked', text)
    assert re.search(r'<input[^>]*id="max_load"[^>]*value="7"', text)


def test_manager_edits_a_meister_profile(client, manager, make):
    user = make.meister(specialties=["plc"], regions=["seoul"], max_load=5)
    form = meister_form(specialties=["robot", "vision"], regions=["busan"], max_load="8")
    del form["active"]  # an unticked box is not sent
    response = client.post(f"/meisters/{user.id}/edit", data=form)
    assert response.status_code == 302
    profile = profile_of(user.id)
    assert profile.specialties == ["robot", "vision"]
    assert profile.regions == ["busan"]
    assert profile.max_load == 8
    assert profile.active is False


def test_editing_with_max_load_zero_changes_nothing(client, manager, make):
    user = make.meister(max_load=5)
    response = client.post(f"/meisters/{user.id}/edit", data=meister_form(max_load="0"))
    assert response.status_code == 422
    assert has_field_error(html(response), "max_load")
    assert profile_of(user.id).max_load == 5


def test_editing_a_user_without_a_profile_is_404(client, manager, make):
    user = make.user("meister")
    assert client.get(f"/meisters/{user.id}/edit").status_code == 404
    assert client.post(f"/meisters/{user.id}/edit", data=meister_form()).status_code == 404


def test_meister_list_shows_profile_load_and_status(client, manager, make):
    user = make.meister(specialties=["cnc"], regions=["gwangju"], max_load=4)
    make.meister(active=False)
    page = client.get("/meisters")
    assert page.status_code == 200
    text = html(page)
    assert user.name in text
    assert user.email in text
    assert re.search(r">0</span> / 4<", text)
    assert "text-bg-secondary" in text  # the inactive one


def test_meister_list_filters_by_specialty_and_region(client, manager, make):
    plc_seoul = make.meister(specialties=["plc"], regions=["seoul"])
    mes_seoul = make.meister(specialties=["mes", "erp"], regions=["seoul", "busan"])
    plc_busan = make.meister(specialties=["plc", "scada"], regions=["busan"])
    text = html(client.get("/meisters", query_string={"specialty": "plc"}))
    assert plc_seoul.email in text
    assert plc_busan.email in text
    assert mes_seoul.email not in text
    text = html(client.get("/meisters", query_string={"region": "busan"}))
    assert mes_seoul.email in text
    assert plc_busan.email in text
    assert plc_seoul.email not in text
    text = html(client.get("/meisters", query_string={"specialty": "plc", "region": "busan"}))
    assert plc_busan.email in text
    assert plc_seoul.email not in text
    assert mes_seoul.email not in text


def test_meister_list_pages_by_cursor(client, manager, make):
    users = [make.meister() for _ in range(3)]
    first = html(client.get("/meisters", query_string={"limit": 2}))
    assert users[2].email in first
    assert users[1].email in first
    assert users[0].email not in first
    cursor = next_cursor(first)
    assert cursor is not None
    second = html(client.get("/meisters", query_string={"limit": 2, "cursor": cursor}))
    assert users[0].email in second
    assert users[1].email not in second
    assert next_cursor(second) is None


@pytest.mark.parametrize("role", ["firm", "meister", "admin"])
def test_other_roles_may_not_open_meister_pages(client, auth, make, role):
    target = make.meister(max_load=5)
    auth.login(make.user(role))
    for path in ("/meisters", "/meisters/new", f"/meisters/{target.id}/edit"):
        assert client.get(path).status_code == 403, path
    edited = client.post(f"/meisters/{target.id}/edit", data=meister_form(max_load="9"))
    assert edited.status_code == 403
    assert profile_of(target.id).max_load == 5


def test_auditor_reads_meisters_but_may_not_change_them(client, auth, make):
    target = make.meister(max_load=5)
    free = make.user("meister")
    auth.login(make.user("auditor"))
    listing = client.get("/meisters")
    assert listing.status_code == 200
    assert target.email in html(listing)
    assert f"/meisters/{target.id}/edit" not in html(listing)
    assert client.get("/meisters/new").status_code == 403
    assert client.post("/meisters/new", data=meister_form(free.id)).status_code == 403
    assert client.get(f"/meisters/{target.id}/edit").status_code == 403
    edited = client.post(f"/meisters/{target.id}/edit", data=meister_form(max_load="9"))
    assert edited.status_code == 403
    assert profile_of(free.id) is None
    assert profile_of(target.id).max_load == 5


@pytest.mark.parametrize(
    "path",
    [
        "/firms/99999999999999999999",
        "/firms/2147483648/edit",
        "/meisters/99999999999999999999/edit",
    ],
)
def test_ids_too_large_for_the_database_are_404(client, manager, path):
    assert client.get(path).status_code == 404
