"""One way to answer an export request: a streamed CSV or an XLSX attachment."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response, send_file, stream_with_context

from aftercare.core.exports import CSV_MIMETYPE, XLSX_MIMETYPE, stream_csv, xlsx_file
from aftercare.domain.time import seoul_today


def export_response(
    name: str, fmt: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> Response:
    filename = f"aftercare-{name}-{seoul_today().isoformat()}.{fmt}"
    if fmt == "csv":
        return Response(
            stream_with_context(stream_csv(header, rows)),
            mimetype=CSV_MIMETYPE,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return send_file(
        xlsx_file(name, header, rows),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=filename,
    )
