"""A successful read ends its transaction with COMMIT; errors and ORM changes roll back."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select, update

from aftercare.auth.models import User
from aftercare.extensions import db
from tests.integration.ledger_support import quick_claim


def _recorder(ends: list[str], name: str):
    return lambda _conn: ends.append(name)


@contextmanager
def transaction_ends():
    """The names of the transaction ends (commit, rollback) seen inside the block."""
    ends: list[str] = []
    listeners = {name: _recorder(ends, name) for name in ("commit", "rollback")}
    for name, listener in listeners.items():
        event.listen(db.engine, name, listener)
    try:
        yield ends
    finally:
        for name, listener in listeners.items():
            event.remove(db.engine, name, listener)


def test_a_successful_read_commits_and_a_failed_one_rolls_back(make, api):
    manager = make.user("manager")
    quick_claim(make.firm().id, manager.id, [("parts", 100_000)])
    caller = api.as_(manager)

    # On PostgreSQL the caller is found on a connection of its own (one more end).
    with transaction_ends() as ends:
        assert caller.get("/tickets").status_code == 200
    assert ends
    assert set(ends) == {"commit"}

    with transaction_ends() as ends:
        assert caller.get("/tickets/999999").status_code == 404
    assert ends[-1] == "rollback"
    assert ends.count("rollback") == 1  # the answer's; the caller was found all right

    with transaction_ends() as ends:
        assert api.get("/tickets").status_code == 401  # no token
    assert "commit" not in ends


def _change_name(how: str, user_id: int) -> None:
    if how == "pending":  # changed in the session, never flushed
        db.session.get(User, user_id).name = "After"
    elif how == "flushed":  # sent to the database by the next query's autoflush
        db.session.get(User, user_id).name = "After"
        db.session.scalar(select(User.id).where(User.id == user_id))
    else:  # a Core UPDATE, which the session does not track
        db.session.execute(update(User).where(User.id == user_id).values(name="After"))


@pytest.mark.parametrize("how", ["pending", "flushed", "core"])
def test_a_read_never_commits_what_it_wrote_and_left_uncommitted(app, client, make, how):
    user_id = make.user("manager", name="Before").id
    db.session.commit()
    db.session.remove()

    @app.get("/test-uncommitted-write")
    def uncommitted_write():
        _change_name(how, user_id)
        return "ok"

    assert client.get("/test-uncommitted-write").status_code == 200
    db.session.remove()
    assert db.session.scalar(select(User.name).where(User.id == user_id)) == "Before"
