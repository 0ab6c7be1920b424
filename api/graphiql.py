"""Self-hosted IDE and schema picture: two pages and their assets, served without any CDN.

``npm run build`` (run by ``make install`` after ``npm ci`` from the pinned
``package-lock.json``) bundles GraphiQL 5 with the explorer plugin, Monaco's web workers
and GraphQL Voyager from ``ide/src`` into one flat folder, ``ide/dist``, with a
``manifest.json`` naming every file it wrote and its digest. The server answers only the
names in that manifest, under :data:`ASSETS_PREFIX`; the request path is looked up, never
joined onto a filesystem path. A browser accepting gzip gets the build's gzip copy of a
file (a quarter of the bytes for the editor's 5 MB bundle). Pages carry the build's digest
in their asset URLs, so a new build defeats the year-long, immutable browser cache.

``GET /graphql`` from a browser is the IDE (`api.app`); :data:`VOYAGER_PATH` beside it draws
the schema the caller's token may see, from the same per-caller introspection. Without a
build (no npm on the machine) both pages say how to install it; the API works regardless.
"""

import json
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template
from types import MappingProxyType

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from api.headers import PAGE_POLICY

ASSETS_PREFIX = "/graphiql-assets"
IDE_PATH = "/graphql"
VOYAGER_PATH = "/graphql/voyager"
MANIFEST = "manifest.json"

#: The files each page loads; every one must be in the build's manifest.
IDE_FILES = ("ide.css", "ide.js")
VOYAGER_FILES = ("voyager.css", "voyager.js")
#: Monaco's workers, fetched by ``ide.js`` (``ide/src/workers.js``) from the same folder.
WORKER_FILES = ("editor.worker.js", "json.worker.js", "graphql.worker.js")

DEFAULT_HEADERS: Mapping[str, str] = MappingProxyType(
    {"Authorization": "Bearer <paste a token from make run>"}
)
DEFAULT_QUERY = """\
# Paste your bearer token under Headers (below), then run with ▶.
{
  me {
    username
    roles {
      role
      unit { name }
    }
  }
}
"""

#: Voyager lays the graph out with Graphviz compiled to WebAssembly, in a worker it starts
#: from a ``blob:`` URL, and reads the drawings it cached in local storage back through
#: ``data:`` URLs (no network); nothing else is allowed beyond the IDE page's policy.
VOYAGER_POLICY = PAGE_POLICY.replace(
    "script-src 'self';", "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:;"
).replace("connect-src 'self';", "connect-src 'self' data:;")

_CONTENT_TYPES: Mapping[str, str] = MappingProxyType({
    ".js": "text/javascript",
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".gz": "application/gzip",
})
_CACHE_CONTROL = "public, max-age=31536000, immutable"
_TEMPLATE_PATH = Path(__file__).with_name("templates") / "ide.html"


@dataclass(frozen=True)
class Build:
    """One build of the front end: its folder, digest and the files it may serve."""

    folder: Path
    digest: str
    files: frozenset[str]

    def url(self, name: str) -> str:
        """The same-origin URL of one built file, with the build digest as cache buster."""
        if name not in self.files:
            raise KeyError(name)
        return f"{ASSETS_PREFIX}/{name}?v={self.digest}"


def load_build(folder: Path) -> Build | None:
    """The build in ``folder``, or None when there is none or it lacks a page's files.

    The manifest is read again when it changes, so a build made after start-up is served.
    """
    try:
        found = (folder / MANIFEST).stat()
    except OSError:
        return None
    return _read_build(folder, (found.st_mtime_ns, found.st_size))


