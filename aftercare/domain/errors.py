"""Domain errors raised by services; each edge (pages, API, CLI) translates them once."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    http_status = 400

    def __init__(self, message: str = "", **extra: object) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class NotFound(DomainError):
    """The object does not exist, or the actor may not know it exists."""

    http_status = 404


class Forbidden(DomainError):
    """The actor sees the object but may not do this to it."""

    http_status = 403


class Conflict(DomainError):
    """The object is in a state that refuses the request."""

    http_status = 409

    def __init__(self, message: str, reason: str, **extra: object) -> None:
        super().__init__(message, reason=reason, **extra)
        self.reason = reason


class InvalidTransition(Conflict):
    """A ticket or claim transition that the state machine does not allow."""

    def __init__(self, message: str, current_status: str, reason: str = "invalid_transition"):
        super().__init__(message, reason=reason, current_status=current_status)
        self.current_status = current_status


class ValidationFailed(DomainError):
    """Input that breaks a rule; `errors` maps field names to messages."""

    http_status = 422

    def __init__(self, errors: dict[str, list[str]], message: str = "Validation failed"):
        super().__init__(message)
        self.errors = errors
