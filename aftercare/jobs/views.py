"""Job pages (managers): recent runs, the scheduler lease, and running a job now.

GET       /jobs                 index   runs (job filter), lease, the jobs
GET, POST /jobs/<name>/run      run     confirm, then run the job once now
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from aftercare.auth.login import role_required
from aftercare.core.pagination import decode_cursor, keyset_page, parse_limit
from aftercare.db import utcnow
from aftercare.domain.errors import ValidationFailed
from aftercare.domain.vocab import MAX_ID
from aftercare.extensions import db
from aftercare.jobs.models import JobRun, SchedulerLease
from aftercare.jobs.registry import JOBS, JobSpec, job_named
from aftercare.jobs.runner import LEASE_NAME, manual_tick, run_job

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

JOB_LABELS = {
    "sla": _l("SLA checks"),
    "notifications": _l("Notification delivery"),
    "settlement": _l("Settlement (previous day)"),
    "reconciliation": _l("Reconciliation"),
    "audit_checkpoint": _l("Audit chain checkpoint"),
}
OUTCOME_BADGES = {"ok": "success", "error": "danger", "running": "info", "abandoned": "secondary"}
OUTCOME_LABELS = {
    "ok": _l("Done"),
    "error": _l("Failed"),
    "running": _l("Running"),
    "abandoned": _l("Abandoned"),
}
# What each job's result counts, in words (the stored keys are the jobs' own).
COUNT_LABELS = {
    "sla_breached": _l("SLA breaches flagged"),
    "project_overdue": _l("projects overdue"),
    "auto_confirmed": _l("auto-confirmed"),
    "firm_payment_overdue": _l("firm shares overdue"),
    "recovery_due_soon": _l("recoveries due within 7 days"),
    "recovery_overdue": _l("recoveries overdue"),
    "waiting": _l("claims waiting for evidence"),
    "sent": _l("sent"),
    "failed": _l("failed"),
    "skipped": _l("skipped"),
    "batch_id": _l("batch"),
    "claims_settled": _l("claims settled"),
    "amount": _l("amount"),
    "checks": _l("checks"),
    "breaches": _l("breaches"),
    "ok": _l("all held"),
    "sequence": _l("sequence"),
    "file": _l("file"),
}


@bp.before_request
@role_required("manager")
def _managers_only() -> None:
    return None


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {
        "JOB_LABELS": JOB_LABELS,
        "OUTCOME_BADGES": OUTCOME_BADGES,
        "OUTCOME_LABELS": OUTCOME_LABELS,
    }


def format_counts(counts: dict | None) -> str:
    """{"claims_settled": 3, "amount": 1000} → '지급액 1,000원 · 정산한 청구 3' (in words)."""
    return " · ".join(
        f"{COUNT_LABELS.get(key, key)} {_count_value(key, value)}"
        for key, value in (counts or {}).items()
    )


def _count_value(key: str, value: Any) -> str:
    if key == "amount" and isinstance(value, int):
        return f"{value:,}원"
    if key == "ok":
        return _("yes") if value else _("no")
    return f"{value:,}" if isinstance(value, int) else str(value)


def _schedule(spec: JobSpec) -> str:
    if spec.trigger == "interval":
        minutes = spec.trigger_args.get("minutes")
        return _("every %(n)d min", n=minutes) if minutes else spec.trigger
    return _(
        "daily %(hour)02d:%(minute)02d",
        hour=spec.trigger_args.get("hour", 0),
        minute=spec.trigger_args.get("minute", 0),
    )


@bp.route("")
def index():
    job = request.args.get("job") if request.args.get("job") in {s.name for s in JOBS} else None
    stmt = select(JobRun)
    if job:
        stmt = stmt.where(JobRun.job == job)
    try:
        if (decode_cursor(request.args.get("cursor")) or 0) > MAX_ID:
            raise ValidationFailed({"cursor": ["Not a valid cursor."]})
        page = keyset_page(
            stmt, JobRun.id, parse_limit(request.args.get("limit")), request.args.get("cursor")
        )
    except ValidationFailed:
        flash(_("The page address was not valid; showing the first page."), "warning")
        return redirect(url_for("jobs.index"))
    lease = db.session.get(SchedulerLease, LEASE_NAME)
    return render_template(
        "jobs/index.html",
        page=page,
        job=job,
        jobs=[{"spec": spec, "schedule": _schedule(spec)} for spec in JOBS],
        lease=lease,
        lease_active=lease is not None and lease.expires_at > utcnow(),
        format_counts=format_counts,
    )


@bp.route("/<name>/run", methods=["GET", "POST"])
def run(name: str):
    """GET asks for confirmation; POST runs the job once, recorded like a scheduled run."""
    try:
        spec = job_named(name)
    except KeyError:
        abort(404)
    if request.method == "GET":
        return render_template("jobs/confirm.html", spec=spec)
    holder = f"manual:{current_user.id}"
    try:
        job_run = run_job(spec.name, manual_tick(), spec.load(), holder=holder)
    except Exception as error:  # the run is recorded as failed; the page must not 500
        db.session.rollback()
        current_app.logger.warning("manual run of job %s failed: %s", spec.name, error)
        flash(
            _(
                "Job %(job)s failed: %(error)s",
                job=JOB_LABELS.get(spec.name, spec.name),
                error=f"{type(error).__name__}: {error}",
            ),
            "danger",
        )
        return redirect(url_for("jobs.index", job=spec.name))
    if job_run is None:
        flash(_("That run was already started; nothing was done twice."), "warning")
    else:
        flash(
            _(
                "Job %(job)s finished: %(outcome)s (%(counts)s).",
                job=JOB_LABELS.get(spec.name, spec.name),
                outcome=job_run.outcome,
                counts=format_counts(job_run.counts) or "—",
            ),
            "success" if job_run.outcome == "ok" else "warning",
        )
    return redirect(url_for("jobs.index", job=spec.name))
