"""Denials read from a plan's class skeleton are the denials the resolver path reports.

The resolver path reports each denied value where it meets it: object by object, in key
order. The skeleton walk reports whole runs of alike objects at once; these tests hold it
to the same errors, counted per selection and per value, for the roster's shapes. (The
equivalence test compares both paths on generated queries over the demo roles; these
shapes include some that no demo role meets.)
"""

import json
from typing import Any

import pytest
from graphql import FieldNode, parse

from api.compiler import Plan, Selection, Shape, report_denials
from api.guard import Denials
from api.schema import build_schema

ROSTER = "{ cadres { edges { node { idNumber evaluations { comment } } } } }"
#: Stands for the SQL of a skeleton: the walk only asks whether there is one.
BUILT = object()


def _nodes() -> dict[str, FieldNode]:
    found: dict[str, FieldNode] = {}

    def visit(selections: Any) -> None:
        for node in selections:
            found[node.name.value] = node
            if node.selection_set:
                visit(node.selection_set.selections)

    visit(parse(ROSTER).definitions[0].selection_set.selections)  # type: ignore[attr-defined]
    return found


def _roster_shape(id_number_denied: bool) -> Shape:
    """The roster with the comment denied on every evaluation, and the identity number on
    every cadre if asked: the selections as the compiler links them."""
    types = build_schema()._schema.type_map  # type: ignore[attr-defined]
    nodes = _nodes()

    def linked(selection: Selection, type_name: str) -> Selection:
        selection.link(types[type_name].fields[selection.key].type)
        return selection

    comment = linked(Selection("comment", nodes["comment"], "Evaluation.comment",
                               always_denied=True), "Evaluation")
    evaluations = linked(Selection("evaluations", nodes["evaluations"], "Cadre.evaluations",
                                   below=[comment], skeleton=BUILT), "Cadre")
    in_cadre = [evaluations]
    if id_number_denied:
        in_cadre.insert(0, linked(Selection("idNumber", nodes["idNumber"], "Cadre.idNumber",
                                            always_denied=True), "Cadre"))
    node = linked(Selection("node", nodes["node"], "CadreEdge.node", below=in_cadre,
                            skeleton=BUILT), "CadreEdge")
    edges = linked(Selection("edges", nodes["edges"], "CadreConnection.edges", below=[node],
                             skeleton=BUILT), "CadreConnection")
    cadres = linked(Selection("cadres", nodes["cadres"], "Query.cadres", below=[edges],
                              skeleton=BUILT), "Query")
    return Shape.of([cadres])


def _one_by_one(denials: Denials, evaluations: list[int], id_number_denied: bool) -> None:
    """What the resolver path reports: each denied value where it meets it."""
    nodes = _nodes()
    for edge, count in enumerate(evaluations):
        cadre: list[str | int] = ["cadres", "edges", edge, "node"]
        if id_number_denied:
            denials.add_at("Cadre.idNumber", cadre, "idNumber", nodes["idNumber"])
        for index in range(count):
            denials.add_at("Evaluation.comment", [*cadre, "evaluations", index], "comment",
                           nodes["comment"])


def _errors(denials: Denials) -> list[dict[str, Any]]:
    return [error.formatted for error in denials.errors()]


@pytest.mark.parametrize("per_value", [False, True])
@pytest.mark.parametrize("evaluations", [[3, 0, 2], [0, 0, 1], [0, 0], []])
def test_a_denied_field_of_every_evaluation_is_reported_as_one_by_one(evaluations,
                                                                     per_value):
    # Given the roster's shape and its skeleton: the number of evaluations of each cadre
    ever_readable = frozenset({"Evaluation.comment"} if per_value else ())
    shape = _roster_shape(id_number_denied=False)
    # When the denials are read from it
    walked = Denials(ever_readable)
    report_denials(evaluations, shape, walked)
    # Then they are those reported one by one
    expected = Denials(ever_readable)
    _one_by_one(expected, evaluations, id_number_denied=False)
    assert _errors(walked) == _errors(expected)
    assert len(_errors(walked)) == (sum(evaluations) if per_value else min(sum(evaluations), 1))


@pytest.mark.parametrize("per_value", [False, True])
def test_a_denied_field_of_every_cadre_is_reported_as_one_by_one(per_value):
    # Given a roster whose identity numbers and comments are denied everywhere
    ever_readable = frozenset({"Cadre.idNumber"} if per_value else ())
    shape = _roster_shape(id_number_denied=True)
    evaluations = [2, 0, 1]
    # When the denials are read from the skeleton
    walked = Denials(ever_readable)
    report_denials(evaluations, shape, walked)
    # Then they are those reported one by one, in the same order
    expected = Denials(ever_readable)
    _one_by_one(expected, evaluations, id_number_denied=True)
    assert _errors(walked) == _errors(expected)
    counts = {e["extensions"]["field"]: e["extensions"].get("deniedCount", 1)
              for e in _errors(walked)}
    assert counts["Evaluation.comment"] == 3


def test_a_missing_cadre_reports_nothing():
    walked = Denials(frozenset())
    report_denials(None, _roster_shape(id_number_denied=False), walked)
    assert walked.errors() == []


def test_several_values_at_once_are_refused_for_a_field_reported_per_value():
    denials = Denials(frozenset({"Evaluation.comment"}))
    with pytest.raises(ValueError, match="per value"):
        denials.add_at("Evaluation.comment", ["cadres"], "comment", _nodes()["comment"], 2)


@pytest.mark.parametrize("per_value", [False, True])
def test_a_skeleton_answered_again_reports_what_walking_it_reports(per_value):
    # Given a plan of the roster that has reported the denials of one answer's skeleton
    ever_readable = frozenset({"Evaluation.comment"} if per_value else ())
    shape = _roster_shape(id_number_denied=False)
    plan = Plan([], None, shape, [])
    plan.report("[3,0,2]", Denials(ever_readable))
    # When the same skeleton is answered again, then another
    again, other = Denials(ever_readable), Denials(ever_readable)
    plan.report("[3,0,2]", again)
    plan.report("[0,1,0]", other)
    # Then each reports what walking its skeleton reports
    for text, reported in (("[3,0,2]", again), ("[0,1,0]", other)):
        expected = Denials(ever_readable)
        report_denials(json.loads(text), shape, expected)
        assert _errors(reported) == _errors(expected)
    assert _errors(again) != _errors(other)
