"""A programme year of demo tickets for `flask seed-demo`, played through the real services.

Every ticket is filed, triaged, assigned, visited, resolved and confirmed by the same
functions the pages call, and every claim is approved, reviewed, paid for and settled
by them too, so the data obeys the rules (evidence, four eyes, caps, the ledger). The
services stamp "now"; each step's time is then moved back to the ticket's own past
(tickets spread over the last four months), before the next step validates against it.
Only the ledger and the audit chain keep the true time: they are append-only.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from aftercare.auth.models import User
from aftercare.claims.firm_share import confirm_payment, record_payment
from aftercare.claims.models import Claim, FirmPayment
from aftercare.claims.review import review_line
from aftercare.claims.services import approve_claim, reject_claim, void_claim
from aftercare.claims.signoff import confirm_ticket
from aftercare.db import DEFER_COMMIT, utcnow
from aftercare.domain import sla
from aftercare.domain.eligibility import eligibility_findings, is_eligible
from aftercare.domain.errors import Conflict
from aftercare.domain.states import support_type_for
from aftercare.domain.time import SEOUL, seoul_today, to_seoul
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.meisters.assignment import assign_meister
from aftercare.meisters.models import CostLine, Visit
from aftercare.meisters.visits import accept_ticket, log_visit, resolve_ticket
from aftercare.payouts.settlement import settle_for_date
from aftercare.tickets.models import Ticket, TicketHistory
from aftercare.tickets.services import (
    Upload,
    cancel_ticket,
    check_upload,
    file_ticket,
    store_attachment,
    triage_ticket,
)

# How each of the 300 tickets ends: ticket states, then claim states of confirmed work.
# Claims cost the most to play (visits, evidence, review, approval): 60 keep the first
# start near 10 s of CPU and still fill every queue and chart.
PLAN: dict[str, int] = {
    "submitted": 70,
    "rejected": 35,
    "cancelled": 35,
    "triaged": 44,
    "assigned": 20,
    "in_progress": 16,
    "resolved": 20,
    "claim_pending": 12,
    "claim_awaiting_second": 3,
    "claim_approved": 10,
    "claim_rejected": 3,
    "claim_voided": 3,
    "claim_settled": 29,
}
CLAIM_OUTCOMES = {name for name in PLAN if name.startswith("claim_")}
# Open work is recent; paid work older: days before today a ticket's story may end.
RECENT_DAYS = {
    "submitted": (0, 3),
    "triaged": (0, 6),
    "assigned": (0, 6),
    "in_progress": (1, 15),
    "resolved": (0, 10),
    "claim_pending": (1, 25),
    "claim_awaiting_second": (0, 10),
    "claim_approved": (2, 70),
}
HISTORY_START_DAYS = 120
MAX_LOAD = 5  # the demo Meisters' profiles
TICKETS_PER_TRANSACTION = 25

# category → (title, description, tags)
PROBLEMS: dict[str, list[tuple[str, str, list[str]]]] = {
    "breakdown": [
        (
            "PLC 통신 두절로 라인 정지",
            "2호 라인 PLC와 HMI 사이 통신이 끊겨 라인이 멈췄습니다.",
            ["plc", "network"],
        ),
        (
            "사출기 제어반 알람 반복",
            "온도 제어 알람이 반복되어 생산이 자주 중단됩니다.",
            ["plc", "sensor"],
        ),
        ("MES 서버 접속 불가", "현장 단말에서 MES 서버에 접속되지 않습니다.", ["mes", "database"]),
        ("로봇 암 원점 복귀 실패", "용접 로봇이 원점으로 돌아가지 못하고 정지합니다.", ["robot"]),
        ("CNC 스핀들 이상 소음", "3번 CNC 스핀들에서 소음과 진동이 납니다.", ["cnc", "sensor"]),
    ],
    "defect": [
        ("비전 검사 오판정 증가", "양품을 불량으로 판정하는 비율이 늘었습니다.", ["vision"]),
        (
            "SCADA 데이터 누락",
            "야간 근무 중 설비 데이터가 SCADA에 기록되지 않습니다.",
            ["scada", "database"],
        ),
        ("ERP 재고 수량 불일치", "MES 실적과 ERP 재고가 맞지 않습니다.", ["erp", "mes"]),
        ("센서 측정값 편차", "압력 센서 값이 실제와 다르게 표시됩니다.", ["sensor"]),
    ],
    "upgrade": [
        (
            "MES 공정 모듈 고도화",
            "작업지시와 실적 집계를 자동화하는 모듈을 추가합니다.",
            ["mes", "erp"],
        ),
        (
            "비전 검사 카메라 증설",
            "검사 공정에 카메라를 추가해 전수 검사로 바꿉니다.",
            ["vision", "sensor"],
        ),
        (
            "설비 데이터 수집망 구축",
            "노후 설비에 데이터 수집 장치를 달아 SCADA에 연결합니다.",
            ["scada", "network"],
        ),
        ("로봇 셀 자동화 확장", "포장 공정에 협동 로봇 셀을 추가합니다.", ["robot", "plc"]),
    ],
    "component_replacement": [
        ("HMI 터치패널 교체", "터치가 되지 않는 HMI 패널을 교체합니다.", ["plc"]),
        ("서버 디스크 교체", "MES 서버 디스크 오류로 교체가 필요합니다.", ["database", "mes"]),
        ("근접 센서 일괄 교체", "컨베이어 근접 센서가 자주 고장 나 교체합니다.", ["sensor"]),
        ("네트워크 스위치 교체", "현장 스위치 고장으로 통신이 불안정합니다.", ["network"]),
    ],
}
CATEGORY_WEIGHTS = {"breakdown": 40, "defect": 20, "upgrade": 20, "component_replacement": 20}
SEVERITIES = {"critical": 10, "high": 30, "normal": 45, "low": 15}
SUMMARIES = [
    "원인 부품을 교체하고 시운전으로 정상 동작을 확인했습니다.",
    "설정값을 바로잡고 작업자에게 점검 방법을 안내했습니다.",
    "프로그램을 수정하고 하루 동안 모니터링했습니다.",
]
RATING_COMMENTS = [
    "빠르게 조치해 주셨습니다.",
    "설명이 친절했습니다.",
    "",
    "재발하지 않기를 바랍니다.",
]


# ---------------------------------------------------------------- small real files


def _png(shade: int) -> bytes:
    """A 16×16 grey PNG: the firm's proof of payment (a scan, in a real programme)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes([shade]) * 16 for _ in range(16))
    header = struct.pack(">IIBBBBB", 16, 16, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _pdf(text: str) -> bytes:
    """A one-page PDF that says `text` (ASCII): a demo tax invoice anyone can open."""
    stream = f"BT /F1 11 Tf 40 100 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 200] /Resources "
        b"<< /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


# ---------------------------------------------------------------- the cast and a story


@dataclass(frozen=True)
class Cast:
    """The demo's people: every firm's user, the two managers, the auditor, the Meisters."""

    firms: list[Firm]
    firm_users: dict[int, User]
    manager: User
    manager2: User
    auditor: User
    meisters: list[User]


@dataclass
class Story:
    """One ticket's plan: its firm, problem, costs, and the moments its steps happen."""

    outcome: str
    firm: DemoFirm
    category: str
    severity: str
    problem: tuple[str, str, list[str]]
    lines: list[dict]  # cost lines of the visit(s): kind, description, quantity, unit_price
    visits: int
    filed_at: datetime
    step: timedelta  # a typical gap between two steps
    times: dict[str, list[datetime]] = field(default_factory=dict)
    rows: list[tuple[object, str, datetime]] = field(default_factory=list)  # row, column, when

    def at(self, action: str, moment: datetime) -> datetime:
        """Remember when `action` happened (for the ticket's history) and return it."""
        self.times.setdefault(action, []).append(moment)
        return moment


def _utc(day: date, hour: int, minute: int = 0) -> datetime:
    """Naive UTC (as stored) of `hour`:`minute` Seoul time on `day`."""
    local = datetime.combine(day, time(hour, minute), tzinfo=SEOUL)
    return local.astimezone(UTC).replace(tzinfo=None)


def _seoul_day(moment: datetime) -> date:
    return to_seoul(moment).date()


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(hours=rng.uniform(low, high))


def _price(rng: random.Random, low: int, high: int) -> int:
    """A unit price in whole 10,000 won between `low` and `high`."""
    return rng.randint(low // 10_000, high // 10_000) * 10_000


def _lines(rng: random.Random, support_type: str, large: bool, small: bool) -> list[dict]:
    """Cost lines of the work: growth work is larger; `large` crosses the four-eyes line."""
    if support_type == "growth" and not small:
        licence = (4_000_000, 8_000_000) if large else (1_500_000, 4_000_000)
        lines = [
            {"kind": "software", "description": "솔루션 라이선스와 설정", "quantity": 1,
             "unit_price": _price(rng, *licence)},
            {"kind": "labour", "description": "설치와 시운전", "quantity": rng.randint(1, 3),
             "unit_price": _price(rng, 500_000, 1_000_000)},
        ]  # fmt: skip
        if rng.random() < 0.5:
            lines.append(
                {"kind": "parts", "description": "수집 장치", "quantity": rng.randint(1, 4),
                 "unit_price": _price(rng, 200_000, 600_000)}
            )  # fmt: skip
        return lines
    lines = [
        {"kind": "labour", "description": "진단과 수리 작업", "quantity": 1,
         "unit_price": _price(rng, 300_000, 1_200_000 if small else 1_500_000)}
    ]  # fmt: skip
    if rng.random() < 0.6:
        lines.append(
            {"kind": "parts", "description": "교체 부품", "quantity": rng.randint(1, 3),
             "unit_price": _price(rng, 50_000, 400_000 if small else 700_000)}
        )  # fmt: skip
    if rng.random() < 0.4:
        lines.append(
            {"kind": "travel", "description": "출장 교통비", "quantity": 1,
             "unit_price": _price(rng, 50_000, 150_000)}
        )  # fmt: skip
    return lines


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass(frozen=True)
class DemoFirm:
    """What a story needs of a firm, read once (the firm rows expire at every commit)."""

    id: int
    supplier_id: int
    emergency_ok: bool
    growth_ok: bool

    @classmethod
    def of(cls, firm: Firm) -> DemoFirm:
        def ok(support_type: str) -> bool:
            return is_eligible(
                eligibility_findings(
                    firm.size, firm.built_year, firm.policy_fund_year, support_type,
                    seoul_today().year,
                )
            )  # fmt: skip

        return cls(firm.id, firm.supplier_id, ok("emergency"), ok("growth"))

    def eligible(self, support_type: str) -> bool:
        return self.growth_ok if support_type == "growth" else self.emergency_ok


def _story(rng: random.Random, outcome: str, firms: list[DemoFirm], now: datetime) -> Story:
    """Plan one ticket ending in `outcome`: who, what it costs, and when it was filed."""
    firm = rng.choice(firms)
    big = outcome == "claim_awaiting_second" or (outcome in CLAIM_OUTCOMES and rng.random() < 0.12)
    category = "upgrade" if big else _weighted(rng, CATEGORY_WEIGHTS)
    support_type = support_type_for(category)
    if support_type == "growth" and not firm.growth_ok:
        firm = rng.choice([f for f in firms if f.growth_ok]) if big else firm
        if not big and not firm.growth_ok:
            category = "breakdown"  # no recent policy fund: emergency support only
    small = not firm.eligible(support_type_for(category))  # an override: one manager only
    low, high = RECENT_DAYS.get(outcome, (20, HISTORY_START_DAYS))
    filed_day = seoul_today() - timedelta(days=rng.randint(low, high))
    filed_at = min(_utc(filed_day, rng.randint(8, 17), rng.randint(0, 59)), now)
    return Story(
        outcome=outcome,
        firm=firm,
        category=category,
        severity=_weighted(rng, SEVERITIES),
        problem=rng.choice(PROBLEMS[category]),
        lines=_lines(rng, support_type_for(category), big, small),
        visits=2 if rng.random() < 0.2 else 1,
        filed_at=filed_at,
        step=timedelta(hours=rng.uniform(3, 30)),
    )


# ---------------------------------------------------------------- playing a story


class Player:
    """Plays stories through the services, then moves each step to the story's time."""

    def __init__(self, cast: Cast, rng: random.Random, now: datetime) -> None:
        self.cast = cast
        self.rng = rng
        self.now = now
        self.load: Counter[int] = Counter()  # open tickets per Meister, as assignment counts
        self.outcomes: Counter[str] = Counter()
        self.invoices = 0
        self.meister_ids = [m.id for m in cast.meisters]
        self.ratings = {m: rng.choice((3.6, 4.1, 4.4, 4.7)) for m in self.meister_ids}

    # -- the clock

    def limit(self, story: Story) -> datetime:
        """Paid work happened before yesterday's settlement cut-off; the rest before now."""
        if story.outcome in ("claim_settled", "claim_voided", "claim_rejected", "claim_approved"):
            return _utc(seoul_today(), 0) - timedelta(hours=2)
        return self.now - timedelta(minutes=5)

    def later(self, story: Story, moment: datetime, low: float, high: float) -> datetime:
        """A moment `low`–`high` steps after `moment`, never past the story's limit."""
        return min(moment + story.step * self.rng.uniform(low, high), self.limit(story))

    # -- the ticket

    def play(self, story: Story) -> None:
        firm_user = self.cast.firm_users[story.firm.id]
        title, description, tags = story.problem
        ticket = file_ticket(
            firm_user,
            {"category": story.category, "severity": story.severity, "title": title,
             "description": description, "tags": tags},
        )  # fmt: skip
        self._shift_filed(story, ticket)
        self._go(story, ticket, firm_user)
        Clock(story, ticket).write()

    def _shift_filed(self, story: Story, ticket: Ticket) -> None:
        """Start early enough that every step fits; the visit rules read the filing day."""
        latest_start = self.limit(story) - story.step * (14 + 3 * story.visits)
        if story.outcome.startswith("claim_") and story.filed_at > latest_start:
            story.filed_at = latest_start
        ticket.created_at = story.at("file", story.filed_at)

    def _go(self, story: Story, ticket: Ticket, firm_user: User) -> None:
        outcome, manager = story.outcome, self.cast.manager
        if outcome == "submitted":
            return
        moment = self.later(story, story.filed_at, 0.2, 1.5)
        if outcome == "rejected":
            reason = "스마트공장 구축 설비가 아닌 일반 사무기기 고장입니다."
            triage_ticket(manager, ticket.id, "reject", reason=reason)
            story.at("triage_reject", moment)
            return
        if outcome == "cancelled" and self.rng.random() < 0.5:
            cancel_ticket(firm_user, ticket.id, "자체 조치로 해결되었습니다.")
            story.at("cancel", moment)
            return
        override = "" if story.firm.eligible(ticket.support_type) else OVERRIDE_REASON
        triage_ticket(manager, ticket.id, "accept", override_reason=override)
        story.at("triage_accept", moment)
        if outcome == "cancelled":
            cancel_ticket(manager, ticket.id, "기업 요청으로 취소합니다.")
            story.at("cancel", self.later(story, moment, 0.5, 2))
        if outcome in ("triaged", "cancelled"):
            return
        meister = self._pick_meister()
        assign_meister(manager, ticket.id, meister.id)
        moment = story.at("assign", self.later(story, moment, 0.2, 1))
        self.load[meister.id] += 1
        if outcome == "assigned":
            return
        accept_ticket(meister, ticket.id)
        moment = story.at("accept", self.later(story, moment, 0.1, 0.5))
        moment = self._visits(story, ticket, meister, moment)
        if outcome == "in_progress":
            return
        resolve_ticket(meister, ticket.id, self.rng.choice(SUMMARIES))
        self.load[meister.id] -= 1
        moment = story.at("resolve", self.later(story, moment, 0.1, 0.6))
        if outcome == "resolved":
            return
        confirm_ticket(
            firm_user, ticket.id, self._rating(meister.id), self.rng.choice(RATING_COMMENTS)
        )
        moment = story.at("confirm", self.later(story, moment, 0.5, 2))
        claim = db.session.scalar(select(Claim).where(Claim.ticket_id == ticket.id))
        self.outcomes[ClaimPlayer(self, story, claim, firm_user, bool(override)).play(moment)] += 1

    def _pick_meister(self) -> User:
        """The least loaded Meister with room (ties at random), as a manager would."""
        free = [m for m in self.meister_ids if self.load[m] < MAX_LOAD]
        return db.session.get(User, min(free, key=lambda m: (self.load[m], self.rng.random())))

    def _rating(self, meister_id: int) -> int:
        return max(1, min(5, round(self.rng.gauss(self.ratings[meister_id], 0.8))))

    def _visits(self, story: Story, ticket: Ticket, meister: User, moment: datetime) -> datetime:
        lines = story.lines
        parts = [lines] if story.visits == 1 or len(lines) < 2 else [lines[:1], lines[1:]]
        for part in parts:
            moment = story.at("visit", self.later(story, moment, 0.5, 2))
            day = _seoul_day(moment)
            given = [self._with_evidence(story, line, day) for line in part]
            hours = self.rng.choice((1.5, 2, 3, 4, 6))
            visit = log_visit(meister, ticket.id, day, hours, "현장 점검과 조치", given)
            story.rows.append((visit, "created_at", moment))
            self._evidence_files(story, ticket, meister, visit, moment)
        return moment

    def _with_evidence(self, story: Story, line: dict, day: date) -> dict:
        """The line with its supplier's tax invoice, issued and paid on the visit day."""
        amount = line["quantity"] * line["unit_price"]
        self.invoices += 1  # 24 digits: the issue date, then 16 of the supplier's own
        return line | {
            "supplier_id": story.firm.supplier_id,
            "invoice_number": f"{day:%Y%m%d}{41000000 + story.firm.supplier_id:08d}"
            f"{self.invoices:08d}",
            "invoice_issued_on": day,
            "invoice_supply_amount": amount,
            "invoice_vat": amount // 10,
            "payment_method": self.rng.choice(("card", "transfer")),
            "paid_on": day,
        }

    def _evidence_files(
        self, story: Story, ticket: Ticket, meister: User, visit: Visit, moment: datetime
    ) -> None:
        """One PDF per eligible line, stored as `add_evidence_file` stores it (the file on
        disk, its row, its audit event) without looking up again the ticket just played;
        a few pending claims still lack theirs, so the approval queue shows it."""
        for line in visit.lines:
            if not line.eligible:
                continue
            if story.outcome == "claim_pending" and self.rng.random() < 0.15:
                continue
            text = f"DEMO e-Tax invoice {line.invoice_number} supply {line.amount} KRW"
            upload, content_type = check_upload(Upload("세금계산서.pdf", _pdf(text)), evidence=True)
            attachment = store_attachment(
                ticket, meister, upload, content_type, kind="evidence", cost_line_id=line.id
            )
            story.rows.append((attachment, "created_at", moment))


OVERRIDE_REASON = "지역 특화 산업 예외 (운영지침 4조)"


class ClaimPlayer:
    """A confirmed ticket's claim: approval, review, the firm's share, void or rejection."""

    def __init__(
        self, player: Player, story: Story, claim: Claim, firm_user: User, overridden: bool
    ) -> None:
        self.p, self.story, self.claim, self.firm_user = player, story, claim, firm_user
        cast = player.cast
        # The manager who accepted an ineligible firm by override may not approve it.
        self.first = cast.manager2 if overridden else cast.manager
        self.second = cast.manager if overridden else cast.manager2

    def _later(self, moment: datetime, low: float, high: float) -> datetime:
        return self.p.later(self.story, moment, low, high)

    def _stamp(self, row: object, moment: datetime, *names: str) -> None:
        self.story.rows.extend((row, name, moment) for name in names)

    def play(self, moment: datetime) -> str:
        """Take the claim as far as the story says; the claim outcome it reached."""
        outcome, claim = self.story.outcome, self.claim
        self._stamp(claim, moment, "created_at")
        if outcome == "claim_pending":
            return outcome
        if outcome == "claim_rejected":
            reject_claim(self.first, claim.id, "증빙 금액이 실제 작업 내용과 맞지 않습니다.")
            self._closed(self._later(moment, 1, 4))
            return outcome
        try:
            approve_claim(self.first, claim.id)
        except Conflict:  # the firm's cap or the pool is used up: it waits, as in life
            return "claim_pending"
        moment = self._later(moment, 1, 5)
        self._stamp(claim, moment, "first_approved_at", "decided_at")
        if claim.status == "awaiting_second_approval":
            if outcome == "claim_awaiting_second":
                return outcome
            approve_claim(self.second, claim.id)
            moment = self._later(moment, 0.3, 2)
            self._stamp(claim, moment, "decided_at")
        self._stamp(claim, moment, "approved_at")
        if outcome == "claim_voided":
            void_claim(self.first, claim.id, "같은 설비에 대한 중복 지원이 확인되었습니다.")
            self._closed(self._later(moment, 1, 4))
            return outcome
        if outcome == "claim_settled":
            self._make_settleable(moment)
            return outcome
        self._waiting(moment)
        return "claim_approved"

    def _closed(self, moment: datetime) -> None:
        self._stamp(self.claim, moment, "decided_at")
        self.story.at("close", moment)

    def _waiting(self, moment: datetime) -> None:
        """Settlement waits: not reviewed yet, or the firm's share not (yet) confirmed."""
        stage = self.claim.id % 3
        if stage >= 1:
            moment = self._review(moment)
        if stage == 2:
            self._record_payment(moment)

    def _make_settleable(self, moment: datetime) -> None:
        """Reviewed, the firm's share paid and confirmed: the settlement pays it."""
        moment = self._review(moment, disallow=self.p.rng.random() < 0.05)
        payment = self._record_payment(moment)
        cast = self.p.cast
        confirm_payment(cast.auditor if self.claim.id % 2 else cast.manager, self.claim.id)
        self._stamp(payment, self._later(moment, 0.5, 3), "confirmed_at")

    def _review(self, moment: datetime, disallow: bool = False) -> datetime:
        """The auditor verifies each eligible line (and may disallow the last of several)."""
        lines = [
            line
            for line in db.session.scalars(
                select(CostLine).where(CostLine.ticket_id == self.claim.ticket_id)
            )
            if line.eligible
        ]
        moment = self._later(moment, 1, 4)
        auditor = self.p.cast.auditor
        for index, line in enumerate(lines):
            if disallow and len(lines) > 1 and index == len(lines) - 1:
                note = "스마트공장 설비와 관계없는 소모품입니다."
                review_line(auditor, self.claim.id, line.id, "disallowed", "unrelated", note)
            else:
                review_line(auditor, self.claim.id, line.id, "verified", None)
            self._stamp(line, moment, "reviewed_at")
        return moment

    def _record_payment(self, moment: datetime) -> FirmPayment:
        moment = self._later(moment, 1, 6)
        payment = record_payment(
            self.firm_user,
            self.claim.id,
            self.claim.firm_share or 0,
            self.p.rng.choice(("card", "transfer")),
            _seoul_day(moment),
            Upload("자부담_이체확인.png", _png(120 + self.claim.id % 100)),
        )
        self._stamp(payment, moment, "recorded_at")
        return payment


class Clock:
    """Moves a played ticket's rows from now to the story's moments, once, at its end."""

    def __init__(self, story: Story, ticket: Ticket) -> None:
        self.story, self.ticket = story, ticket

    def first(self, action: str) -> datetime | None:
        return (self.story.times.get(action) or [None])[0]

    def write(self) -> None:
        story, ticket = self.story, self.ticket
        ticket.triage_due_at = sla.triage_due_at(story.filed_at, story.severity)
        if triaged := self.first("triage_accept"):
            ticket.triaged_at = triaged
            ticket.resolution_due_at = sla.resolution_due_at(triaged, story.severity)
            ticket.project_started_on = _seoul_day(triaged)
            ticket.project_deadline = sla.add_months(ticket.project_started_on, 6)
        ticket.resolved_at = self.first("resolve") or ticket.resolved_at
        ticket.confirmed_at = self.first("confirm") or ticket.confirmed_at
        ticket.closed_at = self.first("close") or ticket.closed_at
        ticket.updated_at = max(moment for times in story.times.values() for moment in times)
        for row, name, moment in story.rows:
            setattr(row, name, moment)
        self._history()

    def _history(self) -> None:
        """The ticket's history rows get the story's moments, in order, per action.

        The rows are the ones the services just added, still in the session: no query.
        """
        moments = {action: list(times) for action, times in self.story.times.items()}
        rows = sorted(
            (
                row
                for row in db.session.identity_map.values()
                if isinstance(row, TicketHistory) and row.ticket_id == self.ticket.id
            ),
            key=lambda row: row.id,
        )
        for row in rows:
            if moments.get(row.action):
                row.created_at = moments[row.action].pop(0)


# ---------------------------------------------------------------- the year


@contextmanager
def one_transaction() -> Iterator[None]:
    """Services' commits only flush inside (as in the API), and one commit ends it all:
    objects are not expired and loaded again after every step of every ticket."""
    session = db.session()
    session.info[DEFER_COMMIT] = True
    try:
        yield
    finally:
        session.info.pop(DEFER_COMMIT, None)
    session.commit()


def _plan(rng: random.Random) -> list[str]:
    outcomes = [name for name, count in PLAN.items() for _ in range(count)]
    rng.shuffle(outcomes)
    return outcomes


def seed_tickets(cast: Cast, echo: Callable[[str], None]) -> str:
    """Play a programme year of tickets into an empty database; what it did, in words.

    A database with any ticket already is left alone: a second run adds nothing, and
    demo tickets never mix with tickets people filed.
    """
    if db.session.scalar(select(Ticket.id).limit(1)) is not None:
        echo("Tickets exist already: no demo tickets added.")
        return "tickets left as they were"
    rng = random.Random(2026)
    now = utcnow()
    player = Player(cast, rng, now)
    plan = _plan(rng)
    echo(f"Seeding {len(plan)} tickets with visits, evidence and claims…")
    firms = [DemoFirm.of(firm) for firm in cast.firms]
    for start in range(0, len(plan), TICKETS_PER_TRANSACTION):
        with one_transaction():
            for outcome in plan[start : start + TICKETS_PER_TRANSACTION]:
                player.play(_story(rng, outcome, firms, now))
        done = min(start + TICKETS_PER_TRANSACTION, len(plan))
        if done % 50 == 0 or done == len(plan):
            echo(f"  {done}/{len(plan)} tickets")
    echo("Settling yesterday's payout batch…")
    batch = settle_for_date(seoul_today() - timedelta(days=1))
    claims = player.outcomes
    return (
        f"{len(plan)} tickets, {sum(claims.values())} claims "
        f"({claims['claim_pending']} pending, {claims['claim_approved']} approved, "
        f"{batch.claims_settled} settled in batch {batch.batch_date}, "
        f"{claims['claim_voided']} voided)"
    )
