"""The web app's documents and notices: the RID (any version, beside the previous version with
the differences highlighted), the go-live decision paper (print-ready), and SECAS's Notices page
(the outbox: delivery status, failed messages and their errors).

The documents are the ones `sec-release doc` writes (`documents`), rendered as HTML from the
release's state and shown inside the web page (their own inline styles are dropped: the pages'
Content-Security-Policy allows only the site's stylesheet, which carries a print stylesheet).
The differences are `difflib`'s, over the Markdown of the two versions, line by line.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from frontdoor.errors import is_missing
from frontdoor.web.pages import _not_found, _releases, render, web_session
from schemas.errors import Refused
from schemas.principal import AccessRole
from schemas.state import RidEntry

router = APIRouter(include_in_schema=False)

DIFF_CONTEXT = 2  # unchanged lines shown around each change
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S)


@dataclass(frozen=True)
class DiffLine:
    """One row of the side-by-side comparison: the older line, the newer one, and how they
    differ (same, changed, removed, added; gap: unchanged lines left out)."""

    kind: str
    old_no: int | None
    old: str
    new_no: int | None
    new: str


def side_by_side(old: str, new: str, context: int = DIFF_CONTEXT) -> list[DiffLine]:
    """The changed lines of `new` against `old`, paired, with `context` lines around each."""
    a, b = old.splitlines(), new.splitlines()
    rows: list[DiffLine] = []
    groups = list(difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context))
    for n, group in enumerate(groups):
        if n:
            rows.append(DiffLine("gap", None, "", None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [
                    DiffLine("same", i + 1, a[i], j + 1, b[j])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                ]
                continue
            olds, news = list(range(i1, i2)), list(range(j1, j2))
            for k in range(max(len(olds), len(news))):
                i = olds[k] if k < len(olds) else None
                j = news[k] if k < len(news) else None
                kind = (
                    "changed"
                    if i is not None and j is not None
                    else "removed"
                    if j is None
                    else "added"
                )
                rows.append(
                    DiffLine(
                        kind,
                        None if i is None else i + 1,
                        "" if i is None else a[i],
                        None if j is None else j + 1,
                        "" if j is None else b[j],
                    )
                )
    return rows


def _body(html: str) -> Markup:
    """The body of a document rendered by `documents` (autoescaped there), for embedding."""
    found = _BODY.search(html)
    return Markup(found.group(1) if found else "")


def previous_version(history: list[RidEntry], version: str | None) -> RidEntry | None:
    """The version before `version` (None: the RID as it stands, so the latest version) that
    was recorded with its content."""
    if version is None:
        earlier = history
    else:
        at = max((n for n, e in enumerate(history) if e.version == version), default=None)
        if at is None:
            return None
        earlier = history[:at]
    return next(
        (e for e in reversed(earlier) if e.snapshot is not None and e.version != version), None
    )


@router.get("/releases/{release_id}/documents/rid")
async def rid_page(request: Request, release_id: str, version: str | None = None) -> HTMLResponse:
    from documents import render_rid

    session = await web_session(request)
    deployment = await _releases(request)
    try:
        state = await deployment.state(release_id)
        now = await deployment.clock.now()
        wanted = version.strip()[:20] if version and version.strip() else None
        html = render_rid(state, now, fmt="html", version=wanted)
        before = previous_version(state.rid_history, wanted)
        diff: list[DiffLine] = []
        if before is not None:
            old = render_rid(state, now, fmt="md", version=before.version)
            new = render_rid(state, now, fmt="md", version=wanted)
            diff = side_by_side(old, new)
    except Refused as exc:
        if is_missing(exc) or version is not None:
            return _not_found(session, exc.sentence)
        raise
    versions = list(dict.fromkeys(e.version for e in state.rid_history if e.snapshot is not None))
    return render(
        "document.html.j2",
        session,
        title=f"RID {wanted or 'as it stands'}: {state.name}",
        release_id=release_id,
        name=state.name,
        kind="rid",
        document=_body(html),
        versions=versions,
        version=wanted,
        before=before,
        diff=diff,
    )


@router.get("/releases/{release_id}/documents/go-live-paper")
async def go_live_paper_page(request: Request, release_id: str) -> HTMLResponse:
    from documents import render_go_live_paper

    session = await web_session(request)
    deployment = await _releases(request)
    try:
        state = await deployment.state(release_id)
        html = render_go_live_paper(state, await deployment.clock.now(), fmt="html")
    except Refused as exc:
        if is_missing(exc):
            return _not_found(session, exc.sentence)
        raise
    return render(
        "document.html.j2",
        session,
        title=f"Go-live decision paper: {state.name}",
        release_id=release_id,
        name=state.name,
        kind="go-live-paper",
        document=_body(html),
        versions=[],
        version=None,
        before=None,
        diff=[],
    )


# -- SECAS's notices ------------------------------------------------------------------------------


@router.get("/notices")
async def notices_page(request: Request, release: str | None = None) -> HTMLResponse:
    from activities.mail import list_outbox

    session = await web_session(request)
    if session.principal.role is not AccessRole.SECAS:
        return render(
            "error.html.j2",
            session,
            status_code=403,
            title="Not allowed",
            sentence="Only SECAS may read the outbox of notices.",
        )
    rows: list[Any] = await list_outbox(session.directory.sessions)
    if release:
        rows = [r for r in rows if r.release_id == release]
    rows.reverse()  # newest first
    failed = [r for r in rows if r.status in ("failed", "failed-retrying")]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    return render(
        "notices.html.j2",
        session,
        title="Notices",
        rows=rows,
        failed=failed,
        counts=counts,
        release=release or "",
    )
