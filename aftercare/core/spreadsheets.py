"""Writing XLSX files with openpyxl, for the exports (tickets, claims, ledger batches).

Only the exports import this module, inside the function that writes a workbook:
openpyxl then loads with the first export, not at the start of every web worker,
command and job.
"""

from __future__ import annotations

import tempfile
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE


def write_only_sheet(title: str) -> tuple[Workbook, Any]:
    """A write-only workbook (rows are appended and never held) and its one sheet."""
    workbook = Workbook(write_only=True)
    return workbook, workbook.create_sheet(title=title[:31])


def text_cell(sheet: Any, value: str) -> WriteOnlyCell:
    """A cell that always holds text, even when it starts with `=` (never a formula)."""
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"
    return cell


def formatted_cell(sheet: Any, value: Any, number_format: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def saved(workbook: Workbook) -> IO[bytes]:
    """The workbook in an open temporary file at its start; closing it deletes it."""
    target = tempfile.TemporaryFile()  # noqa: SIM115 - returned open; the response closes it
    try:
        workbook.save(target)
    except Exception:
        target.close()
        raise
    target.seek(0)
    return target
