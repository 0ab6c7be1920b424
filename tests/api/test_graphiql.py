"""The self-hosted IDE and schema picture: pages and assets served without internet access.

Most tests run on a small build written by the test itself (a manifest and its files), so
they need no npm; those marked ``needs_build`` check the real bundle from ``npm run build``.
The browser test (``tests/browser``) drives both pages in chromium.
"""

import gzip
import json
import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.types import Message

from api.graphiql import (
    ASSETS_PREFIX,
    IDE_FILES,
    MANIFEST,
    VOYAGER_FILES,
    VOYAGER_PATH,
    VOYAGER_POLICY,
    WORKER_FILES,
    ide_page,
    ide_routes,
    load_build,
)
from api.headers import SecurityHeaders

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILT = REPO_ROOT / "ide" / "dist"

needs_build = pytest.mark.skipif(
    load_build(BUILT) is None,
    reason=f"the IDE is not built in {BUILT}; run `make install` (npm ci, npm run build)",
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
    return [url for url in collector.urls if not url.startswith("data:")]


def _config(html: str) -> dict[str, str]:
    match = re.search(r'id="ide-config"[^>]*>(.*?)</script>', html, re.S)
    assert match is not None
    return json.loads(match[1])  # type: ignore[no-any-return]


def _write_build(folder: Path, extra: dict[str, str] | None = None) -> Path:
    """A build as ``npm run build`` leaves it, with stand-in contents."""
    folder.mkdir(parents=True, exist_ok=True)
    names = {name: f"/* {name} */" for name in (*IDE_FILES, *VOYAGER_FILES, *WORKER_FILES)}
    names.update(extra or {})
    for name, text in names.items():
        (folder / name).write_text(text, encoding="utf-8")
    manifest = {"build": "0123456789abcdef", "files": {name: "x" for name in names}}
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def _build_app(folder: Path) -> Starlette:
    async def graphql_page(_request: Request) -> HTMLResponse:
        return HTMLResponse(ide_page(folder))

    return Starlette(routes=[*ide_routes(folder), Route("/graphql", graphql_page)],
                     middleware=[])


def _client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=SecurityHeaders(app)),
                             base_url="http://testserver")


@pytest.fixture
def build(tmp_path: Path) -> Path:
    return _write_build(tmp_path / "dist", {"codicon-ABC.ttf": "font", "ide.js.LEGAL.txt": "MIT"})


