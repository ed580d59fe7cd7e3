"""Role dashboards show the right figures for a small known data set (SPEC §9).

The manager and auditor dashboards carry programme-wide charts: each chart's JSON block
holds the same numbers as the table beside it (won as integers). A firm sees only its
own caps and tickets; a Meister sees their own queue and what falls due.

The people here read English, so these tests do not depend on the Korean catalogue;
one test checks the Korean labels the charts take from existing vocabularies.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from flask_babel import refresh
from sqlalchemy import select, update

from aftercare.claims.models import Claim
from aftercare.claims.services import approve_claim
from aftercare.claims.signoff import confirm_ticket
from aftercare.db import utcnow
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.jobs.sla import run_sla_job
from aftercare.meisters.assignment import assign_meister
from aftercare.meisters.visits import accept_ticket, log_visit, resolve_ticket
from aftercare.payouts.settlement import settle_for_date
from aftercare.tickets.models import Ticket
from aftercare.tickets.services import file_ticket, triage_ticket
from tests.helpers import give_evidence, make_all_settleable

CHART_KEYS = ("burndown", "month", "region", "category", "sla", "workload", "ratings", "cap_usage")

# ---------------------------------------------------------------- reading pages


class _TextById(HTMLParser):
    """Text content of the element with a given id (nested elements included)."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr"}

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id = element_id
        self.depth = 0
        self.parts: list[str] = []
        self.found = False

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.element_id:
            self.depth = 1
            self.found = True

    def handle_endtag(self, tag):
        if self.depth and tag not in self.VOID:
            self.depth -= 1
            self.parts.append(" ")

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def text_of(html: str, element_id: str) -> str:
    parser = _TextById(element_id)
    parser.feed(html)
    assert parser.found, f"no element with id {element_id!r}"
    return " ".join("".join(parser.parts).split())


def chart_data(html: str, key: str) -> dict:
    match = re.search(
        rf'<script type="application/json" id="{key}-data">(.*?)</script>', html, re.S
    )
    assert match, f"no chart data block {key!r}"
    return json.loads(match.group(1))


def series(data: dict, index: int = 0) -> dict:
    return dict(zip(data["labels"], data["series"][index]["data"], strict=True))


# ---------------------------------------------------------------- the data set


def _work(people, firm_user, meister, category: str, unit_price: int, rating: int) -> int:
    """A ticket taken from filing to a confirmed claim; returns the claim id."""
    ticket = file_ticket(firm_user, {"category": category, "severity": "high", "title": category})
    triage_ticket(people["manager"], ticket.id, "accept")
    assign_meister(people["manager"], ticket.id, meister.id)
    accept_ticket(meister, ticket.id)
    line = {"kind": "labour", "description": "작업", "quantity": 1, "unit_price": unit_price}
    log_visit(meister, ticket.id, seoul_today(), 2, "", [line])
    give_evidence(ticket.id)
    resolve_ticket(meister, ticket.id, "완료")
    confirm_ticket(firm_user, ticket.id, rating)
    return db.session.scalar(select(Claim.id).where(Claim.ticket_id == ticket.id))


