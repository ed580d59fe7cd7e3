"""The asset register: pages, scoping by role and firm, QR labels, and reporting a problem
from a label (sign-in and back, the pre-filled ticket form, the ticket linked to the asset).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from aftercare.assets import queries as asset_queries
from aftercare.assets import services as asset_services
from aftercare.assets.labels import DEFAULT_FONT
from aftercare.assets.models import Asset
from aftercare.audit.models import AuditEvent
from aftercare.auth.models import User
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.tickets.models import Ticket
from aftercare.tickets.services import file_ticket
from tests.helpers import AuthActions, Factory

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def html(response) -> str:
    return response.get_data(as_text=True)


def has_field_error(page: str, field_id: str) -> bool:
    tag = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    assert tag is not None, f"no field {field_id} on the page"
    return "is-invalid" in tag.group(0)


def asset_form(**overrides: str) -> dict[str, str]:
    return {
        "name": "CNC 선반 1호기",
        "kind": "equipment",
        "maker": "두산",
        "model": "PUMA 2600",
        "serial": "SN-0001",
        "location": "2라인 A동",
        "installed_year": "2019",
        "note": "",
    } | overrides


def asset_count() -> int:
    return db.session.scalar(select(func.count(Asset.id)))


def ticket_count() -> int:
    return db.session.scalar(select(func.count(Ticket.id)))


def fresh(asset_id: int) -> Asset:
    db.session.expire_all()
    return db.session.get(Asset, asset_id)


@dataclass
class World:
    firm_a: Firm
    firm_b: Firm
    user_a: User
    user_b: User
    manager: User
    auditor: User
    meister: User
    other_meister: User
    admin: User
    asset_a: Asset
    asset_b: Asset


@pytest.fixture
def world(make: Factory) -> World:
    firm_a, firm_b = make.firm(name="가나정밀"), make.firm(name="다라기계")
    user_a = make.user("firm", firm=firm_a)
    user_b = make.user("firm", firm=firm_b)
    asset_a = asset_services.create_asset(
        user_a, {"name": "사출기 3호", "kind": "equipment", "serial": "INJ-3", "location": "1동"}
    )
    asset_b = asset_services.create_asset(
        user_b, {"name": "MES 서버", "kind": "system", "serial": "MES-1"}
    )
    return World(
        firm_a=firm_a,
        firm_b=firm_b,
        user_a=user_a,
        user_b=user_b,
        manager=make.user("manager"),
        auditor=make.user("auditor"),
        meister=make.meister(),
        other_meister=make.meister(),
        admin=make.user("admin"),
        asset_a=asset_a,
        asset_b=asset_b,
    )


def assign(ticket_id: int, meister: User) -> None:
    """Put a ticket in a Meister's hands directly (the assignment flow is tested elsewhere)."""
    ticket = db.session.get(Ticket, ticket_id)
    ticket.meister_id = meister.id
    ticket.status = "assigned"
    db.session.commit()


# --- register, edit, take out of service -----------------------------------------------------


def test_firm_user_registers_an_asset_of_their_own_firm_whatever_firm_id_says(client, auth, world):
    auth.login(world.user_a)
    response = client.post("/assets/new", data=asset_form(firm_id=str(world.firm_b.id)))
    assert response.status_code == 302
    asset = db.session.scalar(select(Asset).where(Asset.serial == "SN-0001"))
    assert response.headers["Location"] == f"/assets/{asset.id}"
    assert (asset.firm_id, asset.name, asset.location, asset.installed_year, asset.active) == (
        world.firm_a.id,
        "CNC 선반 1호기",
        "2라인 A동",
        2019,
        True,
    )
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "asset.create", AuditEvent.object_id == asset.id
        )
    )
    assert event is not None
    assert event.actor_id == world.user_a.id


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"kind": "vehicle"}, "kind"),
        ({"installed_year": "1800"}, "installed_year"),
        ({"installed_year": "3000"}, "installed_year"),
        ({"installed_year": "작년"}, "installed_year"),
        ({"serial": "INJ-3"}, "serial"),  # firm A already has INJ-3
        ({"serial": "  INJ-3 "}, "serial"),  # the same once trimmed
        ({"location": "x" * 201}, "location"),
    ],
)
def test_invalid_asset_is_refused_with_the_field_marked_and_nothing_saved(
    client, auth, world, overrides, field
):
    auth.login(world.user_a)
    before = asset_count()
    response = client.post("/assets/new", data=asset_form(**overrides))
    assert response.status_code == 422
    assert has_field_error(html(response), field)
    assert asset_count() == before


