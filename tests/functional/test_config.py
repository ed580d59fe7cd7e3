import pytest

from aftercare import create_app
from config import DevelopmentConfig, ProductionConfig, config_for


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


def test_development_is_the_default_environment(monkeypatch):
    monkeypatch.delenv("AFTERCARE_ENV", raising=False)
    assert config_for() is DevelopmentConfig


def test_unknown_environment_is_refused():
    with pytest.raises(RuntimeError, match="AFTERCARE_ENV"):
        config_for("staging")
