"""Command-line entry points (`flask --app wsgi ...`)."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app

from aftercare.audit.services import verify_chain
from aftercare.auth.services import create_user
from aftercare.cli.backup import backup_postgresql, backup_sqlite, default_target
from aftercare.cli.demo_seed import seed_demo
from aftercare.domain.errors import DomainError, ValidationFailed
from aftercare.jobs.registry import job_named
from aftercare.jobs.runner import manual_tick, run_job
from aftercare.jobs.scheduler import SchedulerProcess
from aftercare.payouts.reconciliation import reconcile
from aftercare.payouts.settlement import settle_for_date


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def init_commands(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--password", required=True)
    @click.option("--role", required=True)
    @click.option("--name", default=None)
    @click.option("--firm-id", type=int, default=None)
    @click.option("--language", default="ko")
    def create_user_command(email, password, role, name, firm_id, language):
        """Create a user; exit 0, or 1 with a message."""

        try:
            user = create_user(
                None,
                email=email,
                name=name or email.split("@")[0],
                password=password,
                role=role,
                firm_id=firm_id,
                language=language,
            )
        except ValidationFailed as error:
            _fail("; ".join(f"{k}: {' '.join(v)}" for k, v in error.errors.items()))
        except DomainError as error:
            _fail(error.message)
        click.echo(f"Created user {user.id} <{user.email}> with role {user.role}.")

    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Load demo data (idempotent); never in production, where its passwords are known."""
        if current_app.config.get("ENV_NAME") == "production":
            _fail(
                "운영 환경에서는 데모 데이터를 넣을 수 없습니다. "
                "(seed-demo refuses to run in production: its accounts have known passwords.)"
            )
        seed_demo(echo=click.echo)

    @app.cli.group("scheduler")
    def scheduler_group():
        """The scheduler process."""

    @scheduler_group.command("run")
    @click.option("--run-for", type=float, default=None, help="Stop after this many seconds.")
    @click.option("--lease-seconds", type=int, default=30, show_default=True)
    @click.option("--speedup", type=int, default=1, help="Divide interval schedules (tests).")
    def scheduler_run_command(run_for, lease_seconds, speedup):
        """Run the scheduled jobs; a second instance stands by."""
        import logging

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        process = SchedulerProcess(app, lease_seconds=lease_seconds, speedup=speedup)
        click.echo(f"Scheduler {process.holder} starting (lease {lease_seconds}s).")
        process.serve(run_for=run_for)
        click.echo(f"Scheduler {process.holder} stopped.")

    @app.cli.group("jobs")
    def jobs_group():
        """Run one scheduled job now."""

    @jobs_group.command("run")
    @click.argument("name")
    def jobs_run_command(name):
        """Run job NAME once now (sla, notifications, settlement, reconciliation)."""

        try:
            spec = job_named(name)
        except KeyError:
            _fail(f"No job named {name!r}.")
        run = run_job(spec.name, manual_tick(), spec.load(), holder="cli")
        click.echo(f"Job {name}: {run.outcome} {run.counts}")

    @app.cli.group("ledger")
    def ledger_group():
        """Settlement and reconciliation."""

    @ledger_group.command("settle")
    @click.option("--date", "day", default=None, help="YYYY-MM-DD (default: today, Asia/Seoul).")
    def ledger_settle_command(day):
        """Settle every claim approved before the end of DATE into that date's payout batch."""
        from datetime import date as date_cls

        try:
            when = date_cls.fromisoformat(day) if day else None
        except ValueError:
            _fail(f"Not a date: {day!r} (use YYYY-MM-DD).")

        def progress(done: int, total: int) -> None:
            click.echo(f"  settled {done:,}/{total:,} claims", err=True)

        try:
            batch = settle_for_date(when, progress=progress)
        except ValidationFailed as error:
            _fail("; ".join(m for ms in error.errors.values() for m in ms))
        click.echo(
            f"Batch {batch.id} for {batch.batch_date}: {batch.claims_settled:,} claims, "
            f"{batch.amount:,} won settled ({batch.status})."
        )

    @ledger_group.command("verify")
    def ledger_verify_command():
        """Exit 0 when every ledger invariant holds; 1 and the breaches otherwise."""

        ok, checks = reconcile()
        for check in checks:
            click.echo(f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
        if not ok:
            _fail(f"Ledger verification failed: {sum(not c.ok for c in checks)} breach(es).")
        click.echo(f"Ledger ok: {len(checks)} checks passed.")

    @app.cli.command("backup")
    @click.option("--output", type=click.Path(), default=None, help="File to write.")
    def backup_command(output):
        """Back up the database (SQLite: online backup; PostgreSQL: pg_dump)."""
        from pathlib import Path

        url = app.config["SQLALCHEMY_DATABASE_URI"]
        target = (
            Path(output) if output else default_target(url, Path(app.instance_path) / "backups")
        )
        if url.startswith("sqlite"):

            def progress(done: int, total: int) -> None:
                click.echo(f"  copied {done:,}/{total:,} pages", err=True)

            size = backup_sqlite(url, target, progress)
        elif url.startswith("postgresql"):
            click.echo("  running pg_dump…", err=True)
            size = backup_postgresql(url, target)
        else:
            _fail(f"No backup method for {url.split(':')[0]}.")
        click.echo(f"Backup written: {target} ({size:,} bytes).")

    @app.cli.group("audit")
    def audit_group():
        """Audit log tools."""

    @audit_group.command("verify")
    def audit_verify_command():
        """Exit 0 when the hash chain is whole, 1 and the first broken link otherwise."""

        count, broken = verify_chain()
        if broken is not None:
            _fail(f"Broken link at audit event {broken[0]}: {broken[1]} ({count} events read).")
        click.echo(f"Audit chain ok: {count} events verified.")
