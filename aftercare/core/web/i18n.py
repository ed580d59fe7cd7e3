"""Language and time-zone selection (Korean by default, English switchable)."""

from __future__ import annotations

from typing import Any

from babel import support
from flask import Flask, current_app, g, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

SEOUL = "Asia/Seoul"


def select_locale() -> str:
    """The signed-in user's language, else the session's choice, else Korean."""
    languages = current_app.config["LANGUAGES"]
    api_user = g.get("api_user")
    if api_user is not None:
        return api_user.language if api_user.language in languages else "ko"
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    chosen = session.get("lang")
    return chosen if chosen in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return SEOUL


def language() -> str:
    """The request's language code (`ko`/`en`), found once per request.

    Flask-Babel finds the locale again on every call; list pages ask for it per
    row. Templates render in the request's language (`force_locale`, used for
    e-mails, applies to Python gettext calls only).
    """
    code = g.get("language_code")
    if code is None:
        code = g.language_code = str(get_locale())
    return code


def translations() -> support.NullTranslations:
    """The request's catalogue, found once per request (see `language`)."""
    catalogue = g.get("translations")
    if catalogue is None:
        catalogue = g.translations = get_translations()
    return catalogue


@pass_eval_context
def template_gettext(eval_ctx: EvalContext, message: str, **variables: Any) -> str:
    """Template `_()`: as Jinja's newstyle gettext (always %-formatted, escaped), but direct.

    Jinja's own wrapper goes through two more context calls per message; a page
    translates fifty messages.
    """
    text = translations().ugettext(message)
    return (Markup(text) if eval_ctx.autoescape else text) % variables


def install_template_gettext(app: Flask) -> None:
    """Template `_()`, `gettext`, `ngettext`… read the request's catalogue directly."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals["_"] = template_gettext
