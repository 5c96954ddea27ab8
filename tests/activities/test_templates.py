"""The mail templates render the seeds' words: release name, deadline, due date, level."""

from __future__ import annotations

import pytest

from activities.mail import render_notice
from schemas.state import ReleaseState
from tests.activities.conftest import notice_request


def test_a_reminder_names_the_release_the_deadline_and_its_due_date(
    june_2020: ReleaseState,
) -> None:
    mail = render_notice(notice_request(june_2020, "/scope_system/c1/reminder"))

    assert "June 2020 SEC Release" in mail.text
    assert "scope_system" in mail.text
    assert "by 25 June 2019" in mail.text
    assert "baseline the RID (v1.0) with the system scope" in mail.text
    assert "Go-live: 25 June 2020" in mail.text
    assert "25 June 2019" in mail.html


@pytest.mark.parametrize(
    ("level", "widening"),
    [
        (1, "the Panel chair and whoever owes"),
        (2, "goes to the whole SEC Panel"),
        (3, "Testing Advisory Group (TAG) and the Operations Group (OPSG)"),
    ],
)
def test_an_escalation_says_its_level_and_who_it_now_reaches(
    june_2020: ReleaseState, level: int, widening: str
) -> None:
    mail = render_notice(notice_request(june_2020, f"/scope_system/c1/L{level}"))

    assert mail.subject.startswith(f"Escalation level {level}: June 2020 SEC Release")
    assert f"Escalation level {level}: June 2020 SEC Release" in mail.text
    assert "The deadline scope_system was due on 25 June 2019 and has lapsed." in mail.text
    assert widening in " ".join(mail.text.split())
    assert f"Escalation level {level}: scope_system lapsed on 25 June 2019" in mail.html


@pytest.mark.parametrize(
    ("suffix", "words"),
    [
        ("/notice/notice_12m/c1", "This is the 12-month notice for the June 2020 SEC Release"),
        ("/notice/notice_6m/c1", "This is the 6-month notice for the June 2020 SEC Release"),
        (
            "/notice/notice_1m/c1",
            "one-month notice of the imminent go-live of the June 2020 SEC Release",
        ),
        ("/notice/approval_notice:SECMP0062/c1", "Modification SECMP0062 has been approved"),
    ],
)
def test_each_notice_to_parties_has_its_own_words(
    june_2020: ReleaseState, suffix: str, words: str
) -> None:
    mail = render_notice(notice_request(june_2020, suffix))

    assert words in " ".join(mail.text.split())
    assert "25 June 2020" in mail.text
    assert "To SEC Parties" in mail.html


def test_a_decision_and_an_appeal_referral_are_worded_for_their_readers(
    june_2020: ReleaseState,
) -> None:
    decision = render_notice(notice_request(june_2020, "/decision/1-appeal-2.0"))
    referral = render_notice(notice_request(june_2020, "/appeal/2.0/referred"))

    assert "Decision: the Authority upheld the Panel's approval of RID 2.0." in decision.text
    assert "referred to the Authority" in " ".join(referral.text.split())
    assert "To the Authority (Ofgem)" in referral.html


def test_the_html_escapes_what_people_typed_and_the_text_keeps_it(
    june_2020: ReleaseState,
) -> None:
    request = notice_request(june_2020, "/notice/approval_notice:SECMP0062/c1")
    request.notice = request.notice.model_copy(
        update={"notice": None, "detail": "Alert Storm Protection <b>& more</b>"}
    )
    mail = render_notice(request)

    assert "Alert Storm Protection &lt;b&gt;&amp; more&lt;/b&gt;" in mail.html
    assert "Alert Storm Protection <b>& more</b>" in mail.text
    assert "–" in mail.subject  # the seed's en dash in "Traffic Management – Alert Storm"


def test_a_default_address_is_pointed_out_in_the_message(june_2020: ReleaseState) -> None:
    mail = render_notice(
        notice_request(june_2020, "/scope_system/c1/L1"), defaulted=["PANEL_CHAIR"]
    )

    assert "No address is set for PANEL_CHAIR" in mail.text
    assert "sec-release contacts set ROLE EMAIL" in mail.html
