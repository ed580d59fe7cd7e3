"""The settlement report of a claim (정산보고서, A4 PDF) and a payout batch's settlement
workbook (XLSX: a sheet of claims, a sheet of lines) and evidence archive (ZIP, streamed).

A formal document: its labels are Korean with the English after them, whatever the
reader's language. The PDF is set in NanumGothic (the asset labels' font).
"""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from sqlalchemy import or_, select

from aftercare.audit.models import AuditEvent
from aftercare.auth.models import User
from aftercare.claims.evidence import lines_of
from aftercare.claims.firm_share import payment_of
from aftercare.claims.models import Claim, FirmPayment
from aftercare.claims.review import adjustments_of
from aftercare.core.exports import streamed
from aftercare.domain.time import to_seoul
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.meisters.evidence import evidence_files
from aftercare.meisters.models import CostLine
from aftercare.payouts.models import PayoutBatch, PayoutLine
from aftercare.suppliers.models import Supplier
from aftercare.tickets import storage
from aftercare.tickets.models import Attachment

KIND = {
    "labour": "인건비",
    "parts": "부품",
    "software": "소프트웨어",
    "travel": "출장",
    "other": "기타",
}
REVIEW = {"pending": "검토 전", "verified": "확인", "disallowed": "불인정"}
METHOD = {"card": "카드", "transfer": "계좌이체", "cash": "현금"}
STATUS = {
    "pending": "승인 대기",
    "awaiting_second_approval": "2차 승인 대기",
    "approved": "승인",
    "rejected": "반려",
    "settled": "정산 완료",
    "voided": "무효",
}


class FontMissing(RuntimeError):
    """The Korean font is not installed (Debian package fonts-nanum)."""


def won(amount: int | None) -> str:
    return "—" if amount is None else f"{int(amount):,}원"


