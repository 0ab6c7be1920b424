"""Errors a workflow raises when a request breaks a rule.

The API maps each class to a GraphQL error code; the message is written for a
person reading it in a front end.
"""


class DomainError(Exception):
    """Base class: a request the rules refuse."""

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, field: str | None = None,
                 reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        # A stable name of the rule that refused, for a front end to show (FORBIDDEN).
        self.reason = reason


class InvalidInput(DomainError):
    """A value is malformed or outside its allowed range."""


class NotFound(DomainError):
    """The record does not exist, or the caller may not know it exists."""

    code = "NOT_FOUND"


class Forbidden(DomainError):
    """The caller may not perform this operation."""

    code = "FORBIDDEN"


class Conflict(DomainError):
    """The record changed since the caller read it, or a uniqueness rule clashes."""

    code = "CONFLICT"
