"""Load with faults: mixed API traffic while PostgreSQL restarts and a web worker dies.

    .venv/bin/python bench/faults.py [--duration 120] [--short]

Everything runs on loopback and is thrown away afterwards: a private PostgreSQL
instance (never the shared cluster on 5432), gunicorn with 4 workers and two
`flask scheduler run` processes (one holds the lease, one stands by). For
`--duration` seconds (30 with `--short`) firms file tickets, managers triage, assign
and approve (Idempotency-Key, retried with the same key), Meisters accept, log visits
with cost lines and resolve, firms confirm, and settlement is called twice. At 1/3
of the window PostgreSQL is stopped and started again; at 2/3 one worker is
SIGKILLed. Then: no 5xx outside the restart window, every acknowledged write in the
database, `flask ledger verify`, `flask audit checkpoint` and `flask audit verify` exit 0,
each job tick ran once. Exit 1 on any failure; the last line is the summary.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import faultcheck  # noqa: E402
from bench.dataset import AUDIT_KEY  # noqa: E402
from bench.privatepg import PrivatePostgres, free_port  # noqa: E402
from bench.traffic import Log, Traffic, issue_token  # noqa: E402

SECRET = "faults-secret-not-for-production-0123456789"
PASSWORD = "aftercare-demo-2021"
WORKERS = 4
PG_DOWN_SECONDS = 3.0
GRACE_SECONDS = 5.0  # after PostgreSQL is back: pools reconnect, in-flight retries finish
SCHEDULER_SPEEDUP = 30  # notifications every 2 s, SLA every 30 s
LEASE_SECONDS = 6
STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[faults {time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def app_env(url: str, root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "AFTERCARE_ENV": "production",
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "AUDIT_KEY": AUDIT_KEY,
        "AUDIT_CHECKPOINT_DIR": str(root / "audit-checkpoints"),  # this run's own
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_ALLOW_MEMORY": "1",  # one host; production refuses memory:// otherwise
        "PYTHONUNBUFFERED": "1",
    }


def flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)


class Processes:
    """Child processes in their own sessions; `close()` stops whatever still runs."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.children: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        out = (self.workdir / f"{name}.log").open("w")
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.children[name] = process
        return process

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        process = self.children.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def close(self) -> None:
        for name in list(self.children):
            self.stop(name, signal.SIGTERM, timeout=10)


def worker_pids(master: int) -> set[int]:
    out = subprocess.run(
        ["ps", "--ppid", str(master), "-o", "pid="], capture_output=True, text=True
    )
    return {int(pid) for pid in out.stdout.split()}


