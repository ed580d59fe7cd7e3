"""Command-line entry points (`flask --app wsgi ...`)."""

from __future__ import annotations

import sys

import click
from flask import Flask

from aftercare.domain.errors import DomainError, ValidationFailed


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
        from aftercare.auth.services import create_user

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
    @click.option("--tickets", type=int, default=None, help="How many demo tickets to make.")
    def seed_demo_command(tickets):
        """Load demo data (idempotent)."""
        from aftercare.seed import seed_demo

        seed_demo(tickets=tickets, echo=click.echo)

    @app.cli.group("audit")
    def audit_group():
        """Audit log tools."""

    @audit_group.command("verify")
    def audit_verify_command():
        """Exit 0 when the hash chain is whole, 1 and the first broken link otherwise."""
        from aftercare.audit.services import verify_chain

        count, broken = verify_chain()
        if broken is not None:
            _fail(f"Broken link at audit event {broken[0]}: {broken[1]} ({count} events read).")
        click.echo(f"Audit chain ok: {count} events verified.")
