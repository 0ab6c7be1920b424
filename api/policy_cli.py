"""`cadre policy impact FILE`: the policy what-if from the command line.

FILE holds one change a line, ``add`` or ``remove`` and then the rule as in the policy CSV
files: ``remove, p, org, jurisdiction, cadre:personal, read``. Blank lines and lines
starting with ``#`` are skipped. Nothing is written: the report is computed in a
transaction that is rolled back.
"""

from datetime import UTC, datetime
from pathlib import Path

from authz.scope import UnitTree
from db.engine import create_engine, create_sessionmaker
from db.policy_store import policy_version
from db.queries import units as unit_queries
from db.queries.policy_impact import ADD, REMOVE, Impact, compute_impact
from domain.errors import InvalidInput
from workflows.policy import LIFELINE, check_changes

ACTIONS = {"add": ADD, "remove": REMOVE}


def read_changes(path: Path) -> list[tuple[str, str, list[str]]]:
    """The changes of FILE, as ``(ADD | REMOVE, ptype, values)``.

    Raises:
        InvalidInput: a line that names no action or no rule.
    """
    found = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        parts = [part.strip() for part in text.split(",")]
        if len(parts) < 3 or parts[0].lower() not in ACTIONS:
            raise InvalidInput(f"line {number}: write add|remove, ptype, values…",
                               field="FILE")
        found.append((ACTIONS[parts[0].lower()], parts[1], parts[2:]))
    return found


async def impact_of_file(database_url: str, path: Path) -> Impact:
    """The impact of FILE's changes on the policy of the database at ``database_url``."""
    changes = check_changes(read_changes(path))
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            units = await unit_queries.list_all(session)
            tree = UnitTree((row.id, row.parent_id) for row in units)
            version = await policy_version(session)
            impact = await compute_impact(session, version, tree, changes, LIFELINE,
                                          datetime.now(UTC))
            await session.rollback()
            return impact
    finally:
        await engine.dispose()
