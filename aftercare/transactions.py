"""Database set-up per dialect and the write-transaction helper services call first.

SQLite has one writer: a service that reads then writes must hold the write lock
from its first read (BEGIN IMMEDIATE), or two writers can both read the same
balance. PostgreSQL uses row locks and conditional updates instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from aftercare.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 30_000


def configure_engine(engine: Engine) -> None:
    """Install the SQLite pragmas and explicit BEGIN handling; no-op elsewhere."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        # Straight to the driver: every request begins a transaction, and the engine's
        # statement machinery cost more than the BEGIN itself.
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


def begin_write() -> None:
    """Start the session's transaction as a writer (SQLite: BEGIN IMMEDIATE).

    Any read-only transaction already open (say, the one that loaded the signed-in
    user) is ended first, so the write lock covers every read the service makes.
    """
    session = db.session()  # the request's Session behind the scoped proxy
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            return  # already writing; SQLite took the lock at the first write
        session.rollback()
    session.connection(execution_options={"sqlite_immediate": True})


def commit_keeping(*objects: Any) -> None:
    """Commit, keeping `objects` loaded; everything else expires as after any commit.

    For services that answer with the object they just changed: its state is
    what they wrote, and reloading it would cost a round trip per request.
    """
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    keep = {id(obj) for obj in objects}
    for obj in list(session.identity_map.values()):
        if id(obj) not in keep:
            session.expire(obj)


# The tables settlement and reconciliation read in bulk.
LEDGER_TABLES = ("claim", "ledger_transaction", "ledger_posting", "payout_line", "firm_usage")


def refresh_statistics(*tables: str) -> None:
    """Let the query planner see today's table sizes (all tables when none are named).

    Statistics taken while the ledger was nearly empty made both databases scan the
    ledger once per claim: `ledger verify` ran for minutes at 100,000 claims, and
    settlement on PostgreSQL took minutes, before autovacuum caught up after a bulk
    load. ANALYZE samples a bounded number of rows, so this costs well under a second.
    """
    for table in tables or (None,):
        db.session.execute(text(f"ANALYZE {table}" if table else "ANALYZE"))
    db.session.commit()
