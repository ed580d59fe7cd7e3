"""Accounts: users, sign-in, passwords and API tokens (the only write path)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from aftercare.audit.services import record_event
from aftercare.auth.models import ApiToken, User
from aftercare.db import utcnow
from aftercare.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from aftercare.domain.passwords import password_problems, sign_in_wait
from aftercare.domain.text import N_
from aftercare.domain.vocab import LANGUAGES, PRIVILEGED_ROLES, Role
from aftercare.extensions import db
from aftercare.firms.models import Firm

# One per hash method, made like real hashes: an unknown e-mail costs the same work.
_DUMMY_HASHES: dict[str, str] = {}


def normalize_email(email: str) -> str:
    return email.strip().lower()


def password_hash_method() -> str:
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")  # Werkzeug's default


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=password_hash_method())


def dummy_hash() -> str:
    """The hash checked when the e-mail is unknown, so timing tells no one it exists."""
    method = password_hash_method()
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = hash_password(secrets.token_urlsafe(16))
    return _DUMMY_HASHES[method]


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None.

    Consecutive failures are counted per account; from the fifth on, the account waits
    a growing while (`sign_in_wait`) before it takes a password again. Tries during
    the wait are refused and not counted; admins see the wait and can lift it. The
    per-minute throttle comes first.
    """
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(dummy_hash(), password)
        return None
    good = check_password_hash(user.password_hash, password)
    now = utcnow()
    if user.is_locked(now) or not user.active:
        return None
    user = db.session.get(User, user.id)
    if not good:
        # Counted in the database, so failures racing each other are all counted.
        failures = db.session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_logins=User.failed_logins + 1)
            .returning(User.failed_logins)
            .execution_options(synchronize_session=False)
        ).scalar_one()
        if wait := sign_in_wait(failures):
            user.locked_until = now + wait
            record_event(
                None,
                "user.locked",
                "user",
                user.id,
                after={"failures": failures, "until": user.locked_until},
            )
        db.session.commit()
        return None
    if user.failed_logins or user.locked_until:
        user.failed_logins = 0
        user.locked_until = None
        db.session.commit()
    return user


def unlock_user(actor: User, user_id: int) -> User:
    user = _admin_target(actor, user_id)
    user.failed_logins = 0
    user.locked_until = None
    record_event(actor.id, "user.unlock", "user", user.id)
    db.session.commit()
    return user


def note_sign_in(user: User) -> None:
    user = db.session.get(User, user.id)
    user.last_login_at = utcnow()
    record_event(user.id, "user.sign_in", "user", user.id)
    db.session.commit()


def check_new_user(
    email: str, name: str, password: str, role: str, firm_id: int | None, language: str
) -> None:
    """Raise ValidationFailed, field by field, unless these make a valid new user."""
    errors: dict[str, list[str]] = {}
    if "@" not in email or len(email) > 254:
        errors["email"] = [N_("Enter a valid e-mail address.")]
    elif find_user_by_email(email) is not None:
        errors["email"] = [N_("A user with this e-mail already exists.")]
    if not name.strip():
        errors["name"] = [N_("Enter a name.")]
    if role not in {r.value for r in Role}:
        errors["role"] = [f"Role must be one of {', '.join(r.value for r in Role)}."]
    if role == Role.FIRM:
        if firm_id is None:
            errors["firm_id"] = [N_("A firm user needs a firm.")]
        elif db.session.get(Firm, firm_id) is None:
            errors["firm_id"] = [N_("No firm with this id.")]
    elif firm_id is not None:
        errors["firm_id"] = [N_("Only firm users belong to a firm.")]
    if language not in LANGUAGES:
        errors["language"] = [N_("Language must be ko or en.")]
    if problems := password_problems(password, email):
        errors["password"] = problems
    if errors:
        raise ValidationFailed(errors)


def _second_admin_needed() -> Conflict:
    return Conflict(
        N_("A second administrator must confirm this for a manager, auditor or administrator."),
        reason="four_eyes",
    )