@pytest.fixture
def world(make):
    """Two firms in two regions, two Meisters, claims approved, settled and pending.

    Government shares (50 %): seoul firm — breakdown 500,000 (settled) and upgrade
    1,500,000 (approved); busan firm — defect 4,500,000 (approved by two managers, being
    over 3,000,000; 90 % of its 5,000,000 emergency cap) and a pending breakdown claim
    that counts nowhere yet.
    """
    today = seoul_today()
    make.fiscal_year(year=today.year, budget=100_000_000)
    seoul = make.firm(name="서울정밀", region="seoul", policy_fund_year=today.year - 1)
    busan = make.firm(name="부산기계", region="busan", policy_fund_year=today.year - 1)
    people = {
        "seoul": seoul,
        "busan": busan,
        "seoul_user": make.user("firm", firm=seoul, language="en"),
        "busan_user": make.user("firm", firm=busan, language="en"),
        "manager": make.user("manager", language="en"),
        "second_manager": make.user("manager", language="en"),
        "auditor": make.user("auditor", language="en"),
        "kim": make.meister(),
        "lee": make.meister(max_load=3),
    }
    people["kim"].language = people["lee"].language = "en"
    db.session.commit()
    manager, kim, lee = people["manager"], people["kim"], people["lee"]
    settled = _work(people, people["seoul_user"], kim, "breakdown", 1_000_000, 5)
    approve_claim(manager, settled)
    make_all_settleable()
    settle_for_date(today)
    approve_claim(manager, _work(people, people["seoul_user"], kim, "upgrade", 3_000_000, 4))
    defect = _work(people, people["busan_user"], lee, "defect", 9_000_000, 3)
    approve_claim(manager, defect)
    approve_claim(people["second_manager"], defect)  # four eyes from 3,000,000
    _work(people, people["busan_user"], lee, "breakdown", 200_000, 2)  # stays pending

    # Open work for Lee: one waiting for acceptance, one in progress and overdue.
    waiting = file_ticket(
        people["busan_user"], {"category": "defect", "severity": "low", "title": "대기"}
    )
    triage_ticket(manager, waiting.id, "accept")
    assign_meister(manager, waiting.id, lee.id)
    late = file_ticket(
        people["busan_user"], {"category": "breakdown", "severity": "critical", "title": "지연"}
    )
    triage_ticket(manager, late.id, "accept")
    assign_meister(manager, late.id, lee.id)
    accept_ticket(lee, late.id)
    # One submitted ticket whose triage time ran out: the SLA job flags it.
    stale = file_ticket(
        people["seoul_user"], {"category": "defect", "severity": "normal", "title": "방치"}
    )
    now = utcnow()
    db.session.execute(
        update(Ticket)
        .where(Ticket.id == late.id)
        .values(resolution_due_at=now - timedelta(hours=1))
    )
    db.session.execute(
        update(Ticket).where(Ticket.id == stale.id).values(triage_due_at=now - timedelta(hours=1))
    )
    db.session.commit()
    run_sla_job()
    people["waiting"], people["late"], people["stale"] = waiting.id, late.id, stale.id
    return people


def _page(client, auth, user, path: str) -> str:
    auth.logout()
    auth.login(user)
    # Test requests share the test's app context, where Flask-Babel keeps the locale
    # of the first request; a real request starts afresh with the user's language.
    refresh()
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


# ---------------------------------------------------------------- manager and auditor


def test_manager_sees_spending_by_region_category_and_month(client, auth, world):
    html = _page(client, auth, world["manager"], "/manager")
    month = seoul_today().strftime("%Y-%m")

    region = chart_data(html, "region")
    assert region["unit"] == "원"
    assert region["type"] == "bar"
    assert series(region) == {"Busan": 4_500_000, "Seoul": 2_000_000}
    category = chart_data(html, "category")
    assert series(category) == {
        "Defect": 4_500_000,
        "Solution upgrade": 1_500_000,
        "Breakdown": 500_000,
    }
    by_month = chart_data(html, "month")
    assert by_month["labels"][0] == f"{seoul_today().year}-01"
    assert by_month["labels"][-1] == month
    assert series(by_month)[month] == 6_500_000
    assert sum(series(by_month).values()) == 6_500_000
    for data in (region, category, by_month):
        assert all(type(value) is int for value in data["series"][0]["data"])

    # The tables carry the same figures, for readers without JavaScript.
    assert "Busan 4,500,000원" in text_of(html, "spending-by-region")
    assert "Seoul 2,000,000원" in text_of(html, "spending-by-region")
    assert "Defect 4,500,000원" in text_of(html, "spending-by-category")
    assert f"{month} 6,500,000원" in text_of(html, "spending-by-month")


def test_manager_sees_the_pool_burn_down(client, auth, world):
    html = _page(client, auth, world["manager"], "/manager")
    month = seoul_today().strftime("%Y-%m")
    data = chart_data(html, "burndown")
    assert data["type"] == "line"
    remaining, paid = series(data, 0), series(data, 1)
    assert paid[month] == 500_000
    assert remaining[month] == 100_000_000 - 500_000
    assert f"{month} 500,000원 500,000원 99,500,000원" in text_of(html, "burndown")


