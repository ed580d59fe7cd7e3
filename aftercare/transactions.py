"""Database set-up per dialect and the write-transaction helper services call first.

SQLite has one writer: a service that reads then writes must hold the write lock
from its first read (BEGIN IMMEDIATE), or two writers can both read the same
balance. PostgreSQL uses row locks and conditional updates instead.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Response, request
from sqlalchemy import event, exc, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler

from aftercare.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 30_000


def configure_engine(engine: Engine, ping_after_idle: float) -> None:
    """Write tracking; a server's idle ping; PostgreSQL: literal limits; SQLite: pragmas."""
    _track_writes(engine)
    if engine.dialect.name == "postgresql":
        engine.dialect.statement_compiler = _literal_limits(engine.dialect.statement_compiler)
    if engine.dialect.name != "sqlite":
        _ping_when_idle(engine, ping_after_idle)
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


IDLE_SINCE = "aftercare_idle_since"  # on a pooled connection's info: when it was checked in


def _ping_when_idle(engine: Engine, seconds: float) -> None:
    """Ping a pooled connection before use only when it sat idle for `seconds` or more.

    A connection dies while it waits in the pool (a server restart, a firewall's idle
    timeout); SQLAlchemy's pre-ping finds that out with a round trip at every checkout,
    which was a tenth of a busy worker's time on a kept ticket list. A connection used a
    moment ago by the same worker is as good as its last statement. A server restart
    between two uses that close together fails that one request, and, as for any lost
    connection, the pool then replaces every connection it holds.
    """

    @event.listens_for(engine, "checkin")
    def _idle(_dbapi_connection: Any, record: Any) -> None:
        record.info[IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(IDLE_SINCE)  # a fresh connection has none
        if idle_since is None or time.monotonic() - idle_since < seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool drops this connection and checks out a fresh one.
            raise exc.DisconnectionError("the pooled connection is gone") from error


def _literal_limits(compiler: type[SQLCompiler]) -> type[SQLCompiler]:
    """The dialect's compiler, writing LIMIT and OFFSET values into the SQL text.

    PostgreSQL plans a prepared `… LIMIT $1` afresh on every execution: its generic
    plan, costed for an unknown limit, never beats a custom one, and planning the
    ticket list cost twice as long as running it. With the number in the text it
    keeps one plan. Statements stay cached: the value is rendered at execution
    (SQLAlchemy's `literal_execute`), and a limit is an integer, never user text.
    """

    class LiteralLimitCompiler(compiler):  # type: ignore[misc, valid-type]
        def limit_clause(self, select: Any, **kw: Any) -> str:
            return super().limit_clause(select, **{**kw, "literal_execute": True})

    return LiteralLimitCompiler


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
    _commit_without_expiring(session)
    keep = {id(obj) for obj in objects}
    for obj in list(session.identity_map.values()):
        if id(obj) not in keep:
            session.expire(obj)


# Set on a connection's info when its transaction sent anything but a SELECT.
WROTE = "aftercare_wrote"


def _track_writes(engine: Engine) -> None:
    """Note on each connection whether its current transaction has sent a write."""

    @event.listens_for(engine, "begin")
    def _fresh(conn: Any) -> None:
        conn.info[WROTE] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _note(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip()[:6].upper() != "SELECT":
            if conn.get_execution_options().get(READ_ONLY):
                raise RuntimeError(f"{request.endpoint} is read-only, yet it sent: {statement}")
            conn.info[WROTE] = True  # DML, DDL, WITH … (maybe data-modifying), anything


# Reads that only ever send SELECTs, and show nothing that needs one snapshot across
# statements. On PostgreSQL they run without a transaction: BEGIN and COMMIT were two
# of a list request's five round trips. Each statement then reads what is committed
# when it starts, as it would under READ COMMITTED in a transaction.
READ_ONLY_ENDPOINTS = frozenset(
    {"tickets.index", "tickets_api.list_tickets", "tickets_api.get_ticket"}
)
READ_ONLY = "aftercare_read_only"  # the execution option marking such a request's connection
READ_OPTIONS = {"isolation_level": "AUTOCOMMIT", READ_ONLY: True}  # a listed read's connection


def reads_without_transaction() -> bool:
    """Whether this request is a listed read on PostgreSQL, its session not yet in use.

    A session already in a transaction (a test's, shared with its requests) keeps it.
    """
    return (
        request.endpoint in READ_ONLY_ENDPOINTS
        and request.method in ("GET", "HEAD")
        and db.engine.dialect.name == "postgresql"
        and not db.session().in_transaction()
    )


def read_connection() -> Connection:
    """A pooled connection of its own in autocommit, marked read-only (close it after)."""
    return db.engine.connect().execution_options(**READ_OPTIONS)


def begin_read() -> None:
    """Before a read-only endpoint's first statement on PostgreSQL: the session's
    connection in autocommit.

    Pages call it before anything (the user loader reads in the session); the API
    finds its caller on a connection of its own, and its kept answers call it only
    when they render. Anything but a SELECT on it raises (see `_track_writes`): the
    endpoint was misfiled, and no write may commit by itself statement by statement.
    """
    if reads_without_transaction():
        db.session.connection(execution_options=READ_OPTIONS)


def reading() -> bool:
    """Whether this request's session reads in autocommit (`begin_read` began it)."""
    session = db.session()
    return session.in_transaction() and _read_only(session)


def end_read(response: Response) -> Response:
    """After a successful GET or HEAD, end its transaction with COMMIT, not ROLLBACK.

    A read wrote nothing, so both end it alike for the data; but psycopg forgets
    every prepared statement on a ROLLBACK, so PostgreSQL parsed and planned each
    statement of every page afresh (planning the ticket list took longer than
    running it). Only a transaction that sent nothing but SELECTs and holds no
    pending ORM changes is committed: anything a request wrote and left
    uncommitted, and every error answer, still rolls back.
    """
    if request.method not in ("GET", "HEAD") or response.status_code >= 400:
        return response
    session = db.session()
    if session.in_transaction() and not _wrote(session):
        _commit_without_expiring(session)  # the page is rendered: nothing reads them again
    return response


def has_written() -> bool:
    """Whether the request's open transaction holds or has sent a write.

    What it renders then shows its own uncommitted data, which no one else may see.
    """
    session = db.session()
    if not session.in_transaction():
        return bool(session.new or session.dirty or session.deleted)
    if _read_only(session):
        return False  # a write on it raises: nothing can be pending
    return _wrote(session)


def _read_only(session: Session) -> bool:
    return bool(session.connection().get_execution_options().get(READ_ONLY))


def _wrote(session: Session) -> bool:
    if session.new or session.dirty or session.deleted:
        return True
    return session.connection().info.get(WROTE, True)


def _commit_without_expiring(session: Session) -> None:
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


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
