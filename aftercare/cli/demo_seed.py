"""Demo data for `flask seed-demo` (idempotent: a second run adds nothing twice)."""

from __future__ import annotations

import random
from collections.abc import Callable

from sqlalchemy import select

from aftercare.assets.models import Asset
from aftercare.assets.services import create_asset
from aftercare.auth.models import User
from aftercare.auth.services import create_user, hash_password
from aftercare.cli.demo_tickets import Cast, one_transaction, seed_tickets
from aftercare.domain.registration import check_digit
from aftercare.domain.time import seoul_today
from aftercare.domain.vocab import REGIONS, SPECIALTIES
from aftercare.extensions import db
from aftercare.firms.models import Firm
from aftercare.firms.services import create_firm
from aftercare.ledger.queries import fiscal_year_by_year
from aftercare.ledger.services import open_fiscal_year
from aftercare.meisters.queries import profile_by_user
from aftercare.meisters.services import create_profile
from aftercare.suppliers.models import Supplier
from aftercare.suppliers.services import create_supplier, update_supplier

DEMO_PASSWORD = "aftercare-demo-2021"
DEMO_DOMAIN = "demo.aftercare.kr"

FIRM_NAMES = [
    ("한빛정밀", "gyeonggi", "금속가공", "small"),
    ("대성플라스틱", "incheon", "플라스틱 사출", "small"),
    ("세진오토텍", "ulsan", "자동차 부품", "micro"),
    ("동해식품", "gangwon", "식품 제조", "small"),
    ("새한전자", "gyeongbuk", "전자 부품", "micro"),
    ("광명섬유", "daegu", "섬유", "small"),
    ("청솔화학", "chungnam", "정밀화학", "medium"),
    ("남도기계", "jeonnam", "산업기계", "small"),
    ("제주바이오", "jeju", "바이오", "micro"),
    ("부산마린텍", "busan", "선박 부품", "small"),
    ("세종로보틱스", "sejong", "로봇", "micro"),
    ("충북금형", "chungbuk", "금형", "small"),
]
# 48 more, so a programme year has about 60 firms: a name prefix with a trade.
_PREFIXES = ["대한", "우성", "신화", "태양", "금강", "한솔", "동일", "성우",
             "미래", "삼원", "진영", "유진", "영신", "대동", "보성", "한길"]  # fmt: skip
_TRADES = [("정밀", "금속가공"), ("전자", "전자 부품"), ("오토텍", "자동차 부품")]
FIRM_NAMES += [
    (prefix + trade, REGIONS[(i * 5 + j) % len(REGIONS)], industry, ("micro", "small")[i % 2])
    for j, (trade, industry) in enumerate(_TRADES)
    for i, prefix in enumerate(_PREFIXES)
]
MEISTER_NAMES = ["정마이스터", "강기술", "윤설비", "임자동", "한제어", "오비전", "서로봇", "문센서"]
# Solution suppliers of the registry: name, region, solution tags, representative.
SUPPLIERS = [
    ("스마트솔루션㈜", "gyeonggi", ["mes", "erp", "database"], "김솔루"),
    ("㈜팩토리원", "seoul", ["plc", "scada", "network"], "이팩토"),
    ("엠이에스코리아", "daejeon", ["mes", "vision", "sensor"], "박엠이"),
    ("㈜한국자동화", "busan", ["robot", "plc", "cnc"], "최자동"),
]


def demo_registration_number(index: int) -> str:
    """A valid (check-digit correct) registration number for demo firm `index`."""
    first_nine = f"{120 + index:03d}81{10000 + index * 7:05d}"[:9]
    return first_nine + str(check_digit(first_nine))


def demo_supplier_number(index: int) -> str:
    """A valid registration number for demo supplier `index` (none of a demo firm's)."""
    first_nine = f"{210 + index:03d}86{30000 + index * 11:05d}"[:9]
    return first_nine + str(check_digit(first_nine))