def test_manager_sees_sla_compliance_and_open_breaches(client, auth, world):
    html = _page(client, auth, world["manager"], "/manager")
    month = seoul_today().strftime("%Y-%m")
    data = chart_data(html, "sla")
    assert data["unit"] == "%"
    assert data["max"] == 100
    # 6 tickets accepted on time; the stale one ran out untriaged → 6 of 7 met.
    assert series(data, 0)[month] == 85.7
    # 4 resolved on time; the late one is past due and open → 4 of 5 met.
    assert series(data, 1)[month] == 80.0
    table = text_of(html, "sla-compliance")
    assert f"{month} 7 85.7% (6/7) 80.0% (4/5) 2" in table
    assert "Open SLA breaches now: 2" in table


def test_manager_sees_meister_workload_and_ratings(client, auth, world):
    html = _page(client, auth, world["manager"], "/manager")
    kim, lee = world["kim"].name, world["lee"].name
    workload = chart_data(html, "workload")
    assert workload["labels"][:2] == [lee, kim]  # the busiest first
    assert series(workload, 0) == {lee: 2, kim: 0}
    assert series(workload, 1) == {lee: 3, kim: 5}
    ratings = chart_data(html, "ratings")
    assert series(ratings) == {lee: 2.5, kim: 4.5}
    assert ratings["max"] == 5
    table = text_of(html, "meister-workload")
    assert f"{lee} 2 3 2.50 (Ratings: 2)" in table
    assert f"{kim} 0 5 4.50 (Ratings: 2)" in table


def test_manager_sees_firms_closest_to_their_cap(client, auth, world):
    html = _page(client, auth, world["manager"], "/manager")
    data = chart_data(html, "cap_usage")
    assert data["unit"] == "%"
    assert data["max"] == 100
    assert series(data) == {
        "부산기계 · Emergency recovery": 90.0,
        "서울정밀 · Emergency recovery": 10.0,
        "서울정밀 · Growth-linked": 7.5,
    }
    table = text_of(html, "cap-usage")
    assert "부산기계 Emergency recovery 4,500,000원 5,000,000원 90.0%" in table
    assert "서울정밀 Growth-linked 1,500,000원 20,000,000원 7.5%" in table


def test_auditor_sees_the_same_programme_figures_read_only(client, auth, world):
    manager_html = _page(client, auth, world["manager"], "/manager")
    auditor_html = _page(client, auth, world["auditor"], "/auditor")
    for key in CHART_KEYS:
        assert chart_data(auditor_html, key) == chart_data(manager_html, key), key
    assert "/ledger" in auditor_html
    assert "/audit" in auditor_html
    assert "/tickets/export.csv" in auditor_html


def test_chart_scripts_are_files_not_inline(client, auth, world):
    html = _page(client, auth, world["manager"], "/manager")
    assert "js/charts.js" in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    for script in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        attributes, _body = script
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
    # Every chart has a label for screen readers, and its box is hidden until drawn.
    canvases = re.findall(r"<canvas[^>]*>", html)
    assert len(canvases) == len(CHART_KEYS)
    assert all('role="img"' in c and "aria-label=" in c for c in canvases)
    assert html.count('class="card p-2 mb-2 chart-box" hidden') == len(CHART_KEYS)


def test_dashboards_without_a_fiscal_year_still_render(client, auth, make):
    manager = make.user("manager", language="en")
    html = _page(client, auth, manager, "/manager")
    assert "No fiscal year has been opened yet." in html
    assert 'id="burndown-data"' not in html
    assert 'id="cap_usage-data"' not in html