@pytest.fixture
async def client(build: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(_build_app(build)) as http:
        yield http


@pytest.mark.parametrize("path", ["/graphql", VOYAGER_PATH])
async def test_pages_load_only_this_servers_assets(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 200
    html = response.text
    urls = _resource_urls(html)
    assert len(urls) == 2, urls  # one stylesheet, one script
    for url in urls:
        assert url.startswith(f"{ASSETS_PREFIX}/") and url.endswith("?v=0123456789abcdef"), url
    for forbidden in ("http://", "https://", "unpkg", "jsdelivr", "googleapis", "//cdn"):
        assert forbidden not in html


async def test_pages_have_no_inline_script(client: httpx.AsyncClient) -> None:
    for path in ("/graphql", VOYAGER_PATH):
        html = (await client.get(path)).text
        for attributes, content in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
            assert "src=" in attributes or 'type="application/json"' in attributes, attributes
            assert "src=" not in attributes or not content.strip()


async def test_the_ide_page_shows_where_the_token_goes(client: httpx.AsyncClient) -> None:
    html = (await client.get("/graphql")).text

    assert "<title>Cadre records — GraphiQL</title>" in html
    config = _config(html)
    assert config["endpoint"] == "/graphql"
    assert config["voyagerUrl"] == VOYAGER_PATH
    assert config["assets"] == ASSETS_PREFIX and config["build"] == "0123456789abcdef"
    assert json.loads(config["defaultHeaders"]) == {
        "Authorization": "Bearer <paste a token from make run>"
    }
    assert "Headers" in config["defaultQuery"]


async def test_the_schema_picture_may_run_its_layout_worker_and_nothing_more(
        client: httpx.AsyncClient) -> None:
    response = await client.get(VOYAGER_PATH)

    assert "<title>Cadre records — schema picture</title>" in response.text
    assert _config(response.text)["ideUrl"] == "/graphql"
    policy = response.headers["content-security-policy"]
    assert policy == VOYAGER_POLICY
    script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
    assert script_src.split() == ["script-src", "'self'", "'wasm-unsafe-eval'"]
    assert "frame-ancestors 'none'" in policy and "connect-src 'self' data:;" in policy


def test_the_endpoint_cannot_break_out_of_the_script(build: Path) -> None:
    html = ide_page(build, endpoint='/graphql"</script><script>alert(1)</script>')

    assert "<script>alert(1)" not in html
    assert html.count("</script>") == 2  # the config and the bundle


async def test_every_file_of_the_manifest_is_served_with_its_type(
        client: httpx.AsyncClient) -> None:
    expected = {"ide.js": "text/javascript", "ide.css": "text/css",
                "graphql.worker.js": "text/javascript", "codicon-ABC.ttf": "font/ttf",
                "ide.js.LEGAL.txt": "text/plain"}
    for name, content_type in expected.items():
        response = await client.get(f"{ASSETS_PREFIX}/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith(content_type), name
        assert "max-age=31536000" in response.headers["cache-control"]


async def test_a_browser_accepting_gzip_gets_the_gzip_copy(tmp_path: Path) -> None:
    folder = _write_build(tmp_path / "dist", {"ide.js.gz": ""})
    (folder / "ide.js.gz").write_bytes(gzip.compress(b"/* ide.js */"))
    url = f"{ASSETS_PREFIX}/ide.js"
    async with _client(_build_app(folder)) as http:
        zipped = await http.get(url, headers={"Accept-Encoding": "br, gzip;q=0.8"})
        plain = await http.get(url, headers={"Accept-Encoding": "identity"})
        worker = await http.get(f"{ASSETS_PREFIX}/json.worker.js",  # no gzip copy built
                                headers={"Accept-Encoding": "gzip"})

    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["content-type"].startswith("text/javascript")
    assert zipped.text == "/* ide.js */"  # httpx decoded it
    assert "content-encoding" not in plain.headers and plain.text == "/* ide.js */"
    assert plain.headers["vary"] == zipped.headers["vary"] == "Accept-Encoding"
    assert "content-encoding" not in worker.headers


@pytest.mark.parametrize(
    "path",
    [
        f"{ASSETS_PREFIX}/",
        f"{ASSETS_PREFIX}/{MANIFEST}",
        f"{ASSETS_PREFIX}/ide.js.map",
        f"{ASSETS_PREFIX}/dist/ide.js",
        f"{ASSETS_PREFIX}/%2e%2e/package.json",
        f"{ASSETS_PREFIX}/..%2fpackage.json",
        f"{ASSETS_PREFIX}/..%2Fpackage.json",
        f"{ASSETS_PREFIX}/%2e%2e%2fpackage.json",
        f"{ASSETS_PREFIX}/..%5cpackage.json",
        f"{ASSETS_PREFIX}/%252e%252e%252fpackage.json",
    ],
)
async def test_unlisted_files_and_traversal_are_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 404


async def test_a_file_in_the_folder_but_not_in_the_manifest_is_404(
        build: Path, client: httpx.AsyncClient) -> None:
    (build / "secret.txt").write_text("not part of the build", encoding="utf-8")

    response = await client.get(f"{ASSETS_PREFIX}/secret.txt")

    assert response.status_code == 404


@pytest.mark.parametrize(
    "raw_path", [b"/graphiql-assets/../package.json", b"/graphiql-assets/../../etc/passwd"]
)
async def test_unnormalised_traversal_is_404(build: Path, raw_path: bytes) -> None:
    # httpx collapses "/../" before sending, so drive the ASGI app with the raw path.
    status = await _raw_get(_build_app(build), raw_path)

    assert status == 404


async def test_without_a_build_the_pages_say_how_to_make_one(tmp_path: Path) -> None:
    async with _client(_build_app(tmp_path)) as http:
        for path in ("/graphql", VOYAGER_PATH):
            response = await http.get(path)
            assert response.status_code == 200
            assert "make install" in response.text
            assert "<script src=" not in response.text
        for name in (*IDE_FILES, *VOYAGER_FILES):
            assert (await http.get(f"{ASSETS_PREFIX}/{name}")).status_code == 404, name


def test_a_build_missing_a_page_file_or_with_a_broken_manifest_is_not_served(
        tmp_path: Path) -> None:
    folder = _write_build(tmp_path / "dist")
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    del manifest["files"]["voyager.js"]
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert load_build(folder) is None

    (folder / MANIFEST).write_text("{not json", encoding="utf-8")
    assert load_build(folder) is None


def test_a_new_build_is_picked_up_without_a_restart(tmp_path: Path) -> None:
    folder = _write_build(tmp_path / "dist")
    before = load_build(folder)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    manifest["build"] = "fedcba9876543210"
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")

    after = load_build(folder)

    assert before is not None and after is not None
    assert after.digest == "fedcba9876543210" != before.digest


def test_the_build_bundles_pinned_packages_only() -> None:
    package = json.loads((REPO_ROOT / "package.json").read_text(encoding="utf-8"))
    locked = json.loads((REPO_ROOT / "package-lock.json").read_text(encoding="utf-8"))

    pins = {**package["dependencies"], **package["devDependencies"]}
    assert {"graphiql", "@graphiql/plugin-explorer", "graphql-voyager", "esbuild"} <= set(pins)
    assert int(pins["graphiql"].split(".")[0]) >= 5
    for name, version in pins.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), (name, version)  # exact, no ranges
        assert locked["packages"][f"node_modules/{name}"]["version"] == version, name
    assert package["scripts"]["build"] == "node ide/build.mjs"


@needs_build
async def test_the_real_build_is_served_whole() -> None:
    build = load_build(BUILT)
    assert build is not None
    async with _client(_build_app(BUILT)) as http:
        for path in ("/graphql", VOYAGER_PATH):
            for url in _resource_urls((await http.get(path)).text):
                response = await http.get(url)
                assert response.status_code == 200, url
                assert len(response.content) > 5_000, url
        for name in WORKER_FILES:
            assert (await http.get(build.url(name))).status_code == 200, name
        bundle = (await http.get(build.url("ide.js"))).text
        compressed = await http.get(build.url("ide.js"), headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["content-encoding"] == "gzip" and compressed.text == bundle
    # The IDE fetches its workers from this server, never from a CDN such as esm.sh.
    assert "esm.sh" not in bundle and "MonacoEnvironment" in bundle


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