def create_user(
    actor: User | None,
    *,
    email: str,
    name: str,
    password: str,
    role: str,
    firm_id: int | None = None,
    language: str = "ko",
    password_hash: str | None = None,
) -> User:
    """Create a user (admins, or the CLI when actor is None).

    An admin's manager, auditor or admin account needs a second admin's confirmation:
    approvals.services.add_user asks for it, then `create_confirmed_user` makes it.
    `password_hash`: `password` hashed already (the demo seed hashes its one password
    once for its many accounts instead of a fifth of a second each).
    """
    if actor is not None and actor.role != Role.ADMIN:
        raise Forbidden("Only administrators create users")
    if actor is not None and role in PRIVILEGED_ROLES:
        raise _second_admin_needed()
    email = normalize_email(email)
    check_new_user(email, name, password, role, firm_id, language)
    details = {"email": email, "name": name, "role": role, "language": language}
    return _insert_user(
        actor.id if actor else None,
        details,
        password_hash or hash_password(password),
        firm_id=firm_id,
    )


def create_confirmed_user(
    confirmer: User, requested_by_id: int, details: dict[str, str], password_hash: str
) -> User:
    """The privileged account one admin asked for and another (`confirmer`) confirmed."""
    if find_user_by_email(details["email"]) is not None:
        raise Conflict(N_("A user with this e-mail already exists."), reason="email_taken")
    return _insert_user(
        confirmer.id, details, password_hash, audit={"requested_by": requested_by_id}
    )


