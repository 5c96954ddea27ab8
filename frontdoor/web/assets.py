"""The web app's own assets: its one stylesheet and its one script (live refresh), served from
`templates/web/` (nothing is loaded from elsewhere), and the headers every page carries."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

STYLESHEET = "/assets/web.css"
LIVE_SCRIPT = "/assets/live.js"
# The pages load nothing from elsewhere and run only the site's own script (live refresh, which
# reads the page again from this site): the policy says so to the browser.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_ASSETS = {STYLESHEET: "text/css", LIVE_SCRIPT: "text/javascript"}

router = APIRouter(include_in_schema=False)


@cache
def asset(path: str) -> bytes:
    """The bytes of one of the assets (by its URL path)."""
    return (Path(str(resources.files("templates"))) / "web" / path.rsplit("/", 1)[1]).read_bytes()


def _served(path: str) -> None:
    async def serve() -> Response:
        return Response(
            asset(path),
            media_type=f"{_ASSETS[path]}; charset=utf-8",
            headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"},
        )

    router.add_api_route(path, serve, methods=["GET"])


for _path in _ASSETS:
    _served(_path)