def wait_for_http(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer")


SECOND_MANAGER = "faults-manager2@demo.aftercare.kr"


def prepare_users(url: str) -> dict:
    """One firm login per demo firm; Meisters may carry the load; returns ids and e-mails."""
    from sqlalchemy import select, update

    from aftercare.auth.models import User
    from aftercare.auth.services import create_user
    from aftercare.extensions import db
    from aftercare.firms.models import Firm
    from aftercare.ledger.models import FiscalYear
    from aftercare.meisters.models import MeisterProfile
    from bench.dataset import _app

    app = _app(url)
    with app.app_context():
        firms = db.session.scalars(select(Firm.id).order_by(Firm.id)).all()
        for firm_id in firms:
            create_user(
                None,
                email=f"faults-firm{firm_id}@demo.aftercare.kr",
                name=f"부하시험 {firm_id}",
                password=PASSWORD,
                role="firm",
                firm_id=firm_id,
            )
        db.session.execute(update(MeisterProfile).values(max_load=100))
        # The run approves with one manager (single approvals, as bench/dataset.py does);
        # a second manager confirms the settlement requests (four eyes, SPEC §11).
        db.session.execute(update(FiscalYear).values(second_approval_from=10**13))
        create_user(
            None,
            email=SECOND_MANAGER,
            name="부하시험 운영자",
            password=PASSWORD,
            role="manager",
        )
        db.session.commit()
        meisters = db.session.scalars(
            select(User.id).where(User.role == "meister").order_by(User.id)
        ).all()
        emails = {uid: email for uid, email in db.session.execute(select(User.id, User.email))}
        db.session.remove()
        db.engine.dispose()
    return {"firms": list(firms), "meisters": list(meisters), "emails": emails}


def tokens_for(port: int, users: dict) -> dict[str, str]:
    """Bearer tokens issued once per user: sign-in throttling never meets the load."""
    tokens = {
        "manager": issue_token(port, "manager@demo.aftercare.kr", PASSWORD),
        "auditor": issue_token(port, "auditor@demo.aftercare.kr", PASSWORD),
        "second_manager": issue_token(port, SECOND_MANAGER, PASSWORD),
    }
    for firm_id in users["firms"]:
        tokens[f"firm:{firm_id}"] = issue_token(
            port, f"faults-firm{firm_id}@demo.aftercare.kr", PASSWORD
        )
    for uid in users["meisters"]:
        tokens[f"meister:{uid}"] = issue_token(port, users["emails"][uid], PASSWORD)
    return tokens


def wait_for_leader(url: str, seconds: float = 60) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if conn.execute(text("SELECT COUNT(*) FROM job_run")).scalar():
                    return
            time.sleep(0.5)
    finally:
        engine.dispose()
    raise RuntimeError("no scheduler took the lease")


class Run:
    """One load-with-faults run: set up, drive traffic and faults, verify."""

    def __init__(self, duration: float) -> None:
        self.duration = duration
        self.pg = PrivatePostgres()
        self.procs = Processes(self.pg.root)
        self.port = free_port(5081)
        self.env = app_env(self.pg.url, self.pg.root)
        self.log = Log()
        self.windows = faultcheck.Windows()
        self.faults: list[str] = []

    def setup(self) -> None:
        log(f"private PostgreSQL on 127.0.0.1:{self.pg.port} in {self.pg.root}")
        self.pg.create()
        # The demo seed refuses production (its passwords are known): it is set-up here,
        # not the system under test, so it runs as development on the same database and keys.
        seeding = {**self.env, "AFTERCARE_ENV": "development"}
        for env, args in ((self.env, ("db", "upgrade")), (seeding, ("seed-demo",))):
            done = flask(env, *args)
            if done.returncode:
                raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stderr}")
        users = prepare_users(self.pg.url)
        log(f"seeded: {len(users['firms'])} firm logins, {len(users['meisters'])} Meisters")
        gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
        self.gunicorn = self.procs.start(
            "gunicorn",
            [gunicorn, "--workers", str(WORKERS), "--bind", f"127.0.0.1:{self.port}",
             "--timeout", "30", "--graceful-timeout", "5", "--log-level", "warning", "wsgi:app"],
            self.env,
        )  # fmt: skip
        for name in ("scheduler-a", "scheduler-b"):
            self.procs.start(
                name,
                [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run",
                 "--lease-seconds", str(LEASE_SECONDS), "--speedup", str(SCHEDULER_SPEEDUP)],
                self.env,
            )  # fmt: skip
            time.sleep(1)
        wait_for_http(self.port)
        wait_for_leader(self.pg.url)
        log(f"gunicorn ({WORKERS} workers) on 127.0.0.1:{self.port}; two schedulers, one leads")
        self.traffic = Traffic(self.port, self.log, tokens_for(self.port, users), users)

    def restart_postgres(self) -> None:
        log(f"FAULT: stopping PostgreSQL (fast), down {PG_DOWN_SECONDS:.0f} s")
        began = time.time()
        self.pg.restart(PG_DOWN_SECONDS)
        back = time.time()
        self.windows.restart = (began, back + GRACE_SECONDS)
        self.faults.append("postgresql restart")
        log(f"PostgreSQL back after {back - began:.1f} s")

    def kill_worker(self) -> None:
        before = worker_pids(self.gunicorn.pid)
        victim = sorted(before)[0]
        log(f"FAULT: SIGKILL gunicorn worker {victim}")
        began = time.time()
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = worker_pids(self.gunicorn.pid)
            if victim not in now and len(now) == WORKERS:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not replace the killed worker")
        self.windows.kill = (began, time.time() + 1.0)
        self.faults.append("worker kill")
        log(f"worker replaced by {sorted(now - before)} in {time.time() - began:.1f} s")

    def progress(self) -> None:
        records = self.log.records
        fivexx = sum(1 for r in records if r.status and r.status >= 500)
        errors = sum(1 for r in records if r.status is None)
        acks = {kind: len(items) for kind, items in self.log.acks.items()}
        log(f"{len(records)} requests, {fivexx} 5xx, {errors} connection errors; acks {acks}")

    def drive(self) -> None:
        """Traffic threads for `duration`; faults and settlements at fixed points."""
        threads = self.traffic.threads()
        for thread in threads:
            thread.start()
        start = time.monotonic()
        events = [
            (self.duration / 3, self.restart_postgres),
            (self.duration * 2 / 3, self.kill_worker),
            (self.duration * 0.8, self.settle),
            (self.duration * 0.95, self.settle),
        ]
        next_progress = start + (5 if self.duration <= 40 else 15)
        try:
            while (now := time.monotonic()) < start + self.duration:
                if events and now >= start + events[0][0]:
                    events.pop(0)[1]()
                if now >= next_progress:
                    self.progress()
                    next_progress += 5 if self.duration <= 40 else 15
                time.sleep(0.1)
            for _, action in events:  # a fault must never be skipped by a slow loop
                action()
        finally:
            self.traffic.stop.set()
            for thread in threads:
                thread.join(timeout=30)
        self.progress()

    def settle(self) -> None:
        batch = self.traffic.settle()
        log(f"settlement: {batch}")

    def stop_services(self) -> None:
        for name in ("scheduler-a", "scheduler-b"):
            self.procs.stop(name, signal.SIGINT)  # a clean stop releases the lease
        self.procs.stop("gunicorn", signal.SIGTERM)

    def verify(self) -> tuple[faultcheck.Report, dict, dict]:
        report = faultcheck.Report()
        figures = faultcheck.check_requests(self.log, self.windows, report)
        faultcheck.check_writes(self.pg.url, self.log, report)
        logs = [self.pg.root / "scheduler-a.log", self.pg.root / "scheduler-b.log"]
        jobs = faultcheck.check_jobs(self.pg.url, self.windows, logs, report)
        for args in (("ledger", "verify"), ("audit", "checkpoint"), ("audit", "verify")):
            done = flask(self.env, *args)
            last = (done.stdout.strip().splitlines() or [done.stderr.strip()])[-1]
            report.check(
                done.returncode == 0, f"flask {' '.join(args)}: exit {done.returncode}: {last}"
            )
        report.check(len(self.faults) == 2, f"faults survived: {', '.join(self.faults)}")
        return report, figures, jobs

    def dump_logs(self, lines: int = 25) -> None:
        """The tail of each server log, before the temporary directory goes."""
        for path in sorted(self.pg.root.glob("*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            print(f"--- {path.name} (last {len(tail)} lines)", *tail, sep="\n")

    def close(self) -> None:
        self.procs.close()
        self.pg.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=120, help="seconds of traffic")
    parser.add_argument("--short", action="store_true", help="30 s (CI); faults still happen")
    args = parser.parse_args()
    duration = 30.0 if args.short else args.duration
    # Ctrl-C and SIGTERM unwind through the finally-blocks, which stop and remove
    # everything; SIGINT is set explicitly because a background shell ignores it,
    # and children would inherit the ignore (schedulers stop on SIGINT).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run = Run(duration)
    try:
        run.setup()
        log(f"traffic for {duration:.0f} s")
        run.drive()
        run.stop_services()
        report, figures, jobs = run.verify()
        if report.failures:
            run.dump_logs()
    except Exception:
        run.dump_logs()
        raise
    finally:
        run.close()
    for line in report.lines:
        print(line)
    classes = ", ".join(f"{k} {v}" for k, v in figures["classes"].items())
    verdict = "PASS" if not report.failures else f"FAIL ({len(report.failures)} checks failed)"
    print(
        f"faults {verdict}: {figures['requests']} requests in {duration:.0f} s ({classes}); "
        f"errors: {figures['all_5xx']} 5xx ({figures['outside_5xx']} outside the restart "
        f"window), {figures['conn_errors']} connection errors; faults survived: "
        f"{len(run.faults)} ({', '.join(run.faults)}); records checked: "
        f"{report.records_checked}; job runs: {jobs['runs']}, ticks run twice: "
        f"{jobs['duplicates']}"
    )
    return 1 if report.failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("faults: interrupted; private PostgreSQL and servers stopped", flush=True)
        sys.exit(130)
