"""Ledger pages: pool dashboard, budget, settle now, verify, transactions, batches, exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from aftercare.approvals.models import ApprovalRequest
from aftercare.core.pagination import encode_cursor
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.ledger.models import FiscalYear, LedgerTransaction
from aftercare.ledger.services import add_budget
from aftercare.payouts.models import PayoutBatch, ReconciliationRun
from tests.helpers import make_all_settleable, pending_claim

BUDGET = 10_000_000


def approved_claim(api, make, manager=None, unit_price: int = 1_000_000) -> dict:
    """A claim taken through the API from filing to approval; returns its ids and share."""
    manager = manager or make.user("manager")
    facts = pending_claim(api, make, unit_price=unit_price)
    approved = api.as_(manager).post(f"/claims/{facts['claim_id']}/approve")
    assert approved.status_code == 200, approved.get_json()
    return facts | {"share": approved.get_json()["government_share"]}


@pytest.fixture
def year(make) -> int:
    this_year = seoul_today().year
    make.fiscal_year(year=this_year, budget=BUDGET)
    return this_year


@pytest.fixture
def manager(make):
    return make.user("manager", language="en")


@pytest.fixture
def as_manager(auth, manager):
    auth.login(manager)
    return manager


@pytest.fixture
def colleague(make):
    """A second manager: confirms what the first asks for (four eyes)."""
    return make.user("manager", language="en")


def confirm_latest(client, auth, manager, colleague, **kw):
    """The newest request, confirmed on the approvals page by `colleague`; `manager` is
    signed in again afterwards. Returns the confirmation's answer."""
    request_id = db.session.scalar(select(func.max(ApprovalRequest.id)))
    db.session.rollback()
    auth.logout()
    auth.login(colleague)
    response = client.post(f"/approvals/{request_id}/confirm", **kw)
    auth.logout()
    auth.login(manager)
    return response


def settle_now(client, auth, manager, colleague, **kw):
    """Ask for today's settlement on the ledger page; `colleague` confirms it."""
    make_all_settleable()
    asked = client.post("/ledger/settle")
    assert (asked.status_code, asked.headers["Location"]) == (302, "/approvals")
    return confirm_latest(client, auth, manager, colleague, **kw)


def card(html: str, key: str) -> str:
    """The figure on the pool card `key` (budget, available, reserved, paid)."""
    match = re.search(rf'id="pool-{key}">.*?<div class="stat[^"]*">([^<]+)</div>', html, re.S)
    assert match, f"no {key} card"
    return match.group(1).strip()


def page_text(client, path: str, **kw) -> str:
    response = client.get(path, **kw)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def read_stream(response) -> bytes:
    try:
        return response.get_data()
    finally:
        response.close()


# ---------------------------------------------------------------- who may see and act

LEDGER_PAGES = ["/ledger", "/ledger/transactions", "/ledger/batches"]


@pytest.mark.parametrize("role", ["firm", "meister", "admin"])
def test_ledger_pages_are_forbidden_to_other_roles(client, auth, make, year, role):
    auth.login(make.user(role))
    for path in [*LEDGER_PAGES, "/ledger/settle"]:
        assert client.get(path).status_code == 403, path
    assert client.post("/ledger/verify").status_code == 403


def test_anonymous_visitor_is_sent_to_sign_in(client, year):
    response = client.get("/ledger")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_auditor_reads_the_ledger_but_cannot_act(client, auth, make, year):
    auth.login(make.user("auditor", language="en"))
    for path in LEDGER_PAGES:
        assert client.get(path).status_code == 200, path
    html = page_text(client, "/ledger")
    assert "Request budget addition" not in html
    assert "Settle now" not in html
    assert client.get("/ledger/settle").status_code == 403
    assert client.post("/ledger/settle").status_code == 403
    assert client.post("/ledger/verify").status_code == 403
    refused = client.post("/ledger/budget", data={"year": year, "amount": "1000", "reason": "x"})
    assert refused.status_code == 403
    assert db.session.scalar(select(FiscalYear.budget).where(FiscalYear.year == year)) == BUDGET


# ---------------------------------------------------------------- pool dashboard


def test_the_opening_fund_reads_korean_first(client, auth, make, year):
    auth.login(make.user("auditor"))
    assert "회계연도 개설 (Fiscal year opened)" in page_text(client, "/ledger/transactions")


def test_pool_page_without_any_fiscal_year_says_so(client, as_manager):
    html = page_text(client, "/ledger")
    assert "No fiscal year has been opened yet." in html


def test_unknown_year_is_404(client, as_manager, year):
    assert client.get(f"/ledger?year={year + 5}").status_code == 404


