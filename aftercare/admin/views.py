"""Administrator pages: users, activation, passwords, tokens."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from aftercare.admin.forms import ConfirmForm, ResetPasswordForm, UserCreateForm
from aftercare.approvals import services as approvals
from aftercare.approvals.models import ApprovalRequest
from aftercare.auth import services
from aftercare.auth.login import role_required
from aftercare.auth.models import User
from aftercare.core.pagination import keyset_page, parse_limit
from aftercare.core.web.forms import apply_errors
from aftercare.core.web.once import Done, submit_once
from aftercare.db import utcnow
from aftercare.domain.errors import DomainError, ValidationFailed
from aftercare.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required("admin")
def _admins_only() -> None:
    return None


@bp.route("/users")
def users():
    stmt = select(User)
    q = request.args.get("q", "").strip()
    if q:
        stmt = stmt.where(or_(User.email.contains(q.lower()), User.name.contains(q)))
    if request.args.get("role"):
        stmt = stmt.where(User.role == request.args["role"])
    page = keyset_page(
        stmt, User.id, parse_limit(request.args.get("limit")), request.args.get("cursor")
    )
    return render_template("admin/users.html", page=page, q=q, now=utcnow())


@bp.route("/users/new", methods=["GET", "POST"])
def create_user():
    form = UserCreateForm()
    if form.validate_on_submit():

        def create() -> Done:
            made = approvals.add_user(
                current_user,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                role=form.role.data,
                firm_id=form.firm_id.data,
                language=form.language.data,
            )
            if isinstance(made, ApprovalRequest):
                return Done(url_for("approvals.index"), _waiting(made))
            message = _("User %(email)s created.", email=made.email)
            return Done(url_for("admin.user_detail", user_id=made.id), message)

        try:
            return submit_once(form, create)
        except ValidationFailed as error:
            apply_errors(form, error)
    return render_template("admin/user_form.html", form=form)


def _waiting(request_: ApprovalRequest) -> str:
    return _("Request #%(id)d is waiting for another administrator's confirmation.", id=request_.id)


@bp.route("/users/<int:user_id>")
def user_detail(user_id: int):
    user = db.get_or_404(User, user_id)
    return render_template(
        "admin/user_detail.html",
        user=user,
        tokens=services.active_token_count(user.id),
        reset_form=ResetPasswordForm(),
        confirm_form=ConfirmForm(),
        now=utcnow(),
    )


@bp.route("/users/<int:user_id>/active", methods=["GET", "POST"])
def toggle_active(user_id: int):
    """GET asks for confirmation; POST does it."""
    user = db.get_or_404(User, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.set_user_active(current_user, user.id, not user.active)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            flash(_("Account updated."), "success")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/confirm.html", user=user, form=form, action="toggle_active")


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():

        def reset() -> Done:
            made = approvals.reset_user_password(current_user, user.id, form.password.data)
            if isinstance(made, ApprovalRequest):
                return Done(url_for("approvals.index"), _waiting(made))
            message = _(
                "Password reset; the user's API tokens were revoked. They must choose a "
                "new password at their next sign-in."
            )
            return Done(url_for("admin.user_detail", user_id=user.id), message)

        try:
            return submit_once(form, reset)
        except ValidationFailed as error:
            apply_errors(form, error)
    return render_template(
        "admin/user_detail.html",
        user=user,
        tokens=services.active_token_count(user.id),
        reset_form=form,
        confirm_form=ConfirmForm(),
        now=utcnow(),
    ), 422


@bp.route("/users/<int:user_id>/unlock", methods=["GET", "POST"])
def unlock(user_id: int):
    """Lift a lock after too many failed sign-ins (GET confirms, POST does it)."""
    user = db.get_or_404(User, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.unlock_user(current_user, user.id)
        flash(_("Account unlocked."), "success")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/confirm.html", user=user, form=form, action="unlock")


@bp.route("/users/<int:user_id>/tokens/revoke", methods=["GET", "POST"])
def revoke_tokens(user_id: int):
    user = db.get_or_404(User, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        count = services.revoke_user_tokens(current_user, user.id)
        flash(_("%(count)d token(s) revoked.", count=count), "success")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/confirm.html", user=user, form=form, action="revoke_tokens")
