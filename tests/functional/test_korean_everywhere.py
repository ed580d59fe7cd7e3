"""Every page of every role, in Korean, from the URL map (issue 32 item 2).

The authorization matrix's world (two firms, tickets, claims, a payout batch, a recovery
case…) is built once; each page a role may open (200 in the matrix's RULES) is fetched
with that user's language set to Korean, and the text a person reads — text nodes and
the placeholder, title, aria-label and alt attributes — may hold no English word outside
a short allow-list (brand, units, file formats, technical acronyms). The world's own data
is made Korean first, so a word found is the interface's, not a test fixture's.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import update

from aftercare.auth.models import User
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.tickets.models import Ticket
from tests.functional.test_authorization_matrix import (
    RULES,
    _expected_for,
    _routes,
    _variants,
    build_world,
    sign_in,
)

# Words a Korean page may carry: the brand, formats, units and acronyms Korean uses as is.
ALLOWED = {
    "aftercare", "csv", "xlsx", "pdf", "jpeg", "png", "zip", "txt", "qr", "api", "id",
    "a", "s", "mes", "erp", "plc", "scada", "cnc", "sla", "vat", "mb", "kb", "url", "json",
    "english", "openapi", "e", "mail", "fy", "hmac", "sha", "ok", "k", "x", "m",
    "ko", "en", "http", "https", "www", "bearer", "csrf", "utc", "kst", "n",
}  # fmt: skip
SKIPPED = {
    # Downloads and exports answer files, not pages.
    "recovery.download", "tickets.download", "assets.label", "assets.labels",
}  # fmt: skip
FILES = (".csv", ".xlsx", ".pdf", ".zip", ".png")
DATA = re.compile(
    r"[\w.+-]+@[\w-]+(\.[\w-]+)+"  # e-mail addresses (people's data)
    r"|[^\s/]+\.(pdf|txt|png|jpe?g|xlsx|csv)\b"  # file names people gave
    r"|\([^()가-힣]*\)"  # English second, in brackets after the Korean
    r"|authorization matrix"  # the reason the matrix's world writes on its requests
    r"|https?://\S+"
    r"|\b(application|text|image)/[\w.+-]+"  # a file's content type
    r"|\b[0-9a-f]{16,}\b"  # hashes
)
WORD = re.compile(r"[A-Za-z]{2,}")


class _Readable(HTMLParser):
    """The text a person reads: text nodes outside script/style, and labelling attributes."""

    ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("script", "style", "code", "pre"):
            self._hidden += 1
        for name, value in attrs:
            if name in self.ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code", "pre") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def english_words(html: str) -> set[str]:
    reader = _Readable()
    reader.feed(html)
    text = DATA.sub(" ", " ".join(reader.parts))
    return {w for w in WORD.findall(text) if w.lower() not in ALLOWED}


def _korean_world(app, make):
    world = build_world(app, make)
    with app.app_context():
        db.session.execute(update(User).values(name="홍길동", language="ko"))
        db.session.execute(update(Firm).values(name="한빛정밀", industry="금속가공"))
        db.session.execute(update(Ticket).values(title="설비 고장", system="설비-1", tags=[]))
        db.session.commit()
    return world


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_page_of_every_role_reads_in_korean(app, make):
    world = _korean_world(app, make)
    clients = {
        role: sign_in(app, email) for role, email in world.emails.items() if role != "firm_b"
    }
    leaks: dict[str, set[str]] = {}
    for url_rule, method in _routes(app):
        rule = RULES.get(url_rule.endpoint, {}).get(method)
        if method != "GET" or rule is None or url_rule.rule.startswith("/api/"):
            continue
        if url_rule.endpoint in SKIPPED or url_rule.rule.endswith(
            (".csv", ".xlsx", ".pdf", ".zip")
        ):
            continue
        for role, client in clients.items():
            for scope, path in _variants(url_rule, rule, world):
                if _expected_for(rule.expected(role), scope) != 200:
                    continue
                with app.app_context():
                    response = client.get(path)
                    kind = response.mimetype
                    body = response.get_data(as_text=True) if kind == "text/html" else ""
                    response.close()
                if kind != "text/html":
                    continue
                if words := english_words(body):
                    leaks[f"{role} {path}"] = words
    assert not leaks, "\n".join(f"{page}: {sorted(words)}" for page, words in sorted(leaks.items()))


def test_the_reader_finds_english_in_text_and_labels_but_not_in_data_or_scripts():
    html = (
        '<p>접수 <b>Pending</b></p><input placeholder="Search"><script>var x = "Hidden";</script>'
        "<p>manager@demo.aftercare.kr · CSV · PLC</p>"
    )
    assert english_words(html) == {"Pending", "Search"}