def test_the_same_serial_is_fine_in_another_firm_and_empty_serials_never_clash(client, auth, world):
    auth.login(world.user_b)
    assert client.post("/assets/new", data=asset_form(serial="INJ-3")).status_code == 302
    assert client.post("/assets/new", data=asset_form(serial="")).status_code == 302
    assert client.post("/assets/new", data=asset_form(serial=" ")).status_code == 302
    serials = db.session.scalars(
        select(Asset.serial).where(Asset.firm_id == world.firm_b.id, Asset.serial.is_(None))
    ).all()
    assert serials == [None, None]


def test_manager_registers_an_asset_for_the_firm_they_choose(client, auth, world):
    auth.login(world.manager)
    form_page = client.get(f"/assets/new?firm_id={world.firm_b.id}")
    assert form_page.status_code == 200
    assert f'value="{world.firm_b.id}"' in html(form_page)
    missing = client.post("/assets/new", data=asset_form(serial="M-1"))
    assert missing.status_code == 422
    assert has_field_error(html(missing), "firm_id")
    unknown = client.post("/assets/new", data=asset_form(serial="M-1", firm_id="999999"))
    assert unknown.status_code == 422
    assert (
        client.post(
            "/assets/new", data=asset_form(serial="M-1", firm_id=str(world.firm_b.id))
        ).status_code
        == 302
    )
    created = db.session.scalar(select(Asset).where(Asset.serial == "M-1"))
    assert created.firm_id == world.firm_b.id


def test_editing_changes_the_details_but_never_the_firm(client, auth, world):
    auth.login(world.user_a)
    page = client.get(f"/assets/{world.asset_a.id}/edit")
    assert page.status_code == 200
    assert 'value="사출기 3호"' in html(page)
    response = client.post(
        f"/assets/{world.asset_a.id}/edit",
        data=asset_form(name="사출기 3호 (개조)", serial="INJ-3", firm_id=str(world.firm_b.id)),
    )
    assert response.status_code == 302
    asset = fresh(world.asset_a.id)
    assert (asset.name, asset.serial, asset.firm_id) == (
        "사출기 3호 (개조)",
        "INJ-3",
        world.firm_a.id,
    )


def test_editing_to_a_serial_the_firm_already_uses_is_refused(client, auth, world):
    other = asset_services.create_asset(world.user_a, {"name": "로봇", "kind": "equipment"})
    auth.login(world.user_a)
    response = client.post(f"/assets/{other.id}/edit", data=asset_form(serial="INJ-3"))
    assert response.status_code == 422
    assert has_field_error(html(response), "serial")
    assert fresh(other.id).serial is None


def test_taking_an_asset_out_of_service_asks_first_then_hides_it_from_the_list(client, auth, world):
    auth.login(world.user_a)
    confirm = client.get(f"/assets/{world.asset_a.id}/active")
    assert confirm.status_code == 200
    assert 'method="post"' in html(confirm)
    assert fresh(world.asset_a.id).active is True  # asking changed nothing
    assert 'name="active" value="0"' in html(confirm)
    done = client.post(f"/assets/{world.asset_a.id}/active", data={"active": "0"})
    assert done.status_code == 302
    assert fresh(world.asset_a.id).active is False
    resent = client.post(f"/assets/{world.asset_a.id}/active", data={"active": "0"})
    assert resent.status_code == 302
    assert fresh(world.asset_a.id).active is False  # a resubmitted form does not flip it back
    assert client.get(done.headers["Location"]).status_code == 200  # shows the flash
    assert "사출기 3호" not in html(client.get("/assets"))
    assert "사출기 3호" in html(client.get("/assets?inactive=1"))
    # Its label leads nowhere new: the report page sends back to the asset.
    report = client.get(f"/assets/{world.asset_a.id}/report")
    assert report.status_code == 302
    assert report.headers["Location"] == f"/assets/{world.asset_a.id}"
    again = client.post(f"/assets/{world.asset_a.id}/active", data={"active": "1"})
    assert again.status_code == 302
    assert fresh(world.asset_a.id).active is True
    assert (
        client.post(f"/assets/{world.asset_a.id}/active", data={"active": "x"}).status_code == 400
    )


