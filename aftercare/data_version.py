"""Data versions: counters the database bumps whenever the data they name changes.

Triggers (migration 0010) bump `tickets` in the writing transaction on any insert,
update or delete of a ticket or a claim, and on a firm's change of name: whatever
wrote it. Read in a request's transaction before the data, a version names the state
the request sees (or an older one), so anything rendered from that data may be kept
under it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, String, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column

from aftercare.extensions import db

TICKETS = "tickets"  # what a ticket list shows: tickets, their claims, firms' names


class DataVersion(db.Model):
    __tablename__ = "data_version"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


_CURRENT = select(DataVersion.__table__.c.version).where(
    DataVersion.__table__.c.name == bindparam("name")
)


def current(name: str) -> int | None:
    """The version of `name` as the request's transaction sees it (None: not counted)."""
    return db.session.execute(_CURRENT, {"name": name}).scalar()
