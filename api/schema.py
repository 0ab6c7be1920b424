"""The Strawberry schema, with the field guards installed once at build time."""

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache

from api.errors import ErrorPolicy, log_errors
from api.guard import install_guards
from api.resolvers.mutations import Mutation
from api.resolvers.queries import Query


class CadreSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError],
                       execution_context: Any = None) -> None:
        log_errors(errors)


def build_schema(*, guarded: bool = True) -> strawberry.Schema:
    """The API schema; ``guarded=False`` only for measuring what authorization costs."""
    schema = CadreSchema(
        query=Query,
        mutation=Mutation,
        extensions=[
            ErrorPolicy,
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
        ],
    )
    if guarded:
        install_guards(schema)
    return schema


def schema_sdl() -> str:
    return build_schema(guarded=False).as_str() + "\n"
