"""Error bases every domain subclasses; they know nothing of HTTP or the terminal."""

from typing import Any


class GridriskError(Exception):
    slug = "error"
    title = "gridrisk error"

    def fields(self) -> list[dict[str, Any]]:
        return []


class NotFound(GridriskError):
    slug = "not-found"
    title = "Not found"


class Conflict(GridriskError):
    slug = "conflict"
    title = "Conflict"


class StaleVersion(Conflict):
    slug = "stale-version"
    title = "Stale version"

    def __init__(self, what: str, *, expected: int, actual: int) -> None:
        super().__init__(f"{what} is at version {actual}, not {expected}: reload and retry")
        self.expected = expected
        self.actual = actual


class InvalidInput(GridriskError):
    """Bad input, naming the field and the reason."""

    slug = "invalid-input"
    title = "Invalid input"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    def fields(self) -> list[dict[str, Any]]:
        return [{"field": self.field, "reason": self.reason}]


class BadRequest(InvalidInput):
    """A query a standard's client sent wrong (OGC API – Features, Open311 answer these with
    400, not 422), naming the parameter and the reason."""

    slug = "bad-request"
    title = "Bad request"


class Unavailable(GridriskError):
    """A part gridrisk needs (a database server, PostGIS, a binary) is missing or down."""

    slug = "unavailable"
    title = "Service unavailable"


class NotSignedIn(GridriskError):
    """No valid session or token: sign in first."""

    slug = "not-signed-in"
    title = "Not signed in"


class Forbidden(GridriskError):
    """The caller's role may not do this, whatever the record."""

    slug = "forbidden"
    title = "Forbidden"


class PreconditionRequired(GridriskError):
    """A write that must name the version it read did not."""

    slug = "precondition-required"
    title = "Precondition required"


class TooManyAttempts(GridriskError):
    slug = "too-many-attempts"
    title = "Too many attempts"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
