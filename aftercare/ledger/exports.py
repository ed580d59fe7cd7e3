"""Exports of payout batches (CSV and XLSX), streamed row by row from the database.

The CSV writer here is generic: the audit log export uses it too.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import Select, select

from aftercare.claims.models import Claim
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.ledger.models import PayoutBatch, PayoutLine

BOM = "\ufeff"
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STREAM_ROWS = 1000  # rows fetched per round trip, and rows per CSV chunk sent

# Spreadsheets run text that starts like a formula (CSV injection); such text is quoted.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

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


def csv_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; numbers pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def stream_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """UTF-8 CSV with a byte-order mark (so Excel reads Korean), sent in chunks of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow([csv_safe(v) for v in row])
        if count % STREAM_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def streamed(stmt: Select) -> Iterator[Any]:
    """Rows of `stmt`, fetched STREAM_ROWS at a time (a server-side cursor on PostgreSQL)."""
    result = db.session.execute(stmt.execution_options(yield_per=STREAM_ROWS))
    try:
        yield from result
    finally:
        result.close()


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


def _text_cell(sheet: Any, value: str) -> WriteOnlyCell:
    """A cell that always holds text, even when it starts with `=` (never a formula)."""
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"
    return cell


def batch_xlsx(batch: PayoutBatch) -> IO[bytes]:
    """A write-only workbook of the batch, rows appended as they stream from the database.

    Returns an open temporary file positioned at its start; closing it deletes it.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=f"batch-{batch.batch_date.isoformat()}")
    sheet.append(list(BATCH_COLUMNS))
    for row in batch_export_rows(batch):
        batch_date, line_id, claim_id, ticket_id, firm_id, name, registration, amount = row
        date_cell = WriteOnlyCell(sheet, value=batch_date)
        date_cell.number_format = "yyyy-mm-dd"
        amount_cell = WriteOnlyCell(sheet, value=amount)
        amount_cell.number_format = "#,##0"
        sheet.append(
            [
                date_cell,
                line_id,
                claim_id,
                ticket_id,
                firm_id,
                _text_cell(sheet, name),
                _text_cell(sheet, registration),  # text: a leading zero must survive
                amount_cell,
            ]
        )
    target = tempfile.TemporaryFile()  # noqa: SIM115 - returned open; the response closes it
    try:
        workbook.save(target)
    except Exception:
        target.close()
        raise
    target.seek(0)
    return target
