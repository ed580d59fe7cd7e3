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
