"""Cadres (领导干部) and the records kept on them. Every field but ``id`` is guarded."""

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import partial
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader

from api.loaders import Loaders, later
from api.types.enums import (
    CadreStatus,
    EvaluationPeriod,
    EvaluationSource,
    FindingSource,
    FindingStatus,
    Gender,
    Grade,
    LeadershipRole,
    Rank,
)
from api.types.units import Unit
from authz.compiled import Grant
from authz.scope import Scope

Grants = strawberry.Private[frozenset[Grant]]
Allowed = strawberry.Private[frozenset[str]]


@strawberry.type(description="考事、考人、考绩 — the three dimension scores, 0–100.")
class DimensionScores:
    work: float | None = strawberry.field(description="考事 — work done")
    conduct: float | None = strawberry.field(description="考人 — political quality and conduct")
    results: float | None = strawberry.field(description="考绩 — results achieved")


@strawberry.type(description="绩效考核 — a periodic performance evaluation of a cadre.")
class Evaluation:
    id: strawberry.ID
    year: int | None
    period: EvaluationPeriod | None
    grade: Grade | None
    score: float | None
    comment: str | None = strawberry.field(description="评语 — the evaluator's comment")
    finalised: bool | None
    allowed: Allowed
    row: strawberry.Private[Any]

    # The two below are built on demand: most pages never ask for them.
    @strawberry.field
    def dimension_scores(self) -> DimensionScores | None:
        row = self.row
        return DimensionScores(work=row.work_score, conduct=row.conduct_score,
                               results=row.results_score)

    @strawberry.field
    def sources(self) -> list[EvaluationSource] | None:
        # Stored values serialize as they are: every enum's names equal its values.
        return json.loads(self.row.sources_json) if self.row.sources_json else []


@strawberry.type(description="负面清单事项 — a kind of conduct on the negative list.")
class NegativeListItem:
    code: str
    title: str
    gloss: str | None = None
    category: str | None = None


@strawberry.type(description="负面清单问题认定 — a negative-list finding against a cadre.")
class Finding:
    id: strawberry.ID
    item: NegativeListItem | None
    source: FindingSource | None
    description: str | None
    evidence: str | None
    informant: str | None = strawberry.field(description="举报人 — who reported it")
    status: FindingStatus | None
    reported_at: datetime | None
    verification_started_at: datetime | None
    concluded_at: datetime | None
    version: int | None
    allowed: Allowed


@strawberry.type(description="干部类型标签 — a label from the conduct campaign (守旧型、木偶型…).")
class CadreLabel:
    code: str
    title: str
    gloss: str


@strawberry.type(description="领导干部 — an official holding a leading post in a unit.")
class Cadre:
    id: strawberry.ID
    name: str | None
    gender: Gender | None
    birth_date: date | None
    id_number: str | None = strawberry.field(description="身份证号 — resident identity number")
    phone: str | None
    unit: Unit | None
    position: str | None = strawberry.field(description="职务 — post held")
    rank: Rank | None
    leadership_role: LeadershipRole | None
    status: CadreStatus | None
    version: int | None = strawberry.field(description="Optimistic-lock version for updates.")
    labels: list[CadreLabel] | None
    evaluations: list[Evaluation] | None = strawberry.field(
        description="Evaluations, newest first.")
    findings: list[Finding] | None = strawberry.field(
        description="Negative-list findings, newest first.")
    unit_id: strawberry.Private[int]
    grants: Grants
    allowed: Allowed


CHILDREN = ("evaluations", "findings", "labels")


