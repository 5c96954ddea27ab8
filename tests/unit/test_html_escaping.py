"""Every HTML template escapes what people typed: a `<script>` shows as text, everywhere."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from activities.mail import render_notice
from documents import render_go_live_paper, render_rid
from rules.clock import london
from schemas import commands as c
from schemas.state import Notice
from schemas.workflow_io import NoticeRequest
from tests.june2020 import DCC, OPSG, PANEL, PARTY, SECAS, TAG
from tests.june2020_state import june_2020_state
from tests.unit.release_factory import act, at

SCRIPT = "<script>alert(1)</script>"
TEMPLATES = Path(__file__).parent.parent.parent / "templates"


def hostile_release() -> object:
    """The June 2020 release with a script typed into every free-text field."""
    state, _ = june_2020_state(london(date(2020, 5, 21), 8))  # before the RID froze
    day = date(2020, 5, 21)
    act(
        state,
        at(day),
        SECAS,
        c.ModAdd(mod="MP999", title=SCRIPT, system=False, rationale=SCRIPT, documents=[SCRIPT]),
    )
    act(state, at(day), DCC, c.RiskAdd(risk=SCRIPT, mitigation=SCRIPT, view=SCRIPT))
    act(state, at(day), DCC, c.DefectsSet(sev1=1, resolution_plan=SCRIPT))
    act(state, at(day), DCC, c.CriterionSet(key="op-1", status="met", evidence=SCRIPT))
    act(state, at(day), TAG, c.Recommend(group="TAG", go=True, comments=SCRIPT))
    act(state, at(day), DCC, c.EvidenceSubmit(evidence="operational", doc=SCRIPT))
    act(state, at(day), OPSG, c.Recommend(group="OPSG", go=False, comments=SCRIPT))
    act(state, at(day), PANEL, c.CriterionDefine(key="panel-9", text=SCRIPT))
    act(state, at(day), DCC, c.CostsReport(kind="costs_forecast", total=1, commentary=SCRIPT))
    assert PARTY
    return state


def test_the_documents_show_a_typed_script_as_text() -> None:
    state = hostile_release()
    now = london(date(2020, 5, 21), 15)
    for html in (render_rid(state, now, fmt="html"), render_go_live_paper(state, now, fmt="html")):  # type: ignore[arg-type]
        assert SCRIPT not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_every_mail_kind_shows_a_typed_script_as_text() -> None:
    kinds = ["reminder", "escalation", "notice", "decision", "appeal", "something-new"]
    for kind in kinds:
        notice = Notice(
            key=f"2020-06/{kind}/{SCRIPT}",
            kind=kind,
            at=london(date(2020, 6, 8), 9),
            subject=f"{SCRIPT} subject",
            to=["SECAS", "PANEL_CHAIR"],
            deadline="scope_system" if kind in ("reminder", "escalation") else None,
            level=2 if kind == "escalation" else None,
            due=date(2019, 6, 25),
            notice="approval" if kind == "notice" else None,
            detail=SCRIPT,
        )
        mail = render_notice(
            NoticeRequest(
                release_id="2020-06", release_name=SCRIPT, go_live=date(2020, 6, 25), notice=notice
            )
        )
        assert SCRIPT not in mail.html, kind
        assert "&lt;script&gt;" in mail.html, kind


def test_a_morning_digest_shows_a_typed_script_as_text() -> None:
    from activities.digest import digest_line, render_digest

    cutoff = london(date(2020, 6, 9), 7)
    lines = []
    for kind in ("reminder", "escalation"):
        notice = Notice(
            key=f"2020-06/{kind}/{SCRIPT}",
            kind=kind,
            at=london(date(2020, 6, 8), 9),
            subject=f"{SCRIPT} subject",
            to=["SECAS"],
            deadline="scope_system",
            level=2 if kind == "escalation" else None,
            due=date(2019, 6, 25),
        )
        request = NoticeRequest(
            release_id=f"2020-06{SCRIPT}",
            release_name=SCRIPT,
            go_live=date(2020, 6, 25),
            notice=notice,
        )
        lines.append(digest_line(request))
    mail = render_digest(f"digest/2020-06-09/{SCRIPT}", SCRIPT, cutoff, lines)
    assert SCRIPT not in mail.html
    assert "&lt;script&gt;" in mail.html
    assert SCRIPT in mail.text  # the plain text keeps what was typed


def test_no_html_template_escapes_this_test() -> None:
    """A new HTML template must be added to the tests above (and so be proven to escape)."""
    # The web pages are proven by `test_the_web_pages_escape_what_people_typed`, by folder.
    html = sorted(
        p.relative_to(TEMPLATES).as_posix()
        for p in TEMPLATES.rglob("*.html.j2")
        if p.parent.name != "web"
    )
    assert html == [
        "documents/base.html.j2",
        "documents/go_live_paper.html.j2",
        "documents/rid.html.j2",
        "mail/_layout.html.j2",
        "mail/appeal.html.j2",
        "mail/decision.html.j2",
        "mail/digest.html.j2",
        "mail/escalation.html.j2",
        "mail/generic.html.j2",
        "mail/notice.html.j2",
        "mail/reminder.html.j2",
    ]


def test_the_web_pages_escape_what_people_typed() -> None:
    """Every web page (and the Gantt's SVG) is rendered with autoescaping on, and no template
    opts out of it with `|safe` or `autoescape false`."""
    from frontdoor.web.pages import _environment

    env = _environment()
    names = sorted(p.name for p in (TEMPLATES / "web").glob("*.j2"))
    assert names and all(env.autoescape(name) for name in names)  # type: ignore[operator]
    for name in names:
        source = (TEMPLATES / "web" / name).read_text()
        assert "|safe" not in source.replace(" ", ""), name
        assert "autoescape false" not in source, name
    assert (
        env.from_string("{{ typed }}").render(typed=SCRIPT)
        == "&lt;script&gt;alert(1)&lt;/script&gt;"
    )