def _seed_suppliers() -> list[Supplier]:
    """The demo suppliers; an entry migration 0016 carried over under the same name
    (a demo database seeded before the registry) is completed, not doubled."""
    suppliers = []
    for index, (name, region, solutions, representative) in enumerate(SUPPLIERS):
        number = demo_supplier_number(index)
        data = {
            "name": name,
            "registration_number": number,
            "representative": representative,
            "region": region,
            "solutions": solutions,
            "contact_name": "영업 담당",
            "contact_phone": f"02-{3000 + index:04d}-{4000 + index:04d}",
        }
        supplier = db.session.scalar(select(Supplier).where(Supplier.registration_number == number))
        carried_over = db.session.scalar(
            select(Supplier).where(Supplier.name == name, Supplier.registration_number.is_(None))
        )
        if supplier is None and carried_over is not None:
            supplier = update_supplier(None, carried_over.id, data)
        elif supplier is None:
            supplier = create_supplier(None, data)
        suppliers.append(supplier)
    return suppliers


class _Users:
    """Demo accounts by e-mail; DEMO_PASSWORD is hashed once for all of them (about 80)."""

    def __init__(self) -> None:
        self._hash: str | None = None

    def get(self, email: str, name: str, role: str, firm_id: int | None = None) -> User:
        existing = db.session.scalar(select(User).where(User.email == email))
        if existing is not None:
            return existing
        self._hash = self._hash or hash_password(DEMO_PASSWORD)
        return create_user(
            None,
            email=email,
            name=name,
            password=DEMO_PASSWORD,
            role=role,
            firm_id=firm_id,
            password_hash=self._hash,
        )


def _firm_user_email(index: int) -> str:
    """firm@ and firm2@ as before; the other demo firms' users firm3@, firm4@, …"""
    return f"firm@{DEMO_DOMAIN}" if index == 0 else f"firm{index + 1}@{DEMO_DOMAIN}"


FIRM_USER_NAMES = ["박공장", "최생산"]
_SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"


DEMO_ASSETS = [
    ("사출성형기 1호", "equipment", "LS엠트론", "WIZ-150", "DEMO-IM-001", "1공장 A라인"),
    ("MES 서버", "system", "자체 구축", "MES v2", "DEMO-MES-01", "전산실"),
    ("비전 검사기", "equipment", "코그넥스", "IS-8000", "DEMO-VI-003", "1공장 검사 공정"),
]


def _seed_assets(firm_user: User, firm_id: int) -> None:
    """A few assets of the first demo firm, so QR labels can be tried at once."""

    for name, kind, maker, model, serial, location in DEMO_ASSETS:
        exists = db.session.scalar(
            select(Asset.id).where(Asset.firm_id == firm_id, Asset.serial == serial)
        )
        if exists is None:
            create_asset(
                firm_user,
                {"name": name, "kind": kind, "maker": maker, "model": model,
                 "serial": serial, "location": location},
            )  # fmt: skip


def _seed_firms(suppliers: list[Supplier]) -> list[Firm]:
    firms = []
    for index, (name, region, industry, size) in enumerate(FIRM_NAMES):
        number = demo_registration_number(index)
        firm = db.session.scalar(select(Firm).where(Firm.registration_number == number))
        if firm is None:
            firm = create_firm(
                None,
                {
                    "name": name,
                    "registration_number": number,
                    "size": size,
                    "region": region,
                    "industry": industry,
                    "built_year": 2016 + index % 5,
                    "policy_fund_year": _policy_fund_year(index),
                    "supplier_id": suppliers[index % len(suppliers)].id,
                    "contact_name": "담당자",
                    "contact_phone": f"010-{1000 + index:04d}-{2000 + index:04d}",
                },
            )
        firms.append(firm)
    return firms


