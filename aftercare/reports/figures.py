"""Programme-wide figures and their chart data (manager and auditor dashboards).

Every chart is drawn by static/js/charts.js from a JSON block in the page:

    {"type": "bar" | "line", "horizontal": bool, "labels": [str, ...],
     "series": [{"label": str, "data": [number | null, ...]}, ...],
     "unit": "원" | "%" | "", "max": number | null}

Won amounts are integers; only percentages and average ratings carry decimals. The
page shows the same figures in a table next to each chart, so nothing needs JavaScript.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from aftercare.core.caching import cached_for
from aftercare.core.web.labels import CATEGORY_LABELS
from aftercare.core.web.templating import region_label
from aftercare.domain.figures import mean, month_series, months_through, percent
from aftercare.domain.time import seoul_today
from aftercare.extensions import db
from aftercare.ledger.models import FiscalYear
from aftercare.ledger.support_types import support_type_name
from aftercare.ledger.views import BurndownMonth, burndown
from aftercare.reports import dashboards as queries

WON = "원"


def chart(
    labels: Iterable[Any],
    series: Sequence[tuple[str, Sequence[int | float | None]]],
    *,
    kind: str = "bar",
    unit: str = "",
    horizontal: bool = False,
    maximum: int | None = None,
) -> dict[str, Any]:
    """The JSON a chart canvas reads (see the module docstring)."""
    return {
        "type": kind,
        "horizontal": horizontal,
        "labels": [str(label) for label in labels],
        "series": [{"label": str(label), "data": list(data)} for label, data in series],
        "unit": unit,
        "max": maximum,
    }


@cached_for()
def pool_burndown(fiscal_year_id: int) -> list[BurndownMonth]:
    fiscal_year = db.session.get(FiscalYear, fiscal_year_id)
    return burndown(fiscal_year) if fiscal_year else []


@dataclass(frozen=True)
class SlaRow:
    month: str
    filed: int
    triage_met: int
    triage_measured: int
    triage_percent: float | None
    resolution_met: int
    resolution_measured: int
    resolution_percent: float | None
    breached: int


def sla_rows(year: int) -> list[SlaRow]:
    """Every month of `year` so far, with the share of SLA clocks met."""
    found = {row.month: row for row in queries.sla_by_month(year)}
    empty = queries.SlaMonth("", 0, 0, 0, 0, 0, 0)
    months = sorted(set(months_through(year, seoul_today())) | set(found))
    rows = []
    for month in months:
        r = found.get(month, empty)
        rows.append(
            SlaRow(
                month,
                r.filed,
                r.triage_met,
                r.triage_measured,
                percent(r.triage_met, r.triage_measured),
                r.resolution_met,
                r.resolution_measured,
                percent(r.resolution_met, r.resolution_measured),
                r.breached,
            )
        )
    return rows


@dataclass(frozen=True)
class MeisterRow:
    user_id: int
    name: str
    open: int
    max_load: int
    rating: float | None
    rating_count: int


def meister_rows() -> list[MeisterRow]:
    return [
        MeisterRow(
            m.user_id,
            m.name,
            m.open,
            m.max_load,
            mean(m.rating_total, m.rating_count),
            m.rating_count,
        )
        for m in queries.meister_workload()
    ]


def programme_figures(fiscal_year: FiscalYear | None) -> dict[str, Any]:
    """Rows for the tables and data for the charts, one query per figure."""
    fy_id = fiscal_year.id if fiscal_year else None
    year = fiscal_year.year if fiscal_year else seoul_today().year
    by_region = queries.spending_by_region(fy_id)
    by_category = queries.spending_by_category(fy_id)
    by_month = (
        month_series(months_through(year, seoul_today()), queries.spending_by_month(fy_id, year))
        if fy_id is not None
        else []
    )
    burndown_rows = pool_burndown(fy_id) if fy_id is not None else []
    cap_usage = queries.top_cap_usage(fy_id) if fy_id is not None else []
    sla = sla_rows(year)
    meisters = meister_rows()
    return {
        "sla_year": year,
        "by_region": by_region,
        "by_category": by_category,
        "by_month": by_month,
        "burndown": burndown_rows,
        "cap_usage": cap_usage,
        "sla_rows": sla,
        "meister_rows": meisters,
        "charts": {
            "burndown": chart(
                [row.month for row in burndown_rows],
                [
                    (_("Remaining budget"), [row.remaining for row in burndown_rows]),
                    (_("Paid (cumulative)"), [row.paid for row in burndown_rows]),
                ],
                kind="line",
                unit=WON,
            ),
            "region": chart(
                [region_label(region) for region, _amount in by_region],
                [(_("Government share"), [amount for _region, amount in by_region])],
                unit=WON,
                horizontal=True,
            ),
            "category": chart(
                [CATEGORY_LABELS.get(category, category) for category, _amount in by_category],
                [(_("Government share"), [amount for _category, amount in by_category])],
                unit=WON,
                horizontal=True,
            ),
            "month": chart(
                [month for month, _amount in by_month],
                [(_("Government share"), [amount for _month, amount in by_month])],
                unit=WON,
            ),
            "sla": chart(
                [row.month for row in sla],
                [
                    (_("Triaged on time"), [row.triage_percent for row in sla]),
                    (_("Resolved on time"), [row.resolution_percent for row in sla]),
                ],
                unit="%",
                maximum=100,
            ),
            "workload": chart(
                [row.name for row in meisters],
                [
                    (_("Open tickets"), [row.open for row in meisters]),
                    (_("Maximum load"), [row.max_load for row in meisters]),
                ],
                horizontal=True,
            ),
            "ratings": chart(
                [row.name for row in meisters],
                [(_("Average rating"), [row.rating for row in meisters])],
                horizontal=True,
                maximum=5,
            ),
            "cap_usage": chart(
                [f"{use.firm_name} · {support_type_name(use.support_type)}" for use in cap_usage],
                [(_("Share of cap used"), [use.percent for use in cap_usage])],
                unit="%",
                horizontal=True,
                maximum=100,
            ),
        },
    }
