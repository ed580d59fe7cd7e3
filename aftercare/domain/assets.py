"""Rules of the asset register and the layout of its QR label sheets (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aftercare.domain.text import N_

ASSET_KINDS = ("equipment", "system")
NAME_MAX = 200
MAKER_MAX = 120
SERIAL_MAX = 120
LOCATION_MAX = 200
NOTE_MAX = 2_000
FIRST_INSTALL_YEAR = 1950


def normalize_serial(raw: str | None) -> str | None:
    """A serial number trimmed, inner whitespace collapsed; None when nothing is given.

    Case is kept: makers print serials as they mean them, and "ab-1" vs "AB-1" are rare
    enough that treating them as different is the honest choice.
    """
    text = " ".join(str(raw or "").split())
    return text or None


def validate_asset(data: dict[str, Any], this_year: int) -> dict[str, list[str]]:
    """Field errors of an asset's data (empty when valid)."""
    errors: dict[str, list[str]] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = [N_("Enter the asset's name.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [N_("The name may have at most 200 characters.")]
    if data.get("kind") not in ASSET_KINDS:
        errors["kind"] = [N_("Choose equipment or system.")]
    for key, limit in (("maker", MAKER_MAX), ("model", MAKER_MAX), ("location", LOCATION_MAX)):
        if len(str(data.get(key) or "")) > limit:
            errors[key] = [N_("The text is too long.")]
    if len(normalize_serial(data.get("serial")) or "") > SERIAL_MAX:
        errors["serial"] = [N_("The text is too long.")]
    if len(str(data.get("note") or "")) > NOTE_MAX:
        errors["note"] = [N_("The text is too long.")]
    year = data.get("installed_year")
    if year is not None and (
        isinstance(year, bool)
        or not isinstance(year, int)
        or not FIRST_INSTALL_YEAR <= year <= this_year
    ):
        errors["installed_year"] = [N_("Enter a year from 1950 to this year.")]
    return errors


def label_caption(name: str, serial: str | None) -> str:
    """The text printed under a QR code: the name, then the serial number when there is one."""
    return f"{name} · S/N {serial}" if serial else name


@dataclass(frozen=True)
class SheetLayout:
    """A grid of equal labels on a page, in millimetres."""

    page_width: float = 210.0  # A4
    page_height: float = 297.0
    margin: float = 10.0
    columns: int = 3
    rows: int = 4

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def cell_width(self) -> float:
        return (self.page_width - 2 * self.margin) / self.columns

    @property
    def cell_height(self) -> float:
        return (self.page_height - 2 * self.margin) / self.rows

    def position(self, index: int) -> tuple[int, float, float]:
        """(page number from 0, x, y of the cell's top-left corner) of the index-th label."""
        if index < 0:
            raise ValueError(index)
        page, slot = divmod(index, self.per_page)
        row, column = divmod(slot, self.columns)
        return (
            page,
            self.margin + column * self.cell_width,
            self.margin + row * self.cell_height,
        )


def label_lines(
    name: str, serial: str | None, asset_id: int, unicode_font: bool, name_limit: int = 60
) -> tuple[str, str | None]:
    """(name, serial line) printed under a code; the serial gets a line of its own so a long
    name never pushes it off the label. Without a Hangul font a name it cannot show
    becomes "Asset #id"."""
    ellipsis = "…" if unicode_font else "..."
    serial_line = f"S/N {serial}" if serial else None
    if not unicode_font:
        if not _latin1(name):
            name = f"Asset #{asset_id}"
        if serial_line is not None and not _latin1(serial_line):
            serial_line = serial_line.encode("latin-1", "replace").decode("latin-1")
    return shorten(name, name_limit, ellipsis), serial_line


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def shorten(text: str, limit: int, ellipsis: str = "…") -> str:
    """`text` cut to `limit` characters, ending in `ellipsis`, so a label never overflows."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(ellipsis), 0)] + ellipsis
