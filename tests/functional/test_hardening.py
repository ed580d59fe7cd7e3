"""Security headers, the growing wait after failed sign-ins, the trusted proxy,
shared rate limits, schema in step with migrations."""

import logging
import os
import re
import threading
import uuid
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from werkzeug.security import check_password_hash

from aftercare import create_app
from aftercare.audit.models import AuditEvent
from aftercare.auth import services
from aftercare.auth.models import User
from aftercare.db import utcnow
from aftercare.domain.passwords import sign_in_wait
from aftercare.extensions import db, limiter
from tests.helpers import PASSWORD


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # only behind HTTPS


def test_production_sends_hsts(monkeypatch):
    from config import ProductionConfig

    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/15")
    monkeypatch.setenv("AUDIT_KEY", "a-long-random-production-audit-key")
    app = create_app(ProductionConfig)
    response = app.test_client().get("/static/css/app.css")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    response.close()


def _fail_sign_in(user, times: int = 1) -> None:
    for _ in range(times):
        assert services.authenticate(user.email, "wrong-password-1") is None


def _wait_of(user) -> timedelta | None:
    db.session.expire_all()
    locked_until = db.session.get(User, user.id).locked_until
    return None if locked_until is None else locked_until - utcnow()


def _let_the_wait_pass(user) -> None:
    db.session.get(User, user.id).locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_the_fifth_failure_in_a_row_makes_the_account_wait_a_minute(app, make):
    user = make.user("auditor")
    _fail_sign_in(user, 4)
    assert _wait_of(user) is None  # four failures: no wait yet
    assert services.authenticate(user.email, PASSWORD) is not None  # and a success resets
    _fail_sign_in(user, 5)
    wait = _wait_of(user)
    assert timedelta(seconds=55) < wait <= timedelta(minutes=1)
    assert services.authenticate(user.email, PASSWORD) is None  # waiting: even the right one
    db.session.expire_all()
    assert db.session.get(User, user.id).failed_logins == 5  # a try while waiting is not counted
    _let_the_wait_pass(user)
    assert services.authenticate(user.email, PASSWORD) is not None
    db.session.expire_all()
    assert db.session.get(User, user.id).failed_logins == 0
    assert db.session.get(User, user.id).locked_until is None


def test_each_further_failure_doubles_the_wait_up_to_fifteen_minutes(app, make):
    user = make.user("auditor")
    _fail_sign_in(user, 5)
    waits = []
    for _ in range(6):
        _let_the_wait_pass(user)
        _fail_sign_in(user)
        waits.append(round(_wait_of(user).total_seconds() / 60))
    assert waits == [2, 4, 8, 15, 15, 15]


