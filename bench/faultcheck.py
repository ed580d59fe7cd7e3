"""After the load-with-faults run: compare what clients were told with the database.

Each check adds an ok/FAIL line to the report; any failure fails the run.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import bindparam, create_engine, text

from bench.traffic import Log, Record


@dataclass
class Windows:
    """When the faults happened (time.time() seconds)."""

    restart: tuple[float, float] | None = None  # PostgreSQL stopped … back up + grace
    kill: tuple[float, float] | None = None  # worker SIGKILLed … replacement up + grace

    def in_restart(self, record: Record) -> bool:
        return _overlaps(record, self.restart)

    def in_any(self, record: Record) -> bool:
        return _overlaps(record, self.restart) or _overlaps(record, self.kill)

    def run_in_restart(self, started: datetime, finished: datetime | None) -> bool:
        """Whether a job run (naive UTC) overlaps the restart; an unfinished run never ended."""
        if self.restart is None:
            return False
        end = _epoch(finished) if finished is not None else float("inf")
        return _epoch(started) <= self.restart[1] and end >= self.restart[0]


def _overlaps(record: Record, window: tuple[float, float] | None) -> bool:
    return window is not None and record.sent <= window[1] and record.done >= window[0]


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    records_checked: int = 0

    def check(self, ok: bool, line: str) -> None:
        self.lines.append(f"{'ok  ' if ok else 'FAIL'} {line}")
        if not ok:
            self.failures.append(line)


def _epoch(naive_utc: datetime) -> float:
    return naive_utc.replace(tzinfo=UTC).timestamp()


def check_requests(log: Log, windows: Windows, report: Report) -> dict:
    """Status classes; 5xx only inside the restart window; no unexpected 4xx."""
    records = log.records
    classes = Counter("conn_error" if r.status is None else f"{r.status // 100}xx" for r in records)
    outside_5xx = [r for r in records if r.status and r.status >= 500 and not windows.in_restart(r)]
    stray_errors = [r for r in records if r.status is None and not windows.in_any(r)]
    unexpected_4xx = Counter(
        (r.status, r.method, re.sub(r"/\d+", "/{id}", r.path))
        for r in records
        if r.status and 400 <= r.status < 500 and r.status != 409
    )
    after = windows.restart[1] if windows.restart else 0
    ok_after = sum(1 for r in records if r.sent > after and r.status and r.status < 300)
    report.check(
        not outside_5xx,
        f"5xx outside the restart window: {len(outside_5xx)}"
        + "".join(f"\n       {r.status} {r.method} {r.path}" for r in outside_5xx[:5]),
    )
    report.check(
        not stray_errors,
        f"connection errors outside the fault windows: {len(stray_errors)}"
        + "".join(f"\n       {r.error} {r.method} {r.path}" for r in stray_errors[:5]),
    )
    report.check(
        not unexpected_4xx, f"4xx other than 409 (a client bug): {dict(unexpected_4xx) or 0}"
    )
    report.check(ok_after > 0, f"2xx answers after the restart window: {ok_after}")
    server_errors = Counter(r.status for r in records if r.status and r.status >= 500)
    report.check(
        True,
        f"inside the restart window: 5xx {dict(server_errors) or 0}; money calls resent "
        f"with the same Idempotency-Key {dict(log.retries) or 0}, answers replayed "
        f"{sum(1 for r in records if r.replayed)}",
    )
    return {
        "requests": len(records),
        "classes": dict(sorted(classes.items())),
        "all_5xx": sum(1 for r in records if r.status and r.status >= 500),
        "outside_5xx": len(outside_5xx),
        "replayed": sum(1 for r in records if r.replayed),
        "conn_errors": classes.get("conn_error", 0),
    }


def _rows(conn, sql: str, ids: Iterable[int]) -> dict:
    ids = sorted(set(ids))
    if not ids:
        return {}
    statement = text(sql).bindparams(bindparam("ids", expanding=True))
    return {row[0]: row for row in conn.execute(statement, {"ids": ids})}


def check_writes(url: str, log: Log, report: Report) -> None:
    """Every acknowledged write is in the database, as the client was told."""
    acks = log.acks
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            _check_tickets(conn, acks["ticket"], report)
            _check_transitions(conn, acks["transition"], report)
            _check_visits(conn, acks["visit"], report)
            _check_claims(conn, acks["claim"], report)
            _check_approvals(conn, acks["approval"], report)
            _check_settlements(conn, acks["settlement"], acks["approval"], report)
    finally:
        engine.dispose()


def _check_tickets(conn, acked: list[dict], report: Report) -> None:
    rows = _rows(
        conn, "SELECT id, firm_id, title FROM ticket WHERE id IN :ids", (a["id"] for a in acked)
    )
    bad = [
        a
        for a in acked
        if a["id"] not in rows or tuple(rows[a["id"]][1:]) != (a["firm_id"], a["title"])
    ]
    report.records_checked += len(acked)
    report.check(
        not bad,
        f"tickets filed (201) present with firm and title: {len(acked) - len(bad)}/{len(acked)}",
    )


def _check_transitions(conn, acked: list[dict], report: Report) -> None:
    pairs = {(a["ticket_id"], a["to_status"]) for a in acked}
    statement = text(
        "SELECT DISTINCT ticket_id, to_status FROM ticket_history WHERE ticket_id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    found = set()
    if pairs:
        found = {tuple(r) for r in conn.execute(statement, {"ids": sorted({p[0] for p in pairs})})}
    missing = pairs - found
    report.records_checked += len(acked)
    by_status = Counter(a["to_status"] for a in acked)
    report.check(
        not missing,
        f"transitions (200) recorded in ticket history: {len(acked) - len(missing)}/{len(acked)} "
        f"{dict(sorted(by_status.items()))}",
    )


def _check_visits(conn, acked: list[dict], report: Report) -> None:
    rows = _rows(
        conn,
        "SELECT v.id, v.ticket_id, COUNT(c.id) FROM visit v LEFT JOIN cost_line c "
        "ON c.visit_id = v.id WHERE v.id IN :ids GROUP BY v.id, v.ticket_id",
        (a["id"] for a in acked),
    )
    bad = [
        a
        for a in acked
        if a["id"] not in rows or tuple(rows[a["id"]][1:]) != (a["ticket_id"], a["lines"])
    ]
    report.records_checked += len(acked)
    report.check(
        not bad, f"visits (201) present with their cost lines: {len(acked) - len(bad)}/{len(acked)}"
    )


def _check_claims(conn, acked: list[dict], report: Report) -> None:
    rows = _rows(
        conn,
        "SELECT id, ticket_id FROM claim WHERE id IN :ids",
        (a["id"] for a in acked if a["id"]),
    )
    bad = [a for a in acked if a["id"] not in rows or rows[a["id"]][1] != a["ticket_id"]]
    report.records_checked += len(acked)
    report.check(
        not bad, f"claims from confirmations present: {len(acked) - len(bad)}/{len(acked)}"
    )


def _check_approvals(conn, acked: list[dict], report: Report) -> None:
    rows = _rows(
        conn,
        "SELECT c.id, c.status, c.government_share, "
        "(SELECT COUNT(*) FROM ledger_transaction t "
        "WHERE t.claim_id = c.id AND t.type = 'reserve') "
        "FROM claim c WHERE c.id IN :ids",
        (a["claim_id"] for a in acked),
    )
    bad = [
        a
        for a in acked
        if a["claim_id"] not in rows
        or rows[a["claim_id"]][1] not in ("approved", "settled")
        or rows[a["claim_id"]][2] != a["government_share"]
        or rows[a["claim_id"]][3] != 1
    ]
    report.records_checked += len(acked)
    report.check(
        not bad,
        f"approvals (200) present, share as answered, one reserve each: "
        f"{len(acked) - len(bad)}/{len(acked)}",
    )


def _check_settlements(conn, acked: list[dict], approvals: list[dict], report: Report) -> None:
    if not acked:
        report.check(False, "settlement: no call was acknowledged")
        return
    first = acked[0]
    same = all(
        (a["batch_id"], a["claims_settled"], a["amount"])
        == (first["batch_id"], first["claims_settled"], first["amount"])
        for a in acked
    )
    batch = conn.execute(
        text("SELECT status, claims_settled, amount FROM payout_batch WHERE id = :id"),
        {"id": first["batch_id"]},
    ).one_or_none()
    settled = (
        conn.execute(
            text("SELECT id FROM claim WHERE batch_id = :id AND status = 'settled'"),
            {"id": first["batch_id"]},
        )
        .scalars()
        .all()
    )
    before = {a["claim_id"] for a in approvals if a["at"] < first["sent"]}
    unsettled = before - set(settled)
    ok = (
        same
        and batch is not None
        and tuple(batch) == ("complete", first["claims_settled"], first["amount"])
        and len(settled) == first["claims_settled"]
        and not unsettled
    )
    report.records_checked += len(acked) + len(settled)
    report.check(
        ok,
        f"settlement batch {first['batch_id']}: {len(settled)} claims, {first['amount']:,} won, "
        f"{len(acked)} calls answered alike; approvals acknowledged before it, all settled: "
        f"{len(before) - len(unsettled)}/{len(before)}",
    )


def check_jobs(url: str, windows: Windows, scheduler_logs: list[Path], report: Report) -> dict:
    """Each job ran at most once per tick, only where the lease was held, and after the restart."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            runs = conn.execute(
                text(
                    "SELECT job, tick, holder, started_at, finished_at, outcome "
                    "FROM job_run ORDER BY id"
                )
            ).all()
            duplicates = conn.execute(
                text(
                    "SELECT job, tick, COUNT(*) FROM job_run GROUP BY job, tick HAVING COUNT(*) > 1"
                )
            ).all()
    finally:
        engine.dispose()
    holders = Counter(r.holder for r in runs)
    per_job = Counter(r.job for r in runs)
    logged = Counter()
    for path in scheduler_logs:
        ok_line = r"aftercare\.jobs\.scheduler job \S+ ok "  # the scheduler's logger
        logged[path.stem] = len(re.findall(ok_line, path.read_text()))
    after_restart = [
        r for r in runs if windows.restart and _epoch(r.started_at) > windows.restart[1]
    ]
    bad_errors = [
        r
        for r in runs
        if r.outcome == "error" and not windows.run_in_restart(r.started_at, r.finished_at)
    ]
    stuck = [r for r in runs if r.outcome == "running"]
    report.records_checked += len(runs)
    report.check(
        not duplicates, f"job runs: {len(runs)} {dict(per_job)}; ticks run twice: {len(duplicates)}"
    )
    finished = sum(1 for r in runs if r.outcome == "ok")
    report.check(
        sum(logged.values()) == finished,
        f"ok runs logged by the schedulers {dict(logged)} = ok job_run rows {finished} "
        f"(holders {dict(holders)})",
    )
    report.check(bool(after_restart), f"job runs after the restart window: {len(after_restart)}")
    report.check(
        not bad_errors and all(windows.run_in_restart(r.started_at, None) for r in stuck),
        f"job runs failed outside the restart window: {len(bad_errors)}; "
        f"left running: {len(stuck)}",
    )
    return {
        "runs": len(runs),
        "duplicates": len(duplicates),
        "per_job": dict(per_job),
        "holders": dict(holders),
    }
