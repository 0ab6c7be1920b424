"""Typed GraphQL errors: every error leaves with an ``extensions.code``.

Codes: BAD_USER_INPUT, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, CONFLICT,
GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, UNAVAILABLE when the database or
Redis cannot serve (down, restarting, a lock or statement timeout: see `api.faults`),
and INTERNAL for faults. The messages of the last two are masked. An operation that
met UNAVAILABLE is answered as a whole with it, without data. `HTTP_STATUS` gives
the status of an answer refused as a whole with each code.
"""

import logging
from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from api.commits import commit_operation
from api.faults import is_unavailable
from domain.errors import DomainError

log = logging.getLogger("cadre.errors")
INTERNAL_MESSAGE = "Internal server error."
UNAVAILABLE_MESSAGE = "The service is unavailable for a moment; retry shortly."

#: The HTTP status of an answer refused as a whole (no data) with this code.
HTTP_STATUS: dict[str, int] = {
    "BAD_REQUEST": 400,
    "BAD_USER_INPUT": 400,
    "GRAPHQL_PARSE_FAILED": 400,
    "GRAPHQL_VALIDATION_FAILED": 400,
    "OPERATION_TOO_COMPLEX": 400,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "PERSISTED_QUERY_REQUIRED": 403,
    "NOT_FOUND": 404,
    "PERSISTED_QUERY_NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "NOT_ACCEPTABLE": 406,
    "CONFLICT": 409,
    "PAYLOAD_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "RATE_LIMITED": 429,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "TIMEOUT": 504,
}


def error_body(message: str, code: str) -> dict[str, Any]:
    """A GraphQL response body carrying one error, for answers outside execution."""
    return {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}


def classify(error: GraphQLError) -> str:
    """The ``extensions.code`` an error leaves with."""
    original = error.original_error
    if isinstance(original, DomainError):
        return original.code
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"
    if original is None:
        if error.extensions and "code" in error.extensions:
            return str(error.extensions["code"])
        if error.path is None:
            if error.message.startswith("Variable '$"):
                return "BAD_USER_INPUT"
            return "GRAPHQL_VALIDATION_FAILED"
    if isinstance(original, GraphQLError):
        return classify(original)
    if is_unavailable(original):
        return "UNAVAILABLE"
    return "INTERNAL"


def present(error: GraphQLError) -> GraphQLError:
    """The error as the client sees it: a code added, an unexpected fault masked."""
    code = classify(error)
    original = error.original_error
    extensions: dict[str, Any] = {**(error.extensions or {}), "code": code}
    message = error.message
    if isinstance(original, DomainError) and original.field:
        extensions["field"] = original.field
    if isinstance(original, DomainError) and original.reason:
        extensions["reason"] = original.reason
    if code == "INTERNAL":
        message = INTERNAL_MESSAGE
    elif code == "UNAVAILABLE":
        message = UNAVAILABLE_MESSAGE
    return GraphQLError(message, nodes=error.nodes, path=error.path, extensions=extensions)


def log_errors(errors: list[GraphQLError]) -> None:
    """Log faults: INTERNAL with its traceback, UNAVAILABLE in one line. A refusal is
    not logged here: the request's own line (`api.logs`) carries its code."""
    for error in errors:
        code = classify(error)
        if code == "INTERNAL":
            log.error("internal error at %s", error.path, exc_info=error.original_error)
        elif code == "UNAVAILABLE":
            log.warning("dependency unavailable at %s: %r", error.path, error.original_error)


class ErrorPolicy(SchemaExtension):
    """Ends every operation: commits it (`api.commits`), then codes every error, masks
    faults, and adds the field denials of the request.

    The commit happens here, after the result exists and before the answer leaves,
    because an answer must say "done" exactly when its change and its audited reads
    were committed. An operation that met an unavailable dependency is rolled back and
    answered as a whole with UNAVAILABLE (HTTP 503): a partial answer would hide which
    of its parts were lost.
    """

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        result = self.execution_context.result
        if result is None:
            return
        execution = self.execution_context
        mutation = (execution.graphql_document is not None  # None: it did not parse
                    and execution.operation_type is OperationType.MUTATION)
        await settle(execution.context, result, mutation=mutation)


async def settle(context: Any, result: Any, *, mutation: bool) -> None:
    """Commit the operation behind ``result`` (or roll it back), then code its errors,
    mask faults and add the request's field denials, in place (`ErrorPolicy`).

    Args:
        context: the request's context (unit of work, denials, reads).
        result: the operation's ``ExecutionResult``, not yet sent.
        mutation: whether the operation is a mutation.
    """
    denials = getattr(context, "denials", None)
    errors = list(getattr(result, "errors", None) or [])
    unavailable = [error for error in errors if classify(error) == "UNAVAILABLE"]
    failure: GraphQLError | None = unavailable[0] if unavailable else None
    if failure is not None:
        await _roll_back(context)
    elif getattr(context, "uow", None) is not None:
        try:
            await commit_operation(context, result, mutation=mutation)
        except Exception as fault:  # noqa: BLE001 - any failure withholds the answer
            if is_unavailable(fault):
                log.warning("operation not committed, answer withheld: %r", fault)
            else:
                log.error("operation not committed; answer withheld", exc_info=fault)
            failure = GraphQLError(INTERNAL_MESSAGE, original_error=fault)
            await _roll_back(context)
    if failure is not None:
        result.data = None
        errors = [failure]
        if denials is not None:
            denials.clear()
    presented = [present(error) for error in errors]
    if denials is not None:
        presented.extend(denials.errors())
    result.errors = presented or None


async def _roll_back(context: Any) -> None:
    uow = getattr(context, "uow", None)
    if uow is None:
        return
    try:
        await uow.rollback()
    except Exception:  # noqa: BLE001 - a lost transaction is discarded by the server anyway
        log.warning("rollback failed", exc_info=True)
