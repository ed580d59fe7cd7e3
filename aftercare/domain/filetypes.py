"""Decide an upload's type from its bytes, never from its name."""

from __future__ import annotations

import io
import zipfile

ALLOWED = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "text/plain": ".txt",
}


# Other spellings of a type's extension that a name may keep.
ALSO_CALLED = {"image/jpeg": {".jpeg"}}


def sniff_content_type(head: bytes, whole: bytes | None = None) -> str | None:
    """Return the allowed MIME type that `head` (the first bytes) proves, else None.

    `whole` is needed only for zip containers (XLSX) and text, which are checked in full.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    data = whole if whole is not None else head
    if head.startswith(b"PK\x03\x04"):
        return _xlsx_or_none(data)
    if _looks_like_text(data):
        return "text/plain"
    return None


def _xlsx_or_none(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None


def _looks_like_text(data: bytes) -> bool:
    if not data or b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    return controls == 0


def clean_filename(name: str, fallback: str = "file") -> str:
    """Keep a display name (Korean included) but drop any path and control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ord(ch) >= 32 and ch not in '<>:"|?*').strip(" .")
    return base[:200] or fallback


def with_extension(name: str, content_type: str) -> str:
    """`name` ending in the extension of its sniffed type: "사진.exe" of a PNG is "사진.png".

    A downloaded file then opens as what its bytes are, never as what its name claimed.
    """
    extension = ALLOWED[content_type]
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and f".{suffix.lower()}" in {extension, *ALSO_CALLED.get(content_type, ())}:
        return name
    return (stem if dot and stem else name)[: 200 - len(extension)] + extension