async def build_cadres(info: strawberry.Info, rows: Sequence[Any],
                       selected: frozenset[str]) -> list[Cadre]:
    """GraphQL cadres for ``rows``, with the children ``selected`` loaded for all at once.

    One statement per selected kind of child, whatever the number of rows, through the
    request's loaders (`api.loaders`). A child not selected (or not foreseen) is left to
    load when the executor reaches it, through the same loaders: still one statement for
    all the rows.
    """
    ctx = info.context
    loaders: Loaders = ctx.loaders
    ids = [row.id for row in rows]
    fetched = {name: await getattr(loaders, name).load_many(ids)
               for name in CHILDREN if name in selected} if ids else {}
    scope: Scope = ctx.scope
    # Rows of a page share a handful of grant sets: resolve each set's fields once.
    by_grants: dict[frozenset[Grant], tuple[frozenset[str], dict[bool, frozenset[str]]]] = {}
    cadres = []
    for index, row in enumerate(rows):
        grants = scope.cadre_grants(row.unit_id, row.id)
        known = by_grants.get(grants)
        if known is None:
            known = by_grants[grants] = (scope.readable(grants),
                                         evaluation_allowed(scope, grants))
        children = {name: rows_of[index] for name, rows_of in fetched.items()}
        cadres.append(Cadre(
            id=strawberry.ID(str(row.id)), name=row.name, gender=row.gender,
            birth_date=row.birth_date, id_number=row.id_number, phone=row.phone,
            unit=ctx.units.get(row.unit_id), position=row.position, rank=row.rank,
            leadership_role=row.leadership_role, status=row.status, version=row.version,
            labels=(labels_from_rows(children["labels"]) if "labels" in children
                    else _later(loaders.labels, row.id, labels_from_rows)),
            evaluations=(evaluations_from_rows(children["evaluations"], known[1])
                         if "evaluations" in children
                         else _later(loaders.evaluations, row.id,
                                     partial(evaluations_from_rows, allowed=known[1]))),
            findings=(findings_from_rows(children["findings"], known[0])
                      if "findings" in children
                      else _later(loaders.findings, row.id,
                                  partial(findings_from_rows, allowed=known[0]))),
            unit_id=row.unit_id, grants=grants, allowed=known[0]))
    return cadres


def _later(loader: DataLoader[int, list[Any]], cadre_id: int,
           build: Callable[[list[Any]], list[Any]]) -> Any:
    """The children of one cadre, loaded (with all others awaited alongside) when needed."""

    async def load() -> list[Any]:
        return build(await loader.load(cadre_id))

    return later(load)


def labels_from_rows(rows: Sequence[Any]) -> list[CadreLabel]:
    return [CadreLabel(code=r.code, title=r.title, gloss=r.gloss) for r in rows]


def findings_from_rows(rows: Sequence[Any], allowed: frozenset[str]) -> list["Finding"]:
    return [finding_from_row(r, allowed) for r in rows]


def evaluation_allowed(scope: Scope, cadre_grants: frozenset[Grant]) -> dict[bool, frozenset[str]]:
    """Readable fields of a cadre's evaluations, by ``finalised`` (the only thing they vary by)."""
    return {finalised: scope.readable(scope.evaluation_grants(cadre_grants, finalised))
            for finalised in (False, True)}


def evaluations_from_rows(rows: Sequence[Any],
                          allowed: dict[bool, frozenset[str]]) -> list[Evaluation]:
    """The cadre's evaluations, with the readable fields of `evaluation_allowed`."""
    # Positional unpacking: Row attribute access cost a tenth of the roster page (measured).
    return [
        Evaluation(id=strawberry.ID(str(row[0])), year=row[2], period=row[3], grade=row[4],
                   score=row[5], comment=row[10], finalised=row[11], allowed=allowed[row[11]],
                   row=row)
        for row in rows
    ]


def finding_from_row(row: Any, allowed: frozenset[str], item_title: str | None = None) -> Finding:
    """A finding from a row carrying its item's title (``item_title``), or given it."""
    return Finding(
        id=strawberry.ID(str(row.id)),
        item=NegativeListItem(code=row.item_code,
                              title=row.item_title if item_title is None else item_title),
        source=row.source, description=row.description, evidence=row.evidence,
        informant=row.informant, status=row.status, reported_at=row.reported_at,
        verification_started_at=row.verification_started_at, concluded_at=row.concluded_at,
        version=row.version, allowed=allowed,
    )


@strawberry.type(description="Where a page lies in its connection (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow the page.")
    has_previous_page: bool = strawberry.field(description="More items precede the page.")
    start_cursor: str | None = strawberry.field(
        description="The first edge's cursor (null: no edges): pass it as `before`.")
    end_cursor: str | None = strawberry.field(
        description="The last edge's cursor (null: no edges): pass it as `after`.")



@strawberry.type
class CadreEdge:
    cursor: str
    node: Cadre


@strawberry.type(description="A page of cadres (Relay connection).")
class CadreConnection:
    edges: list[CadreEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(
        description="Number of cadres matching the filter that the caller may see.")
