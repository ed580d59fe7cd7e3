"""Command-line entry points (`flask --app wsgi ...`)."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app

from aftercare.audit.checkpoints import (
    UNREADABLE,
    CheckpointProblem,
    checkpoint_dir,
    run_checkpoint_job,
    verify_checkpoints,
)
from aftercare.audit.services import committed_head, verify_chain
from aftercare.auth.services import create_user
from aftercare.cli.backup import backup_postgresql, backup_sqlite, default_target
from aftercare.cli.db_roles import grant_statements
from aftercare.cli.demo_seed import seed_demo
from aftercare.domain.audit_chain import (
    BAD_SIGNATURE,
    HASH_MISMATCH,
    LEGACY_AFTER_HMAC,
    PREV_MISMATCH,
    REWRITTEN_EVENT,
    TRUNCATED_TAIL,
    UNKNOWN_SCHEME,
)
from aftercare.domain.errors import DomainError, ValidationFailed
from aftercare.extensions import db
from aftercare.jobs.registry import job_named
from aftercare.jobs.runner import manual_tick, run_job
from aftercare.jobs.scheduler import SchedulerProcess
from aftercare.payouts.reconciliation import reconcile
from aftercare.payouts.settlement import settle_for_date

# Korean first, English second: what `flask audit verify` says about each reason.
REASON_WORDS = {
    PREV_MISMATCH: (
        "앞 이벤트와의 고리가 맞지 않습니다",
        "its link to the previous event does not match",
    ),
    HASH_MISMATCH: (
        "기록된 뒤 내용이 바뀌었거나 AUDIT_KEY가 다릅니다",
        "hash does not match the event's content (edited, or another AUDIT_KEY)",
    ),
    LEGACY_AFTER_HMAC: (
        "HMAC 이벤트 뒤에 키 없이 만든 SHA-256 이벤트가 있습니다",
        "a plain SHA-256 event follows HMAC events (written without the key)",
    ),
    UNKNOWN_SCHEME: ("알 수 없는 해시 방식입니다", "unknown hash scheme"),
    BAD_SIGNATURE: (
        "서명이 맞지 않습니다(파일이 바뀌었거나 AUDIT_KEY가 다릅니다)",
        "signature does not match (file edited, or another AUDIT_KEY)",
    ),
    TRUNCATED_TAIL: (
        "체인이 이 순번 앞에서 끝납니다: 끝부분이 잘렸습니다",
        "the chain ends before this sequence: its tail was cut off",
    ),
    REWRITTEN_EVENT: (
        "이 순번 이벤트의 해시가 다릅니다: 이벤트가 다시 쓰였습니다",
        "the event at this sequence has another hash: it was rewritten",
    ),
    UNREADABLE: ("파일을 읽을 수 없습니다", "the file cannot be read"),
}


def _checkpoint_line(problem: CheckpointProblem) -> str:
    korean, english = REASON_WORDS[problem.why]
    seq = "?" if problem.sequence is None else problem.sequence
    return (
        f"체크포인트 {problem.name}(순번 {seq}): {korean} / "
        f"checkpoint {problem.name} (sequence {seq}): {english}"
    )


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
        """Run job NAME once now (sla, notifications, settlement, reconciliation, …)."""

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
        """Exit 0 when the chain and every checkpoint agree; 1 and what disagrees otherwise."""

        click.echo("  감사 체인 검사 중… / checking the audit chain…", err=True)
        count, broken = verify_chain()
        checked, problems = verify_checkpoints()
        head = committed_head()
        failed = broken is not None or bool(problems)
        if broken is not None:
            korean, english = REASON_WORDS[broken[1]]
            click.echo(
                f"감사 이벤트 {broken[0]}에서 체인이 끊어졌습니다: {korean}"
                f"(이벤트 {count}건 읽음) / "
                f"Broken link at audit event {broken[0]}: {english} ({count} events read).",
                err=True,
            )
        for problem in problems:
            click.echo(_checkpoint_line(problem), err=True)
        if failed:
            _fail(
                f"감사 검증 실패: 체인 끝 순번 {head.id}, 체크포인트 {checked}개 중 문제 "
                f"{len(problems)}건 / Audit verification failed: chain head at sequence "
                f"{head.id}, {len(problems)} problem(s) in {checked} checkpoint(s)."
            )
        if checked == 0:
            click.echo(
                f"감사 체인 정상: 이벤트 {count}건 확인, 체크포인트 없음"
                f"(`flask audit checkpoint`로 만드세요) / Audit chain ok: {count} events "
                f"verified, no checkpoints yet (write one with `flask audit checkpoint`)."
            )
            return
        click.echo(
            f"감사 체인 정상: 이벤트 {count}건 확인, 체크포인트 {checked}개 일치 / "
            f"Audit chain ok: {count} events verified, {checked} checkpoint(s) match."
        )

    @audit_group.command("checkpoint")
    def audit_checkpoint_command():
        """Write a signed checkpoint of the chain's head now (recorded as a job run)."""

        click.echo(f"  체크포인트 쓰는 중: {checkpoint_dir()} / writing a checkpoint…", err=True)
        try:
            run = run_job("audit_checkpoint", manual_tick(), run_checkpoint_job, holder="cli")
        except OSError as error:
            _fail(f"체크포인트를 쓸 수 없습니다 / Cannot write the checkpoint: {error}")
        sequence, name = run.counts["sequence"], run.counts["file"]
        click.echo(
            f"체크포인트 기록: 순번 {sequence}, {name} / Checkpoint written: sequence {sequence}, "
            f"{name}."
        )

    @app.cli.group("db-roles")
    def db_roles_group():
        """Database roles (PostgreSQL): the app runs as a role that owns no table."""

    @db_roles_group.command("grant")
    @click.option("--role", required=True, help="The application's login role.")
    @click.option("--print", "print_only", is_flag=True, help="Print the SQL; change nothing.")
    def db_roles_grant_command(role, print_only):
        """Grant ROLE what the app needs: no DDL, and audit/ledger rows insert-only."""

        if db.engine.dialect.name != "postgresql":
            _fail(
                "데이터베이스 역할은 PostgreSQL에만 있습니다 / "
                "Database roles exist on PostgreSQL only."
            )
        try:
            statements = grant_statements(db.engine, role)
        except ValueError as error:
            _fail(str(error))
        if print_only:
            click.echo(";\n".join(statements) + ";")
            return
        with db.engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
        click.echo(
            f"역할 {role}에 권한 {len(statements)}건을 주었습니다 / "
            f"Granted {len(statements)} statement(s) to role {role}."
        )