def test_asset_list_paginates_newest_first(client, auth, world):
    for n in range(30):
        asset_services.create_asset(world.user_a, {"name": f"설비 {n:02d}", "kind": "equipment"})
    auth.login(world.user_a)
    first = html(client.get("/assets"))
    assert "설비 29" in first
    assert "설비 04" not in first
    cursor = re.search(r'href="[^"]*[?&;]cursor=([A-Za-z0-9_\-]+)', first).group(1)
    second = html(client.get(f"/assets?cursor={cursor}"))
    assert "설비 04" in second
    assert "설비 29" not in second
    assert "사출기 3호" in second  # the oldest comes last
    assert client.get("/assets?cursor=!!bad").status_code == 302


def test_search_finds_by_name_serial_or_location(client, auth, world):
    auth.login(world.manager)
    assert "사출기 3호" in html(client.get("/assets?q=inj"))
    assert "MES 서버" not in html(client.get("/assets?q=inj"))
    assert "사출기 3호" in html(client.get("/assets?q=1동"))


# --- who sees what ---------------------------------------------------------------------------


def _asset_urls(asset_id: int) -> list[str]:
    return [
        f"/assets/{asset_id}",
        f"/assets/{asset_id}/edit",
        f"/assets/{asset_id}/active",
        f"/assets/{asset_id}/label.png",
        f"/assets/{asset_id}/label.pdf",
        f"/assets/{asset_id}/report",
    ]


def test_another_firms_asset_is_not_found_by_any_page(client, auth, world):
    auth.login(world.user_b)
    for url in _asset_urls(world.asset_a.id):
        response = client.get(url)
        assert response.status_code == 404, url
        response.close()
    for url in (f"/assets/{world.asset_a.id}/edit", f"/assets/{world.asset_a.id}/active"):
        assert client.post(url, data=asset_form(name="탈취")).status_code == 404
    assert client.get(f"/firms/{world.firm_a.id}/assets/labels.pdf").status_code == 404
    assert (fresh(world.asset_a.id).name, fresh(world.asset_a.id).active) == ("사출기 3호", True)
    listing = html(client.get(f"/assets?firm_id={world.firm_a.id}"))  # firm_id is ignored
    assert "MES 서버" in listing
    assert "사출기 3호" not in listing


def test_auditor_reads_every_asset_but_changes_none(client, auth, world):
    auth.login(world.auditor)
    assert client.get("/assets").status_code == 200
    assert client.get(f"/assets/{world.asset_a.id}").status_code == 200
    assert client.get(f"/assets/{world.asset_b.id}/label.png").status_code == 200
    for url in ("/assets/new", f"/assets/{world.asset_a.id}/edit"):
        assert client.get(url).status_code == 403, url
        assert client.post(url, data=asset_form()).status_code == 403, url
    assert client.post(f"/assets/{world.asset_a.id}/active").status_code == 403
    assert client.get(f"/assets/{world.asset_a.id}/report").status_code == 403
    assert fresh(world.asset_a.id).active is True


def test_manager_manages_any_firms_assets_and_firm_page_links_to_them(client, auth, world):
    auth.login(world.manager)
    firm_page = html(client.get(f"/firms/{world.firm_b.id}"))
    assert f"/assets?firm_id={world.firm_b.id}" in firm_page
    listing = html(client.get(f"/assets?firm_id={world.firm_b.id}"))
    assert "MES 서버" in listing
    assert "사출기 3호" not in listing
    assert f"/firms/{world.firm_b.id}/assets/labels.pdf" in listing
    response = client.post(f"/assets/{world.asset_b.id}/edit", data=asset_form(serial="MES-1"))
    assert response.status_code == 302
    assert fresh(world.asset_b.id).name == "CNC 선반 1호기"


def test_meister_sees_only_assets_of_tickets_assigned_to_them(client, auth, world):
    ticket = file_ticket(
        world.user_a,
        {
            "category": "breakdown",
            "severity": "high",
            "title": "사출 불량",
            "asset_id": world.asset_a.id,
        },
    )
    assign(ticket.id, world.meister)
    auth.login(world.meister)
    detail = client.get(f"/tickets/{ticket.id}")
    assert detail.status_code == 200
    assert f'href="/assets/{world.asset_a.id}"' in html(detail)
    asset_page = client.get(f"/assets/{world.asset_a.id}")
    assert asset_page.status_code == 200
    assert "사출 불량" in html(asset_page)
    assert client.get(f"/assets/{world.asset_b.id}").status_code == 404
    assert client.get(f"/assets/{world.asset_a.id}/edit").status_code == 403
    assert client.get(f"/assets/{world.asset_a.id}/label.png").status_code == 403
    assert client.get("/assets").status_code == 403
    auth.logout()
    auth.login(world.other_meister)
    assert client.get(f"/assets/{world.asset_a.id}").status_code == 404


