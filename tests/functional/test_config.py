import pytest

from aftercare import create_app
from config import DEFAULT_AUDIT_KEYS, DevelopmentConfig, ProductionConfig, config_for

AUDIT_KEY = "a-long-random-production-audit-key"


@pytest.fixture(autouse=True)
def audit_key(monkeypatch):
    """Every production start below has an audit key unless the test takes it away."""
    monkeypatch.setenv("AUDIT_KEY", AUDIT_KEY)


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_refuses_to_start_without_database_url(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        create_app(ProductionConfig)


def test_production_refuses_a_default_secret(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "dev-only-not-secret")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(RuntimeError, match="default"):
        create_app(ProductionConfig)


def test_production_starts_with_both_and_secures_cookies(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app(ProductionConfig)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SECRET_KEY"] == "a-long-random-production-secret"
    assert app.config["AUDIT_KEY"] == AUDIT_KEY


def test_production_refuses_to_start_without_an_audit_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.delenv("AUDIT_KEY")
    with pytest.raises(RuntimeError, match="AUDIT_KEY"):
        create_app(ProductionConfig)


@pytest.mark.parametrize("key", [*DEFAULT_AUDIT_KEYS, "short-key"])
def test_production_refuses_a_default_or_short_audit_key(monkeypatch, key):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("AUDIT_KEY", key)
    with pytest.raises(RuntimeError, match="AUDIT_KEY"):
        create_app(ProductionConfig)


def test_development_and_testing_have_a_fixed_audit_key(monkeypatch):
    monkeypatch.delenv("AUDIT_KEY")
    assert (
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["AUDIT_KEY"]
        == (DEFAULT_AUDIT_KEYS[1])
    )


def test_development_is_the_default_environment(monkeypatch):
    monkeypatch.delenv("AFTERCARE_ENV", raising=False)
    assert config_for() is DevelopmentConfig


def test_unknown_environment_is_refused():
    with pytest.raises(RuntimeError, match="AFTERCARE_ENV"):
        config_for("staging")
