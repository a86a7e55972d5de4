"""What sign-in and the access checks refuse."""

from __future__ import annotations

from gridrisk.access.roles import DOES, Action
from gridrisk.errors import Forbidden, InvalidInput, NotFound, NotSignedIn


class SignInFailed(NotSignedIn):
    slug = "sign-in-failed"
    title = "Sign-in failed"

    def __init__(self) -> None:
        super().__init__("wrong name or password, or the account is disabled")


class RoleForbids(Forbidden):
    def __init__(self, role: str, action: Action) -> None:
        super().__init__(f"a {role} may not {DOES[action]}")
        self.role = role
        self.action = action


class NotYours(Forbidden):
    """A worker acting for another worker."""


class UnknownUser(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"no account named {name}")


class UnknownScope(InvalidInput):
    def __init__(self, code: str) -> None:
        super().__init__("region", f"{code} is neither a region nor a cell")
