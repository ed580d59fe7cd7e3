"""Security headers, account lockout, shared rate limits, schema in step with migrations."""

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from aftercare import create_app
from aftercare.auth import services
from aftercare.auth.models import User
from aftercare.extensions import db
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
    monkeypatch.setenv("AUDIT_KEY", "a-long-random-production-audit-key")
    app = create_app(ProductionConfig)
    response = app.test_client().get("/static/css/app.css")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    response.close()


def test_ten_failures_in_a_row_lock_the_account_until_an_admin_unlocks(app, make):
    user = make.user("auditor")
    admin = make.user("admin")
    for _ in range(services.LOCK_AFTER_FAILURES):
        assert services.authenticate(user.email, "wrong-password-1") is None
    assert services.authenticate(user.email, PASSWORD) is None  # locked: even the right one
    db.session.expire_all()
    assert db.session.get(User, user.id).locked_until is not None
    services.unlock_user(admin, user.id)
    assert services.authenticate(user.email, PASSWORD) is not None


def test_a_success_resets_the_failure_count(app, make):
    user = make.user("auditor")
    for _ in range(services.LOCK_AFTER_FAILURES - 1):
        services.authenticate(user.email, "wrong-password-1")
    assert services.authenticate(user.email, PASSWORD) is not None
    db.session.expire_all()
    assert db.session.get(User, user.id).failed_logins == 0


def test_admins_see_the_lock_and_can_lift_it(client, auth, make):
    user = make.user("auditor")
    for _ in range(services.LOCK_AFTER_FAILURES):
        services.authenticate(user.email, "wrong-password-1")
    auth.login(make.user("admin"))
    assert "text-bg-danger" in client.get("/admin/users").get_data(as_text=True)
    client.post(f"/admin/users/{user.id}/unlock")
    db.session.expire_all()
    assert db.session.get(User, user.id).locked_until is None


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
        assert after.get("_user_id") == str(user.id)
