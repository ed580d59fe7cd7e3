"""Jinja filters and globals: won amounts, Seoul dates, role labels."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from flask import Flask, current_app, request, url_for
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup

from aftercare.core.web.i18n import install_template_gettext, language
from aftercare.core.web.labels import (
    ACTION_LABELS,
    CATEGORY_LABELS,
    CLAIM_STATUS_LABELS,
    COST_KIND_LABELS,
    DISALLOW_LABELS,
    FIRM_PAYMENT_LABELS,
    LIMITED_BY_LABELS,
    MISSING_LABELS,
    PAYMENT_METHOD_LABELS,
    RECOVERY_ACTION_LABELS,
    RECOVERY_GROUNDS_LABELS,
    RECOVERY_STATUS_LABELS,
    REFUSAL_LABELS,
    REVIEW_LABELS,
    ROLE_LABELS,
    ROUNDING_UNIT_LABELS,
    SEVERITY_LABELS,
    SIZE_LABELS,
    STATUS_LABELS,
    SUPPORT_TYPE_LABELS,
    WAIT_LABELS,
    ranking_reason,
    region_label,
    specialty_label,
)
from aftercare.domain.registration import format_registration_number
from aftercare.domain.text import N_
from aftercare.domain.time import to_seoul


def won(amount: int | None) -> str:
    """1234000 → '1,234,000원' (integers only; money is never a float)."""
    if amount is None:
        return "—"
    return f"{int(amount):,}원"


def rate_text(basis_points: int) -> str:
    """5000 → '50', 5050 → '50.5' (basis points as a percentage, without floats)."""
    whole, rest = divmod(basis_points, 100)
    return f"{whole}.{rest:02d}".rstrip("0") if rest else str(whole)


def share_rule(share_rate_bp: int, rounding_unit: int) -> str:
    """The year's rule in words: '50 %, 천 원 단위 절사' / '50 %, rounded down to 1,000 won'."""
    label = ROUNDING_UNIT_LABELS.get(rounding_unit)
    unit = str(label) if label is not None else won(rounding_unit)
    rate = rate_text(share_rate_bp)
    return gettext("%(rate)s %%, rounded down to %(unit)s", rate=rate, unit=unit)


def kst(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    return to_seoul(value).strftime(fmt)


def tel_href(phone: str | None) -> str:
    """A phone number as a tel: link: '010-1234-5678' → 'tel:01012345678' (digits and +)."""
    return "tel:" + re.sub(r"[^0-9+]", "", phone or "")


def isodate(value: date | None) -> str:
    return value.isoformat() if value else "—"


def approval_number(value: str | None) -> str:
    """24 digits as people write them: 20210315-41000012-00000001."""
    if not value:
        return "—"
    return "-".join(value[i : i + 8] for i in range(0, len(value), 8))


# Names url_for takes for itself: a query string carrying one (?endpoint=x) must not reach it.
URL_FOR_RESERVED = frozenset({"endpoint", "_anchor", "_method", "_scheme", "_external"})


def query_args(*taken: str) -> dict[str, str]:
    """The current query arguments as url_for keywords, minus names already in use."""
    skip = URL_FOR_RESERVED | set(taken) | set(request.view_args or {})
    return {key: value for key, value in request.args.to_dict().items() if key not in skip}


def url_with(**changes: object) -> str:
    """The current URL with some query arguments changed (for filters and pages)."""
    args = query_args()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = str(value)
    return url_for(request.endpoint or "home.index", **(request.view_args or {}), **args)


def id_url_prefix(endpoint: str, id_arg: str) -> str:
    """The URL of `endpoint` up to the id that ends it, for `{{ prefix }}{{ id }}` per row.

    A list builds one URL instead of one per row (url_for is the dearest call of a row).
    """
    url = url_for(endpoint, **{id_arg: 0})
    if not url.endswith("/0"):
        raise ValueError(f"{endpoint} does not end with its {id_arg}")
    return url[:-1]


class PerLanguage:
    """Something built once per language and kept (catalogues do not change at run time)."""

    def __init__(self) -> None:
        self._by_locale: dict[str, Any] = {}

    def current(self) -> Any:
        """The value in the request's language."""
        locale = language()
        value = self._by_locale.get(locale)
        if value is None:
            value = self._by_locale[locale] = self._build()
        return value

    def _build(self) -> Any:
        raise NotImplementedError


class LocalizedLabels(PerLanguage, Mapping[str, str]):
    """A label table translated once per language, not once per use.

    List pages look up a status, category and severity label on every row; each lazy
    string would go through Flask-Babel again. Catalogues do not change while the
    process runs, so the translated table is kept per language.
    """

    def __init__(self, labels: Mapping[str, Any]) -> None:
        super().__init__()
        self._labels = labels

    def _build(self) -> dict[str, str]:
        return {key: str(label) for key, label in self._labels.items()}

    def __getitem__(self, key: str) -> str:
        return self.current()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)


