"""The demo seed: shape of the unit tree, validity and determinism of the generated records."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_engine, create_sessionmaker
from db.migrate import upgrade
from db.models import (
    Cadre,
    Evaluation,
    Finding,
    FollowUp,
    NegativeListItem,
    RoleAssignment,
    Unit,
    User,
)
from db.seed import DEMO_ACCOUNTS, SeedSummary, seed_demo
from domain.cadres import check_id_number
from domain.enums import CaseStage, EvaluationPeriod, FindingStatus, Role, UnitKind

SIZE = 300


@dataclass
class Seeded:
    engine: AsyncEngine
    summary: SeedSummary


async def _seeded_database(path: Path, size: int = SIZE) -> Seeded:
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session:
        summary = await seed_demo(session, size=size)
        await session.commit()
    return Seeded(engine, summary)


@pytest.fixture(scope="module")
async def seeded(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Seeded]:
    result = await _seeded_database(tmp_path_factory.mktemp("seed") / "demo.db")
    yield result
    await result.engine.dispose()


async def _units_by_code(engine: AsyncEngine) -> dict[str, Unit]:
    async with create_sessionmaker(engine)() as session:
        return {u.code: u for u in await session.scalars(select(Unit))}


async def _cadre_fingerprint(engine: AsyncEngine) -> list[tuple]:
    async with create_sessionmaker(engine)() as session:
        rows = await session.execute(
            select(Cadre.id, Cadre.name, Cadre.id_number, Cadre.birth_date, Cadre.unit_id,
                   Cadre.position, Cadre.phone).order_by(Cadre.id))
        return [tuple(row) for row in rows]


async def test_the_negative_list_holds_fourteen_items(seeded: Seeded) -> None:
    async with create_sessionmaker(seeded.engine)() as session:
        codes = list(await session.scalars(
            select(NegativeListItem.code).order_by(NegativeListItem.code)))
    assert codes == [f"N{n:02d}" for n in range(1, 15)]


async def test_the_unit_tree_is_one_city_with_three_counties_three_agencies_and_townships(
        seeded: Seeded) -> None:
    units = await _units_by_code(seeded.engine)
    by_id = {u.id: u for u in units.values()}
    kinds = Counter(u.kind for u in units.values())
    city = units["C"]

    assert city.kind is UnitKind.CITY and city.parent_id is None
    assert kinds[UnitKind.CITY] == 1
    assert kinds[UnitKind.COUNTY] == 3 and kinds[UnitKind.AGENCY] == 3
    for code in ("C-K1", "C-K2", "C-K3", "C-A1", "C-A2", "C-A3"):
        assert units[code].parent_id == city.id
    townships = [u for u in units.values() if u.kind is UnitKind.TOWNSHIP]
    assert all(by_id[t.parent_id].kind is UnitKind.COUNTY for t in townships)
    per_county = Counter(by_id[t.parent_id].code for t in townships)
    assert set(per_county) == {"C-K1", "C-K2", "C-K3"}
    assert all(3 <= n <= 4 for n in per_county.values())
    assert seeded.summary.units == len(units)


async def test_the_seed_creates_the_requested_number_of_cadres_in_every_unit(
        seeded: Seeded) -> None:
    async with create_sessionmaker(seeded.engine)() as session:
        count = await session.scalar(select(func.count()).select_from(Cadre))
        staffed = set(await session.scalars(select(Cadre.unit_id).distinct()))
        unit_ids = set(await session.scalars(select(Unit.id)))
    assert count == SIZE == seeded.summary.cadres
    assert staffed == unit_ids


async def test_every_identity_number_is_valid_and_embeds_the_birth_date(seeded: Seeded) -> None:
    async with create_sessionmaker(seeded.engine)() as session:
        rows = (await session.execute(select(Cadre.id_number, Cadre.birth_date))).all()
    for id_number, birth_date in rows:
        assert check_id_number(id_number, birth_date) == id_number
    assert len({id_number for id_number, _ in rows}) == len(rows)


async def test_every_cadre_has_three_annual_evaluations(seeded: Seeded) -> None:
    async with create_sessionmaker(seeded.engine)() as session:
        rows = (await session.execute(
            select(Evaluation.cadre_id, Evaluation.year, Evaluation.period))).all()
    years_by_cadre: dict[int, list[int]] = {}
    for cadre_id, year, period in rows:
        assert period is EvaluationPeriod.ANNUAL
        years_by_cadre.setdefault(cadre_id, []).append(year)
    assert len(years_by_cadre) == SIZE
    assert all(sorted(years) == [2023, 2024, 2025] for years in years_by_cadre.values())
    assert seeded.summary.evaluations == 3 * SIZE


async def test_the_five_demo_users_hold_their_roles_over_their_units(seeded: Seeded) -> None:
    units = await _units_by_code(seeded.engine)
    code_of = {u.id: u.code for u in units.values()}
    async with create_sessionmaker(seeded.engine)() as session:
        rows = (await session.execute(
            select(User.username, RoleAssignment.role, RoleAssignment.unit_id)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(User.username.in_(DEMO_ACCOUNTS)).order_by(User.id))).all()
    grants = {username: (role, code_of.get(unit_id)) for username, role, unit_id in rows}

    assert len(rows) == len(DEMO_ACCOUNTS)
    assert grants == {
        "demo-org": (Role.ORG, "C"),
        "demo-org-county": (Role.ORG, "C-K1"),
        "demo-discipline": (Role.DISCIPLINE, "C"),
        "demo-cadre": (Role.CADRE, None),
        "demo-admin": (Role.ADMIN, None),
    }
    assert list(grants) == list(DEMO_ACCOUNTS)


async def test_the_demo_cadre_is_in_the_second_county_and_has_a_confirmed_finding(
        seeded: Seeded) -> None:
    units = await _units_by_code(seeded.engine)
    second_county = units["C-K2"].id
    async with create_sessionmaker(seeded.engine)() as session:
        user = await session.scalar(select(User).where(User.username == "demo-cadre"))
        assert user is not None and user.cadre_id == seeded.summary.demo_cadre_id
        cadre = await session.get(Cadre, user.cadre_id)
        evaluations = list(await session.scalars(
            select(Evaluation).where(Evaluation.cadre_id == user.cadre_id)))
        findings = list(await session.scalars(
            select(Finding).where(Finding.cadre_id == user.cadre_id)))
    unit = next(u for u in units.values() if u.id == cadre.unit_id)

    assert second_county in (unit.id, unit.parent_id)
    assert any(not e.finalised for e in evaluations)
    assert any(f.status is FindingStatus.CONFIRMED and f.evidence and f.informant
               for f in findings)


async def test_finding_dates_follow_the_status(seeded: Seeded) -> None:
    async with create_sessionmaker(seeded.engine)() as session:
        findings = list(await session.scalars(select(Finding)))
    assert findings
    for f in findings:
        started = f.status is not FindingStatus.REPORTED
        concluded = f.status in (FindingStatus.CONFIRMED, FindingStatus.DISMISSED)
        assert (f.verification_started_at is not None) == started
        assert (f.concluded_at is not None) == concluded


async def test_the_same_seed_gives_identical_cadres_in_a_second_database(
        seeded: Seeded, tmp_path: Path) -> None:
    again = await _seeded_database(tmp_path / "again.db")
    try:
        assert await _cadre_fingerprint(again.engine) == await _cadre_fingerprint(seeded.engine)
        assert again.summary == seeded.summary
    finally:
        await again.engine.dispose()


async def test_seeding_a_database_that_already_holds_cadres_is_refused(seeded: Seeded) -> None:
    async with create_sessionmaker(seeded.engine)() as session:
        with pytest.raises(RuntimeError):
            await seed_demo(session, size=SIZE)
        await session.rollback()


async def test_the_demo_has_a_case_at_every_stage_an_open_appeal_and_overdue_rechecks(
        seeded: Seeded) -> None:
    async with seeded.engine.connect() as connection:
        stages = set((await connection.execute(
            text("SELECT stage FROM adjustment_cases"))).scalars())
        appeals = set((await connection.execute(text("SELECT status FROM appeals"))).scalars())
        follow_ups = (await connection.execute(text("SELECT count(*) FROM follow_ups"))).scalar()
        overdue = (await connection.execute(
            select(func.count()).select_from(FollowUp)
            .where(FollowUp.next_check_due < datetime.now(UTC)))).scalar()
    assert stages == {s.value for s in CaseStage}
    assert "FILED" in appeals
    assert follow_ups and overdue == follow_ups
