"""Declarative base with a naming convention, so Alembic sees stable constraint names."""

from __future__ import annotations

from datetime import UTC, datetime

import flask_sqlalchemy.session
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Naive UTC now: every timestamp is stored as naive UTC on both databases."""
    return datetime.now(UTC).replace(tzinfo=None)


DEFER_COMMIT = "aftercare.defer_commit"  # on Session.info: commits only flush


class Session(flask_sqlalchemy.session.Session):
    """Flask-SQLAlchemy's session, whose `commit()` only flushes while commits are deferred.

    Services own their commit. A caller that must write more in the same transaction
    as a service's change (the Idempotency-Key record of a money call, in
    api/idempotency.py) defers the service's commit and commits once itself.
    """

    def commit(self) -> None:
        if self.info.get(DEFER_COMMIT):
            self.flush()
        else:
            super().commit()

    def commit_read(self) -> None:
        """End a transaction that only read with COMMIT, leaving loaded objects as loaded.

        Nothing was written, so nothing needs refreshing (see core/transactions.py).
        """
        expire, self.expire_on_commit = self.expire_on_commit, False
        try:
            super().commit()
        finally:
            self.expire_on_commit = expire
