"""Running a job once per tick and recording it (start, end, outcome, counts)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from aftercare.db import utcnow
from aftercare.extensions import db
from aftercare.jobs.models import JobRun, SchedulerLease

LEASE_NAME = "scheduler"


def new_holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def acquire_lease(holder: str, seconds: int) -> bool:
    """Take or renew the scheduler lease; True when `holder` now holds it."""
    now = utcnow()
    expires = now + timedelta(seconds=seconds)
    taken = db.session.execute(
        update(SchedulerLease)
        .where(
            SchedulerLease.name == LEASE_NAME,
            (SchedulerLease.holder == holder) | (SchedulerLease.expires_at < now),
        )
        .values(holder=holder, expires_at=expires)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken:
        db.session.commit()
        return True
    exists = db.session.scalar(select(SchedulerLease.name).where(SchedulerLease.name == LEASE_NAME))
    if exists is not None:
        db.session.rollback()
        return False
    db.session.add(
        SchedulerLease(name=LEASE_NAME, holder=holder, acquired_at=now, expires_at=expires)
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def release_lease(holder: str) -> None:
    db.session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == holder)
        .values(expires_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def abandon_stale_runs(holder: str) -> int:
    """Runs another holder left 'running' (it died) are marked abandoned."""
    count = db.session.execute(
        update(JobRun)
        .where(JobRun.outcome == "running", JobRun.holder != holder)
        .values(outcome="abandoned", finished_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return count


def run_job(name: str, tick: str, func: Callable[[], dict], holder: str = "") -> JobRun | None:
    """Run `func` for this tick unless the tick already ran; record the outcome.

    Returns the run, or None when another run already claimed this tick.
    """
    run = JobRun(job=name, tick=tick, holder=holder, started_at=utcnow(), outcome="running")
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    run_id = run.id
    try:
        counts = func() or {}
    except Exception as error:  # recorded, then the scheduler carries on with the next tick
        db.session.rollback()
        _finish(run_id, "error", {}, f"{type(error).__name__}: {error}")
        raise
    _finish(run_id, "ok", counts, "")
    return db.session.get(JobRun, run_id)


def _finish(run_id: int, outcome: str, counts: dict, message: str) -> None:
    run = db.session.get(JobRun, run_id)
    run.outcome = outcome
    run.counts = counts
    run.message = message[:2000]
    run.finished_at = utcnow()
    db.session.commit()


def manual_tick() -> str:
    """A tick for a run started by hand (CLI or button): never collides with a schedule."""
    return f"manual:{utcnow():%Y%m%dT%H%M%S}:{uuid.uuid4().hex[:6]}"