def _insert_user(
    actor_id: int | None,
    details: dict[str, str],
    password_hash: str,
    *,
    firm_id: int | None = None,
    audit: dict[str, int] | None = None,
) -> User:
    role = details["role"]
    user = User(
        email=details["email"],
        name=details["name"].strip(),
        password_hash=password_hash,
        role=role,
        firm_id=firm_id if role == Role.FIRM else None,
        language=details["language"],
        active=True,
        password_changed_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    record_event(
        actor_id,
        "user.create",
        "user",
        user.id,
        after={"email": user.email, "role": role, "firm_id": user.firm_id, **(audit or {})},
    )
    db.session.commit()
    return user


def _admin_target(actor: User, user_id: int) -> User:
    if actor.role != Role.ADMIN:
        raise Forbidden("Only administrators manage users")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user")
    return user


def set_user_active(actor: User, user_id: int, active: bool) -> User:
    """Activate or deactivate a user; deactivation also revokes their tokens."""
    user = _admin_target(actor, user_id)
    if user.id == actor.id and not active:
        raise Forbidden(N_("You cannot deactivate your own account"))
    before = user.active
    user.active = active
    if not active:
        _revoke_all_tokens(user.id)
        _end_sessions(user)
    record_event(
        actor.id,
        "user.activate" if active else "user.deactivate",
        "user",
        user.id,
        before={"active": before},
        after={"active": active},
    )
    db.session.commit()
    return user


def new_password_hash(actor: User, user_id: int, new_password: str) -> tuple[User, str]:
    """The user an admin resets, and the hash of the password chosen (checked)."""
    user = _admin_target(actor, user_id)
    if problems := password_problems(new_password, user.email):
        raise ValidationFailed({"password": problems})
    return user, hash_password(new_password)


def reset_password(actor: User, user_id: int, new_password: str) -> User:
    """An admin sets a firm or Meister user's password; it must be changed at sign-in.

    A manager's, auditor's or admin's reset needs a second admin: approvals asks for
    it, then `apply_confirmed_reset` sets it.
    """
    user, password_hash = new_password_hash(actor, user_id, new_password)
    if user.role in PRIVILEGED_ROLES:
        raise _second_admin_needed()
    _set_reset_password(user, password_hash)
    record_event(actor.id, "user.reset_password", "user", user.id)
    db.session.commit()
    return user


def apply_confirmed_reset(
    confirmer: User, requested_by_id: int, user_id: int, password_hash: str
) -> User:
    """The reset one admin asked for and another (`confirmer`) confirmed."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user")
    _set_reset_password(user, password_hash)
    record_event(
        confirmer.id,
        "user.reset_password",
        "user",
        user.id,
        after={"requested_by": requested_by_id, "confirmed_by": confirmer.id},
    )
    db.session.commit()
    return user


def _set_reset_password(user: User, password_hash: str) -> None:
    """A password someone else chose: every session and token ends, and the user must
    choose their own at the next sign-in."""
    user.password_hash = password_hash
    user.password_changed_at = utcnow()
    user.must_change_password = True
    _revoke_all_tokens(user.id)
    _end_sessions(user)


def change_password(user: User, current_password: str, new_password: str) -> User:
    """Change one's own password after checking the current one.

    Every session (other devices) and every API token of the user ends with the old
    password; the caller signs the current browser in again with the returned user.
    """
    user = db.session.get(User, user.id)
    if not check_password_hash(user.password_hash, current_password):
        raise ValidationFailed({"current_password": [N_("The current password is wrong.")]})
    if problems := password_problems(new_password, user.email):
        raise ValidationFailed({"new_password": problems})
    return _set_own_password(user, new_password)


def choose_password_after_reset(user: User, new_password: str) -> User:
    """At sign-in after a reset: the user replaces the password an admin chose."""
    user = db.session.get(User, user.id)
    if not user.must_change_password:
        raise Conflict(N_("Your password does not need to be changed."), reason="not_required")
    if problems := password_problems(new_password, user.email):
        raise ValidationFailed({"new_password": problems})
    if check_password_hash(user.password_hash, new_password):
        raise ValidationFailed(
            {"new_password": [N_("Choose a password other than the one you were given.")]}
        )
    return _set_own_password(user, new_password)


def _set_own_password(user: User, new_password: str) -> User:
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    revoked = _revoke_all_tokens(user.id)
    _end_sessions(user)
    record_event(
        user.id, "user.change_password", "user", user.id, after={"tokens_revoked": revoked}
    )
    db.session.commit()
    return user


def sign_out_everywhere(user: User) -> User:
    """End every session and remember cookie of `user`, on every device."""
    user = db.session.get(User, user.id)
    _end_sessions(user)
    record_event(user.id, "user.sign_out_everywhere", "user", user.id)
    db.session.commit()
    return user


def _end_sessions(user: User) -> None:
    """Bump the session version: cookies carrying the old one load nobody."""
    user.session_version = (user.session_version or 1) + 1


def set_language(user: User, language: str) -> None:
    if language not in LANGUAGES:
        raise ValidationFailed({"language": [N_("Language must be ko or en.")]})
    db.session.get(User, user.id).language = language
    db.session.commit()


def issue_token(user: User, ttl: timedelta | None = None) -> tuple[str, datetime]:
    """Create a bearer token; return the clear token (shown once) and its expiry."""
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + (ttl or current_app.config["API_TOKEN_TTL"])
    db.session.add(
        ApiToken(user_id=user.id, token_hash=ApiToken.hash_token(token), expires_at=expires_at)
    )
    record_event(user.id, "token.issue", "user", user.id, after={"expires_at": expires_at})
    db.session.commit()
    return token, expires_at


def revoke_token(user: User, token: str) -> None:
    """Revoke the caller's own token."""
    row = db.session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == ApiToken.hash_token(token), ApiToken.user_id == user.id
        )
    )
    if row is None:
        raise NotFound("No such token")
    row.revoked_at = row.revoked_at or utcnow()
    record_event(user.id, "token.revoke", "api_token", row.id)
    db.session.commit()


def revoke_user_tokens(actor: User, user_id: int) -> int:
    user = _admin_target(actor, user_id)
    count = _revoke_all_tokens(user.id)
    record_event(actor.id, "token.revoke_all", "user", user.id, after={"revoked": count})
    db.session.commit()
    return count


def _revoke_all_tokens(user_id: int) -> int:
    rows = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    ).all()
    now = utcnow()
    for row in rows:
        row.revoked_at = now
    return len(rows)


def active_token_count(user_id: int) -> int:
    return db.session.scalar(
        select(func.count(ApiToken.id)).where(
            ApiToken.user_id == user_id,
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > utcnow(),
        )
    )
