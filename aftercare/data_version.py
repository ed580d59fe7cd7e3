"""Data versions: counters the database bumps whenever the data they name changes.

Triggers (migration 0010) bump `tickets` in the writing transaction on any insert,
update or delete of a ticket or a claim, and on a firm's change of name: whatever
wrote it. Read in a request's transaction before the data, a version names the state
the request sees (or an older one), so anything rendered from that data may be kept
under it.

The statements that find the signed-in user read the version too (`column`, then
`seen`): on PostgreSQL that is one round trip fewer for every list request.
"""

from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy import BigInteger, ScalarSelect, String, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column

from aftercare.extensions import db

TICKETS = "tickets"  # what a ticket list shows: tickets, their claims, firms' names
_SEEN = "aftercare.data_versions"  # per request, in the WSGI environ


class DataVersion(db.Model):
    __tablename__ = "data_version"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


_CURRENT = select(DataVersion.__table__.c.version).where(
    DataVersion.__table__.c.name == bindparam("name")
)


def column(name: str) -> ScalarSelect:
    """The version of `name` as a column of another statement (give it to `seen`)."""
    table = DataVersion.__table__
    return select(table.c.version).where(table.c.name == name).scalar_subquery()


def seen(name: str, version: int | None) -> None:
    """Note the version of `name` this request's transaction read along with other data."""
    request.environ.setdefault(_SEEN, {})[name] = version


def current(name: str) -> int | None:
    """The version of `name` as the request's transaction sees it (None: not counted).

    The one read with the signed-in user, if any: it was read before the data this
    request reads next, which is all a version promises.
    """
    if has_request_context():
        versions = request.environ.get(_SEEN, {})
        if name in versions:
            return versions[name]
    return db.session.execute(_CURRENT, {"name": name}).scalar()
