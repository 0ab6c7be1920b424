"""The measures of an operation: fragments expanded, lists multiplied by their size,
introspection left to graphql-core; no database needed."""

import time

import pytest
from graphql import GraphQLSyntaxError, get_introspection_query, parse

from api.list_sizes import LIST_SIZES, PAGE_ARGUMENT, is_object_list
from api.measures import Measurement, count_tokens, measure_operation
from api.schema import build_schema

SCHEMA = build_schema()._schema
PAGE = 100


def measure(query: str, variables: dict | None = None, name: str | None = None) -> Measurement:
    return measure_operation(SCHEMA, parse(query), name, variables, PAGE)


def test_a_list_multiplies_the_cost_of_its_selection_by_its_declared_size():
    units = LIST_SIZES["Query.units"]

    assert measure("{ units { id name } }").cost == 1 + units * 2
    assert measure("{ units { children { id } } }").cost == (
        1 + units * (1 + LIST_SIZES["Unit.children"] * 1))


def test_a_page_counts_first_items_from_a_literal_a_variable_or_the_default():
    literal = measure("{ cadres(first: 7) { totalCount } }")
    variable = measure("query P($n: Int!) { cadres(first: $n) { totalCount } }", {"n": 9})
    variable_default = measure("query P($n: Int = 4) { cadres(first: $n) { totalCount } }")
    absent = measure("{ cadres { totalCount } }")  # the argument's default, 20

    assert (literal.cost, variable.cost, variable_default.cost, absent.cost) == (8, 10, 5, 21)
    assert variable.page_variables == frozenset({"n"})


def test_a_backward_page_counts_last_items_as_a_forward_one_counts_first():
    literal = measure("{ cadres(last: 7) { edges { node { name } } } }")
    variable = measure("query P($n: Int) { cadres(last: $n) { totalCount } }", {"n": 9})
    null_first = measure("query P($f: Int, $n: Int) { cadres(first: $f, last: $n) "
                         "{ totalCount } }", {"f": None, "n": 30})

    assert literal.cost == 1 + 7 * (1 + 1 * (1 + 1))
    assert (variable.cost, null_first.cost) == (10, 31)
    assert null_first.page_variables == frozenset({"f", "n"})


def test_first_and_last_together_count_the_larger_and_never_beyond_the_largest_page():
    assert measure("{ cadres(first: 3, last: 50) { totalCount } }").cost == 51
    assert measure("{ auditEvents(last: 5000) { totalCount } }").cost == 1 + PAGE
    assert measure("{ cadres(last: null) { totalCount } }").cost == 21


def test_a_page_beyond_the_largest_or_not_a_number_counts_the_largest_page():
    assert measure("{ cadres(first: 5000) { totalCount } }").cost == 1 + PAGE
    assert measure("query P($n: Int) { cadres(first: $n) { totalCount } }",
                   {"n": "many"}).cost == 1 + PAGE


def test_connection_edges_are_counted_once_per_item_of_the_page():
    found = measure("{ cadres(first: 10) { edges { node { name } } } }")
    assert found.cost == 1 + 10 * (1 + 1 * (1 + 1))


def test_fragments_are_expanded_where_they_are_spread():
    query = """query { cadres(first: 2) { ...Page } again: cadres(first: 2) { ...Page } }
               fragment Page on CadreConnection { edges { node { who: name ...Deep } } }
               fragment Deep on Cadre { unit { parent { parent { name } } } }"""

    found = measure(query)

    assert found.depth == 6  # cadres > edges > node > unit > parent > parent > name
    assert found.aliases == 3  # `again`, and `who` once per spread of Page
    assert found.root_fields == 2
    assert found.fields == 2 * (1 + 7)  # cadres, edges, node, who, unit, parent ×2, name
    assert found.cost == 2 * (1 + 2 * (1 + (1 + (1 + (1 + (1 + (1 + 1)))))))


def test_duplicated_fields_each_count_as_a_field_though_they_cost_one_answer():
    found = measure("{ me { " + "username " * 500 + "} }")
    assert (found.fields, found.cost) == (501, 501)


def test_directives_are_counted_and_include_or_skip_count_the_worst_case():
    found = measure("""query Q($no: Boolean!) { me @skip(if: $no) { username @include(if: $no)
                         ... on Me @include(if: true) { username } } }""", {"no": True})
    assert (found.directives, found.cost) == (3, 1 + 2)


def test_only_the_operation_that_runs_is_measured():
    query = "query Small { me { username } } query Big { units { children { name } } }"
    assert measure(query, name="Small").cost == 2
    assert measure(query, name="Big").cost > 1000
    assert measure(query).cost == 0  # no operation named: nothing runs


def test_introspection_counts_no_depth_and_no_cost_as_strawberry_counts_depth():
    found = measure(get_introspection_query(descriptions=True))
    assert (found.depth, found.cost, found.root_fields) == (0, 1, 1)


def test_unknown_fields_and_cyclic_fragments_are_measured_for_validation_to_refuse():
    found = measure("{ nothing { here } ...Loop } fragment Loop on Query { ...Loop me { id } }")
    assert found.root_fields == 2 and found.cost == 1 + 1 + 1 + 1


def test_a_fragment_bomb_is_measured_in_linear_time():
    bomb = "query { ...F0 } " + " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40)
    ) + " fragment F40 on Query { a: __typename }"

    started = time.perf_counter()
    found = measure(bomb)

    assert time.perf_counter() - started < 0.5
    assert found.aliases == found.root_fields == 2 ** 40


def test_tokens_are_counted_as_the_parser_limits_them():
    query = "# a comment\n{ me { username roles { role } } }"
    document = parse(query)
    tokens = count_tokens(document)

    assert tokens == 11  # the comment counts: the parser keeps it in memory too
    parse(query, max_tokens=tokens)
    with pytest.raises(GraphQLSyntaxError, match="more than 10 tokens"):
        parse(query, max_tokens=tokens - 1)


def test_every_list_of_objects_is_paginated_or_has_a_declared_size():
    unsized, declared = [], set()
    for type_name, graphql_type in SCHEMA.type_map.items():
        for field_name, field in getattr(graphql_type, "fields", {}).items():
            if type_name.startswith("__") or not hasattr(field, "args"):
                continue
            key = f"{type_name}.{field_name}"
            if key in LIST_SIZES:
                declared.add(key)
            elif is_object_list(field.type) and PAGE_ARGUMENT not in field.args:
                unsized.append(key)
    assert unsized == []
    assert declared == set(LIST_SIZES), "LIST_SIZES names a field the schema has not"


def test_each_weighted_field_states_its_weight_in_its_description():
    assert "counted as 30 items" in SCHEMA.type_map["Unit"].fields["children"].description
    assert "up to `first` (or `last`) items" in SCHEMA.query_type.fields["cadres"].description