class Badge(PerLanguage):
    """A value as a coloured Bootstrap badge with its label, built once per language."""

    def __init__(self, labels: LocalizedLabels, colours: Mapping[str, str]) -> None:
        super().__init__()
        self._labels = labels
        self._colours = colours

    def _build(self) -> dict[str, Markup]:
        labels = self._labels.current()
        return {
            value: Markup('<span class="badge text-bg-{}">{}</span>').format(
                self._colours.get(value, "secondary"), label
            )
            for value, label in labels.items()
        }

    def __call__(self, value: str) -> Markup:
        html = self.current().get(value)
        if html is None:  # a value outside the vocabulary: shown as it is
            html = Markup('<span class="badge text-bg-secondary">{}</span>').format(value)
        return html


class PageTables(PerLanguage):
    """The label and badge tables of the request's language as plain dicts, per page.

    A page's own lookups (per row of a list) are then dictionary reads; macros
    imported without the context still use the globals. Built once per language.
    """

    def __init__(self, localized: Mapping[str, LocalizedLabels], badges: Mapping[str, Badge]):
        super().__init__()
        self._localized = localized
        self._badges = badges

    def _build(self) -> dict[str, Any]:
        tables: dict[str, Any] = {name: table.current() for name, table in self._localized.items()}
        tables["STATUS_BADGES"] = self._badges["status_badge"].current()
        tables["SEVERITY_BADGES"] = self._badges["severity_badge"].current()
        return tables


STATUS_COLOURS = {
    "submitted": "secondary",
    "triaged": "info",
    "assigned": "primary",
    "in_progress": "primary",
    "resolved": "warning",
    "confirmed": "success",
    "closed": "dark",
    "rejected": "danger",
    "cancelled": "light",
}
SEVERITY_COLOURS = {"critical": "danger", "high": "warning", "normal": "secondary", "low": "light"}


# Navigation by role (msgids, translated per request); unregistered endpoints are skipped.
NAV: dict[str, list[tuple[str, str]]] = {
    "firm": [
        ("tickets.index", N_("Tickets")),
        ("claims.index", N_("Claims")),
        ("assets.index", N_("Assets")),
        ("recovery.index", N_("Recovery")),
        ("firms.mine", N_("Our company")),
    ],
    "meister": [("tickets.index", N_("My queue"))],
    "manager": [
        ("tickets.index", N_("Tickets")),
        ("claims.index", N_("Claims")),
        ("firms.index", N_("Firms")),
        ("suppliers.index", N_("Suppliers")),
        ("assets.index", N_("Assets")),
        ("meisters.index", N_("Meisters")),
        ("ledger.pool", N_("Ledger")),
        ("recovery.index", N_("Recovery")),
        ("approvals.index", N_("Approval requests")),
        ("jobs.index", N_("Jobs")),
    ],
    "auditor": [
        ("tickets.index", N_("Tickets")),
        ("claims.index", N_("Claims")),
        ("claims.review_queue", N_("Evidence review")),
        ("assets.index", N_("Assets")),
        ("ledger.pool", N_("Ledger")),
        ("recovery.index", N_("Recovery")),
        ("approvals.index", N_("Approval requests")),
        ("audit.index", N_("Audit log")),
    ],
    "admin": [("admin.users", N_("Users")), ("approvals.index", N_("Approval requests"))],
}


