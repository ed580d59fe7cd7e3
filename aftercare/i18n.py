"""Language and time-zone selection (Korean by default, English switchable)."""

from __future__ import annotations

from flask import current_app, g, session
from flask_login import current_user

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
