"""The scheduler process (`flask scheduler run`): APScheduler under a database lease.

Every instance runs APScheduler, but a job runs only where this process holds the
`scheduler` lease (renewed every few seconds, taken over when it expires), and only
once per tick (a unique job_run row). A second instance therefore stands by.
"""

from __future__ import annotations

import logging
import threading
import time

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from aftercare.db import utcnow
from aftercare.extensions import db
from aftercare.jobs.registry import JOBS, JobSpec
from aftercare.jobs.runner import (
    abandon_stale_runs,
    acquire_lease,
    new_holder_id,
    release_lease,
    run_job,
)

log = logging.getLogger("aftercare.jobs.scheduler")


class SchedulerProcess:
    def __init__(
        self, app: Flask, lease_seconds: int = 30, speedup: int = 1, holder: str | None = None
    ) -> None:
        self.app = app
        self.holder = holder or new_holder_id()
        self.lease_seconds = lease_seconds
        self.speedup = max(1, speedup)  # tests shrink the schedules by this factor
        self.is_leader = False
        self.stopping = threading.Event()
        self.scheduler = BackgroundScheduler(timezone="Asia/Seoul")

    def _trigger_args(self, spec: JobSpec) -> dict:
        if spec.trigger != "interval" or self.speedup == 1:
            return spec.trigger_args
        seconds = spec.trigger_args.get("minutes", 0) * 60 + spec.trigger_args.get("seconds", 0)
        return {"seconds": max(1, seconds // self.speedup)}

    def _spec_for_ticks(self, spec: JobSpec) -> JobSpec:
        return JobSpec(spec.name, spec.trigger, self._trigger_args(spec), spec.target)

    def run_scheduled(self, spec: JobSpec) -> None:
        """APScheduler calls this; the standby returns at once."""
        if not self.is_leader or self.stopping.is_set():
            return
        with self.app.app_context():
            try:
                run = run_job(
                    spec.name,
                    self._spec_for_ticks(spec).tick(utcnow()),
                    spec.load(),
                    holder=self.holder,
                )
                if run is not None:
                    log.info("job %s %s %s", spec.name, run.outcome, run.counts)
            except Exception:
                log.exception("job %s failed", spec.name)
            finally:
                db.session.remove()

    def renew(self) -> None:
        with self.app.app_context():
            try:
                was_leader = self.is_leader
                self.is_leader = acquire_lease(self.holder, self.lease_seconds)
                if self.is_leader and not was_leader:
                    log.info("%s holds the scheduler lease", self.holder)
                    abandon_stale_runs(self.holder)
                elif was_leader and not self.is_leader:
                    log.warning("%s lost the scheduler lease; standing by", self.holder)
            except Exception:
                log.exception("lease renewal failed; standing by")
                self.is_leader = False
            finally:
                db.session.remove()

    def start(self) -> None:
        for spec in JOBS:
            self.scheduler.add_job(
                self.run_scheduled,
                spec.trigger,
                args=[spec],
                id=spec.name,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=300,
                **self._trigger_args(spec),
            )
        self.renew()
        self.scheduler.start()

    def serve(self, run_for: float | None = None) -> None:
        """Renew the lease until stopped (or for `run_for` seconds)."""
        self.start()
        deadline = time.monotonic() + run_for if run_for else None
        interval = max(1.0, self.lease_seconds / 3)
        try:
            while not self.stopping.wait(interval):
                self.renew()
                if deadline is not None and time.monotonic() >= deadline:
                    break
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        self.stopping.set()
        self.scheduler.shutdown(wait=True)
        if self.is_leader:
            with self.app.app_context():
                release_lease(self.holder)
                db.session.remove()
