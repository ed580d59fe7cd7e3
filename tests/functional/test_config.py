import pytest

from aftercare import create_app
from config import (
    DEFAULT_AUDIT_KEYS,
    DEFAULT_SECRETS,
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    config_for,
)

REDIS = "redis://127.0.0.1:6379/15"
AUDIT_KEY = "a-long-random-production-audit-key"


@pytest.fixture(autouse=True)
def _shared_rate_limit_storage(monkeypatch):
    """Production starts only with a shared rate-limit store; tests that say otherwise unset it."""
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", REDIS)
    monkeypatch.delenv("RATELIMIT_ALLOW_MEMORY", raising=False)


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


def _production_env(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")


@pytest.mark.parametrize("storage", [None, "memory://"])
def test_production_refuses_per_process_rate_limit_storage(monkeypatch, storage):
    _production_env(monkeypatch)
    if storage is None:
        monkeypatch.delenv("RATELIMIT_STORAGE_URI")
    else:
        monkeypatch.setenv("RATELIMIT_STORAGE_URI", storage)
    with pytest.raises(RuntimeError, match="memory://"):
        create_app(ProductionConfig)


def test_production_takes_memory_storage_only_when_told_it_is_one_process(monkeypatch):
    _production_env(monkeypatch)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.setenv("RATELIMIT_ALLOW_MEMORY", "1")
    assert create_app(ProductionConfig).config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_production_starts_with_a_shared_redis_rate_limit_storage(monkeypatch):
    _production_env(monkeypatch)
    app = create_app(ProductionConfig)
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS


@pytest.fixture
def development(monkeypatch, tmp_path):
    """The development config with its key file and database in a temporary folder."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(DevelopmentConfig, "SECRET_KEY_FILE", tmp_path / "instance" / "secret_key")
    monkeypatch.setattr(DevelopmentConfig, "SQLALCHEMY_DATABASE_URI", "sqlite://")
    return DevelopmentConfig


def test_development_makes_a_random_secret_key_once_and_keeps_it(development):
    first = create_app(development).config["SECRET_KEY"]
    assert first not in DEFAULT_SECRETS
    assert len(first) == 64
    assert development.SECRET_KEY_FILE.stat().st_mode & 0o777 == 0o600
    assert create_app(development).config["SECRET_KEY"] == first  # sessions survive restarts
    assert [p.name for p in development.SECRET_KEY_FILE.parent.iterdir()] == ["secret_key"]


def test_development_takes_secret_key_from_the_environment(development, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-development-secret")
    assert create_app(development).config["SECRET_KEY"] == "a-long-random-development-secret"
    assert not development.SECRET_KEY_FILE.exists()


@pytest.mark.parametrize("default", sorted(DEFAULT_SECRETS))
def test_development_refuses_a_default_secret_key(development, monkeypatch, default):
    monkeypatch.setenv("SECRET_KEY", default)
    with pytest.raises(RuntimeError, match="default"):
        create_app(development)


def test_only_testing_runs_with_the_known_testing_key():
    assert create_app(TestingConfig).config["SECRET_KEY"] == "testing-secret"