@cache
def _read_build(folder: Path, _version: tuple[int, int]) -> Build | None:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        digest, files = manifest["build"], frozenset(manifest["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(digest, str) or not files.issuperset(
            (*IDE_FILES, *VOYAGER_FILES, *WORKER_FILES)):
        return None
    return Build(folder, digest, files)


def ide_routes(folder: Path) -> list[BaseRoute]:
    """The routes of the schema picture and of every built asset.

    Args:
        folder: The build folder (``Settings.ide_assets``). A file is served only if the
            folder's manifest names it, and only by that exact name; anything else is 404.

    Returns:
        Routes to add to the Starlette application (the IDE itself is ``GET /graphql``).
    """

    async def serve_asset(request: Request) -> Response:
        build = load_build(folder)
        name = request.path_params["name"]
        if build is None or name not in build.files:
            return _not_found()
        compressed = f"{name}.gz"
        if compressed in build.files and _accepts_gzip(request):
            return _file_response(folder / compressed, media_type=_media_type(name),
                                  headers={"Content-Encoding": "gzip"})
        return _file_response(folder / name)

    async def serve_voyager(_request: Request) -> Response:
        return HTMLResponse(voyager_page(folder),
                            headers={"Content-Security-Policy": VOYAGER_POLICY})

    return [
        Route(VOYAGER_PATH, serve_voyager, methods=["GET", "HEAD"]),
        Mount(
            ASSETS_PREFIX,
            routes=[Route("/{name}", serve_asset, methods=["GET", "HEAD"])],
            name="graphiql-assets",
        ),
    ]


def ide_page(folder: Path, endpoint: str = IDE_PATH) -> str:
    """Render the GraphiQL page, which loads only this server's assets.

    Args:
        folder: The build folder; without a build the page says how to make one.
        endpoint: URL (normally same-origin and relative) of the GraphQL endpoint.

    Returns:
        A complete HTML document.
    """
    config = {
        "endpoint": endpoint,
        "voyagerUrl": VOYAGER_PATH,
        "defaultQuery": DEFAULT_QUERY,
        # GraphiQL expects the headers editor contents as a JSON string.
        "defaultHeaders": json.dumps(dict(DEFAULT_HEADERS), indent=2),
    }
    return _page(folder, "GraphiQL", "graphiql", IDE_FILES, config)


def voyager_page(folder: Path, endpoint: str = IDE_PATH) -> str:
    """Render the schema picture's page (GraphQL Voyager on the caller's own view).

    Args:
        folder: The build folder; without a build the page says how to make one.
        endpoint: URL of the GraphQL endpoint that answers the introspection.

    Returns:
        A complete HTML document.
    """
    config = {"endpoint": endpoint, "ideUrl": IDE_PATH}
    return _page(folder, "schema picture", "voyager", VOYAGER_FILES, config)


def _page(folder: Path, title: str, mount: str, files: tuple[str, str],
          config: Mapping[str, object]) -> str:
    build = load_build(folder)
    if build is None:
        head = body = ""
        placeholder = ('<p class="ide-missing">The IDE is not built on this server. Run '
                       "<code>make install</code> (it needs npm) in the project root, then "
                       "reload this page.</p>")
    else:
        css, js = (build.url(name) for name in files)
        config = {**config, "assets": ASSETS_PREFIX, "build": build.digest}
        head = f'<link rel="stylesheet" href="{css}">'
        body = f'<script src="{js}"></script>'
        placeholder = "Loading…"
    return _template().substitute(title=title, mount=mount, head=head, body=body,
                                  placeholder=placeholder, config=_json_for_script(config))


@cache
def _template() -> Template:
    # Read once per process; the file ships as package data (pyproject.toml).
    return Template(_TEMPLATE_PATH.read_text(encoding="utf-8"))


def _json_for_script(value: object) -> str:
    # Escape what could close the <script> element or start an HTML comment;
    # JSON.parse turns the \u escapes back into the original characters.
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _accepts_gzip(request: Request) -> bool:
    codings = (part.split(";")[0].strip().lower()
               for part in request.headers.get("accept-encoding", "").split(","))
    return "gzip" in codings


def _media_type(name: str) -> str:
    return _CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")


def _file_response(path: Path, media_type: str | None = None,
                   headers: Mapping[str, str] | None = None) -> Response:
    try:
        stat_result = path.stat()
    except OSError:
        return _not_found()
    if not stat.S_ISREG(stat_result.st_mode):
        return _not_found()
    return FileResponse(
        path,
        media_type=media_type or _media_type(path.name),
        stat_result=stat_result,
        headers={"Cache-Control": _CACHE_CONTROL, "X-Content-Type-Options": "nosniff",
                 # Caches keep the gzip copy and the plain file apart.
                 "Vary": "Accept-Encoding", **(headers or {})},
    )


def _not_found() -> Response:
    return PlainTextResponse("Not Found", status_code=404)
