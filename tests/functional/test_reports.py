"""Ticket and claim exports: scoped like the lists, CSV with a BOM, XLSX with integer won."""

import io

import openpyxl

from tests.functional.test_journey_api import (
    test_the_whole_journey_moves_money_exactly_once as run_journey,
)


def test_ticket_export_follows_the_list_scope_and_filters(client, api, auth, make, runner):
    run_journey(client, api, make, runner)
    other_firm_user = make.user("firm")
    auth.login(other_firm_user)
    response = client.get("/tickets/export.csv")
    text = response.get_data().decode("utf-8")
    response.close()
    assert text.startswith("\ufeffid,filed_at_kst")
    assert len(text.strip().splitlines()) == 1  # another firm's tickets are not exported
    auth.logout()
    auth.login(make.user("auditor"))
    response = client.get("/tickets/export.csv?status=closed")
    rows = response.get_data().decode("utf-8").strip().splitlines()
    response.close()
    assert len(rows) == 2
    assert "PLC 통신 두절" in rows[1]


def test_claim_export_xlsx_keeps_money_as_integers(client, api, auth, make, runner):
    run_journey(client, api, make, runner)
    auth.login(make.user("manager"))
    response = client.get("/claims/export.xlsx?status=settled")
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    response.close()
    header, row = list(sheet.iter_rows(values_only=True))
    assert header[7:10] == ("eligible_total_won", "government_share_won", "firm_share_won")
    assert row[7:10] == (1_934_567, 967_000, 967_567)
    assert all(isinstance(v, int) for v in row[7:10])