def test_pool_page_shows_the_figures_after_an_approval(client, api, make, as_manager, year):
    claim = approved_claim(api, make, manager=as_manager)
    assert claim["share"] == 500_000
    html = page_text(client, "/ledger")
    assert card(html, "budget") == "10,000,000원"
    assert card(html, "available") == "9,500,000원"
    assert card(html, "reserved") == "500,000원"
    assert card(html, "paid") == "0원"
    assert card(page_text(client, f"/ledger?year={year}"), "reserved") == "500,000원"


def test_pool_chart_data_is_json_and_the_page_has_no_inline_script(client, as_manager, year):
    html = page_text(client, "/ledger")
    assert 'id="burndown-chart" data-chart-source="burndown-data"' in html
    assert 'src="/static/js/charts.js"' in html
    assert 'src="/static/vendor/chartjs/chart.umd.min.js"' in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    script = client.get("/static/js/charts.js")
    assert script.status_code == 200
    assert b"data-chart-source" in read_stream(script)


# ---------------------------------------------------------------- add budget


def test_manager_asks_for_budget_with_a_reason_and_a_colleague_confirms(
    client, auth, as_manager, colleague, year
):
    response = client.post(
        "/ledger/budget",
        data={"year": str(year), "amount": "5,000,000", "reason": "추경 편성"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "to add 5,000,000원 to the fiscal year" in html
    assert "waiting for another manager" in html
    assert card(html, "budget") == "10,000,000원"  # nothing moves before the confirmation
    queue = page_text(client, "/approvals")
    assert "Waiting for another manager" in queue  # the requester has no buttons
    assert '/confirm"' not in queue  # no confirm form action

    done = confirm_latest(client, auth, as_manager, colleague, follow_redirects=True)
    assert "5,000,000원 added to the fiscal year" in done.get_data(as_text=True)
    html = page_text(client, "/ledger")
    assert card(html, "budget") == "15,000,000원"
    assert card(html, "available") == "15,000,000원"
    fund = db.session.scalar(
        select(LedgerTransaction)
        .where(LedgerTransaction.type == "fund")
        .order_by(LedgerTransaction.id.desc())
        .limit(1)
    )
    # posted in the confirmer's name; the request names who asked
    assert (fund.amount, fund.reason, fund.actor_id) == (5_000_000, "추경 편성", colleague.id)
    request = db.session.scalar(select(ApprovalRequest))
    assert (request.requested_by_id, request.decided_by_id) == (as_manager.id, colleague.id)


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("", "추경"),
        ("abc", "추경"),
        ("0", "추경"),
        ("-5000", "추경"),
        ("1.5", "추경"),
        ("1000", ""),
    ],
)
def test_bad_budget_input_shows_an_error_and_changes_nothing(
    client, as_manager, year, amount, reason
):
    before = db.session.scalar(select(func.count(LedgerTransaction.id)))
    response = client.post(
        "/ledger/budget", data={"year": str(year), "amount": amount, "reason": reason}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "is-invalid" in html
    assert 'class="invalid-feedback"' in html
    assert card(html, "budget") == "10,000,000원"
    db.session.expire_all()
    assert db.session.scalar(select(func.count(LedgerTransaction.id))) == before
    assert db.session.scalar(select(FiscalYear.budget).where(FiscalYear.year == year)) == BUDGET


# ---------------------------------------------------------------- settle now and verify


def test_settle_now_asks_first_then_settles_the_approved_claim(
    client, api, auth, make, as_manager, colleague, year
):
    claim = approved_claim(api, make, manager=as_manager)
    waits = page_text(client, "/ledger/settle")
    assert re.search(r'id="preview-claims">0<', waits)
    assert 'data-wait="review_pending"' in waits  # its lines are not reviewed yet
    make_all_settleable()
    confirm = page_text(client, "/ledger/settle")
    assert re.search(r'id="preview-claims">1<', confirm)
    assert "500,000원" in confirm
    assert "another manager confirms" in confirm
    assert db.session.scalar(select(func.count(PayoutBatch.id))) == 0  # GET changed nothing

    asked = client.post("/ledger/settle", follow_redirects=True)
    assert "waiting for another manager" in asked.get_data(as_text=True)
    assert db.session.scalar(select(func.count(PayoutBatch.id))) == 0  # a request only
    db.session.rollback()

    response = confirm_latest(client, auth, as_manager, colleague)
    assert response.status_code == 302
    batch = db.session.scalar(select(PayoutBatch))
    assert response.headers["Location"] == f"/ledger/batches/{batch.id}"
    assert (batch.batch_date, batch.claims_settled, batch.amount) == (seoul_today(), 1, 500_000)

    html = page_text(client, f"/ledger/batches/{batch.id}")
    assert claim["firm_name"] in html
    assert f"/tickets/{claim['ticket_id']}" in html
    listing = page_text(client, "/ledger/batches")
    assert f'href="/ledger/batches/{batch.id}"' in listing
    pool = page_text(client, "/ledger")
    assert (card(pool, "reserved"), card(pool, "paid")) == ("0원", "500,000원")
    assert api.as_(as_manager).get(f"/claims/{claim['claim_id']}").get_json()["status"] == "settled"


def test_settling_again_the_same_day_leaves_the_batch_unchanged(
    client, api, auth, make, as_manager, colleague, year
):
    approved_claim(api, make, manager=as_manager)
    settle_now(client, auth, as_manager, colleague)
    again = settle_now(client, auth, as_manager, colleague, follow_redirects=True)
    assert "had already run; it is unchanged" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(PayoutBatch.id))) == 1
    assert "has already run" in page_text(client, "/ledger/settle")