def when(value: datetime | None) -> str:
    return to_seoul(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def approval_number(value: str | None) -> str:
    return "-".join(value[i : i + 8] for i in range(0, 24, 8)) if value else "—"


# ---------------------------------------------------------------- the claim's facts


@dataclass
class ClaimReport:
    """Everything the report prints, read in one place."""

    claim: Claim
    lines: list[CostLine]
    files: dict[int, list[Attachment]]
    payment: FirmPayment | None
    adjustments: list
    people: dict[int, str]
    audit_ids: list[int] = field(default_factory=list)

    def name(self, user_id: int | None) -> str:
        return self.people.get(user_id, "—") if user_id else "—"


def claim_report(claim: Claim) -> ClaimReport:
    lines = lines_of(claim)
    payment = payment_of(claim.id)
    user_ids = {
        claim.first_approved_by_id,
        claim.second_approved_by_id,
        *(line.reviewed_by_id for line in lines),
    }
    if payment is not None:
        user_ids |= {payment.recorded_by_id, payment.confirmed_by_id}
    people = dict(
        db.session.execute(
            select(User.id, User.name).where(User.id.in_([u for u in user_ids if u]))
        ).all()
    )
    audit_ids = db.session.scalars(
        select(AuditEvent.id)
        .where(
            or_(
                (AuditEvent.object_type == "claim") & (AuditEvent.object_id == claim.id),
                (AuditEvent.object_type == "cost_line")
                & AuditEvent.object_id.in_([line.id for line in lines]),
            )
        )
        .order_by(AuditEvent.id)
    ).all()
    return ClaimReport(
        claim,
        lines,
        evidence_files([line.id for line in lines]),
        payment,
        adjustments_of(claim.id),
        people,
        list(audit_ids),
    )


# ---------------------------------------------------------------- the batch workbook

CLAIM_HEADER = (
    "청구 번호 (Claim)",
    "A/S 요청 (Ticket)",
    "기업 (Firm)",
    "사업자등록번호 (Registration no.)",
    "지원 대상 (Eligible)",
    "지원 제외 (Ineligible)",
    "정부 지원금 (Government share)",
    "기업 부담금 (Firm share)",
    "자부담 지급액 (Firm paid)",
    "자부담 확인 (Confirmed)",
)
LINE_HEADER = (
    "청구 번호 (Claim)",
    "항목 (Line)",
    "종류 (Kind)",
    "내용 (Description)",
    "공급기업 (Supplier)",
    "승인번호 (Approval no.)",
    "작성일자 (Issued)",
    "공급가액 (Supply amount)",
    "부가세 (VAT)",
    "지급 (Paid by)",
    "지원 대상 (Eligible)",
    "검토 (Review)",
)


def _batch_claims(batch_id: int):
    return (
        select(
            Claim.id,
            Claim.ticket_id,
            Firm.name,
            Firm.registration_number,
            Claim.eligible_total,
            Claim.ineligible_total,
            Claim.government_share,
            Claim.firm_share,
            FirmPayment.amount.label("paid"),
            FirmPayment.confirmed_at,
        )
        .join(PayoutLine, PayoutLine.claim_id == Claim.id)
        .join(Firm, Firm.id == Claim.firm_id)
        .outerjoin(FirmPayment, FirmPayment.claim_id == Claim.id)
        .where(PayoutLine.batch_id == batch_id, PayoutLine.status == "settled")
        .order_by(Claim.id)
    )


def _batch_lines(batch_id: int):
    return (
        select(
            Claim.id.label("claim_id"),
            CostLine.id,
            CostLine.kind,
            CostLine.description,
            Supplier.name.label("supplier"),
            CostLine.invoice_number,
            CostLine.invoice_issued_on,
            CostLine.amount,
            CostLine.invoice_vat,
            CostLine.payment_method,
            CostLine.eligible,
            CostLine.review_status,
        )
        .join(Claim, Claim.ticket_id == CostLine.ticket_id)
        .join(PayoutLine, PayoutLine.claim_id == Claim.id)
        .outerjoin(Supplier, Supplier.id == CostLine.supplier_id)
        .where(PayoutLine.batch_id == batch_id, PayoutLine.status == "settled")
        .order_by(Claim.id, CostLine.id)
    )


def batch_workbook(batch: PayoutBatch) -> IO[bytes]:
    """Two write-only sheets, rows streamed from the database; money as integers."""
    from aftercare.core import spreadsheets  # openpyxl loads with the first export

    workbook, claims = spreadsheets.write_only_sheet("청구 (Claims)")
    claims.append(list(CLAIM_HEADER))
    money = "#,##0"
    for row in streamed(_batch_claims(batch.id)):
        claims.append(
            [
                row.id,
                row.ticket_id,
                spreadsheets.text_cell(claims, row.name),
                spreadsheets.text_cell(claims, row.registration_number),
                *(
                    spreadsheets.formatted_cell(claims, int(v or 0), money)
                    for v in (
                        row.eligible_total,
                        row.ineligible_total,
                        row.government_share,
                        row.firm_share,
                        row.paid,
                    )
                ),
                when(row.confirmed_at),
            ]
        )
    lines = workbook.create_sheet("항목 (Lines)")
    lines.append(list(LINE_HEADER))
    for row in streamed(_batch_lines(batch.id)):
        lines.append(
            [
                row.claim_id,
                row.id,
                KIND.get(row.kind, row.kind),
                spreadsheets.text_cell(lines, row.description),
                spreadsheets.text_cell(lines, row.supplier or ""),
                spreadsheets.text_cell(lines, approval_number(row.invoice_number)),
                row.invoice_issued_on.isoformat() if row.invoice_issued_on else "",
                spreadsheets.formatted_cell(lines, int(row.amount), money),
                spreadsheets.formatted_cell(lines, int(row.invoice_vat or 0), money),
                METHOD.get(row.payment_method, "") if row.payment_method else "",
                "예" if row.eligible else "아니오",
                REVIEW.get(row.review_status, row.review_status),
            ]
        )
    return spreadsheets.saved(workbook)


# ---------------------------------------------------------------- the evidence archive

CHUNK = 64 * 1024
INDEX_HEADER = (
    "파일 (File)",
    "청구 (Claim)",
    "항목 (Line)",
    "종류 (Kind)",
    "원래 이름 (Name)",
    "크기 (Bytes)",
    "SHA-256",
    "상태 (State)",
)


class _Sink(io.RawIOBase):
    """A write-only stream whose bytes are taken out as they come (the ZIP streams)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def _batch_files(batch_id: int):
    """Evidence and firm-payment files of the batch's settled claims, in claim order."""
    return (
        select(
            Claim.id.label("claim_id"),
            Attachment.id,
            Attachment.kind,
            Attachment.cost_line_id,
            Attachment.original_name,
            Attachment.stored_name,
            Attachment.size,
            Attachment.sha256,
            Attachment.created_at,
        )
        .join(Claim, Claim.ticket_id == Attachment.ticket_id)
        .join(PayoutLine, PayoutLine.claim_id == Claim.id)
        .where(
            PayoutLine.batch_id == batch_id,
            PayoutLine.status == "settled",
            Attachment.kind.in_(("evidence", "firm_payment")),
        )
        .order_by(Claim.id, Attachment.id)
    )


def evidence_zip(batch: PayoutBatch) -> Iterator[bytes]:
    """The batch's evidence files in a ZIP, with `index.csv`, as chunks of bytes.

    Memory stays flat however large the batch: rows stream from the database, files
    are copied in 64 KiB pieces, and the index grows in a temporary file on disk.
    """
    sink = _Sink()
    archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as index_file:
        index = csv.writer(index_file)
        index.writerow(INDEX_HEADER)
        for row in streamed(_batch_files(batch.id)):
            name = f"claim-{row.claim_id}/{row.kind}-{row.id}-{_safe(row.original_name)}"
            state = yield from _copy_into(archive, name, row, sink)
            index.writerow(
                (
                    name,
                    row.claim_id,
                    row.cost_line_id or "",
                    row.kind,
                    row.original_name,
                    row.size,
                    row.sha256,
                    state,
                )
            )
        index_file.seek(0)
        with archive.open("index.csv", "w", force_zip64=True) as out:
            out.write(codecs.BOM_UTF8)  # Excel reads the Korean headers as UTF-8
            while data := index_file.read(CHUNK):
                out.write(data.encode("utf-8"))
    archive.close()
    yield sink.take()


def _copy_into(archive: zipfile.ZipFile, name: str, row: Any, sink: _Sink) -> Iterator[bytes]:
    """Copy one stored file into the archive, yielding the archive's bytes as they come;
    its value is the file's state for the index."""
    try:
        source = storage.path_for(row.stored_name).open("rb")
    except (OSError, ValueError):
        return "파일 없음 (missing on disk)"
    info = zipfile.ZipInfo(name, date_time=to_seoul(row.created_at).timetuple()[:6])
    with source, archive.open(info, "w", force_zip64=True) as out:
        while data := source.read(CHUNK):
            out.write(data)
            yield sink.take()
    yield sink.take()
    return "포함 (included)"


def _safe(name: str) -> str:
    """The file's own name without path separators (an archive path is ours to choose)."""
    return "".join("_" if c in '/\\:*?"<>|' or not c.isprintable() else c for c in name)[:120]
