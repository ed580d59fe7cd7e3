"""The scheduler lease, the job-run record and `flask scheduler run` (SPEC §6).

One scheduler process per deployment: a second instance stands by (database lease)
rather than double-running; every run is recorded once per tick with its outcome.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from aftercare.db import utcnow
from aftercare.extensions import db
from aftercare.jobs.models import JobRun, SchedulerLease
from aftercare.jobs.registry import JobSpec
from aftercare.jobs.runner import (
    LEASE_NAME,
    abandon_stale_runs,
    acquire_lease,
    release_lease,
    run_job,
)
from aftercare.jobs.scheduler import SchedulerProcess

ROOT = Path(__file__).parents[2]
CALLS: list[str] = []


def probe_job() -> dict[str, int]:
    """A job the registry-style loader can import: it counts its calls."""
    CALLS.append("probe")
    return {"probed": len(CALLS)}


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.clear()
    yield
    CALLS.clear()


def runs(**where) -> list[JobRun]:
    db.session.expire_all()
    stmt = select(JobRun).order_by(JobRun.started_at, JobRun.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(JobRun, name) == value)
    found = list(db.session.scalars(stmt))
    # End the read, keeping what it found: outside a request a transaction on SQLite
    # holds the write lock (BEGIN IMMEDIATE), which the scheduler's own contexts need.
    db.session.expunge_all()
    db.session.rollback()
    return found


def lease() -> SchedulerLease | None:
    db.session.expire_all()
    found = db.session.get(SchedulerLease, LEASE_NAME)
    db.session.expunge_all()
    db.session.rollback()
    return found


# ---------------------------------------------------------------- lease


def test_a_second_holder_waits_until_the_lease_expires(app):
    assert acquire_lease("A", 1) is True
    assert acquire_lease("B", 1) is False
    assert lease().holder == "A"
    time.sleep(1.2)  # A's one-second lease runs out without a renewal
    assert acquire_lease("B", 1) is True
    assert lease().holder == "B"
    assert acquire_lease("A", 1) is False  # A lost it and must stand by now


def test_a_lease_expired_in_the_database_is_taken_over(app):
    assert acquire_lease("A", 30) is True
    assert acquire_lease("B", 30) is False
    db.session.execute(update(SchedulerLease).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert acquire_lease("B", 30) is True
    row = lease()
    assert row.holder == "B"
    assert row.expires_at > utcnow() + timedelta(seconds=25)
    assert acquire_lease("A", 30) is False


def test_the_holder_renews_its_own_lease(app):
    assert acquire_lease("A", 5) is True
    first = lease().expires_at
    time.sleep(0.05)
    assert acquire_lease("A", 30) is True
    renewed = lease()
    assert renewed.holder == "A"
    assert renewed.expires_at > first + timedelta(seconds=20)
    assert acquire_lease("B", 30) is False
    assert db.session.scalar(select(func.count()).select_from(SchedulerLease)) == 1


def test_releasing_the_lease_lets_another_take_over_at_once(app):
    assert acquire_lease("A", 300) is True
    assert acquire_lease("B", 300) is False
    release_lease("A")
    assert acquire_lease("B", 300) is True
    assert lease().holder == "B"


def test_releasing_someone_elses_lease_does_nothing(app):
    assert acquire_lease("A", 300) is True
    release_lease("B")
    assert acquire_lease("B", 300) is False
    assert lease().holder == "A"


# ---------------------------------------------------------------- run_job


def test_a_tick_runs_once_and_records_outcome_and_counts(app):
    first = run_job("probe", "2021-02-10T00:00:00", probe_job, holder="A")
    assert first is not None
    again = run_job("probe", "2021-02-10T00:00:00", probe_job, holder="B")
    assert again is None
    assert CALLS == ["probe"]
    [row] = runs(job="probe")
    assert (row.tick, row.holder, row.outcome) == ("2021-02-10T00:00:00", "A", "ok")
    assert row.counts == {"probed": 1}
    assert row.message == ""
    assert row.finished_at is not None
    assert row.finished_at >= row.started_at

    run_job("probe", "2021-02-10T00:01:00", probe_job, holder="A")  # the next tick runs
    assert CALLS == ["probe", "probe"]
    assert [r.tick for r in runs(job="probe")] == ["2021-02-10T00:00:00", "2021-02-10T00:01:00"]


def test_a_failing_job_is_recorded_as_error_and_re_raised(app):
    def boom() -> dict:
        raise RuntimeError("the SMTP relay is on fire")

    with pytest.raises(RuntimeError, match="on fire"):
        run_job("probe", "t-1", boom, holder="A")
    [row] = runs(job="probe")
    assert row.outcome == "error"
    assert row.message == "RuntimeError: the SMTP relay is on fire"
    assert row.counts == {}
    assert row.finished_at is not None
    # the failed tick is spent: it is not run again
    assert run_job("probe", "t-1", probe_job, holder="A") is None
    assert CALLS == []


def test_a_failing_job_does_not_keep_its_half_written_changes(app, make):
    from aftercare.firms.models import Firm

    firm_id = make.firm(name="원래이름").id

    def half_done() -> dict:
        db.session.get(Firm, firm_id).name = "바뀐이름"
        db.session.flush()
        raise ValueError("stopped half-way")

    with pytest.raises(ValueError, match="half-way"):
        run_job("probe", "t-2", half_done, holder="A")
    db.session.expire_all()
    assert db.session.get(Firm, firm_id).name == "원래이름"
    assert runs(job="probe")[0].outcome == "error"


def test_stale_running_rows_of_other_holders_are_abandoned(app):
    now = utcnow()
    db.session.add_all(
        [
            JobRun(job="sla", tick="1", holder="dead", started_at=now, outcome="running"),
            JobRun(job="notifications", tick="1", holder="dead", started_at=now),
            JobRun(job="sla", tick="2", holder="me", started_at=now, outcome="running"),
            JobRun(job="sla", tick="3", holder="dead", started_at=now, outcome="ok"),
        ]
    )
    db.session.commit()
    assert abandon_stale_runs("me") == 2
    outcome = {(r.job, r.tick): (r.holder, r.outcome) for r in runs()}
    assert outcome == {
        ("sla", "1"): ("dead", "abandoned"),
        ("notifications", "1"): ("dead", "abandoned"),
        ("sla", "2"): ("me", "running"),
        ("sla", "3"): ("dead", "ok"),
    }
    assert all(r.finished_at is not None for r in runs(outcome="abandoned"))
    assert abandon_stale_runs("me") == 0


# ---------------------------------------------------------------- SchedulerProcess in-process


PROBE = JobSpec("probe", "cron", {"hour": 2}, f"{__name__}:probe_job")


def test_only_the_lease_holder_runs_scheduled_jobs(app):
    leader = SchedulerProcess(app, lease_seconds=30, holder="leader")
    standby = SchedulerProcess(app, lease_seconds=30, holder="standby")
    leader.renew()
    standby.renew()
    assert (leader.is_leader, standby.is_leader) == (True, False)

    standby.run_scheduled(PROBE)
    assert CALLS == []
    leader.run_scheduled(PROBE)
    leader.run_scheduled(PROBE)  # same tick (a cron job's tick is the Seoul date)
    assert CALLS == ["probe"]
    assert [(r.holder, r.outcome) for r in runs(job="probe")] == [("leader", "ok")]

    leader.renew()
    standby.renew()
    assert (leader.is_leader, standby.is_leader) == (True, False)


def test_a_standby_takes_over_and_abandons_the_dead_leaders_runs(app):
    leader = SchedulerProcess(app, lease_seconds=30, holder="leader")
    standby = SchedulerProcess(app, lease_seconds=30, holder="standby")
    leader.renew()
    db.session.add(JobRun(job="sla", tick="x", holder="leader", outcome="running"))
    db.session.commit()
    standby.renew()
    assert not standby.is_leader
    assert runs(job="sla")[0].outcome == "running"

    # the leader dies: its lease is not renewed and runs out
    db.session.execute(update(SchedulerLease).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    standby.renew()
    assert standby.is_leader
    assert runs(job="sla")[0].outcome == "abandoned"
    leader.renew()
    assert not leader.is_leader
    leader.run_scheduled(PROBE)
    assert CALLS == []


def test_interval_ticks_shrink_with_speedup(app):
    fast = SchedulerProcess(app, speedup=60)
    spec = JobSpec("sla", "interval", {"minutes": 15}, "x:y")
    assert fast._trigger_args(spec) == {"seconds": 15}
    at = datetime(2021, 2, 10, 1, 0, 14)
    sped = fast._spec_for_ticks(spec)
    assert sped.tick(at) == "2021-02-10T01:00:00"
    assert sped.tick(at + timedelta(seconds=1)) == "2021-02-10T01:00:15"
    assert spec.tick(at + timedelta(minutes=14, seconds=46)) == "2021-02-10T01:15:00"


# ---------------------------------------------------------------- CLI


def test_jobs_run_cli_records_a_run(app, runner):
    result = runner.invoke(args=["jobs", "run", "notifications"])
    assert result.exit_code == 0, result.output
    assert "Job notifications: ok" in result.output
    [row] = runs(job="notifications")
    assert (row.holder, row.outcome) == ("cli", "ok")
    assert row.tick.startswith("manual:")


def test_jobs_run_cli_refuses_an_unknown_job(app, runner):
    result = runner.invoke(args=["jobs", "run", "nope"])
    assert result.exit_code == 1
    assert "nope" in result.output
    assert runs() == []


# ---------------------------------------------------------------- two real processes


class Watched:
    """A `flask scheduler run` subprocess whose output lines are time-stamped as they come."""

    def __init__(self, env: dict[str, str]) -> None:
        self.lines: list[tuple[datetime, str]] = []
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "wsgi",
                "scheduler",
                "run",
                "--run-for",
                "8",
                "--lease-seconds",
                "3",
                "--speedup",
                "60",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.readers = [
            threading.Thread(target=self._read, args=(stream,), daemon=True)
            for stream in (self.process.stdout, self.process.stderr)
        ]
        for reader in self.readers:
            reader.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append((datetime.now(UTC).replace(tzinfo=None), line.rstrip()))
        stream.close()

    def when(self, pattern: str) -> tuple[datetime, re.Match]:
        for stamp, line in self.lines:
            if match := re.search(pattern, line):
                return stamp, match
        raise AssertionError(f"no line matching {pattern!r} in:\n{self.output()}")

    def output(self) -> str:
        return "\n".join(line for _, line in self.lines)


@pytest.mark.slow
def test_two_scheduler_processes_started_at_once_run_each_tick_once(app, database_url):
    env = {k: v for k, v in os.environ.items() if k not in ("SMTP_HOST", "FLASK_APP")}
    env |= {"DATABASE_URL": database_url, "AFTERCARE_ENV": "testing", "PYTHONUNBUFFERED": "1"}
    db.session.remove()
    processes = [Watched(env), Watched(env)]
    try:
        for watched in processes:
            watched.process.wait(timeout=30)
    finally:
        for watched in processes:
            if watched.process.poll() is None:
                watched.process.kill()
                watched.process.wait()
        for watched in processes:
            for reader in watched.readers:
                reader.join(timeout=5)
    for watched in processes:
        assert watched.process.returncode == 0, watched.output()

    started = {}
    stopped = {}
    for watched in processes:
        stamp, match = watched.when(r"Scheduler (\S+) starting")
        holder = match.group(1)
        started[holder] = stamp
        stopped[holder] = watched.when(rf"Scheduler {re.escape(holder)} stopped")[0]

    rows = runs()
    assert rows, "no job ran at all"
    ticks = [(r.job, r.tick) for r in rows]
    assert len(ticks) == len(set(ticks)), "a tick ran twice"
    assert {r.holder for r in rows} <= set(started)
    assert all(r.outcome == "ok" for r in rows), [(r.job, r.outcome, r.message) for r in rows]
    assert {r.job for r in rows} >= {"notifications"}

    # While both processes were up, one of them ran every job and the other stood by.
    both_from = max(started.values())
    first_to_stop = min(stopped, key=stopped.get)
    both_until = stopped[first_to_stop] - timedelta(seconds=0.5)
    while_both = [r for r in rows if both_from <= r.started_at <= both_until]
    assert len(while_both) >= 3, (both_from, both_until, ticks)
    holders = {r.holder for r in rows}
    assert len({r.holder for r in while_both}) == 1, [(r.tick, r.holder) for r in while_both]
    leader = while_both[0].holder

    # The standby may take over only once the leader has stopped and released the lease
    # (a correct hand-over); it must never run a job while the leader is still up.
    if len(holders) > 1:
        assert leader == first_to_stop, "the standby ran jobs while the leader was up"
        takeover = [r for r in rows if r.holder != leader]
        assert min(r.started_at for r in takeover) >= both_until
        assert min(r.started_at for r in takeover) >= max(
            r.finished_at for r in rows if r.holder == leader
        )
