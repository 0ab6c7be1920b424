"""The short query path completes awaitable values where they stand (a child left to the
per-request DataLoaders, a resolver's coroutine): the operation runs once, the children of
a list load in one batch, and the answer, errors and nulls included, is graphql-core's."""

from collections import Counter
from typing import Any

import pytest
import strawberry
from strawberry.dataloader import DataLoader
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.execution import CompiledExecutionContext
from api.loaders import later


class Calls:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.children = DataLoader(self._children)

    async def _children(self, keys: list[int]) -> list[list[int]]:
        self.counts["batch"] += 1
        return [[key * 10, key * 10 + 1] for key in keys]


@strawberry.type
class Child:
    value: int

    @strawberry.field
    async def doubled(self) -> int:
        return self.value * 2

    @strawberry.field
    async def required(self) -> int:
        if self.value % 10 == 1:
            raise ValueError(f"no value for {self.value}")
        return self.value


@strawberry.type
class Parent:
    id: int
    children: list[Child | None]  # a Later: loaded when the executor reaches it


@strawberry.type
class Query:
    @strawberry.field
    async def parents(self, info: strawberry.Info) -> list[Parent]:
        calls: Calls = info.context["calls"]
        calls.counts["parents"] += 1

        def children_of(key: int) -> Any:
            async def load() -> list[Child | None]:
                return [Child(value=v) for v in await calls.children.load(key)]
            return later(load)

        return [Parent(id=key, children=children_of(key)) for key in (1, 2, 3)]


def _schema(context_class: type) -> strawberry.Schema:
    return strawberry.Schema(query=Query, execution_context_class=context_class)


SHORT = _schema(CompiledExecutionContext)
GENERAL = _schema(StrawberryGraphQLCoreExecutionContext)

QUERIES = [
    "{ parents { id children { value doubled } } }",
    "{ parents { id children { value required } } }",
    "{ parents { id ... on Parent { kids: children { value } } } }",
]


async def _run(schema: strawberry.Schema, query: str) -> tuple[Any, list[Any], Calls]:
    calls = Calls()
    result = await schema.execute(query, context_value={"calls": calls})
    errors = sorted((e.message, tuple(e.path or ())) for e in result.errors or ())
    return result.data, errors, calls


@pytest.mark.parametrize("query", QUERIES)
async def test_awaitable_children_on_the_short_path_run_the_operation_once(query):
    # when the short path reaches children that are awaitable
    data, errors, calls = await _run(SHORT, query)
    # then the root ran once and the children of the whole list loaded in one batch
    assert calls.counts == {"parents": 1, "batch": 1}
    # and the answer is graphql-core's, errors and nulls included
    assert (data, errors) == (await _run(GENERAL, query))[:2]
    assert data is not None and [p["id"] for p in data["parents"]] == [1, 2, 3]


async def test_a_null_in_a_non_null_awaited_field_nulls_its_parent_as_graphql_core_does():
    data, errors, _ = await _run(SHORT, QUERIES[1])
    assert errors and all(message.startswith("no value for") for message, _ in errors)
    # each Child with a missing required value is null in its list, the others are there
    assert data["parents"][0]["children"] == [{"value": 10, "required": 10}, None]
