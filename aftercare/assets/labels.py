"""QR labels of assets: a PNG of one label, a PDF of one label, a PDF sheet of many.

Each code encodes the absolute address of the asset's "report a problem" page. The
caption under it (name and serial number) is set in NanumGothic so Korean prints; when
that font is missing the labels still come out, with a caption a Latin font can show.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import segno
from flask import current_app, request, url_for
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import Align, WrapMode, XPos, YPos
from PIL import Image, ImageDraw, ImageFont

from aftercare.assets.models import Asset
from aftercare.domain.assets import SheetLayout, label_caption, label_lines, shorten

DEFAULT_FONT = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"
CAPTION_MAX = 60  # characters; longer names are cut with an ellipsis
PNG_SCALE = 10  # pixels per QR module: about 3 cm wide at 300 dpi for a version-3 code
QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks
SINGLE_LABEL_MM = (62.0, 80.0)  # width, height: a common label-printer roll


def report_url(asset_id: int) -> str:
    """The absolute address the code encodes (PUBLIC_BASE_URL when configured)."""
    path = url_for("assets.report", asset_id=asset_id)
    base = (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")
    return base + path


def qr_code(asset_id: int) -> segno.QRCode:
    return segno.make(report_url(asset_id), error="m", micro=False)


def font_path() -> Path | None:
    """The Hangul font to use, or None when it is not installed."""
    path = Path(current_app.config.get("LABEL_FONT_PATH") or DEFAULT_FONT)
    return path if path.is_file() else None


def _one_line(text: str | None) -> str | None:
    """Control characters (a newline in an older record) would break the font layout."""
    if text is None:
        return None
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def caption_lines(asset: Asset, unicode_font: bool) -> list[str]:
    """The name, then the serial number on a line of its own (when there is one)."""
    name, serial = label_lines(
        _one_line(asset.name), _one_line(asset.serial), asset.id, unicode_font, CAPTION_MAX
    )
    return [name] if serial is None else [name, serial]


# ---------------------------------------------------------------- PNG


def label_png(asset: Asset) -> bytes:
    """One label as PNG: the code, and the caption centred under it."""
    buffer = io.BytesIO()
    qr_code(asset.id).save(buffer, kind="png", scale=PNG_SCALE, border=QUIET_ZONE)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    path = font_path()
    font = _png_font(path, size=PNG_SCALE * 3)
    width = code.width - 2 * PNG_SCALE
    ellipsis = "…" if path is not None else "..."
    lines = [
        line
        for text in caption_lines(asset, path is not None)
        for line in _wrap(text, font, width, ellipsis)
    ]
    line_height = PNG_SCALE * 4
    label = Image.new("L", (code.width, code.height + line_height * len(lines) + PNG_SCALE), 255)
    label.paste(code, (0, 0))
    draw = ImageDraw.Draw(label)
    for number, line in enumerate(lines):
        y = code.height - PNG_SCALE + number * line_height
        draw.text((code.width / 2, y), line, fill=0, font=font, anchor="ma")
    out = io.BytesIO()
    label.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _png_font(path: Path | None, size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    if path is not None:
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def _wrap(
    text: str, font: ImageFont.ImageFont | ImageFont.FreeTypeFont, width: int, ellipsis: str
) -> list[str]:
    """Break `text` into at most two lines no wider than `width` pixels (by character,
    since Korean names often have no spaces); the rest is cut with an ellipsis."""
    lines: list[str] = []
    current = ""
    for char in text:
        if current and font.getlength(current + char) > width:
            lines.append(current)
            current = char.lstrip()
        else:
            current += char
    if current:
        lines.append(current)
    if len(lines) > 2:
        lines = [lines[0], shorten(lines[1] + lines[2], len(lines[1]), ellipsis)]
    return lines


# ---------------------------------------------------------------- PDF


class _LabelPdf(FPDF):
    """An FPDF with the caption font chosen once (NanumGothic, or Helvetica without it)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(unit="mm", **kwargs)
        self.set_auto_page_break(False)
        self.set_margin(0)
        path = font_path()
        self.unicode_font = path is not None
        if path is not None:
            self.add_font("Nanum", "", str(path))
            self.caption_family = "Nanum"
        else:
            self.caption_family = "Helvetica"
        self.set_creator("Aftercare")

    def draw_label(self, asset: Asset, x: float, y: float, width: float, height: float) -> None:
        """The code as filled squares (sharp at any size), then the caption under it."""
        code = qr_code(asset.id)
        text_height = 16.0
        size = min(width, height - text_height)  # the quiet zone is part of the square
        matrix = list(code.matrix_iter(scale=1, border=QUIET_ZONE))
        module = size / len(matrix)
        left = x + (width - size) / 2
        top = y
        self.set_fill_color(0, 0, 0)
        for row, bits in enumerate(matrix):
            for start, length in _runs(bits):
                self.rect(left + start * module, top + row * module, length * module, module, "F")
        self.set_xy(x + 2.0, top + size - 1.0)
        name, *serial = caption_lines(asset, self.unicode_font)
        self._centred(name, x, width, size=8, max_lines=2)
        for line in serial:
            self._centred(line, x, width, size=7, max_lines=1)
        hint = _("Scan to report a problem")
        if self.unicode_font or hint.isascii():
            self.set_font(self.caption_family, size=6)
            self.set_text_color(90, 90, 90)
            self.set_x(x + 2.0)
            self.cell(width - 4.0, 3.0, hint, align=Align.C)
            self.set_text_color(0, 0, 0)

    def _centred(self, text: str, x: float, width: float, size: float, max_lines: int) -> None:
        """`text` centred under the code, wrapped by character, cut after `max_lines`."""
        self.set_font(self.caption_family, size=size)
        line_height = size * 0.45
        lines = self.multi_cell(
            width - 4.0, line_height, text, wrapmode=WrapMode.CHAR, dry_run=True, output="LINES"
        )
        if len(lines) > max_lines:
            ellipsis = "…" if self.unicode_font else "..."
            kept = lines[: max_lines - 1]
            rest = "".join(lines[max_lines - 1 :])
            last = shorten(rest, max(len(lines[max_lines - 1]) - 1, 1), ellipsis)
            lines = [*kept, last]
        for line in lines:
            self.set_x(x + 2.0)
            self.cell(
                width - 4.0, line_height, line, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT
            )


