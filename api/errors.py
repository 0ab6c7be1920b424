"""Typed GraphQL errors: every error leaves with an ``extensions.code``.

Codes: BAD_USER_INPUT, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, CONFLICT,
GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, and INTERNAL for faults, whose
message is masked. `HTTP_STATUS` gives the status of an answer refused as a whole
with each code.
"""

import logging
from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from api.reads import write_reads
from domain.errors import DomainError

log = logging.getLogger("cadre.errors")
INTERNAL_MESSAGE = "Internal server error."

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
    return GraphQLError(message, nodes=error.nodes, path=error.path, extensions=extensions)


def log_errors(errors: list[GraphQLError]) -> None:
    """Log faults with their traceback; refusals of bad requests at info level, one line each."""
    for error in errors:
        code = classify(error)
        if code == "INTERNAL":
            log.error("internal error at %s", error.path, exc_info=error.original_error)
        else:
            log.info("request refused: %s %s (path %s)", code, error.message, error.path)


class ErrorPolicy(SchemaExtension):
    """Ends every operation: records its audited reads, then codes every error, masks
    faults, and adds the field denials of the request.

    The reads are recorded here, before the answer leaves, because an answer whose
    record could not be written must not leave at all.
    """

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        result = self.execution_context.result
        if result is None:
            return
        context = self.execution_context.context
        denials = getattr(context, "denials", None)
        reads = getattr(context, "reads", None)
        if reads and getattr(result, "data", None) is not None:
            try:
                mutation = self.execution_context.operation_type is OperationType.MUTATION
                await write_reads(context, fresh_transaction=mutation or bool(result.errors))
            except Exception as fault:  # noqa: BLE001 - any failure withholds the answer
                log.error("audited read not recorded; answer withheld", exc_info=fault)
                result.data = None
                result.errors = [GraphQLError(INTERNAL_MESSAGE, original_error=fault)]
                if denials is not None:
                    denials.clear()
        errors = [present(error) for error in (getattr(result, "errors", None) or [])]
        if denials is not None:
            errors.extend(denials.errors())
        result.errors = errors or None
