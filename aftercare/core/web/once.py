"""One-time tokens for HTML forms that create something or move money.

Such a form is a `OnceForm`: it carries `once_token`, made when the form is drawn.
Its view runs the action through `submit_once`, which commits the action's change and
a record of the token (the address of what the action made) in one transaction: the
table and the rule of the API's `Idempotency-Key` (api/idempotency.py), so money
moved from a page is guarded by the same key as money moved by the API.

Sending the same form again (a double click, a reload after POST, Back and submit)
finds the record and goes to what the first submission made, saying so, instead of
filing, funding or approving twice. Two submissions racing each other: the second's
record collides with the first's on the unique key and its whole transaction rolls
back. A form drawn anew gets a new token: that is a new request, as it should be.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import NamedTuple

from flask import Response, flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField

from aftercare.api.idempotency_model import IdempotencyRecord
from aftercare.db import DEFER_COMMIT
from aftercare.domain.errors import DomainError
from aftercare.extensions import db

KEY_PREFIX = "form:"


def new_token() -> str:
    return secrets.token_urlsafe(18)


class OnceForm(FlaskForm):
    """A form whose submission takes effect once (see the module's docstring)."""

    # A POST without the field (an old page, a script) gets a fresh token: it is
    # simply not deduplicated, like an API call without Idempotency-Key.
    once_token = HiddenField(default=new_token)


class Done(NamedTuple):
    """What an action made: where to go next, and what to tell the person."""

    url: str
    message: str
    category: str = "success"


def submit_once(
    form: OnceForm, action: Callable[[], Done], *, one_transaction: bool = True
) -> Response:
    """Run `action` once for the form's token and redirect to what it made.

    `action` calls a service and returns a `Done`. A domain error raised by it goes
    to the caller, after a rollback, to show as usual: nothing is recorded, so the
    corrected form can be sent again with the same token. `one_transaction=False` is
    for an action that commits in steps by design (a settlement run, itself
    idempotent per date): its record is stored after it, as the API does.
    """
    user_id = current_user.id
    key = KEY_PREFIX + _token_of(form)
    if (record := IdempotencyRecord.find(user_id, key)) is not None:
        return _already_done(record)
    session = db.session()
    session.info[DEFER_COMMIT] = one_transaction
    try:
        done = action()
    except DomainError:
        db.session.rollback()
        if (record := IdempotencyRecord.find(user_id, key)) is not None:
            return _already_done(record)  # its twin made it while this one waited
        raise
    finally:
        session.info.pop(DEFER_COMMIT, None)
    db.session.add(
        IdempotencyRecord(
            user_id=user_id,
            key=key,
            fingerprint=hashlib.sha256(request.path.encode()).hexdigest(),
            status_code=303,
            body=done.url,
        )
    )
    try:
        db.session.commit()
    except IntegrityError:  # its twin committed the same token first: that one stands
        db.session.rollback()
        record = IdempotencyRecord.find(user_id, key)
        if record is None:
            raise
        return _already_done(record)
    flash(done.message, done.category)
    return redirect(done.url)


def _token_of(form: OnceForm) -> str:
    """The form's token; a missing or malformed one (not from our page) counts as new."""
    token = form.once_token.data
    if isinstance(token, str) and 0 < len(token) <= 64 and token.isascii():
        return token
    return new_token()


def _already_done(record: IdempotencyRecord) -> Response:
    flash(
        _("This request was already processed. Here is what it made; nothing was done twice."),
        "info",
    )
    return redirect(record.body)
