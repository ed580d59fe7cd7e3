"""Configuration classes, chosen by AFTERCARE_ENV (development default)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
# Keys anyone can read in this repository: refused everywhere but in tests.
DEFAULT_SECRETS = frozenset({"dev-only-not-secret", "testing-secret", "change-me"})
# Fixed, non-secret audit keys of development and testing; production refuses them.
DEFAULT_AUDIT_KEYS = ("dev-only-audit-key-not-secret", "testing-audit-key-not-secret")
MIN_AUDIT_KEY_LENGTH = 32


class Config:
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI: str | None = os.environ.get("DATABASE_URL")
    # A pooled connection is checked before use: a server restart costs no request.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=14)  # not Flask-Login's year
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    BABEL_DEFAULT_LOCALE = "ko"
    BABEL_DEFAULT_TIMEZONE = "Asia/Seoul"
    LANGUAGES = ("ko", "en")

    # Counts in memory are per process: production needs a shared store (redis://…).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed
    # (Werkzeug's ProxyFix); 0 = none, the client address is the connection's.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_FAILURE_LIMIT = "5 per minute"

    API_TITLE = "Aftercare API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    API_TOKEN_TTL = timedelta(hours=24)

    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    MAX_ATTACHMENT_BYTES = int(os.environ.get("MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024))
    # Whole request bodies may carry a few attachments at once.
    MAX_CONTENT_LENGTH = 5 * MAX_ATTACHMENT_BYTES + 1024 * 1024

    PAGE_SIZE = 25
    # Where people reach the site (e.g. https://aftercare.example.kr): printed QR labels
    # encode it; without it the address of the request that made the label is used.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
    DASHBOARD_CACHE_SECONDS = int(os.environ.get("DASHBOARD_CACHE_SECONDS", 30))
    SMTP_HOST = os.environ.get("SMTP_HOST")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", 25))
    MAIL_FROM = os.environ.get("MAIL_FROM", "aftercare@localhost")

    # The audit chain's HMAC key lives outside the database (docs/architecture.md §8);
    # signed checkpoints of the chain's head go to a directory outside it too.
    AUDIT_KEY: str | None = os.environ.get("AUDIT_KEY")
    AUDIT_CHECKPOINT_DIR = os.environ.get(
        "AUDIT_CHECKPOINT_DIR", str(INSTANCE_DIR / "audit-checkpoints")
    )


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    # SECRET_KEY from the environment, else a random key made once in this file.
    SECRET_KEY_FILE = Path(os.environ.get("SECRET_KEY_FILE", INSTANCE_DIR / "secret_key"))
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'aftercare.sqlite'}"
    )
    AUDIT_KEY = os.environ.get("AUDIT_KEY", DEFAULT_AUDIT_KEYS[0])

    @classmethod
    def secret_key(cls) -> str:
        """SECRET_KEY, or the instance file's key: a fresh clone runs with a key of its own.

        The file is made by the first start (`make run` migrates first) and linked into
        place atomically, so processes starting together read the same key.
        """
        if key := os.environ.get("SECRET_KEY"):
            return key
        path = cls.SECRET_KEY_FILE
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            draft = path.with_name(f".{path.name}.{os.getpid()}")
            draft.write_text(secrets.token_hex(32) + "\n")
            draft.chmod(0o600)
            try:
                os.link(draft, path)
            except FileExistsError:
                pass  # another process made it first: use theirs
            finally:
                draft.unlink()
        return path.read_text().strip()


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashing keeps the suite quick
    DASHBOARD_CACHE_SECONDS = 0  # tests see fresh figures
    AUDIT_KEY = DEFAULT_AUDIT_KEYS[1]


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    @classmethod
    def check(cls) -> None:
        """Refuse to start without real secrets: a bad deploy must fail at start-up."""
        required = ("SECRET_KEY", "DATABASE_URL", "AUDIT_KEY")
        missing = [name for name in required if not os.environ.get(name)]
        if missing:
            raise RuntimeError(
                f"운영 환경에는 이 환경 변수가 필요합니다 / Production needs these environment "
                f"variables: {missing}"
            )
        if os.environ["SECRET_KEY"] in DEFAULT_SECRETS:
            raise RuntimeError(
                "운영 환경은 저장소에 있는 기본 SECRET_KEY로 시작하지 않습니다 / "
                "Production refuses a default SECRET_KEY"
            )
        storage = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        if storage.startswith("memory://") and os.environ.get("RATELIMIT_ALLOW_MEMORY") != "1":
            raise RuntimeError(
                "운영 환경은 프로세스마다 따로 세는 요청 제한 저장소(memory://)를 쓰지 않습니다: "
                "RATELIMIT_STORAGE_URI=redis://…를 설정하거나, 프로세스가 하나뿐이면 "
                "RATELIMIT_ALLOW_MEMORY=1 / Production refuses per-process rate-limit storage "
                "(memory://): set RATELIMIT_STORAGE_URI=redis://…, or RATELIMIT_ALLOW_MEMORY=1 "
                "for one process"
            )
        audit_key = os.environ["AUDIT_KEY"]
        if audit_key in DEFAULT_AUDIT_KEYS or len(audit_key) < MIN_AUDIT_KEY_LENGTH:
            raise RuntimeError(
                "운영 환경은 기본값이거나 32자보다 짧은 AUDIT_KEY를 거부합니다 / "
                "Production refuses a default AUDIT_KEY or one shorter than 32 characters"
            )


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(env: str | None = None) -> type[Config]:
    """Return the config class named by AFTERCARE_ENV (or `env`)."""
    name = env or os.environ.get("AFTERCARE_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(
            f"알 수 없는 AFTERCARE_ENV {name!r}: {sorted(CONFIGS)} 중 하나 / "
            f"Unknown AFTERCARE_ENV {name!r}; use one of {sorted(CONFIGS)}"
        )
    return CONFIGS[name]
