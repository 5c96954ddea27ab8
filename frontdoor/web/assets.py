"""The web app's own script: live refresh (`templates/web/live.js`), served from the app (no
library, nothing loaded from elsewhere; the pages' Content-Security-Policy allows this site's
scripts only). The stylesheet is served beside the pages (`frontdoor.web.pages`)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

LIVE_SCRIPT = "/assets/live.js"

router = APIRouter(include_in_schema=False)


@cache
def _live_script() -> bytes:
    return (Path(str(resources.files("templates"))) / "web" / "live.js").read_bytes()


@router.get(LIVE_SCRIPT)
async def live_script() -> Response:
    return Response(
        _live_script(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"},
    )