def test_failures_racing_each_other_are_all_counted(app, make):
    """Four wrong passwords sent at once count four (the database adds them up)."""
    user = make.user("auditor")
    email = user.email
    db.session.remove()
    start = threading.Barrier(4)

    def fail() -> None:
        with app.app_context():
            start.wait()
            services.authenticate(email, "wrong-password-1")
            db.session.remove()

    threads = [threading.Thread(target=fail) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert db.session.scalar(select(User.failed_logins).where(User.email == email)) == 4


def test_the_wait_rule_is_none_then_one_minute_doubling_to_a_cap():
    assert [sign_in_wait(n) for n in range(5)] == [None] * 5
    assert sign_in_wait(5) == timedelta(minutes=1)
    assert sign_in_wait(7) == timedelta(minutes=4)
    assert sign_in_wait(10_000) == timedelta(minutes=15)


def test_admins_see_the_wait_and_can_lift_it(client, auth, make):
    user = make.user("auditor")
    _fail_sign_in(user, 5)
    auth.login(make.user("admin"))
    assert "text-bg-danger" in client.get("/admin/users").get_data(as_text=True)
    client.post(f"/admin/users/{user.id}/unlock")
    db.session.expire_all()
    assert db.session.get(User, user.id).locked_until is None
    assert services.authenticate(user.email, PASSWORD) is not None


@pytest.mark.parametrize("method", ["pbkdf2:sha256:1000", "scrypt:16384:8:1"])
def test_an_unknown_email_checks_a_hash_made_like_a_real_one(app, make, monkeypatch, method):
    """Both paths run one check of a hash of the configured method and work factor."""
    app.config["PASSWORD_HASH_METHOD"] = method
    user = make.user("auditor")
    checked: list[str] = []

    def counting_check(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$", 1)[0])
        return check_password_hash(pwhash, password)

    monkeypatch.setattr(services, "check_password_hash", counting_check)
    assert services.authenticate(user.email, "wrong-password-1") is None
    known = list(checked)
    checked.clear()
    assert services.authenticate("nobody-here@example.kr", "wrong-password-1") is None
    assert known == [method]
    assert checked == known


def _addresses_app(database_url: str, proxies: int):
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TRUSTED_PROXIES": proxies})


@pytest.mark.parametrize(("proxies", "second_address_throttled"), [(0, True), (1, False)])
def test_the_throttle_counts_the_address_a_trusted_proxy_forwards(
    database_url, proxies, second_address_throttled
):
    """Behind one trusted proxy X-Forwarded-For is the client; without, it is ignored."""
    app = _addresses_app(database_url, proxies)
    limiter.reset()
    client = app.test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    def sign_in(n: int, forwarded_for: str):
        form = {"email": f"unknown{n}@example.kr", "password": "wrong-password-1"}
        headers = {"X-Forwarded-For": forwarded_for}
        return client.post("/login", data=form, headers=headers, environ_base=proxy)

    try:
        for n in range(5):
            assert sign_in(n, "203.0.113.7").status_code == 200
        assert sign_in(5, "203.0.113.7").status_code == 429
        other = sign_in(6, "198.51.100.9").status_code
        assert (other == 429) is second_address_throttled
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


REDIS_URL = "redis://127.0.0.1:6379/15"
# Flask-Limiter keeps the first key prefix it is given, so one prefix per test process:
# parallel workers and concurrent runs never share counters.
REDIS_KEY_PREFIX = f"aftercare-test-{uuid.uuid4().hex}"


def _redis_ok() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception:
        return False
    return True


@pytest.mark.skipif(
    not _redis_ok() and os.environ.get("CI") != "true", reason="Redis is not running"
)
def test_sign_in_throttle_is_shared_across_app_instances_through_redis(database_url, make):
    """Two hosts (two app instances) count failures in the same Redis."""
    import redis

    store = redis.Redis.from_url(REDIS_URL)
    prefix = REDIS_KEY_PREFIX
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
    }
    first, second = create_app(config), create_app(config)
    with first.app_context():
        user = make.user("manager")
        email = user.email
        db.session.remove()
    form = {"email": email, "password": "wrong-password-1"}
    try:
        for _ in range(3):
            assert first.test_client().post("/login", data=form).status_code == 200
        for _ in range(2):
            assert second.test_client().post("/login", data=form).status_code == 200
        assert first.test_client().post("/login", data=form).status_code == 429
        assert store.keys(f"*{prefix}*")  # the counts live in Redis, not in memory
    finally:
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)
        for app in (first, second):
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def test_models_and_migrations_agree(app):
    """Every schema change is a migration: autogenerate finds nothing left to do."""
    ignored = ("ticket_fts", "ix_ticket_search_text_trgm", "alembic_version")
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    meaningful = [d for d in diff if not any(name in str(d) for name in ignored)]
    assert meaningful == []


def test_signing_in_starts_a_fresh_session(client, make):
    """Session fixation: nothing planted in the session before sign-in survives it."""
    user = make.user("manager")
    with client.session_transaction() as planted:
        planted["planted"] = "by an attacker"
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after.get("_user_id") == f"{user.id}:1"


def test_audit_events_name_the_servers_request_id_and_log_the_clients(client, make, caplog):
    user = make.user("manager")
    caplog.set_level(logging.INFO, logger="aftercare")
    answer = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        headers={"X-Request-ID": "client-chosen-id"},
    )
    ours = answer.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", ours)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.sign_in")).one()
    assert event.request_id == ours  # not the client's
    assert any(
        ours in record.getMessage() and "client-chosen-id" in record.getMessage()
        for record in caplog.records
    )