# The one next step a person takes on a listed ticket: (endpoint, label msgid, anchor).
# A list card shows it as its action; the ticket page has every action.
NEXT_STEPS: dict[tuple[str, str], tuple[str, str, str | None]] = {
    ("firm", "resolved"): ("tickets.confirm", N_("Confirm the work"), None),
    ("meister", "assigned"): ("tickets.detail", N_("Accept or decline"), "actions"),
    ("meister", "in_progress"): ("tickets.new_visit", N_("Log a visit"), None),
    ("manager", "submitted"): ("tickets.detail", N_("Triage"), "triage"),
    ("manager", "triaged"): ("tickets.assign", N_("Assign a Meister"), None),
}


class NextSteps(PerLanguage):
    """next_step(role, status): (endpoint, label, anchor) or None, translated once."""

    def _build(self) -> dict[tuple[str, str], tuple[str, str, str | None]]:
        return {
            key: (end, gettext(label), anchor) for key, (end, label, anchor) in NEXT_STEPS.items()
        }

    def __call__(self, role: str, status: str) -> tuple[str, str, str | None] | None:
        return self.current().get((role, status))


def nav_items() -> dict[str, Any]:
    """The signed-in user's menu: (endpoint, label) of their role's registered pages."""
    if not current_user or not current_user.is_authenticated:
        return {"nav_items": []}
    registered = current_app.view_functions
    items = [
        {"endpoint": endpoint, "label": gettext(label)}
        for endpoint, label in NAV.get(current_user.role, [])
        if endpoint in registered
    ]
    return {"nav_items": items}


def init_templating(app: Flask) -> None:
    app.context_processor(nav_items)
    app.jinja_env.filters.update(
        won=won,
        kst=kst,
        isodate=isodate,
        tel_href=tel_href,
        approval_number=approval_number,
        region=region_label,
        brn=format_registration_number,
    )
    labels = {
        "ROLE_LABELS": ROLE_LABELS,
        "SIZE_LABELS": SIZE_LABELS,
        "CATEGORY_LABELS": CATEGORY_LABELS,
        "SEVERITY_LABELS": SEVERITY_LABELS,
        "STATUS_LABELS": STATUS_LABELS,
        "ACTION_LABELS": ACTION_LABELS,
        "CLAIM_STATUS_LABELS": CLAIM_STATUS_LABELS,
        "RECOVERY_STATUS_LABELS": RECOVERY_STATUS_LABELS,
        "RECOVERY_GROUNDS_LABELS": RECOVERY_GROUNDS_LABELS,
        "RECOVERY_ACTION_LABELS": RECOVERY_ACTION_LABELS,
        "COST_KIND_LABELS": COST_KIND_LABELS,
        "LIMITED_BY_LABELS": LIMITED_BY_LABELS,
        "REFUSAL_LABELS": REFUSAL_LABELS,
        "SUPPORT_TYPE_LABELS": SUPPORT_TYPE_LABELS,
        "PAYMENT_METHOD_LABELS": PAYMENT_METHOD_LABELS,
        "MISSING_LABELS": MISSING_LABELS,
        "REVIEW_LABELS": REVIEW_LABELS,
        "DISALLOW_LABELS": DISALLOW_LABELS,
        "FIRM_PAYMENT_LABELS": FIRM_PAYMENT_LABELS,
        "WAIT_LABELS": WAIT_LABELS,
    }
    localized = {name: LocalizedLabels(table) for name, table in labels.items()}
    badges = {
        "status_badge": Badge(localized["STATUS_LABELS"], STATUS_COLOURS),
        "severity_badge": Badge(localized["SEVERITY_LABELS"], SEVERITY_COLOURS),
    }
    app.jinja_env.globals.update(localized, **badges)
    app.jinja_env.globals.update(
        url_with=url_with,
        query_args=query_args,
        current_locale=language,
        id_url_prefix=id_url_prefix,
        share_rule=share_rule,
        ranking_reason=ranking_reason,
        specialty_label=specialty_label,
        next_step=NextSteps(),
    )

    tables = PageTables(localized, badges)
    app.context_processor(tables.current)

    install_template_gettext(app)
