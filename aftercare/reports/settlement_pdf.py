"""The settlement report of one claim (정산보고서) as an A4 PDF in a Korean font.

Loaded where it is used (fpdf and the font cost half a second at a worker's start);
the facts it prints come from `settlement_report.claim_report`.
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from aftercare.assets.labels import font_path
from aftercare.reports.settlement_report import (
    KIND,
    METHOD,
    REVIEW,
    STATUS,
    ClaimReport,
    FontMissing,
    approval_number,
    when,
    won,
)


class _ReportPdf(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        path = font_path()
        if path is None:
            raise FontMissing("NanumGothic is not installed (apt-get install fonts-nanum)")
        self.add_font("Nanum", "", str(path))
        self.set_font("Nanum", size=9)
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=15)
        self.set_creator("Aftercare")

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font("Nanum", size=11)
        self.cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Nanum", size=9)

    def pairs(self, rows: list[tuple[str, str]]) -> None:
        for label, value in rows:
            self.cell(55, 5.5, label)
            self.multi_cell(0, 5.5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def table(
        self, widths: list[float], header: list[str], rows: list[list[str]], right: int = -1
    ) -> None:
        """A bordered table in 8 pt; column `right` (an amount) is right-aligned."""
        self.set_font("Nanum", size=8)
        self.set_fill_color(235, 235, 235)
        for width, text in zip(widths, header, strict=True):
            self.cell(width, 6, text, border=1, fill=True)
        self.ln()
        for row in rows:
            for n, (width, text) in enumerate(zip(widths, row, strict=True)):
                self.cell(width, 5.5, text[:40], border=1, align="R" if n == right else "L")
            self.ln()
        self.set_font("Nanum", size=9)


def claim_report_pdf(report: ClaimReport) -> bytes:
    """The A4 정산보고서 of a claim."""
    claim = report.claim
    ticket = claim.ticket
    pdf = _ReportPdf()
    pdf.set_title(f"정산보고서 청구 #{claim.id}")
    pdf.add_page()
    pdf.set_font("Nanum", size=15)
    title = f"정산보고서 (Settlement report) · 청구 #{claim.id}"
    pdf.cell(0, 10, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Nanum", size=9)
    suppliers = sorted({line.supplier.name for line in report.lines if line.supplier})
    pdf.pairs(
        [
            ("기업 (Firm)", f"{ticket.firm.name} · {ticket.firm.registration_number}"),
            ("A/S 요청 (Ticket)", f"#{ticket.id} {ticket.title}"),
            ("상태 (Status)", STATUS.get(claim.status, claim.status)),
            ("회계연도 (Fiscal year)", str(claim.fiscal_year.year) if claim.fiscal_year else "—"),
            ("공급기업 (Suppliers)", ", ".join(suppliers) or "—"),
        ]
    )
    pdf.heading("비용 항목 (Cost lines, VAT apart)")
    pdf.table(
        [8, 18, 30, 30, 46, 28, 20],
        ["#", "종류", "내용", "공급기업", "세금계산서 승인번호", "공급가액", "검토"],
        [
            [
                str(line.id),
                KIND.get(line.kind, line.kind) + ("" if line.eligible else " (제외)"),
                line.description,
                line.supplier.name if line.supplier else "—",
                approval_number(line.invoice_number),
                f"{line.amount:,}",
                REVIEW.get(line.review_status, line.review_status) if line.eligible else "—",
            ]
            for line in report.lines
        ],
        right=5,
    )
    pdf.heading("증빙 목록 (Evidence)")
    evidence = [
        [str(line.id), f.original_name, f"{f.size:,} B", f.sha256[:16]]
        for line in report.lines
        for f in report.files.get(line.id, [])
    ]
    header = ["항목", "파일", "크기", "SHA-256 (앞 16자)"]
    pdf.table([15, 85, 30, 50], header, evidence or [["—", "—", "—", "—"]])
    pdf.heading("금액 (Amounts)")
    vat = sum(line.invoice_vat or 0 for line in report.lines)
    pdf.pairs(
        [
            ("지원 대상 합계 (Eligible)", won(claim.eligible_total)),
            ("지원 제외 합계 (Ineligible)", won(claim.ineligible_total)),
            ("부가세, 분담 없음 (VAT, not shared)", won(vat)),
            ("정부 지원금 (Government share)", won(claim.government_share)),
            ("기업 부담금 (Firm share)", won(claim.firm_share)),
            *[
                (f"조정 (Adjustment) {when(t.created_at)}", f"-{won(t.amount)} · {t.reason}")
                for t in report.adjustments
            ],
        ]
    )
    pdf.heading("기업 자부담 지급 (The firm's payment)")
    payment = report.payment
    pdf.pairs(
        [
            ("지급액 (Amount)", won(payment.amount) if payment else "기록 없음"),
            (
                "지급 (Paid)",
                f"{METHOD.get(payment.method, payment.method)} · {payment.paid_on.isoformat()}"
                if payment
                else "—",
            ),
            (
                "확인 (Confirmed)",
                f"{report.name(payment.confirmed_by_id)} · {when(payment.confirmed_at)}"
                if payment and payment.confirmed_at
                else "미확인",
            ),
        ]
    )
    pdf.heading("결정 (Decisions)")
    pdf.pairs(_decisions(report))
    return bytes(pdf.output())


def _decisions(report: ClaimReport) -> list[tuple[str, str]]:
    """Who approved, reviewed and settled the claim, and when; its audit events."""
    claim = report.claim
    reviewers = {report.name(line.reviewed_by_id) for line in report.lines if line.reviewed_by_id}
    first = f"{report.name(claim.first_approved_by_id)} · {when(claim.first_approved_at)}"
    settled = when(claim.settled_at)
    if claim.batch is not None:
        settled += f" · 지급 배치 #{claim.batch.id} {claim.batch.batch_date.isoformat()}"
    return [
        ("1차 승인 (First approval)", first),
        ("2차 승인 (Second approval)", report.name(claim.second_approved_by_id)),
        ("승인 확정 (Approved)", when(claim.approved_at)),
        ("증빙 검토 (Reviewed by)", ", ".join(sorted(reviewers)) or "—"),
        ("정산 (Settled)", settled),
        ("감사 이벤트 (Audit events)", ", ".join(f"#{i}" for i in report.audit_ids) or "—"),
    ]
