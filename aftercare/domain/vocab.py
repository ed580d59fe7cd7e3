"""Fixed vocabularies of SPEC §1–§2."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    FIRM = "firm"
    MEISTER = "meister"
    MANAGER = "manager"
    AUDITOR = "auditor"
    ADMIN = "admin"


# Accounts that see or move programme money, or manage accounts: creating one, or
# resetting its password, needs a second administrator (four eyes).
PRIVILEGED_ROLES = frozenset({Role.MANAGER, Role.AUDITOR, Role.ADMIN})


class SizeClass(StrEnum):
    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"


REGIONS: tuple[str, ...] = (
    "seoul", "busan", "daegu", "incheon", "gwangju", "daejeon", "ulsan", "sejong",
    "gyeonggi", "gangwon", "chungbuk", "chungnam", "jeonbuk", "jeonnam",
    "gyeongbuk", "gyeongnam", "jeju",
)  # fmt: skip

REGION_NAMES_KO: dict[str, str] = dict(
    zip(
        REGIONS,
        (
            "서울", "부산", "대구", "인천", "광주", "대전", "울산", "세종", "경기",
            "강원", "충북", "충남", "전북", "전남", "경북", "경남", "제주",
        ),
        strict=True,
    )
)  # fmt: skip

SPECIALTIES: tuple[str, ...] = (
    "plc", "mes", "erp", "scada", "vision", "robot", "sensor", "network", "database", "cnc",
)  # fmt: skip

LANGUAGES: tuple[str, ...] = ("ko", "en")

# The largest id an INTEGER column holds: larger ids are simply not found (and would
# overflow SQLite's driver), in routes, API arguments, cursors and bulk selections.
MAX_ID = 2**31 - 1
