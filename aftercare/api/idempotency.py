"""Idempotency-Key on money-moving API calls (SPEC §8).

The same key, user, method, path and body returns the first successful answer
again; the same key with anything else is refused (422). Errors are not stored.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from flask import Response, make_response, request
from sqlalchemy.exc import IntegrityError

from aftercare.api.base import api_user
from aftercare.api.idempotency_model import IdempotencyRecord
from aftercare.db import DEFER_COMMIT
from aftercare.domain.errors import DomainError, ValidationFailed
from aftercare.extensions import db

HEADER = "Idempotency-Key"


def _fingerprint() -> str:
    body = request.get_data(cache=True) or b""
    return hashlib.sha256(
        b"\n".join([request.method.encode(), request.path.encode(), body])
    ).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise ValidationFailed(
            {HEADER: ["This key was used with another method, path or body."]},
            message="Idempotency-Key reused for a different request",
        )
    response = make_response(record.body, record.status_code)
    response.mimetype = "application/json"
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(
    view: Callable[..., Any] | None = None, *, one_transaction: bool = True
) -> Callable[..., Any]:
    """Wrap a flask-smorest view (outermost, under the route) to honour Idempotency-Key.

    `one_transaction`: the view's change and the key's record commit together (the
    services' own commits are deferred), so a crash can never leave a committed
    change without its record, whose retry would then be refused. A view that commits
    in several transactions by design (settlement, itself idempotent per date) stores
    its record after them.
    """
    if view is None:
        return functools.partial(idempotent, one_transaction=one_transaction)

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return (
                _answered_then_committed(view, args, kwargs)
                if one_transaction
                else view(*args, **kwargs)
            )
        if len(key) > 200:
            raise ValidationFailed({HEADER: ["At most 200 characters."]})
        user_id = api_user().id
        fingerprint = _fingerprint()
        record = IdempotencyRecord.find(user_id, key)
        if record is not None:
            return _replay(record, fingerprint)
        session = db.session()
        session.info[DEFER_COMMIT] = one_transaction
        try:
            response = make_response(view(*args, **kwargs))
        except DomainError:
            db.session.rollback()
            # a concurrent twin may have succeeded meanwhile
            record = IdempotencyRecord.find(user_id, key)
            if record is not None:
                return _replay(record, fingerprint)
            raise
        finally:
            session.info.pop(DEFER_COMMIT, None)
        if 200 <= response.status_code < 300:
            return _store(user_id, key, fingerprint, response)
        db.session.rollback()
        return response

    return wrapper


def _answered_then_committed(view: Callable[..., Any], args: tuple, kwargs: dict) -> Response:
    """A call without a key commits the same way, once, after its answer is built.

    The answer is then made from the objects as they were written, not loaded again
    after the commit expired them (three more round trips to the database per call).
    """
    session = db.session()
    session.info[DEFER_COMMIT] = True
    try:
        response = make_response(view(*args, **kwargs))
    finally:
        session.info.pop(DEFER_COMMIT, None)
    if 200 <= response.status_code < 300:
        db.session.commit()
    else:
        db.session.rollback()
    return response


def _store(user_id: int, key: str, fingerprint: str, response: Response) -> Response:
    """Commit the record with whatever the view left uncommitted; a twin's first wins."""
    db.session.add(
        IdempotencyRecord(
            user_id=user_id,
            key=key,
            fingerprint=fingerprint,
            status_code=response.status_code,
            body=response.get_data(as_text=True),
        )
    )
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent twin stored this key first: its answer stands
        db.session.rollback()
        record = IdempotencyRecord.find(user_id, key)
        if record is None:
            raise
        return _replay(record, fingerprint)
    return response
