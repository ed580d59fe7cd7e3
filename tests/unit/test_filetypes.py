"""Upload types are decided by their bytes; names are made harmless for display."""

import io
import struct
import zipfile
import zlib

import pytest
from openpyxl import Workbook

from aftercare.domain.filetypes import clean_filename, sniff_content_type, with_extension

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sniff(data: bytes) -> str | None:
    """Call the sniffer the way the upload service does: the first bytes and the whole."""
    return sniff_content_type(data[:16], data)


def png_bytes() -> bytes:
    """A real 1×1 white PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    """The start of a JFIF JPEG (SOI, APP0) followed by scan data and EOI."""
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + app0 + b"\xff\xdb\x00\x43\x00" + bytes(range(64)) + b"\xff\xd9"


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def xlsx_bytes() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["설비", "비용"])
    sheet.append(["PLC 모듈", 1_200_000])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def windows_exe_bytes() -> bytes:
    """A DOS/PE header as every Windows executable starts."""
    dos = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8" + b"\x00" * 43
    dos += struct.pack("<I", 64)  # e_lfanew
    return dos + b"PE\x00\x00\x4c\x01\x03\x00" + b"\x00" * 64


def elf_bytes() -> bytes:
    return (
        b"\x7fELF\x02\x01\x01\x00"
        + b"\x00" * 8
        + b"\x02\x00\x3e\x00\x01\x00\x00\x00"
        + b"\x00" * 40
    )


ACCEPTED = [
    ("jpeg", jpeg_bytes(), "image/jpeg"),
    ("png", png_bytes(), "image/png"),
    ("pdf", pdf_bytes(), "application/pdf"),
    ("xlsx", xlsx_bytes(), XLSX_TYPE),
    ("ascii text", b"Spindle alarm 2031 after restart.\r\n\tCheck the encoder.\n", "text/plain"),
    ("korean text", "프레스 2호기 유압 누유, 점검 요망.\n".encode(), "text/plain"),
]


@pytest.mark.parametrize(
    ("data", "expected"), [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED]
)
def test_allowed_types_are_recognised_by_their_bytes(data, expected):
    assert sniff(data) == expected


REFUSED = [
    ("windows executable", windows_exe_bytes()),
    ("elf binary", elf_bytes()),
    ("zip that is not xlsx", zip_bytes({"readme.txt": b"hello", "run.sh": b"echo hi"})),
    (
        "word document (a zip, but not a spreadsheet)",
        zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}),
    ),
    ("binary junk", bytes(range(256)) * 4),
    ("junk without nul bytes", bytes(range(1, 256)) * 4),
    ("text with nul bytes", b"hello\x00world\n"),
    ("utf-16 text", "설비 고장".encode("utf-16")),
    ("text with escape codes", b"normal line\n\x1b[31mred\x1b[0m\n"),
    ("invalid utf-8", b"caf\xe9 au lait\n"),
    ("empty", b""),
]


@pytest.mark.parametrize("data", [c[1] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_other_content_is_refused(data):
    assert sniff(data) is None


def test_an_executable_renamed_png_is_refused_because_only_bytes_count():
    upload = {"filename": "photo.png", "data": windows_exe_bytes()}
    assert sniff(upload["data"]) is None


def test_a_png_signature_inside_a_file_does_not_make_it_a_png():
    assert sniff(windows_exe_bytes() + png_bytes()) is None


def test_an_xlsx_needs_the_whole_file_to_be_proved():
    data = xlsx_bytes()
    assert sniff_content_type(data[:16]) is None
    assert sniff_content_type(data[:16], data) == XLSX_TYPE


def test_a_truncated_xlsx_is_refused():
    data = xlsx_bytes()
    assert sniff(data[: len(data) // 2]) is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("/etc/shadow", "shadow"),
        ("C:\\Users\\kim\\Desktop\\report.pdf", "report.pdf"),
        ("..\\..\\Windows\\System32\\evil.png", "evil.png"),
        ("uploads/../../x.png", "x.png"),
        ("bad\x00name\r\n.txt", "badname.txt"),
        ("tab\there\x1b.txt", "tabhere.txt"),
        ('what<>:"|?*.txt', "what.txt"),
        ("설비 고장 사진.jpg", "설비 고장 사진.jpg"),
        ("견적서(2021).xlsx", "견적서(2021).xlsx"),
    ],
)
def test_clean_filename_keeps_only_a_harmless_display_name(given, expected):
    assert clean_filename(given) == expected


@pytest.mark.parametrize("given", ["", "   ", "../", "..", "dir/", "\x00\x01"])
def test_clean_filename_falls_back_when_nothing_is_left(given):
    assert clean_filename(given) == "file"
    assert clean_filename(given, fallback="attachment.png") == "attachment.png"


def test_clean_filename_never_returns_a_path_separator():
    for given in ["a/b/c.txt", "a\\b\\c.txt", "../../../../root/.ssh/id_rsa"]:
        cleaned = clean_filename(given)
        assert "/" not in cleaned
        assert "\\" not in cleaned


def test_clean_filename_caps_the_length():
    assert len(clean_filename("가" * 300 + ".txt")) == 200


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("설비사진.png", "image/png", "설비사진.png"),
        ("scan.PDF", "application/pdf", "scan.PDF"),
        ("photo.jpeg", "image/jpeg", "photo.jpeg"),
        ("photo.jpg", "image/jpeg", "photo.jpg"),
        ("invoice.exe", "application/pdf", "invoice.pdf"),
        ("notes.html", "text/plain", "notes.txt"),
        (
            "report",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "report.xlsx",
        ),
        ("a.tar.gz", "text/plain", "a.tar.txt"),
        ("x" * 250 + ".exe", "image/png", "x" * 196 + ".png"),
    ],
)
def test_a_name_takes_the_extension_of_its_sniffed_type(name, content_type, expected):
    assert with_extension(name, content_type) == expected
