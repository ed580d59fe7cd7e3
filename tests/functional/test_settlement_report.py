"""The settlement report (PDF) of a claim and a batch's settlement workbook and evidence ZIP."""

from __future__ import annotations

import codecs
import csv
import io
import os
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from aftercare.assets.labels import font_path
from aftercare.claims.models import Claim
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.meisters.models import CostLine
from aftercare.payouts.settlement import settle_for_date
from tests.helpers import make_settleable, pending_claim

PDF = b"%PDF-1.4\n%evidence of the line\n"


def _body(response) -> bytes:
    """The whole body of a download, the response closed (its temporary file with it)."""
    try:
        return response.get_data()
    finally:
        response.close()


@pytest.fixture
def settled(api, make):
    """A settled claim whose one line has a real evidence file on disk."""
    make.fiscal_year(year=seoul_today().year, second_approval_from=10**12)
    facts = pending_claim(api, make)
    claim_id = facts["claim_id"]
    line = db.session.scalar(select(CostLine).where(CostLine.ticket_id == facts["ticket_id"]))
    manager = api.as_(make.user("manager"))
    uploaded = manager.post(
        f"/cost-lines/{line.id}/evidence",
        data={"file": (io.BytesIO(PDF), "세금계산서 1.pdf")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.get_json()
    assert api.as_(make.user("manager")).post(f"/claims/{claim_id}/approve").status_code == 200
    make_settleable(claim_id)
    batch = settle_for_date(seoul_today())
    assert batch.claims_settled == 1
    return facts | {"batch_id": batch.id, "line_id": line.id, "file_id": uploaded.get_json()["id"]}


def _needs_the_font(app) -> None:
    """CI installs fonts-nanum (make browser-deps); elsewhere a missing font skips."""
    with app.test_request_context():
        if font_path() is None and not os.environ.get("CI"):
            pytest.skip("NanumGothic is not installed (apt-get install fonts-nanum)")


def test_the_report_is_an_a4_pdf_for_those_who_may_see_the_claim(app, client, auth, make, settled):
    _needs_the_font(app)
    auth.login(make.user("auditor"))
    answer = client.get(f"/claims/{settled['claim_id']}/report.pdf")
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    data = _body(answer)
    assert data.startswith(b"%PDF-")
    assert b"/MediaBox [0 0 595.28 841.89]" in data  # A4 in points
    auth.logout()

    auth.login(make.user("firm", firm=make.firm()))
    assert client.get(f"/claims/{settled['claim_id']}/report.pdf").status_code == 404


def test_without_the_korean_font_the_report_says_so(app, client, auth, make, settled):
    app.config["LABEL_FONT_PATH"] = "/nonexistent/NanumGothic.ttf"
    auth.login(make.user("manager", language="ko"))
    answer = client.get(f"/claims/{settled['claim_id']}/report.pdf")
    assert answer.status_code == 503
    assert "한글 글꼴이 설치되어 있지 않습니다" in answer.get_data(as_text=True)


def test_the_report_holds_the_claims_facts(app, settled):
    from aftercare.reports.settlement_report import claim_report

    report = claim_report(db.session.get(Claim, settled["claim_id"]))

    assert [line.id for line in report.lines] == [settled["line_id"]]
    assert [f.id for f in report.files[settled["line_id"]]][-1] == settled["file_id"]
    assert report.payment.confirmed_at is not None
    assert report.audit_ids  # approval, review, evidence events of this claim
    assert report.claim.batch_id == settled["batch_id"]


def test_the_batch_workbook_has_a_sheet_of_claims_and_one_of_lines(client, auth, make, settled):
    auth.login(make.user("manager"))
    answer = client.get(f"/ledger/batches/{settled['batch_id']}/settlement.xlsx")
    assert answer.status_code == 200
    workbook = load_workbook(io.BytesIO(_body(answer)), read_only=True)
    claims, lines = (list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets)
    workbook.close()
    claim = db.session.get(Claim, settled["claim_id"])
    assert claims[0][0] == "청구 번호 (Claim)"
    assert claims[1][0] == claim.id
    assert claims[1][6] == claim.government_share
    assert isinstance(claims[1][6], int)
    assert [row[1] for row in lines[1:]] == [settled["line_id"]]
    assert lines[1][11] == "확인"


def test_the_evidence_zip_streams_every_file_with_an_index(client, auth, make, settled):
    auth.login(make.user("auditor"))
    answer = client.get(f"/ledger/batches/{settled['batch_id']}/evidence.zip")
    assert answer.status_code == 200
    assert answer.is_streamed
    archive = zipfile.ZipFile(io.BytesIO(_body(answer)))
    names = archive.namelist()
    ours = f"claim-{settled['claim_id']}/evidence-{settled['file_id']}-세금계산서 1.pdf"
    assert ours in names
    assert archive.read(ours) == PDF
    index = list(csv.reader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    assert archive.read("index.csv").startswith(codecs.BOM_UTF8)  # Excel reads it as UTF-8
    assert index[0][0] == "파일 (File)"
    states = {row[0]: row[7] for row in index[1:]}
    assert states[ours] == "포함 (included)"
    # the helper's stand-in files have no bytes on disk: listed, not invented
    assert "파일 없음 (missing on disk)" in states.values()


def test_a_firm_may_not_download_batch_exports(client, auth, make, settled):
    auth.login(make.user("firm", firm=make.firm()))
    for path in ("settlement.xlsx", "evidence.zip"):
        assert client.get(f"/ledger/batches/{settled['batch_id']}/{path}").status_code == 403
