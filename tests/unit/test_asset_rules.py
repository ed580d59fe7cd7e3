"""Asset register rules and the label sheet layout (pure, no database)."""

from __future__ import annotations

import pytest

from aftercare.domain.assets import (
    SheetLayout,
    label_caption,
    label_lines,
    normalize_serial,
    shorten,
    validate_asset,
)

YEAR = 2026
VALID = {"name": "사출기 3호", "kind": "equipment", "serial": "INJ-3", "installed_year": 2019}


def test_a_complete_asset_has_no_errors():
    assert validate_asset(VALID, YEAR) == {}


def test_only_name_and_kind_are_required():
    assert validate_asset({"name": "MES", "kind": "system"}, YEAR) == {}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "가" * 201}, "name"),
        ({"kind": ""}, "kind"),
        ({"kind": "vehicle"}, "kind"),
        ({"maker": "x" * 121}, "maker"),
        ({"model": "x" * 121}, "model"),
        ({"serial": "x" * 121}, "serial"),
        ({"location": "x" * 201}, "location"),
        ({"note": "x" * 2001}, "note"),
        ({"installed_year": 1949}, "installed_year"),
        ({"installed_year": YEAR + 1}, "installed_year"),
        ({"installed_year": True}, "installed_year"),
        ({"installed_year": "2019"}, "installed_year"),
    ],
)
def test_each_broken_rule_names_its_field(overrides, field):
    assert list(validate_asset(VALID | overrides, YEAR)) == [field]


@pytest.mark.parametrize("year", [1950, 2000, YEAR])
def test_installed_year_bounds_are_inclusive(year):
    assert validate_asset(VALID | {"installed_year": year}, YEAR) == {}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        (" SN 1 ", "SN 1"),
        ("SN\t  1", "SN 1"),
        ("ab", "ab"),
    ],
)
def test_serials_are_trimmed_and_blank_means_none(raw, expected):
    assert normalize_serial(raw) == expected


def test_caption_is_the_name_and_the_serial_when_known():
    assert label_caption("사출기", "INJ-3") == "사출기 · S/N INJ-3"
    assert label_caption("사출기", None) == "사출기"


def test_label_lines_keep_the_serial_on_its_own_line():
    assert label_lines("사출기", "INJ-3", 7, unicode_font=True) == ("사출기", "S/N INJ-3")
    assert label_lines("사출기", None, 7, unicode_font=True) == ("사출기", None)


def test_without_a_hangul_font_a_korean_name_becomes_the_asset_number():
    assert label_lines("사출기", "INJ-3", 7, unicode_font=False) == ("Asset #7", "S/N INJ-3")
    assert label_lines("Robot arm", None, 7, unicode_font=False) == ("Robot arm", None)
    assert label_lines("Robot", "번호1", 7, unicode_font=False) == ("Robot", "S/N ??1")


def test_long_names_are_cut_with_an_ellipsis():
    assert shorten("abcdef", 4) == "abc…"
    assert shorten("abcdef", 4, "...") == "a..."
    assert shorten("abc", 4) == "abc"
    name, _ = label_lines("가" * 80, None, 1, unicode_font=True, name_limit=60)
    assert len(name) == 60
    assert name.endswith("…")


def test_sheet_fills_rows_left_to_right_then_the_next_page():
    layout = SheetLayout(page_width=210, page_height=297, margin=10, columns=3, rows=4)
    assert layout.per_page == 12
    assert layout.position(0) == (0, 10, 10)
    page, x, y = layout.position(4)  # second row, middle column
    assert (page, x, y) == (0, pytest.approx(10 + 190 / 3), pytest.approx(10 + 277 / 4))
    assert layout.position(12) == (1, 10, 10)
    with pytest.raises(ValueError, match="-1"):
        layout.position(-1)


def test_every_cell_lies_inside_the_margins():
    layout = SheetLayout()
    for index in range(layout.per_page):
        _, x, y = layout.position(index)
        assert layout.margin <= x
        assert x + layout.cell_width <= layout.page_width - layout.margin + 1e-9
        assert y + layout.cell_height <= layout.page_height - layout.margin + 1e-9
