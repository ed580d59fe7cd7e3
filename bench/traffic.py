"""Mixed API traffic for the load-with-faults run: firms, managers, Meisters, a reader.

Every request is logged (time, method, path, status). Every acknowledged write (2xx)
is kept with the id it created or changed, so the run can check afterwards that each
one is in the database. Tickets move through a shared board: whoever acts next on a
ticket finds it in their queue; after any failure the ticket is looked up again and
routed by its real status, as a client that lost an answer would do.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import uuid
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")
CATEGORIES = ("breakdown", "defect", "upgrade", "component_replacement")
SEVERITIES = ("critical", "high", "normal", "low")
COST_LINES = [
    {"kind": "labour", "description": "점검·수리 인건비", "quantity": 2, "unit_price": 60_000},
    {"kind": "parts", "description": "센서 교체 부품", "quantity": 1, "unit_price": 80_000},
    {"kind": "travel", "description": "출장 교통비", "quantity": 1, "unit_price": 30_000},
]
MAX_OPEN_TICKETS = 40  # firms stop filing while this many are still on their way
THINK_SECONDS = 0.02  # each client pauses between requests, like a person or a batch


@dataclass
class Record:
    sent: float  # time.time() when the request left
    done: float  # when the answer (or the error) came back
    actor: str
    method: str
    path: str
    status: int | None  # None: no HTTP answer (connection refused, reset, timeout)
    error: str = ""
    replayed: bool = False


@dataclass
class Log:
    """Every request, and every acknowledged write by kind."""

    records: list[Record] = field(default_factory=list)
    acks: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    retries: Counter = field(default_factory=Counter)  # money calls resent with the same key
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, record: Record) -> None:
        with self.lock:
            self.records.append(record)

    def ack(self, kind: str, **values) -> None:
        with self.lock:
            self.acks[kind].append({**values, "at": time.time()})


class Client:
    """One API user: a bearer token, a fresh connection per request (gunicorn sync)."""

    def __init__(self, port: int, token: str, actor: str, log: Log) -> None:
        self.port, self.token, self.actor, self.log = port, token, actor, log

    def call(
        self, method: str, path: str, body: dict | None = None, key: str | None = None
    ) -> tuple[int | None, dict | list | None]:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        sent = time.time()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request(method, f"/api/v1{path}", payload, headers)
            response = conn.getresponse()
            raw = response.read()
            replayed = response.getheader("Idempotent-Replayed") == "true"
        except (OSError, http.client.HTTPException) as error:
            self.log.add(
                Record(sent, time.time(), self.actor, method, path, None, type(error).__name__)
            )
            return None, None
        finally:
            conn.close()
        self.log.add(
            Record(sent, time.time(), self.actor, method, path, response.status, "", replayed)
        )
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        return response.status, data

    def get(self, path: str) -> tuple[int | None, dict | list | None]:
        """GETs are safe to repeat: retry a lost answer a few times."""
        for attempt in range(4):
            status, data = self.call("GET", path)
            if status is not None and status < 500:
                return status, data
            time.sleep(0.3 * (attempt + 1))
        return status, data


def issue_token(port: int, email: str, password: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    body = json.dumps({"email": email, "password": password})
    conn.request("POST", "/api/v1/tokens", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    data = json.loads(response.read())
    conn.close()
    if response.status != 201:
        raise RuntimeError(f"no token for {email}: {response.status} {data}")
    return data["token"]


class Board:
    """Queues of work per actor ('manager', 'meister:<id>', 'firm:<id>'), with retry delays."""

    def __init__(self) -> None:
        self.queues: dict[str, deque] = defaultdict(deque)
        self.lock = threading.Lock()
        self.filed = 0
        self.finished: set[int] = set()

    @property
    def open_tickets(self) -> int:
        return self.filed - len(self.finished)

    def put(self, key: str, item: tuple, delay: float = 0.0) -> None:
        with self.lock:
            self.queues[key].append((time.monotonic() + delay, item))

    def take(self, key: str) -> tuple | None:
        with self.lock:
            queue = self.queues[key]
            for _ in range(len(queue)):
                ready, item = queue.popleft()
                if ready <= time.monotonic():
                    return item
                queue.append((ready, item))
        return None

    def file(self) -> None:
        with self.lock:
            self.filed += 1

    def route(self, ticket: dict) -> None:
        """Queue a ticket for whoever acts next, judged by its status."""
        status, ticket_id = ticket["status"], ticket["id"]
        if status in ("submitted", "triaged"):
            self.put("manager", ("ticket", ticket_id))
        elif status in ("assigned", "in_progress"):
            self.put(f"meister:{ticket['meister_id']}", ("ticket", ticket_id))
        elif status == "resolved":
            self.put(f"firm:{ticket['firm_id']}", ("ticket", ticket_id))
        elif status == "confirmed" and (ticket.get("claim") or {}).get("status") == "pending":
            self.put("manager", ("claim", ticket["claim"]["id"]))
            self.finished.add(ticket_id)
        else:
            self.finished.add(ticket_id)  # closed, cancelled, rejected, or a claim decided


class Traffic:
    """The actors; `run(seconds)` drives them from threads until the time is up."""

    def __init__(self, port: int, log: Log, tokens: dict[str, str], users: dict) -> None:
        self.port, self.log = port, log
        self.board = Board()
        self.stop = threading.Event()
        self.manager = Client(port, tokens["manager"], "manager", log)
        # triages, and confirms the manager's settlement requests (four eyes, SPEC §11)
        self.second_manager = Client(port, tokens["second_manager"], "second_manager", log)
        self.firms = {
            firm_id: Client(port, tokens[f"firm:{firm_id}"], f"firm:{firm_id}", log)
            for firm_id in users["firms"]
        }
        self.meisters = {
            uid: Client(port, tokens[f"meister:{uid}"], f"meister:{uid}", log)
            for uid in users["meisters"]
        }
        self.reader = Client(port, tokens["auditor"], "auditor", log)
        self.approve_keys: dict[int, str] = {}
        self.approve_attempts: dict[int, int] = defaultdict(int)
        self.visited: set[int] = set()
        self.ticket_ids: list[int] = []
        self.counter = 0
        self.lock = threading.Lock()

    # -- helpers -------------------------------------------------------------------

    def pause(self) -> None:
        self.stop.wait(THINK_SECONDS)

    def resync(self, ticket_id: int, delay: float = 0.5) -> None:
        """After a lost or refused answer: look the ticket up and route it by its status."""
        status, ticket = self.manager.get(f"/tickets/{ticket_id}")
        if status == 200:
            self.board.route(ticket)
        else:
            self.board.put("manager", ("ticket", ticket_id), delay)

    def next_title(self, actor: str) -> str:
        with self.lock:
            self.counter += 1
            return f"[faults {uuid.uuid4().hex[:8]}] {actor} 설비 점검 요청 {self.counter}"

    # -- firms ---------------------------------------------------------------------

    def file_ticket(self, firm_id: int, client: Client) -> None:
        category = random.choice(CATEGORIES)
        title = self.next_title(client.actor)
        body = {
            "category": category,
            "severity": random.choice(SEVERITIES),
            "title": title,
            "description": "생산 라인 MES 연동 장애로 설비 점검이 필요합니다.",
            "system": "MES",
            "tags": ["faults"],
        }
        status, ticket = client.call("POST", "/tickets", body)
        if status == 201:
            self.log.ack("ticket", id=ticket["id"], firm_id=firm_id, title=title)
            with self.lock:
                self.ticket_ids.append(ticket["id"])
            self.board.file()
            self.board.route(ticket)

    def confirm(self, ticket_id: int, client: Client) -> None:
        status, ticket = client.call("POST", f"/tickets/{ticket_id}/confirm", {"rating": 5})
        if status == 200:
            claim = ticket.get("claim") or {}
            self.log.ack("transition", ticket_id=ticket_id, to_status="confirmed")
            self.log.ack("claim", ticket_id=ticket_id, id=claim.get("id"))
            self.board.route(ticket)
        else:
            self.resync(ticket_id)

    def firm_loop(self, firm_ids: list[int]) -> None:
        while not self.stop.is_set():
            for firm_id in firm_ids:
                client = self.firms[firm_id]
                item = self.board.take(f"firm:{firm_id}")
                if item is not None:
                    self.confirm(item[1], client)
                elif self.board.open_tickets < MAX_OPEN_TICKETS:
                    self.file_ticket(firm_id, client)
                else:
                    client.get("/tickets?limit=10")
                self.pause()

    # -- managers ------------------------------------------------------------------

    def triage_or_assign(self, ticket_id: int) -> None:
        status, ticket = self.manager.get(f"/tickets/{ticket_id}")
        if status != 200:
            self.board.put("manager", ("ticket", ticket_id), 0.5)
            return
        if ticket["status"] == "submitted":
            body = {"decision": "accept", "override_reason": "부하 시험용 예외 승인"}
            # The second manager triages: who overrides eligibility may not approve (SPEC §11).
            status, answer = self.second_manager.call("POST", f"/tickets/{ticket_id}/triage", body)
            action, target = "triage", "triaged"
        elif ticket["status"] == "triaged":
            status, suggestions = self.manager.get(f"/tickets/{ticket_id}/suggested-meisters")
            if status != 200 or not suggestions:
                self.board.put("manager", ("ticket", ticket_id), 1.0)
                return
            body = {"meister_id": suggestions[0]["meister_id"]}
            status, answer = self.manager.call("POST", f"/tickets/{ticket_id}/assign", body)
            action, target = "assign", "assigned"
        else:
            self.board.route(ticket)
            return
        if status == 200:
            self.log.ack("transition", ticket_id=ticket_id, to_status=target, action=action)
            self.board.route(answer)
        else:
            self.resync(ticket_id)

    def approve(self, claim_id: int) -> None:
        """Approve with an Idempotency-Key; a lost answer is retried with the SAME key."""
        key = self.approve_keys.setdefault(claim_id, f"approve-{claim_id}-{uuid.uuid4().hex}")
        for attempt in range(5):
            if attempt or claim_id in self.approve_attempts:
                self.log.retries["approve"] += 1
            status, claim = self.manager.call("POST", f"/claims/{claim_id}/approve", {}, key)
            if status == 200:
                self.log.ack(
                    "approval",
                    claim_id=claim_id,
                    status=claim["status"],
                    government_share=claim["government_share"],
                )
                return
            if status is not None and status < 500:
                break
            time.sleep(0.5 * (attempt + 1))
        status, claim = self.manager.get(f"/claims/{claim_id}")
        self.approve_attempts[claim_id] += 1
        if status == 200 and claim["status"] == "pending" and self.approve_attempts[claim_id] < 5:
            self.board.put("manager", ("claim", claim_id), 1.0)

    def manager_loop(self) -> None:
        while not self.stop.is_set():
            item = self.board.take("manager")
            if item is None:
                self.manager.get("/claims?status=pending&limit=10")
            elif item[0] == "ticket":
                self.triage_or_assign(item[1])
            else:
                self.approve(item[1])
            self.pause()

    def settle(self) -> dict | None:
        """Ask for today's settlement, and confirm it as the second manager; each call is
        retried after a lost answer with the same key. The batch's figures, or None."""
        sent = time.time()
        asked = self._retried(self.manager, "POST", "/ledger/settlements", 202)
        if asked is None:
            return None
        path = f"/approval-requests/{asked['id']}/confirm"
        done = self._retried(self.second_manager, "POST", path, 200)
        if done is None:
            return None
        batch = done["result"]
        self.log.ack("settlement", sent=sent, **batch)
        return batch

    def _retried(self, client: Client, method: str, path: str, expected: int) -> dict | None:
        key = f"settle-{uuid.uuid4().hex}"
        for attempt in range(6):
            if attempt:
                self.log.retries["settle"] += 1
            status, answer = client.call(method, path, {}, key)
            if status == expected:
                return answer
            time.sleep(0.5 * (attempt + 1))
        return None

    # -- Meisters ------------------------------------------------------------------

    def work(self, ticket_id: int, client: Client) -> None:
        status, ticket = client.get(f"/tickets/{ticket_id}")
        if status != 200:
            self.resync(ticket_id)
            return
        if ticket["status"] == "assigned":
            status, answer = client.call("POST", f"/tickets/{ticket_id}/accept")
            target = "in_progress"
        elif ticket["status"] == "in_progress":
            if ticket_id not in self.visited and not self.log_visit(ticket_id, client):
                self.resync(ticket_id)
                return
            body = {"summary": "센서 교체 및 PLC 파라미터 재설정으로 복구 완료."}
            status, answer = client.call("POST", f"/tickets/{ticket_id}/resolve", body)
            target = "resolved"
        else:
            self.resync(ticket_id)
            return
        if status == 200:
            self.log.ack("transition", ticket_id=ticket_id, to_status=target)
            self.board.route(answer)
        else:
            self.resync(ticket_id)

    def log_visit(self, ticket_id: int, client: Client) -> bool:
        body = {
            "visited_on": datetime.now(UTC).astimezone(SEOUL).date().isoformat(),
            "hours": 2.5,
            "notes": "현장 방문 점검",
            "cost_lines": COST_LINES,
        }
        status, visit = client.call("POST", f"/tickets/{ticket_id}/visits", body)
        if status != 201:
            return False
        self.visited.add(ticket_id)
        self.log.ack("visit", id=visit["id"], ticket_id=ticket_id, lines=len(COST_LINES))
        return True

    def meister_loop(self, meister_ids: list[int]) -> None:
        while not self.stop.is_set():
            for uid in meister_ids:
                item = self.board.take(f"meister:{uid}")
                if item is not None:
                    self.work(item[1], self.meisters[uid])
                else:
                    self.meisters[uid].get("/tickets?status=assigned&limit=10")
                self.pause()

    # -- read traffic ----------------------------------------------------------------

    def reader_loop(self) -> None:
        paths = ["/tickets?limit=25", "/claims?limit=25", "/ledger/pool", "/me"]
        while not self.stop.is_set():
            with self.lock:
                known = random.choice(self.ticket_ids) if self.ticket_ids else None
            path = random.choice(paths)
            if known is not None and random.random() < 0.4:
                path = f"/tickets/{known}/history"
            self.reader.get(path)
            self.pause()

    # -- driver ----------------------------------------------------------------------

    def threads(self) -> list[threading.Thread]:
        firm_ids = sorted(self.firms)
        meister_ids = sorted(self.meisters)
        groups = [(self.firm_loop, [firm_ids[i::3]]) for i in range(3) if firm_ids[i::3]] + [
            (self.meister_loop, [meister_ids[i::3]]) for i in range(3) if meister_ids[i::3]
        ]
        groups += [(self.manager_loop, []), (self.manager_loop, []), (self.reader_loop, [])]
        return [
            threading.Thread(target=target, args=args, daemon=True, name=f"traffic-{n}")
            for n, (target, args) in enumerate(groups)
        ]
