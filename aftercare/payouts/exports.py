"""Exports of payout batches (CSV and XLSX), streamed row by row from the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import IO, Any

from sqlalchemy import Select, select

from aftercare.claims.models import Claim
from aftercare.core.exports import streamed
from aftercare.firms.models import Firm
from aftercare.payouts.models import PayoutBatch, PayoutLine

BATCH_COLUMNS = (
    "batch_date",
    "line_id",
    "claim_id",
    "ticket_id",
    "firm_id",
    "firm_name",
    "registration_number",
    "amount_won",
)


def batch_lines_stmt(batch_id: int, settled_only: bool = True) -> Select:
    """Lines of a batch with their claim, ticket and firm (the bank-transfer rows)."""
    stmt = (
        select(
            PayoutLine.id,
            PayoutLine.claim_id,
            PayoutLine.amount,
            PayoutLine.status,
            Claim.ticket_id,
            Firm.id.label("firm_id"),
            Firm.name.label("firm_name"),
            Firm.registration_number,
        )
        .join(Claim, Claim.id == PayoutLine.claim_id)
        .join(Firm, Firm.id == PayoutLine.firm_id)
        .where(PayoutLine.batch_id == batch_id)
    )
    if settled_only:
        stmt = stmt.where(PayoutLine.status == "settled")
    return stmt


def batch_export_rows(batch: PayoutBatch) -> Iterator[tuple[Any, ...]]:
    """One row per settled line, in line order; amounts stay integers."""
    batch_date: date = batch.batch_date
    for line in streamed(batch_lines_stmt(batch.id).order_by(PayoutLine.id)):
        yield (
            batch_date,
            line.id,
            line.claim_id,
            line.ticket_id,
            line.firm_id,
            line.firm_name,
            line.registration_number,
            int(line.amount),
        )


def batch_csv_rows(batch: PayoutBatch) -> Iterator[tuple[Any, ...]]:
    for row in batch_export_rows(batch):
        yield (row[0].isoformat(), *row[1:])


def batch_xlsx(batch: PayoutBatch) -> IO[bytes]:
    """A write-only workbook of the batch, rows appended as they stream from the database.

    Returns an open temporary file positioned at its start; closing it deletes it.
    """
    from aftercare.core import spreadsheets  # openpyxl loads with the first export

    workbook, sheet = spreadsheets.write_only_sheet(f"batch-{batch.batch_date.isoformat()}")
    sheet.append(list(BATCH_COLUMNS))
    for row in batch_export_rows(batch):
        batch_date, line_id, claim_id, ticket_id, firm_id, name, registration, amount = row
        sheet.append(
            [
                spreadsheets.formatted_cell(sheet, batch_date, "yyyy-mm-dd"),
                line_id,
                claim_id,
                ticket_id,
                firm_id,
                spreadsheets.text_cell(sheet, name),
                spreadsheets.text_cell(sheet, registration),  # text: a leading zero must survive
                spreadsheets.formatted_cell(sheet, amount, "#,##0"),
            ]
        )
    return spreadsheets.saved(workbook)
