"""Each role's home page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from aftercare.approvals import queries as approval_queries
from aftercare.audit.models import AuditEvent
from aftercare.audit.readable import action_label, object_label
from aftercare.auth.login import role_required
from aftercare.auth.models import User
from aftercare.extensions import db
from aftercare.ledger.queries import current_fiscal_year, firm_usage, latest_fiscal_year, pool_of
from aftercare.meisters.queries import loads_and_ratings, profile_by_user
from aftercare.reports import dashboards as queries
from aftercare.reports import recovery_rows
from aftercare.reports.figures import programme_figures

bp = Blueprint("home", __name__)

HOME_BY_ROLE = {
    "firm": "home.firm",
    "meister": "home.meister",
    "manager": "home.manager",
    "auditor": "home.auditor",
    "admin": "home.admin",
}


@bp.route("/")
@login_required
def index():
    return redirect(url_for(HOME_BY_ROLE[current_user.role]))


@bp.route("/firm")
@role_required("firm")
def firm():
    fiscal_year = current_fiscal_year()
    return render_template(
        "home/firm.html",
        firm=current_user.firm,
        fiscal_year=fiscal_year,
        usage=firm_usage(current_user.firm_id, fiscal_year),
        open_tickets=queries.firm_open_tickets(current_user.firm_id),
        ticket_counts=queries.firm_ticket_counts(current_user.firm_id),
    )


@bp.route("/meister")
@role_required("meister")
def meister():
    load, rating = loads_and_ratings([current_user.id])[current_user.id]
    return render_template(
        "home/meister.html",
        profile=profile_by_user(current_user.id),
        queue=queries.meister_queue(current_user.id),
        visits=queries.meister_recent_visits(current_user.id),
        rated=queries.meister_ratings(current_user.id),
        due=queries.meister_due(current_user.id),
        load=load,
        rating=rating,
    )


@bp.route("/manager")
@role_required("manager")
def manager():
    fiscal_year = current_fiscal_year() or latest_fiscal_year()
    firm_count, meister_count = queries.directory_counts()
    return render_template(
        "home/manager.html",
        fiscal_year=fiscal_year,
        pool=pool_of(fiscal_year) if fiscal_year else None,
        firm_count=firm_count,
        meister_count=meister_count,
        triage_queue=queries.triage_queue(),
        approval_queue=queries.approval_queue(),
        second_approval_queue=queries.second_approval_queue(),
        pending_requests=approval_queries.pending_count(),
        breached=queries.open_breaches(),
        status_counts=queries.status_counts(),
        recovery=recovery_rows.totals(current_user),
        **programme_figures(fiscal_year),
    )


@bp.route("/auditor")
@role_required("auditor")
def auditor():
    fiscal_year = current_fiscal_year() or latest_fiscal_year()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(20)).all()
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    actors = dict(
        db.session.execute(select(User.id, User.name).where(User.id.in_(actor_ids))).all()
    )
    return render_template(
        "home/auditor.html",
        events=events,
        actors=actors,
        action_label=action_label,
        object_label=object_label,
        fiscal_year=fiscal_year,
        pool=pool_of(fiscal_year) if fiscal_year else None,
        breached=queries.open_breaches(),
        recovery=recovery_rows.totals(current_user),
        **programme_figures(fiscal_year),
    )


@bp.route("/admin-home")
@role_required("admin")
def admin():
    counts = dict(
        db.session.execute(select(User.role, func.count(User.id)).group_by(User.role)).all()
    )
    return render_template("home/admin.html", counts=counts)