def test_administrators_have_no_asset_pages(client, auth, world):
    auth.login(world.admin)
    assert client.get("/assets").status_code == 403
    assert client.get(f"/assets/{world.asset_a.id}").status_code == 403


# --- QR labels -------------------------------------------------------------------------------


def test_label_png_is_a_qr_code_of_the_report_address_with_the_caption(client, auth, world):
    auth.login(world.user_a)
    response = client.get(f"/assets/{world.asset_a.id}/label.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.data.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(response.data))
    codes = zxingcpp.read_barcodes(image.convert("L"))
    assert [c.text for c in codes] == [f"http://localhost/assets/{world.asset_a.id}/report"]
    assert image.height > image.width  # room for the caption under the square code
    download = client.get(f"/assets/{world.asset_a.id}/label.png?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("app_config", [{"PUBLIC_BASE_URL": "https://as.example.kr/"}])
def test_labels_use_the_public_address_when_configured(client, auth, world, app_config):
    auth.login(world.manager)
    response = client.get(f"/assets/{world.asset_b.id}/label.png")
    codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.data)).convert("L"))
    assert [c.text for c in codes] == [f"https://as.example.kr/assets/{world.asset_b.id}/report"]


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def test_label_pdf_embeds_the_korean_font(client, auth, world):
    if not Path(DEFAULT_FONT).is_file():
        pytest.skip("NanumGothic is not installed")
    auth.login(world.user_a)
    response = client.get(f"/assets/{world.asset_a.id}/label.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data.startswith(b"%PDF")
    assert b"NanumGothic" in response.data
    assert _pages(response.data) == 1


@pytest.mark.parametrize("app_config", [{"LABEL_FONT_PATH": "/nonexistent/font.ttf"}])
def test_labels_still_print_without_the_korean_font(client, auth, world, app_config):
    auth.login(world.user_a)
    pdf = client.get(f"/assets/{world.asset_a.id}/label.pdf")
    assert pdf.status_code == 200
    assert pdf.data.startswith(b"%PDF")
    assert b"NanumGothic" not in pdf.data
    png = client.get(f"/assets/{world.asset_a.id}/label.png")
    assert png.data.startswith(PNG_SIGNATURE)


def test_label_sheet_has_every_active_asset_of_the_firm(client, auth, world):
    for n in range(12):  # with 사출기 3호: 13 labels, 12 to an A4 sheet → 2 pages
        asset_services.create_asset(world.user_a, {"name": f"설비 {n}", "kind": "equipment"})
    retired = asset_services.create_asset(world.user_a, {"name": "폐기", "kind": "equipment"})
    asset_services.set_asset_active(world.user_a, retired.id, False)
    auth.login(world.user_a)
    response = client.get(f"/firms/{world.firm_a.id}/assets/labels.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.data.startswith(b"%PDF")
    assert _pages(response.data) == 2


def test_label_sheet_of_a_firm_without_active_assets_says_so(client, auth, world, make):
    empty = make.firm()
    auth.login(world.manager)
    response = client.get(f"/firms/{empty.id}/assets/labels.pdf")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/assets?firm_id={empty.id}"


# --- report a problem from a label -----------------------------------------------------------


def test_scanning_a_label_signs_in_and_opens_the_prefilled_form(client, world):
    asset_id = world.asset_a.id
    first = client.get(f"/assets/{asset_id}/report")
    assert first.status_code == 302
    location = urlsplit(first.headers["Location"])
    assert location.path == "/login"
    next_url = parse_qs(location.query)["next"][0]
    assert next_url == f"/assets/{asset_id}/report"
    signed_in = AuthActions(client).login(world.user_a, query_string={"next": next_url})
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == f"/assets/{asset_id}/report"
    form = client.get(f"/assets/{asset_id}/report")
    assert form.status_code == 200
    page = html(form)
    assert 'action="/tickets/new"' in page
    assert re.search(
        rf'<option selected value="{asset_id}">|<option value="{asset_id}" selected', page
    )
    assert re.search(r'id="system"[^>]*value="사출기 3호"', page)


def test_the_prefilled_form_files_a_ticket_linked_to_the_asset(client, auth, world):
    auth.login(world.user_a)
    response = client.post(
        "/tickets/new",
        data={
            "asset_id": str(world.asset_a.id),
            "category": "breakdown",
            "severity": "high",
            "title": "금형 온도 이상",
            "system": "사출기 3호",
            "description": "라벨을 스캔해 신고",
        },
    )
    assert response.status_code == 302
    ticket = db.session.scalar(select(Ticket).where(Ticket.title == "금형 온도 이상"))
    assert ticket.asset_id == world.asset_a.id
    assert response.headers["Location"] == f"/tickets/{ticket.id}"
    detail = html(client.get(f"/tickets/{ticket.id}"))
    assert f'href="/assets/{world.asset_a.id}"' in detail
    assert "INJ-3" in detail
    asset_page = html(client.get(f"/assets/{world.asset_a.id}"))
    assert f'href="/tickets/{ticket.id}"' in asset_page


def test_filing_form_refuses_another_firms_asset_and_files_nothing(client, auth, world):
    auth.login(world.user_a)
    before = ticket_count()
    for value in (str(world.asset_b.id), "999999", "abc"):
        response = client.post(
            "/tickets/new",
            data={"asset_id": value, "category": "breakdown", "severity": "high", "title": "x"},
        )
        assert response.status_code == 200, value
        assert has_field_error(html(response), "asset_id"), value
    assert ticket_count() == before


def test_manager_files_on_behalf_from_a_label(client, auth, world):
    auth.login(world.manager)
    page = client.get(f"/assets/{world.asset_b.id}/report")
    assert page.status_code == 200
    assert re.search(rf'<option value="{world.firm_b.id}" selected', html(page))
    wrong_firm = client.post(
        "/tickets/new",
        data={
            "firm_id": str(world.firm_a.id),
            "asset_id": str(world.asset_b.id),
            "category": "defect",
            "severity": "normal",
            "title": "MES 응답 지연",
        },
    )
    assert has_field_error(html(wrong_firm), "asset_id")
    assert ticket_count() == 0
    right = client.post(
        "/tickets/new",
        data={
            "firm_id": str(world.firm_b.id),
            "asset_id": str(world.asset_b.id),
            "category": "defect",
            "severity": "normal",
            "title": "MES 응답 지연",
        },
    )
    assert right.status_code == 302
    ticket = db.session.scalar(select(Ticket))
    assert (ticket.firm_id, ticket.asset_id, ticket.system) == (
        world.firm_b.id,
        world.asset_b.id,
        "MES 서버",  # the affected system defaults to the asset's name
    )


def test_firm_filing_form_offers_only_the_firms_active_assets(client, auth, world):
    retired = asset_services.create_asset(
        world.user_a, {"name": "구형 컨베이어", "kind": "equipment"}
    )
    asset_services.set_asset_active(world.user_a, retired.id, False)
    auth.login(world.user_a)
    page = html(client.get("/tickets/new"))
    assert "사출기 3호" in page
    assert "구형 컨베이어" not in page
    assert "MES 서버" not in page


# --- API -------------------------------------------------------------------------------------


def _ticket_body(**extra) -> dict:
    return {"category": "breakdown", "severity": "high", "title": "API 신고"} | extra


def test_api_files_a_ticket_for_an_asset_and_shows_asset_id(api, world):
    caller = api.as_(world.user_a)
    created = caller.post("/tickets", json=_ticket_body(asset_id=world.asset_a.id))
    assert created.status_code == 201, created.json
    assert created.json["asset_id"] == world.asset_a.id
    assert created.json["system"] == "사출기 3호"
    fetched = caller.get(f"/tickets/{created.json['id']}")
    assert fetched.json["asset_id"] == world.asset_a.id
    listed = caller.get("/tickets").json["items"]
    assert listed[0]["asset_id"] == world.asset_a.id
    plain = caller.post("/tickets", json=_ticket_body())
    assert plain.json["asset_id"] is None


@pytest.mark.parametrize("asset_id", ["other_firm", "inactive", 999_999, 0, -1, "7", True, 2**31])
def test_api_refuses_an_asset_that_is_not_an_active_one_of_the_firm(api, world, asset_id):
    if asset_id == "other_firm":
        asset_id = world.asset_b.id
    elif asset_id == "inactive":
        retired = asset_services.create_asset(world.user_a, {"name": "폐기", "kind": "system"})
        asset_services.set_asset_active(world.user_a, retired.id, False)
        asset_id = retired.id
    response = api.as_(world.user_a).post("/tickets", json=_ticket_body(asset_id=asset_id))
    assert response.status_code == 422, response.json
    assert "asset_id" in response.json["errors"]
    assert ticket_count() == 0


def test_api_manager_asset_must_belong_to_the_firm_filed_for(api, world):
    caller = api.as_(world.manager)
    wrong = caller.post(
        "/tickets", json=_ticket_body(firm_id=world.firm_a.id, asset_id=world.asset_b.id)
    )
    assert wrong.status_code == 422
    assert "asset_id" in wrong.json["errors"]
    right = caller.post(
        "/tickets", json=_ticket_body(firm_id=world.firm_b.id, asset_id=world.asset_b.id)
    )
    assert right.status_code == 201
    assert right.json["asset_id"] == world.asset_b.id


def test_api_lists_assets_in_scope(api, world):
    retired = asset_services.create_asset(world.user_a, {"name": "폐기", "kind": "system"})
    asset_services.set_asset_active(world.user_a, retired.id, False)
    mine = api.as_(world.user_a).get(f"/assets?firm_id={world.firm_b.id}")
    assert mine.status_code == 200
    assert [a["id"] for a in mine.json["items"]] == [world.asset_a.id]
    assert mine.json["items"][0]["serial"] == "INJ-3"
    everything = api.as_(world.user_a).get("/assets?include_inactive=true")
    assert [a["id"] for a in everything.json["items"]] == [retired.id, world.asset_a.id]
    manager = api.as_(world.manager)
    assert [a["id"] for a in manager.get(f"/assets?firm_id={world.firm_b.id}").json["items"]] == [
        world.asset_b.id
    ]
    assert manager.get("/assets?limit=1").json["next_cursor"] is not None
    assert api.as_(world.meister).get("/assets").status_code == 403
    assert manager.get("/assets?firm_id=abc").status_code == 422


def test_api_shows_an_asset_only_to_those_who_may_see_it(api, world):
    assert api.as_(world.user_a).get(f"/assets/{world.asset_a.id}").json["name"] == "사출기 3호"
    assert api.as_(world.user_a).get(f"/assets/{world.asset_b.id}").status_code == 404
    assert api.as_(world.meister).get(f"/assets/{world.asset_a.id}").status_code == 404
    assert api.as_(world.auditor).get(f"/assets/{world.asset_b.id}").status_code == 200
    assert api.as_(world.admin).get(f"/assets/{world.asset_b.id}").status_code == 403


def test_nul_characters_are_refused_not_a_server_error(client, auth, api, world):
    auth.login(world.user_a)
    before = db.session.scalar(select(func.count(Asset.id)))
    response = client.post("/assets/new", data=asset_form(name="프레스\x00 2호", serial="P\x00-2"))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(Asset.id))) == before
    assert client.get("/assets?q=%00프레스").status_code == 422
    assert api.as_(world.user_a).get("/assets?q=%00").status_code == 422


