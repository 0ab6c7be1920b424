"""The self-hosted GraphiQL page and its asset routes work without internet access."""

import json
import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.types import Message

from api.graphiql import (
    ASSETS_PREFIX,
    IDE_ASSETS,
    OWN_ASSETS,
    PINNED_VERSIONS,
    ide_assets_present,
    ide_page,
    ide_routes,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO_ROOT / "node_modules"

needs_node_modules = pytest.mark.skipif(
    not ide_assets_present(NODE_MODULES),
    reason=f"GraphiQL assets not installed in {NODE_MODULES}; run `npm ci` in the repo root",
)


class _ResourceCollector(HTMLParser):
    """Collects every src/href attribute value of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls.extend(value for name, value in attrs if name in {"src", "href"} and value)


def _resource_urls(html: str) -> list[str]:
    collector = _ResourceCollector()
    collector.feed(html)
    return collector.urls


def _build_app(node_modules: Path) -> Starlette:
    async def graphql_page(_request: object) -> HTMLResponse:
        return HTMLResponse(ide_page())

    return Starlette(routes=[*ide_routes(node_modules), Route("/graphql", graphql_page)])


def _client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with _client(_build_app(NODE_MODULES)) as http:
        yield http


async def test_page_loads_only_local_assets(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql")

    assert response.status_code == 200
    html = response.text
    urls = _resource_urls(html)
    assert urls, "the page references no assets at all"
    for url in urls:
        assert url.startswith(f"{ASSETS_PREFIX}/"), url
        assert not url.startswith("//"), url
    for forbidden in ("http://", "https://", "unpkg", "jsdelivr", "googleapis", "//cdn"):
        assert forbidden not in html
    assert {url.split("?")[0].rsplit("/", 1)[1] for url in urls} == {*IDE_ASSETS, *OWN_ASSETS}


async def test_page_has_no_inline_script(client: httpx.AsyncClient) -> None:
    html = (await client.get("/graphql")).text

    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    for attributes, content in scripts:
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
        assert "src=" not in attributes or not content.strip()


async def test_page_configures_the_ide(client: httpx.AsyncClient) -> None:
    html = (await client.get("/graphql")).text
    boot = (await client.get(f"{ASSETS_PREFIX}/boot.js")).text

    assert "<title>Cadre records — GraphiQL</title>" in html
    assert "isHeadersEditorEnabled: true" in boot
    assert "shouldPersistHeaders: false" in boot  # the token is not stored unless asked
    match = re.search(r'id="graphiql-config"[^>]*>(.*?)</script>', html, re.S)
    assert match is not None
    config = json.loads(match[1])
    assert config["endpoint"] == "/graphql"
    assert json.loads(config["defaultHeaders"]) == {
        "Authorization": "Bearer <paste a token from make run>"
    }
    assert "me" in config["defaultQuery"]


def test_page_endpoint_cannot_break_out_of_the_script() -> None:
    html = ide_page(endpoint='/graphql"</script><script>alert(1)</script>')

    assert "<script>alert(1)" not in html
    assert html.count("</script>") == 5  # config + three bundles + bootstrap


def test_pinned_versions_match_package_json() -> None:
    # The versions are part of the asset URLs (cache busting), so they must not drift.
    package = json.loads((REPO_ROOT / "package.json").read_text(encoding="utf-8"))

    for name, version in PINNED_VERSIONS.items():
        assert package["dependencies"][name] == version


@needs_node_modules
async def test_every_referenced_asset_is_served(client: httpx.AsyncClient) -> None:
    urls = _resource_urls((await client.get("/graphql")).text)

    for url in urls:
        response = await client.get(url)
        assert response.status_code == 200, url
        content_type = response.headers["content-type"]
        assert content_type.startswith(("text/javascript", "text/css")), (url, content_type)
        own = url.split("?")[0].rsplit("/", 1)[1] in OWN_ASSETS
        assert own or len(response.content) > 10_000, url
        assert "max-age=31536000" in response.headers["cache-control"]


@needs_node_modules
@pytest.mark.parametrize(
    "path",
    [
        f"{ASSETS_PREFIX}/",
        f"{ASSETS_PREFIX}/graphiql.min.js.map",
        f"{ASSETS_PREFIX}/react.development.js",
        f"{ASSETS_PREFIX}/graphiql/package.json",
        f"{ASSETS_PREFIX}/%2e%2e/package.json",
        f"{ASSETS_PREFIX}/..%2fpackage.json",
        f"{ASSETS_PREFIX}/..%2Fpackage.json",
        f"{ASSETS_PREFIX}/%2e%2e%2fpackage.json",
        f"{ASSETS_PREFIX}/..%5cpackage.json",
        f"{ASSETS_PREFIX}/%252e%252e%252fpackage.json",
        f"{ASSETS_PREFIX}/react/umd/react.production.min.js",
    ],
)
async def test_unknown_assets_and_traversal_are_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 404


@needs_node_modules
@pytest.mark.parametrize(
    "raw_path", [b"/graphiql-assets/../package.json", b"/graphiql-assets/../../etc/passwd"]
)
async def test_unnormalised_traversal_is_404(raw_path: bytes) -> None:
    # httpx collapses "/../" before sending, so drive the ASGI app with the raw path.
    status = await _raw_get(_build_app(NODE_MODULES), raw_path)

    assert status == 404


async def test_missing_assets_are_404_not_500(tmp_path: Path) -> None:
    assert not ide_assets_present(tmp_path)
    async with _client(_build_app(tmp_path)) as http:
        for name in IDE_ASSETS:
            response = await http.get(f"{ASSETS_PREFIX}/{name}")
            assert response.status_code == 404, name


async def _raw_get(app: Starlette, raw_path: bytes) -> int:
    """Send one GET with an unnormalised path straight to the ASGI app.

    Returns:
        The response status code.
    """
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path.decode(),
        "raw_path": raw_path,
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return next(m["status"] for m in sent if m["type"] == "http.response.start")
