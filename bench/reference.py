"""Reference endpoint: the roster page's JSON from one hand-written SQL query (asyncpg).

It answers exactly the ``data`` the GraphQL roster page answers for the city
organization department, with no authorization and no GraphQL: the ceiling the
API is measured against.
"""

import contextlib
import os
from collections.abc import AsyncIterator

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PAGE_SQL = """
WITH RECURSIVE subtree AS (
  SELECT id FROM units WHERE id = $1
  UNION ALL SELECT u.id FROM units u JOIN subtree s ON u.parent_id = s.id
), page AS (
  SELECT c.id, c.name, c.unit_id FROM cadres c
  WHERE c.unit_id IN (SELECT id FROM subtree) ORDER BY c.id LIMIT $2
)
SELECT json_build_object('data', json_build_object('cadres', json_build_object('edges',
  coalesce(json_agg(json_build_object('node', json_build_object(
    'id', p.id::text,
    'name', p.name,
    'unit', json_build_object('name', u.name),
    'evaluations', (SELECT coalesce(json_agg(json_build_object(
                        'year', e.year, 'grade', e.grade, 'score', e.score)
                        ORDER BY e.year DESC, e.period), '[]')
                    FROM evaluations e WHERE e.cadre_id = p.id),
    'findings', (SELECT coalesce(json_agg(json_build_object(
                     'status', f.status,
                     'item', json_build_object('code', i.code, 'title', i.title))
                     ORDER BY f.reported_at DESC, f.id DESC), '[]')
                 FROM findings f JOIN negative_list_items i ON i.code = f.item_code
                 WHERE f.cadre_id = p.id)
  )) ORDER BY p.id), '[]'))))::text
FROM page p JOIN units u ON u.id = p.unit_id
"""

pool: asyncpg.Pool | None = None


async def page(request: Request) -> Response:
    body = await request.json()
    variables = body.get("variables", {})
    assert pool is not None
    async with pool.acquire() as connection:
        text = await connection.fetchval(PAGE_SQL, int(variables["unitId"]),
                                         int(variables["first"]))
    return Response(text, media_type="application/json")


@contextlib.asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(os.environ["REFERENCE_DSN"], min_size=4, max_size=10)
    yield
    await pool.close()


app = Starlette(routes=[Route("/reference", page, methods=["POST"])], lifespan=lifespan)