def test_verify_now_records_the_reconciliation_and_shows_it(client, api, make, as_manager, year):
    approved_claim(api, make, manager=as_manager)
    response = client.post("/ledger/verify", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "The books reconcile: all" in html
    run = db.session.scalar(select(ReconciliationRun))
    assert run.ok
    assert 'id="reconciliation"' in html
    assert "table-danger" not in html


def test_a_breach_is_highlighted_on_the_pool_page(client, as_manager, year):
    db.session.add(
        ReconciliationRun(
            ok=False,
            checks=[
                {"name": "transactions_balanced", "ok": True, "detail": "fine"},
                {"name": "firm_caps_respected", "ok": False, "detail": "firm 7 over cap"},
            ],
        )
    )
    db.session.commit()
    html = page_text(client, "/ledger")
    assert re.search(r'<tr class="table-danger"><td><code>firm_caps_respected</code>', html)
    assert "firm 7 over cap" in html


# ---------------------------------------------------------------- burn-down


def test_burn_down_groups_settled_amounts_by_month(
    client, api, auth, make, as_manager, colleague, year
):
    approved_claim(api, make, manager=as_manager)
    approved_claim(api, make, manager=as_manager, unit_price=600_000)
    settle_now(client, auth, as_manager, colleague)
    html = page_text(client, "/ledger")
    table = html.split('id="burndown-table"')[1].split("</table>")[0]
    month = seoul_today().strftime("%Y-%m")
    row = re.search(rf"<th scope=\"row\">{month}</th>(.*?)</tr>", table, re.S).group(1)
    assert re.findall(r'class="money">([^<]+)<', row) == ["800,000원", "800,000원", "9,200,000원"]
    assert table.count('<th scope="row">') == seoul_today().month  # January to this month


# ---------------------------------------------------------------- exports


@pytest.fixture
def settled_batch(client, api, auth, make, as_manager, colleague, year) -> tuple[int, list[dict]]:
    claims = [
        approved_claim(api, make, manager=as_manager),
        approved_claim(api, make, manager=as_manager, unit_price=300_000),
    ]
    settle_now(client, auth, as_manager, colleague)
    return db.session.scalar(select(PayoutBatch.id)), claims


def test_batch_csv_has_a_bom_and_one_row_per_settled_claim(client, settled_batch):
    batch_id, claims = settled_batch
    response = client.get(f"/ledger/batches/{batch_id}.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = read_stream(response)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == [
        "batch_date",
        "line_id",
        "claim_id",
        "ticket_id",
        "firm_id",
        "firm_name",
        "registration_number",
        "amount_won",
    ]
    today = seoul_today().isoformat()
    assert [(r[0], r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows[1:]] == [
        (
            today,
            str(c["claim_id"]),
            str(c["ticket_id"]),
            str(c["firm_id"]),
            c["firm_name"],
            c["registration_number"],
            str(c["share"]),
        )
        for c in claims
    ]


def test_batch_xlsx_opens_and_amounts_are_integers(client, settled_batch):
    batch_id, claims = settled_batch
    response = client.get(f"/ledger/batches/{batch_id}.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"].startswith("attachment")
    workbook = load_workbook(io.BytesIO(read_stream(response)), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    workbook.close()
    assert rows[0][-1] == "amount_won"
    assert [row[-1] for row in rows[1:]] == [500_000, 150_000]
    assert all(type(row[-1]) is int for row in rows[1:])
    assert [row[2] for row in rows[1:]] == [c["claim_id"] for c in claims]
    assert [row[6] for row in rows[1:]] == [c["registration_number"] for c in claims]
    assert rows[1][0].date() == seoul_today()


def test_unknown_batch_is_404_for_pages_and_exports(client, as_manager, year):
    for path in ("/ledger/batches/99", "/ledger/batches/99.csv", "/ledger/batches/99.xlsx"):
        assert client.get(path).status_code == 404, path


def test_auditor_downloads_batch_exports(client, auth, make, settled_batch):
    batch_id, _ = settled_batch
    auth.logout()
    auth.login(make.user("auditor"))
    assert read_stream(client.get(f"/ledger/batches/{batch_id}.csv")).count(b"\n") == 3
    response = client.get(f"/ledger/batches/{batch_id}.xlsx")
    assert response.status_code == 200
    read_stream(response)


# ---------------------------------------------------------------- transactions


def test_transactions_browser_filters_by_type_claim_firm_and_year(
    client, api, make, as_manager, year
):
    claim = approved_claim(api, make, manager=as_manager)

    def ids(query: str) -> list[int]:
        html = page_text(client, f"/ledger/transactions{query}")
        return [int(i) for i in re.findall(r'data-transaction-id="(\d+)"', html)]

    reserve_id = db.session.scalar(
        select(LedgerTransaction.id).where(LedgerTransaction.type == "reserve")
    )
    fund_id = db.session.scalar(
        select(LedgerTransaction.id).where(LedgerTransaction.type == "fund")
    )
    assert ids("") == [reserve_id, fund_id]
    assert ids("?type=reserve") == [reserve_id]
    assert ids("?type=fund") == [fund_id]
    assert ids(f"?claim_id={claim['claim_id']}") == [reserve_id]
    assert ids(f"?firm_id={claim['firm_id']}") == [reserve_id]
    assert ids(f"?firm_id={claim['firm_id'] + 100}") == []
    assert ids(f"?year={year}") == [reserve_id, fund_id]
    assert ids(f"?year={year - 1}") == []
    assert ids("?type=bogus&claim_id=abc") == [reserve_id, fund_id]  # bad filters are ignored

    html = page_text(client, "/ledger/transactions?type=reserve")
    assert "-500,000원" in html


def test_transactions_browser_paginates_newest_first(client, as_manager, year):
    for n in range(5):
        add_budget(as_manager, year, 1_000 * (n + 1), f"top-up {n}")
    seen: list[int] = []
    path = "/ledger/transactions?limit=2"
    while path:
        html = page_text(client, path)
        seen += [int(i) for i in re.findall(r'data-transaction-id="(\d+)"', html)]
        older = re.search(r'href="([^"]+)">Older', html)
        path = older.group(1).replace("&amp;", "&") if older else ""
    all_ids = db.session.scalars(select(LedgerTransaction.id)).all()
    assert seen == sorted(all_ids, reverse=True)
    assert len(seen) == 6


def test_a_bad_page_address_falls_back_to_the_first_page(client, as_manager, year):
    for path in ("/ledger/transactions?cursor=%%%", "/ledger/batches?limit=1000"):
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200
        assert "The page address was not valid" in response.get_data(as_text=True)


def test_settle_confirmation_reports_what_would_be_settled_on_an_empty_day(
    client, as_manager, year
):
    html = page_text(client, "/ledger/settle")
    assert re.search(r'id="preview-claims">0<', html)
    assert date.fromisoformat(re.search(r"end of (\d{4}-\d\d-\d\d)", html).group(1)) == (
        seoul_today()
    )


HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/ledger?year=abc", 404),
        (f"/ledger?year={HUGE}", 404),
        (f"/ledger/batches/{HUGE}", 404),
        (f"/ledger/batches/{HUGE}.csv", 404),
        (f"/ledger/batches/{HUGE}.xlsx", 404),
        (f"/ledger/transactions?claim_id={HUGE}&firm_id=²&year=-1", 200),
        (f"/ledger/transactions?cursor={encode_cursor(10**25)}", 302),
        (f"/ledger/batches?cursor={encode_cursor(10**25)}", 302),
    ],
)
def test_odd_addresses_are_answered_without_a_500(client, as_manager, year, path, status):
    assert client.get(path).status_code == status


@pytest.mark.parametrize("bad_year", ["²", HUGE, "", "20261"])
def test_budget_for_an_odd_year_changes_nothing(client, as_manager, year, bad_year):
    response = client.post(
        "/ledger/budget", data={"year": bad_year, "amount": "1000", "reason": "x"}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(FiscalYear.budget).where(FiscalYear.year == year)) == BUDGET
