"""Sign-in, sign-out, own password, language."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from flask_login import current_user, login_required, login_user, logout_user

from aftercare.auth import services
from aftercare.auth.forms import (
    ChangePasswordForm,
    ChoosePasswordForm,
    LoginForm,
    SignOutEverywhereForm,
)
from aftercare.auth.login import (
    account_key,
    address_key,
    login_failed,
    login_limit,
    user_for_session_id,
)
from aftercare.auth.models import User
from aftercare.core.web.forms import apply_errors
from aftercare.db import utcnow
from aftercare.domain.errors import ValidationFailed
from aftercare.domain.vocab import LANGUAGES
from aftercare.extensions import limiter

bp = Blueprint("auth", __name__)
REMEMBER_COOKIE = "remember_token"  # Flask-Login's default REMEMBER_COOKIE_NAME


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    # Browsers read "/\\host" as "//host": refuse backslashes and control characters too.
    if "\\" in target or any(ord(c) < 0x20 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def wait_text(seconds: int) -> str:
    """How long to wait, in words: '40초', '약 2분'."""
    if seconds < 60:
        return _("%(count)d seconds", count=max(seconds, 1))
    return _("about %(count)d minutes", count=-(-seconds // 60))


def login_throttled(limit: RequestLimit) -> Response:
    """The sign-in form again (e-mail kept), saying how long until the next try.

    Called once per breached limit (this account, this address): the longest wait wins.
    """
    wait = max(g.get("login_wait", 0), limit.reset_at - int(time.time()))
    g.login_wait = wait
    message = _(
        "Too many failed sign-ins with this e-mail or from this network. "
        "Wait %(wait)s, then try again.",
        wait=wait_text(wait),
    )
    page = render_template("auth/login.html", form=LoginForm(), throttled=message)
    return make_response(page, 429)


LOGIN_LIMIT = {"methods": ["POST"], "deduct_when": login_failed, "on_breach": login_throttled}


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, key_func=account_key, **LOGIN_LIMIT)
@limiter.limit(login_limit, key_func=address_key, **LOGIN_LIMIT)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            g.login_failed = True
            form.password.errors.append(_("The e-mail or password is wrong."))
            return render_template("auth/login.html", form=form), 200
        session.clear()  # a fresh session on sign-in: no fixation
        if user.must_change_password:
            # Not signed in yet: the password someone else chose opens only this step.
            session[PASSWORD_STEP] = {"user": user.get_id(), "at": utcnow().timestamp()}
            session[PASSWORD_STEP_REMEMBER] = bool(form.remember.data)
            return redirect(url_for("auth.choose_password"))
        login_user(user, remember=form.remember.data)
        services.note_sign_in(user)
        return redirect(_safe_next(request.args.get("next")) or url_for("home.index"))
    return render_template("auth/login.html", form=form)


PASSWORD_STEP = "password_step"  # in the session between sign-in and the new password
PASSWORD_STEP_REMEMBER = "password_step_remember"
PASSWORD_STEP_SECONDS = 600


def _user_choosing_password() -> User | None:
    """The user who signed in with a reset password in the last ten minutes, if any."""
    step = session.get(PASSWORD_STEP)
    if not isinstance(step, dict):
        return None
    if utcnow().timestamp() - float(step.get("at", 0)) > PASSWORD_STEP_SECONDS:
        return None
    user = user_for_session_id(str(step.get("user", "")))
    return user if user is not None and user.active and user.must_change_password else None


@bp.route("/account/new-password", methods=["GET", "POST"])
def choose_password():
    """After a reset: the user chooses their own password before anything else."""
    user = _user_choosing_password()
    if user is None:
        session.pop(PASSWORD_STEP, None)
        flash(_("Sign in again to choose your new password."), "warning")
        return redirect(url_for("auth.login"))
    form = ChoosePasswordForm()
    if form.validate_on_submit():
        try:
            user = services.choose_password_after_reset(user, form.new_password.data)
        except ValidationFailed as error:
            apply_errors(form, error)
        else:
            remember = bool(session.get(PASSWORD_STEP_REMEMBER))
            session.clear()
            login_user(user, remember=remember)
            services.note_sign_in(user)
            flash(_("Your new password is set. Welcome back."), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/choose_password.html", form=form, user=user)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = services.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except ValidationFailed as error:
            apply_errors(form, error)
        else:
            # Other devices are signed out; this browser goes on under the new version.
            login_user(user, remember=REMEMBER_COOKIE in request.cookies)
            flash(
                _("Password changed; your other devices and API tokens are signed out."), "success"
            )
            return redirect(url_for("home.index"))
    return render_template(
        "auth/change_password.html", form=form, everywhere_form=SignOutEverywhereForm()
    )


@bp.route("/account/sign-out-everywhere", methods=["GET", "POST"])
@login_required
def sign_out_everywhere():
    """GET asks for confirmation; POST ends every session of the user, this one too."""
    form = SignOutEverywhereForm()
    if form.validate_on_submit():
        services.sign_out_everywhere(current_user)
        logout_user()
        session.clear()
        flash(_("You are signed out on every device."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/sign_out_everywhere.html", form=form)


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str):
    if code in LANGUAGES:
        session["lang"] = code
        if current_user.is_authenticated:
            services.set_language(current_user, code)
    return redirect(_safe_next(request.form.get("next")) or url_for("home.index"))
