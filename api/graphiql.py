"""Self-hosted GraphiQL: an IDE page and its assets, served without any CDN.

Strawberry's built-in page pulls React and GraphiQL from unpkg, so it is blank on
an offline network. Here the same bundles come from ``node_modules`` (installed by
``npm ci`` from the committed, pinned ``package-lock.json``) and are served by our
own server under :data:`ASSETS_PREFIX`.
"""

import json
import stat
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from string import Template
from types import MappingProxyType

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route

ASSETS_PREFIX = "/graphiql-assets"

#: Served file name -> path inside ``node_modules``. Nothing else is ever served.
IDE_ASSETS: Mapping[str, str] = MappingProxyType(
    {
        "react.production.min.js": "react/umd/react.production.min.js",
        "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
        "graphiql.min.js": "graphiql/graphiql.min.js",
        "graphiql.min.css": "graphiql/graphiql.min.css",
    }
)

#: Our own files served beside them: the script that mounts the IDE (no inline script, so
#: the page's Content-Security-Policy can forbid inline scripts).
OWN_ASSETS: Mapping[str, str] = MappingProxyType({"boot.js": "graphiql-boot.js"})

#: Must equal the pins in ``package.json`` (a test checks). It is appended to the
#: asset URLs so that a version bump defeats the year-long, immutable browser cache.
PINNED_VERSIONS: Mapping[str, str] = MappingProxyType(
    {"graphiql": "3.8.3", "react": "18.3.1", "react-dom": "18.3.1"}
)

DEFAULT_HEADERS: Mapping[str, str] = MappingProxyType(
    {"Authorization": "Bearer <paste a token from make run>"}
)
DEFAULT_QUERY = """\
# Paste your bearer token under Headers, then run.
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

_CONTENT_TYPES: Mapping[str, str] = MappingProxyType({".js": "text/javascript", ".css": "text/css"})
_CACHE_CONTROL = "public, max-age=31536000, immutable"
_TEMPLATE_PATH = Path(__file__).with_name("templates") / "graphiql.html"


def ide_assets_present(node_modules: Path) -> bool:
    """Tell whether every IDE asset is installed.

    Args:
        node_modules: The ``node_modules`` directory produced by ``npm ci``.

    Returns:
        True if each file in :data:`IDE_ASSETS` exists as a regular file.
    """
    return all((node_modules / relative).is_file() for relative in IDE_ASSETS.values())


def ide_routes(node_modules: Path) -> list[BaseRoute]:
    """Build the routes serving the IDE assets under :data:`ASSETS_PREFIX`.

    Only names listed in :data:`IDE_ASSETS` are answered; the request path is
    looked up in that mapping and never joined onto a filesystem path, so no
    other file below (or above) ``node_modules`` is reachable.

    Args:
        node_modules: The ``node_modules`` directory produced by ``npm ci``.
            Files are resolved per request, so assets installed after start-up
            are picked up; a missing file answers 404.

    Returns:
        A single ``Mount`` to add to the Starlette application's routes.
    """

    async def serve_asset(request: Request) -> Response:
        name = request.path_params["name"]
        own = OWN_ASSETS.get(name)
        if own is not None:
            return _file_response(_TEMPLATE_PATH.parent / own)
        relative = IDE_ASSETS.get(name)
        if relative is None:
            return _not_found()
        return _file_response(node_modules / relative)

    return [
        Mount(
            ASSETS_PREFIX,
            routes=[Route("/{name}", serve_asset, methods=["GET", "HEAD"])],
            name="graphiql-assets",
        )
    ]


def ide_page(endpoint: str = "/graphql") -> str:
    """Render the GraphiQL HTML page, which loads only the local assets.

    Args:
        endpoint: URL (normally same-origin and relative) that the IDE's
            fetcher POSTs GraphQL requests to.

    Returns:
        A complete HTML document.
    """
    config = {
        "endpoint": endpoint,
        "defaultQuery": DEFAULT_QUERY,
        # GraphiQL expects the headers editor contents as a JSON string.
        "defaultHeaders": json.dumps(dict(DEFAULT_HEADERS), indent=2),
    }
    return _template().substitute(
        config=_json_for_script(config),
        react_js=asset_url("react.production.min.js"),
        react_dom_js=asset_url("react-dom.production.min.js"),
        graphiql_js=asset_url("graphiql.min.js"),
        graphiql_css=asset_url("graphiql.min.css"),
        boot_js=asset_url("boot.js"),
    )


def asset_url(name: str) -> str:
    """Return the same-origin URL of one IDE asset, with a cache-busting version.

    Args:
        name: A key of :data:`IDE_ASSETS`.

    Returns:
        A root-relative URL such as ``/graphiql-assets/graphiql.min.js?v=...``.

    Raises:
        KeyError: If ``name`` is not an IDE asset.
    """
    if name not in IDE_ASSETS and name not in OWN_ASSETS:
        raise KeyError(name)
    return f"{ASSETS_PREFIX}/{name}?v={_version_token()}"


@cache
def _template() -> Template:
    # Read once per process; the file ships as package data (pyproject.toml).
    return Template(_TEMPLATE_PATH.read_text(encoding="utf-8"))


@cache
def _version_token() -> str:
    return "-".join(f"{package}{version}" for package, version in PINNED_VERSIONS.items())


def _json_for_script(value: object) -> str:
    # Escape what could close the <script> element or start an HTML comment;
    # JSON.parse turns the \u escapes back into the original characters.
    text = json.dumps(value)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _file_response(path: Path) -> Response:
    try:
        stat_result = path.stat()
    except OSError:
        return _not_found()
    if not stat.S_ISREG(stat_result.st_mode):
        return _not_found()
    return FileResponse(
        path,
        media_type=_CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
        stat_result=stat_result,
        headers={"Cache-Control": _CACHE_CONTROL, "X-Content-Type-Options": "nosniff"},
    )


def _not_found() -> Response:
    return PlainTextResponse("Not Found", status_code=404)