def test_a_name_with_line_breaks_is_kept_on_one_line_and_still_labels(client, auth, world):
    auth.login(world.user_a)
    form = asset_form(name="줄\n바꿈\r\n설비", serial="NL-1", location="1동\t2층")
    assert client.post("/assets/new", data=form).status_code == 302
    asset = db.session.scalar(select(Asset).where(Asset.serial == "NL-1"))
    assert (asset.name, asset.location) == ("줄 바꿈 설비", "1동 2층")
    png = client.get(f"/assets/{asset.id}/label.png")
    assert png.status_code == 200
    assert png.data.startswith(b"\x89PNG")


def test_big_label_sheets_come_in_parts(client, auth, world, monkeypatch):
    monkeypatch.setattr(asset_queries, "SHEET_LABELS", 2)
    for n in range(3):  # with asset_a: 4 in service → 2 parts of 2
        asset_services.create_asset(world.user_a, {"name": f"설비 {n}", "kind": "equipment"})
    auth.login(world.user_a)
    page = html(client.get("/assets"))
    assert f"/firms/{world.firm_a.id}/assets/labels.pdf?part=2" in page
    assert "part=3" not in page
    second = client.get(f"/firms/{world.firm_a.id}/assets/labels.pdf?part=2")
    assert second.status_code == 200
    assert second.data.startswith(b"%PDF")
    beyond = client.get(f"/firms/{world.firm_a.id}/assets/labels.pdf?part=3")
    assert beyond.status_code == 302  # nothing to print there: back to the list
