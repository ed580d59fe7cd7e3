"""Database set-up per dialect: the one place that knows how a transaction begins.

SQLite has one writer. A service that reads a balance and then writes it must hold
the write lock from its first read, or two writers could both read the same balance.
So on SQLite every transaction begins with BEGIN IMMEDIATE, except the transactions
of safe requests (GET, HEAD, OPTIONS), which only read and begin with a plain BEGIN
so that readers never queue behind a writer (WAL lets them read beside it).
No service calls anything first: the engine event below decides.

PostgreSQL needs nothing here: it uses row locks (SELECT … FOR UPDATE) and
conditional updates, in the lock order the ledger documents.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from aftercare.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 30_000
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def configure_engine(engine: Engine) -> None:
    """SQLite: pragmas on connect and BEGIN IMMEDIATE for writing transactions."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the "begin" event below issues BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # each statement on its own (a checkpoint, VACUUM): no transaction
        conn.exec_driver_sql("BEGIN" if _reads_only() else "BEGIN IMMEDIATE")


def end_read_requests_with_commit(app: Any) -> None:
    """A safe request's transaction ends with COMMIT, not ROLLBACK (both databases).

    psycopg 3 forgets every prepared statement of a connection on ROLLBACK (it sends
    DEALLOCATE ALL and resets its use counts), so when every request ends in ROLLBACK
    no statement is ever prepared and PostgreSQL parses and plans each query of each
    request: measured on the bench data, the server's CPU per ticket-detail call fell
    from about 0.8 ms to 0.3 ms with COMMIT. A safe request only reads, so COMMIT ends
    the same transaction; on SQLite the two are alike. A request that failed, or that
    left changes in the session (a bug in a GET), still ends in ROLLBACK.
    """

    @app.teardown_request
    def _commit_reads(error: BaseException | None) -> None:
        if error is not None or request.method not in SAFE_METHODS:
            return
        session = db.session()  # the request's Session (not the scoped proxy)
        if not (session.new or session.dirty or session.deleted):
            session.commit_read()


def _reads_only() -> bool:
    """Whether this transaction serves a safe request (which reads only)."""
    return has_request_context() and request.method in SAFE_METHODS


# The tables settlement and reconciliation read in bulk.
LEDGER_TABLES = ("claim", "ledger_transaction", "ledger_posting", "payout_line", "firm_usage")


def refresh_statistics(*tables: str) -> None:
    """Let the query planner see today's table sizes (all tables when none are named).

    Statistics taken while the ledger was nearly empty made both databases scan the
    ledger once per claim after a bulk load, before autovacuum caught up. ANALYZE
    samples a bounded number of rows, so this costs well under a second.
    """
    for table in tables or (None,):
        db.session.execute(text(f"ANALYZE {table}" if table else "ANALYZE"))
    db.session.commit()
