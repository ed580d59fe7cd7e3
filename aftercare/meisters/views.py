"""Pages of the meisters feature: profiles list, create and edit.

Managers manage profiles; auditors read the list.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import String, cast, select

from aftercare.auth.login import role_required
from aftercare.auth.models import User
from aftercare.core.pagination import keyset_page, parse_limit
from aftercare.core.web.forms import apply_errors
from aftercare.domain.errors import Conflict, DomainError, ValidationFailed
from aftercare.domain.vocab import MAX_ID, REGIONS, SPECIALTIES, Role
from aftercare.extensions import db
from aftercare.meisters import services
from aftercare.meisters.forms import MeisterCreateForm, MeisterProfileForm, specialty_label
from aftercare.meisters.models import MeisterProfile
from aftercare.meisters.queries import loads_and_ratings, profile_by_user

bp = Blueprint("meisters", __name__, url_prefix="/meisters")

# Ids are 32-bit integer columns: a larger one matches no route (404) instead of
# overflowing the database driver (500).


def _json_list_has(column: Any, code: str) -> Any:
    """`code` is in a JSON list column (codes are plain words, so the quoted text is exact)."""
    return cast(column, String).contains(f'"{code}"', autoescape=True)


@bp.route("")
@role_required("manager", "auditor")
def index():
    specialty = request.args.get("specialty", "")
    region = request.args.get("region", "")
    stmt = select(MeisterProfile)
    if specialty in SPECIALTIES:
        stmt = stmt.where(_json_list_has(MeisterProfile.specialties, specialty))
    if region in REGIONS:
        stmt = stmt.where(_json_list_has(MeisterProfile.regions, region))
    try:
        page = keyset_page(
            stmt,
            MeisterProfile.id,
            parse_limit(request.args.get("limit")),
            request.args.get("cursor"),
        )
    except ValidationFailed:
        flash(_("The page address was not valid; showing the first page."), "warning")
        return redirect(url_for("meisters.index"))
    return render_template(
        "meisters/index.html",
        page=page,
        derived=loads_and_ratings([profile.user_id for profile in page.items]),
        specialty=specialty,
        region=region,
        specialties=SPECIALTIES,
        regions=REGIONS,
        specialty_label=specialty_label,
    )


def meister_users_without_profile() -> list[tuple[int, str]]:
    """(id, label) of every `meister` user who has no profile yet, by name."""
    has_profile = select(MeisterProfile.id).where(MeisterProfile.user_id == User.id).exists()
    rows = db.session.execute(
        select(User.id, User.name, User.email)
        .where(User.role == Role.MEISTER, ~has_profile)
        .order_by(User.name, User.id)
    ).all()
    return [(row.id, f"{row.name} ({row.email})") for row in rows]


def _add_service_errors(form: MeisterProfileForm) -> None:
    """Also show the service's findings on the fields the form itself passed."""
    data = form.to_data()
    if form.max_load.errors:
        data.pop("max_load")
    for name, messages in services.validate_profile(data).items():
        field = getattr(form, name)
        if not field.errors:
            field.errors = [_(m) for m in messages]


def _save(form: MeisterProfileForm, save: Any) -> MeisterProfile | None:
    """Validate the form and call `save(data)`; on failure put the errors on the form."""
    if not form.validate_on_submit():
        if form.is_submitted():
            _add_service_errors(form)
        return None
    try:
        return save(form.to_data())
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
    except Conflict as error:
        db.session.rollback()
        form.form_errors.append(_(error.message))
    except DomainError as error:
        db.session.rollback()
        flash(_(error.message), "danger")
    return None


@bp.route("/new", methods=["GET", "POST"])
@role_required("manager")
def new():
    form = MeisterCreateForm(users=meister_users_without_profile())
    profile = _save(
        form, lambda data: services.create_profile(current_user, form.user_id.data, data)
    )
    if profile is not None:
        flash(_("Profile of %(name)s created.", name=profile.user.name), "success")
        return redirect(url_for("meisters.index"))
    status = 422 if form.is_submitted() else 200
    return render_template("meisters/form.html", form=form, profile=None), status


@bp.route(f"/<int(max={MAX_ID}):user_id>/edit", methods=["GET", "POST"])
@role_required("manager")
def edit(user_id: int):
    profile = profile_by_user(user_id)
    if profile is None:
        abort(404)
    form = MeisterProfileForm(obj=profile) if request.method == "GET" else MeisterProfileForm()
    saved = _save(form, lambda data: services.update_profile(current_user, user_id, data))
    if saved is not None:
        flash(_("Profile of %(name)s saved.", name=saved.user.name), "success")
        return redirect(url_for("meisters.index"))
    status = 422 if form.is_submitted() else 200
    return render_template("meisters/form.html", form=form, profile=profile), status