def _runs(bits: Iterable[int]) -> list[tuple[int, int]]:
    """(start, length) of each run of dark modules in a row: fewer, wider rectangles."""
    runs: list[tuple[int, int]] = []
    start = None
    position = -1
    for position, bit in enumerate(bits):
        if bit and start is None:
            start = position
        elif not bit and start is not None:
            runs.append((start, position - start))
            start = None
    if start is not None:
        runs.append((start, position + 1 - start))
    return runs


def label_pdf(asset: Asset) -> bytes:
    """One label on a page of its own size, for a label printer."""
    width, height = SINGLE_LABEL_MM
    pdf = _LabelPdf(format=(width, height))
    pdf.set_title(label_caption(asset.name, asset.serial))
    pdf.add_page()
    pdf.draw_label(asset, 0, 0, width, height)
    return bytes(pdf.output())


def sheet_pdf(assets: list[Asset], title: str, layout: SheetLayout | None = None) -> bytes:
    """Every asset's label on A4 sheets, with light cut lines around each cell."""
    layout = layout or SheetLayout()
    pdf = _LabelPdf(format="A4")
    pdf.set_title(title)
    if not assets:
        pdf.add_page()
    current_page = -1
    for index, asset in enumerate(assets):
        page, x, y = layout.position(index)
        if page != current_page:
            pdf.add_page()
            current_page = page
        pdf.set_draw_color(200, 200, 200)
        pdf.set_line_width(0.1)
        pdf.rect(x, y, layout.cell_width, layout.cell_height)
        pdf.draw_label(asset, x, y, layout.cell_width, layout.cell_height)
    return bytes(pdf.output())
