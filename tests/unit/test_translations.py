"""The Korean catalogue covers the source and keeps its placeholders (SPEC.md §9).

Messages are extracted fresh from the code and templates with the same command as
`make translations`, so a string added without a Korean translation fails here, named.
No database and no app are needed.
"""

from __future__ import annotations

import gettext
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "aftercare" / "translations"
KO_PO = TRANSLATIONS / "ko" / "LC_MESSAGES" / "messages.po"

# %(name)s, %(count)d, %(hour)02d …: a named placeholder with its conversion spec.
PLACEHOLDER = re.compile(r"%\(([^)]*)\)[#0 +\-]*(?:\d+)?(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _pybabel(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _ids(message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text.replace("%%", "")))


def _tokens(text: str) -> set[str]:
    return {m.group(0) for m in PLACEHOLDER.finditer(text.replace("%%", ""))}


def _has_bare_percent(text: str) -> bool:
    return "%" in PLACEHOLDER.sub("", text.replace("%%", ""))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    done = _pybabel(
        "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "N_", "-o", str(pot), str(ROOT)
    )
    assert done.returncode == 0, done.stderr
    with pot.open("rb") as f:
        catalog = read_po(f)
    assert len([m for m in catalog if m.id]) > 100, "extraction found almost nothing"
    return catalog


@pytest.fixture(scope="module")
def korean() -> Catalog:
    with KO_PO.open("rb") as f:
        return read_po(f, locale="ko")


def test_every_extracted_message_has_a_korean_translation(extracted: Catalog, korean: Catalog):
    missing, fuzzy = [], []
    for message in extracted:
        if not message.id:
            continue
        translated = korean.get(message.id, message.context)
        if translated is None or not all(s.strip() for s in _strings(translated)):
            missing.append(message.id)
        elif translated.fuzzy:
            fuzzy.append(message.id)
    assert not missing, (
        f"{len(missing)} message(s) have no Korean translation "
        f"(run `make translations`, then fill ko/messages.po): {missing}"
    )
    assert not fuzzy, f"{len(fuzzy)} Korean translation(s) are still fuzzy: {fuzzy}"


def test_korean_keeps_the_placeholders_of_each_message(korean: Catalog):
    wrong = []
    for message in korean:
        if not message.id:
            continue
        expected = set().union(*(_tokens(i) for i in _ids(message)))
        source_bare = any(_has_bare_percent(i) for i in _ids(message))
        source_escapes = max(i.count("%%") for i in _ids(message))
        for string in _strings(message):
            if not string:
                continue
            if _tokens(string) != expected:
                wrong.append((message.id, sorted(expected), sorted(_tokens(string))))
            elif _has_bare_percent(string) and not source_bare:
                wrong.append((message.id, "a lone % (write %% for a percent sign)", string))
            elif string.count("%%") < source_escapes:
                wrong.append((message.id, "the msgid's %% is missing", string))
    assert not wrong, f"placeholders differ from the msgid: {wrong}"


def test_placeholder_pattern_reads_names_and_conversions():
    assert _tokens("daily %(hour)02d:%(minute)02d, %(n)d of %(name)s, 50 %%") == {
        "%(hour)02d",
        "%(minute)02d",
        "%(n)d",
        "%(name)s",
    }
    assert _placeholders("%(a)s %(b)d") == {"a", "b"}
    assert _has_bare_percent("50%")
    assert not _has_bare_percent("50 %% %(x)s")


def test_korean_catalogue_compiles_without_errors(korean: Catalog, tmp_path: Path):
    assert not korean.fuzzy, "the ko catalogue header is marked fuzzy: pybabel compile skips it"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in korean.check()]
    assert not problems, problems

    mo = tmp_path / "messages.mo"
    done = _pybabel("compile", "-l", "ko", "-i", str(KO_PO), "-o", str(mo))
    assert done.returncode == 0, done.stderr
    with mo.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    assert compiled.gettext("Tickets") == "A/S 요청"
    assert compiled.gettext("Claims") == "지원금 청구"
