"""Process start: the app loads without the export and label libraries.

fpdf, Pillow, fontTools and openpyxl cost about half a second at every start of a web
worker, a command (`flask ledger settle`) or a job; they are imported where a label or
a spreadsheet is made. The label and XLSX tests show those paths still load them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("fpdf", "PIL", "fontTools", "openpyxl")

LOADED_AFTER_START = f"""
import json, sys
from aftercare import create_app
create_app({{"SQLALCHEMY_DATABASE_URI": "sqlite://"}})
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""


def test_the_app_starts_without_the_export_and_label_libraries() -> None:
    out = subprocess.run(
        [sys.executable, "-c", LOADED_AFTER_START],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_making_a_spreadsheet_loads_openpyxl_on_first_use() -> None:
    script = (
        "import sys\n"
        "from aftercare.core.exports import xlsx_file\n"
        "assert 'openpyxl' not in sys.modules\n"
        "xlsx_file('t', ['a'], [['=1+1']]).close()\n"
        "print('openpyxl' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "True"
