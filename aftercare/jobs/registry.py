"""The scheduled jobs of SPEC §6: name, schedule (Asia/Seoul) and the function to call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aftercare.domain.time import SEOUL


@dataclass(frozen=True)
class JobSpec:
    name: str
    trigger: str  # "interval" or "cron"
    trigger_args: dict[str, Any]
    target: str  # "module:function", imported when run

    def load(self) -> Callable[[], dict]:
        module_name, _, func_name = self.target.partition(":")
        module = __import__(module_name, fromlist=[func_name])
        return getattr(module, func_name)

    def tick(self, now: datetime) -> str:
        """The slot `now` falls in: jobs run at most once per slot, whoever runs them."""
        if self.trigger == "interval":
            seconds = int(self.trigger_args.get("minutes", 0)) * 60 + int(
                self.trigger_args.get("seconds", 0)
            )
            epoch = int(now.replace(tzinfo=UTC).timestamp()) // seconds * seconds
            return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return now.replace(tzinfo=UTC).astimezone(SEOUL).strftime("%Y-%m-%d")


JOBS: tuple[JobSpec, ...] = (
    JobSpec("sla", "interval", {"minutes": 15}, "aftercare.jobs.sla:run_sla_job"),
    JobSpec(
        "notifications",
        "interval",
        {"minutes": 1},
        "aftercare.notifications.delivery:run_notifications_job",
    ),
    JobSpec(
        "settlement",
        "cron",
        {"hour": 2, "minute": 0},
        "aftercare.payouts.settlement:run_settlement_job",
    ),
    JobSpec(
        "reconciliation",
        "cron",
        {"hour": 3, "minute": 0},
        "aftercare.payouts.reconciliation:run_reconciliation_job",
    ),
    # After the night's money jobs: the checkpoint covers their audit events.
    JobSpec(
        "audit_checkpoint",
        "cron",
        {"hour": 4, "minute": 0},
        "aftercare.audit.checkpoints:run_checkpoint_job",
    ),
)


def job_named(name: str) -> JobSpec:
    for spec in JOBS:
        if spec.name == name:
            return spec
    raise KeyError(name)
