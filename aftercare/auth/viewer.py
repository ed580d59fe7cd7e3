"""Who is asking: what a read needs of its caller, a signed-in User or a token's viewer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Viewer(Protocol):
    """What decides which tickets a caller sees and in which language (a User is one)."""

    @property
    def id(self) -> int: ...

    @property
    def role(self) -> str: ...

    @property
    def firm_id(self) -> int | None: ...

    @property
    def language(self) -> str: ...


@dataclass(frozen=True, slots=True)
class TokenViewer:
    """The user of an API token as one statement found them, without loading the User."""

    id: int
    role: str
    firm_id: int | None
    language: str


@dataclass(frozen=True, slots=True)
class PageViewer:
    """The signed-in user of a listed read page, as one statement found them.

    Stands in for the User as Flask-Login's `current_user`: it has what such a page
    shows and decides by (name, role, scope, language, unread count) and what
    Flask-Login asks of a user. Nothing on it loads more.
    """

    id: int
    role: str
    firm_id: int | None
    language: str
    name: str
    active: bool
    unread_notifications: int

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)