def test_a_chart_without_data_shows_an_empty_state_instead(client, auth, make):
    """No ticket, no spending: each figure says so in words, with no empty chart or table."""
    make.fiscal_year(year=seoul_today().year)
    html = _page(client, auth, make.user("manager", language="en"), "/manager")
    for key, words in {
        "month": "No claim has been approved this year yet.",
        "region": "No spending yet.",
        "category": "No spending yet.",
        "sla": "No ticket has been filed this year yet.",
        "workload": "No active Meisters.",
        "cap_usage": "No firm has used its cap this year.",
    }.items():
        assert text_of(html, f"{key}-empty") == words, key
        assert f'id="{key}-data"' not in html, key
    assert "<canvas" in html  # the burn-down still draws the budget, nothing paid yet
    assert html.count('<details class="chart-table') == 1


def test_each_chart_folds_its_table_under_show_as_table(client, auth, world):
    """The table starts open (no JavaScript: it is all there is); charts.js folds it."""
    html = _page(client, auth, world["manager"], "/manager")
    tables = re.findall(
        r'<details class="chart-table[^"]*" open>\s*<summary>([^<]*)</summary>', html
    )
    assert tables == ["Show as table"] * 7  # workload and ratings share one table
    assert 'class="chart-empty' not in html
    for section in ("spending-by-region", "sla-compliance", "meister-workload"):
        assert "Show as table" in text_of(html, section)


def test_show_as_table_is_korean_for_korean_readers(client, auth, world):
    world["manager"].language = "ko"
    db.session.commit()
    html = _page(client, auth, world["manager"], "/manager")
    assert "<summary>표로 보기</summary>" in html


# ---------------------------------------------------------------- firm and Meister


def test_firm_sees_only_its_own_caps_and_tickets(client, auth, world):
    html = _page(client, auth, world["seoul_user"], "/firm")
    emergency = text_of(html, "usage-emergency")
    growth = text_of(html, "usage-growth")
    assert emergency.startswith("Emergency recovery")
    assert "4,500,000원 remaining" in emergency
    assert "10% of the cap used" in emergency
    assert "Reserved 0원 · Paid 500,000원" in emergency
    assert "18,500,000원 remaining" in growth
    assert "7% of the cap used" in growth
    assert "Reserved 1,500,000원 · Paid 0원" in growth
    counts = text_of(html, "ticket-counts")
    assert counts == "Waiting for review 1 Being worked on 0 Awaiting your confirmation 0"
    # Nothing programme-wide, and nothing of the other firm.
    assert "data-chart-source" not in html
    assert "application/json" not in html
    assert "부산기계" not in html
    assert "Spending by region" not in html
    busan = _page(client, auth, world["busan_user"], "/firm")
    assert " 500,000원 remaining" in text_of(busan, "usage-emergency")
    assert "90% of the cap used" in text_of(busan, "usage-emergency")
    assert text_of(busan, "ticket-counts") == (
        "Waiting for review 0 Being worked on 2 Awaiting your confirmation 0"
    )
    assert "서울정밀" not in busan


def test_firm_is_refused_programme_dashboards(client, auth, world):
    auth.login(world["seoul_user"])
    assert client.get("/manager").status_code == 403
    assert client.get("/auditor").status_code == 403


def test_meister_sees_queue_and_what_falls_due(client, auth, world):
    html = _page(client, auth, world["lee"], "/meister")
    due = text_of(html, "due-counts")
    assert due == (
        "Waiting for your acceptance 1 In progress 1 Past resolution due time 1 "
        "Due by end of tomorrow 0"
    )
    assert "지연" in html
    assert "대기" in html
    assert "data-chart-source" not in html
    kim_html = _page(client, auth, world["kim"], "/meister")
    assert text_of(kim_html, "due-counts") == (
        "Waiting for your acceptance 0 In progress 0 Past resolution due time 0 "
        "Due by end of tomorrow 0"
    )
    assert "지연" not in kim_html


def test_chart_labels_are_korean_for_korean_readers(client, auth, world):
    world["manager"].language = "ko"
    db.session.commit()
    html = _page(client, auth, world["manager"], "/manager")
    assert series(chart_data(html, "region")) == {"부산": 4_500_000, "서울": 2_000_000}
    assert series(chart_data(html, "category")) == {
        "결함": 4_500_000,
        "솔루션 고도화": 1_500_000,
        "고장": 500_000,
    }
    assert "부산 4,500,000원" in text_of(html, "spending-by-region")
