"""Streaming CSV and XLSX exports shared by every report (tickets, claims, ledger, audit).

CSV is UTF-8 with a byte-order mark so Excel opens Korean correctly; rows are fetched from
the database in chunks and written as they come, so 100,000 rows never sit in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from sqlalchemy import Select

from aftercare.extensions import db

BOM = "\ufeff"
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STREAM_ROWS = 1000  # rows fetched per round trip, and rows per CSV chunk sent

# Spreadsheets run text that starts like a formula (CSV injection); such text is quoted.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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


def xlsx_file(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> IO[bytes]:
    """A write-only workbook filled as rows stream in; text never becomes a formula.

    Returns an open temporary file at its start; closing it (the response does) deletes it.
    """
    from aftercare.core import spreadsheets  # openpyxl loads with the first export

    workbook, sheet = spreadsheets.write_only_sheet(title)
    sheet.append(list(header))
    for row in rows:
        sheet.append([spreadsheets.text_cell(sheet, v) if isinstance(v, str) else v for v in row])
    return spreadsheets.saved(workbook)
