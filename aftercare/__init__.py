"""Aftercare: after-service tickets and cost sharing for smart factories."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import aftercare.models  # noqa: F401 - registers every table on the metadata
from aftercare.admin.views import bp as admin_bp
from aftercare.api.base import AftercareApi, api_guard, make_api
from aftercare.approvals.api import blp as approvals_blp
from aftercare.approvals.views import bp as approvals_bp
from aftercare.assets.api import blp as assets_blp
from aftercare.assets.views import bp as assets_bp
from aftercare.audit.views import bp as audit_bp
from aftercare.auth.api import blp as auth_blp
from aftercare.auth.login import configure_login_manager
from aftercare.auth.views import bp as auth_bp
from aftercare.choices.views import bp as choices_bp
from aftercare.claims.api import blp as claims_blp
from aftercare.claims.views import bp as claims_bp
from aftercare.cli.commands import init_commands
from aftercare.core.errors import init_error_handlers
from aftercare.core.transactions import configure_engine, end_read_requests_with_commit
from aftercare.core.web.i18n import select_locale, select_timezone
from aftercare.core.web.input_guard import refuse_nul_characters
from aftercare.core.web.json_provider import OrjsonProvider
from aftercare.core.web.sessions import CookieSessionInterface
from aftercare.core.web.templating import init_templating
from aftercare.domain.vocab import MAX_ID
from aftercare.extensions import babel, csrf, db, limiter, login_manager, migrate
from aftercare.firms.api import blp as firms_blp
from aftercare.firms.views import bp as firms_bp
from aftercare.jobs.views import bp as jobs_bp
from aftercare.ledger.api import blp as ledger_blp
from aftercare.ledger.views import bp as ledger_bp
from aftercare.meisters.api import blp as meisters_blp
from aftercare.meisters.evidence_api import blp as evidence_blp
from aftercare.meisters.evidence_views import bp as evidence_bp
from aftercare.meisters.views import bp as meisters_bp
from aftercare.meisters.work_api import blp as work_blp
from aftercare.notifications.views import bp as notifications_bp
from aftercare.recovery.api import blp as recovery_api_blp
from aftercare.recovery.views import bp as recovery_bp
from aftercare.reports.views import bp as home_bp
from aftercare.suppliers.api import blp as suppliers_blp
from aftercare.suppliers.views import bp as suppliers_bp
from aftercare.tickets.api import blp as tickets_blp
from aftercare.tickets.views import bp as tickets_bp
from config import DEFAULT_SECRETS, Config, DevelopmentConfig, ProductionConfig, config_for


class IdConverter(IntegerConverter):
    """`<int:…>` in routes: ids past MAX_ID do not match (404), never reach the database."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


ROOT = Path(__file__).resolve().parent.parent


# No inline scripts anywhere (charts read their data from JSON blocks); styles may be inline.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def create_app(config: type[Config] | dict[str, Any] | None = None) -> Flask:
    """Build the app; `config` is a Config class, or a dict of overrides on TestingConfig."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.json = OrjsonProvider(app)
    app.session_interface = CookieSessionInterface()
    _load_config(app, config)
    if proxies := int(app.config.get("TRUSTED_PROXIES") or 0):
        # The client address and scheme the trusted proxies saw (sign-in throttle, HTTPS).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    app.url_map.converters["int"] = IdConverter
    register_extensions(app)
    register_request_hooks(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def _load_config(app: Flask, config: type[Config] | dict[str, Any] | None) -> None:
    if isinstance(config, dict):
        app.config.from_object(config_for("testing"))
        app.config.update(config)
        return
    cls = config or config_for()
    app.config.from_object(cls)
    if cls is ProductionConfig or issubclass(cls, ProductionConfig):
        ProductionConfig.check()
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
        app.config["AUDIT_KEY"] = os.environ["AUDIT_KEY"]
        app.config["RATELIMIT_STORAGE_URI"] = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    elif issubclass(cls, DevelopmentConfig):
        app.config["SECRET_KEY"] = cls.secret_key()
    if not app.testing and (app.config["SECRET_KEY"] or "") in DEFAULT_SECRETS | {""}:
        env = getattr(cls, "ENV_NAME", cls.__name__)
        raise RuntimeError(
            f"{env} 환경은 기본값이거나 빈 SECRET_KEY로 시작하지 않습니다 / "
            f"{env} refuses a default or empty SECRET_KEY"
        )


def register_extensions(app: Flask) -> None:

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///") :]).parent.mkdir(
            parents=True, exist_ok=True
        )
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # pages call csrf.protect(); the API uses tokens

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    end_read_requests_with_commit(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)
    api = make_api()
    api.init_app(app)
    app.extensions["aftercare_api"] = api

    configure_login_manager(login_manager)


def register_request_hooks(app: Flask) -> None:

    @app.before_request
    def _request_id() -> None:
        # Ours, so audit events name requests no client can forge; the client's own id
        # is only logged beside it, to find the request from the client's side.
        g.request_id = uuid.uuid4().hex
        if client_id := request.headers.get("X-Request-ID", "")[:64]:
            app.logger.info("request %s: client X-Request-ID %r", g.request_id, client_id)

    app.before_request(refuse_nul_characters)

    @app.before_request
    def _guard() -> None:
        if request.path.startswith("/api/"):
            api_guard()  # bearer token: the token's User is current_user
        elif app.config["WTF_CSRF_ENABLED"] and request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()

    @app.teardown_request
    def _forget_user(_error: BaseException | None) -> None:
        # Flask-Login keeps the request's user on `g`, which outlives the request where
        # the app context does (a test's, a shell's): the next request finds its own.
        g.pop("_login_user", None)

    security_headers = dict(SECURITY_HEADERS)
    if app.config.get("SESSION_COOKIE_SECURE"):  # production: HTTPS only
        security_headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"

    @app.after_request
    def _headers(response: Any) -> Any:
        present = {name.lower() for name, _ in response.headers}  # one pass, not one per header
        response.headers.extend(
            (name, value) for name, value in security_headers.items() if name.lower() not in present
        )
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response


def register_blueprints(app: Flask) -> None:

    for blueprint in (
        auth_bp, admin_bp, home_bp, tickets_bp, claims_bp, firms_bp, meisters_bp, ledger_bp,
        jobs_bp, audit_bp, notifications_bp, assets_bp, approvals_bp, suppliers_bp, evidence_bp,
        recovery_bp, choices_bp,
    ):  # fmt: skip
        app.register_blueprint(blueprint)
    register_api_blueprints(app.extensions["aftercare_api"])


def register_errorhandlers(app: Flask) -> None:

    init_error_handlers(app)


def register_template_helpers(app: Flask) -> None:

    init_templating(app)


def register_commands(app: Flask) -> None:

    init_commands(app)


def register_api_blueprints(api: AftercareApi) -> None:
    """Every feature's /api/v1 blueprint, in one list to read."""

    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    blueprints = (auth_blp, firms_blp, meisters_blp, ledger_blp, tickets_blp, work_blp, claims_blp)
    for blueprint in (
        *blueprints,
        assets_blp,
        approvals_blp,
        suppliers_blp,
        evidence_blp,
        recovery_api_blp,
    ):
        api.register_blueprint(blueprint)