def _policy_fund_year(index: int) -> int | None:
    """The first 12 firms as before; most later ones invested recently (growth support)."""
    if index < 12:
        return (2019 + index % 3) if index % 2 == 0 else None
    return None if index % 7 == 0 else seoul_today().year - 1 - index % 3


def _firm_user_email(index: int) -> str:
    """firm@ and firm2@ as before; the other demo firms' users firm3@, firm4@, …"""
    return f"firm@{DEMO_DOMAIN}" if index == 0 else f"firm{index + 1}@{DEMO_DOMAIN}"


_SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
_GIVEN = ["현우", "지영", "민수", "서연", "준호", "은정", "성민", "혜진", "동훈", "수빈"]


def _firm_user_name(index: int) -> str:
    if index < 2:
        return ("박공장", "최생산")[index]
    return _SURNAMES[index % len(_SURNAMES)] + _GIVEN[index % len(_GIVEN)]


def _seed_people(firms: list[Firm]) -> tuple[Cast, list[User]]:
    """Every demo account (one user per firm, the Meisters with profiles); the cast the
    tickets need, and the logins to print."""
    rng = random.Random(2021)
    users = _Users()
    logins = [
        users.get(f"admin@{DEMO_DOMAIN}", "시스템 관리자", "admin"),
        users.get(f"manager@{DEMO_DOMAIN}", "김운영", "manager"),
        users.get(f"auditor@{DEMO_DOMAIN}", "이감사", "auditor"),
    ]
    firm_users = [
        users.get(_firm_user_email(index), _firm_user_name(index), "firm", firm.id)
        for index, firm in enumerate(firms)
    ]
    logins.append(firm_users[0])
    # A second manager: claims from 3,000,000 won of government share, budget additions,
    # voids and manual settlements need two managers (four eyes, SPEC §11).
    logins.append(users.get(f"manager2@{DEMO_DOMAIN}", "박승인", "manager"))
    # A second admin: privileged accounts and their password resets need two admins.
    logins.append(users.get(f"admin2@{DEMO_DOMAIN}", "정보안", "admin"))
    meisters = []
    for index, name in enumerate(MEISTER_NAMES, start=1):
        meister = users.get(f"meister{index}@{DEMO_DOMAIN}", name, "meister")
        meisters.append(meister)
        if profile_by_user(meister.id) is None:
            create_profile(
                None,
                meister.id,
                {
                    "specialties": rng.sample(SPECIALTIES, 3),
                    "regions": rng.sample(REGIONS, 4),
                    "max_load": 5,
                },
            )
    logins.append(meisters[0])
    cast = Cast(
        firms=firms,
        firm_users={user.firm_id: user for user in firm_users},
        manager=logins[1],
        manager2=logins[4],
        auditor=logins[2],
        meisters=meisters,
    )
    return cast, logins


def seed_demo(echo: Callable[[str], None] = print) -> None:
    echo("Seeding fiscal years…")
    for year in sorted({2021, seoul_today().year}):
        if fiscal_year_by_year(year) is None:
            open_fiscal_year(None, year=year, budget=4_400_000_000)
    echo("Seeding suppliers…")
    suppliers = _seed_suppliers()
    echo(f"Seeding {len(FIRM_NAMES)} firms…")
    with one_transaction():
        firms = _seed_firms(suppliers)
    echo("Seeding users…")
    with one_transaction():
        cast, logins = _seed_people(firms)
    echo("Seeding assets…")
    _seed_assets(logins[3], firms[0].id)
    tickets = seed_tickets(cast, echo)
    echo("Demo logins (password for all: " + DEMO_PASSWORD + "):")
    for user in logins:
        echo(f"  {user.role:<8} {user.email}")
    users = len(logins) - 2 + len(cast.firm_users) + len(cast.meisters)
    echo(
        f"Seed done: {len(firms)} firms, {users} users, {len(cast.meisters)} Meisters, "
        f"{len(DEMO_ASSETS)} assets, fiscal years ready; {tickets}."
    )
