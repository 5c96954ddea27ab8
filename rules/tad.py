"""The Testing Approach Document (SPEC section 5.2, System releases only).

Draft TAD by the DCC -> TAG review -> industry consultation -> updated TAD -> TAG recommends ->
the Panel incorporates it into the RID as a new draft version.
"""

from __future__ import annotations

from rules import limits
from rules.context import Context
from rules.deadlines import DeadlineKey
from rules.errors import Refused
from rules.guards import date_in_calendar, not_frozen, system_only
from rules.outcome import Outcome
from rules.registry import handles
from rules.rid import RidVersion
from rules.scope_and_rid import mark_changed, new_rid_version
from rules.timetable import record_actual
from rules.tracking import meet
from schemas import commands as c
from schemas.base import Actor
from schemas.state import Recommendation, ReleaseState, TadSubmission


@handles(c.TadSubmit)
def tad_submit(state: ReleaseState, actor: Actor, cmd: c.TadSubmit, ctx: Context) -> Outcome:
    system_only(state, "submit a TAD")
    tad = state.tad
    if tad.incorporated_on is not None:
        raise Refused(
            f"The TAD was incorporated into the RID on {tad.incorporated_on.isoformat()}; it is final."
        )
    if len(tad.submissions) >= limits.MAX_SUBMISSIONS:
        raise Refused("Too many TAD submissions for one release.")
    doc = limits.text(cmd.doc, "document reference", limits.REF, flag="--doc")
    if cmd.updated:
        if not tad.submissions:
            raise Refused(
                "There is no draft TAD to update; submit the draft first (tad submit --doc REF)."
            )
        if not tad.reviews:
            raise Refused(
                "The TAG has not reviewed the draft TAD yet (tad review); the updated TAD answers its comments."
            )
        if tad.consultation_from is None:
            raise Refused(
                "The DCC has not consulted industry on the draft TAD (tad consult --from DATE --to DATE); "
                "the updated TAD answers the consultation too."
            )
        tad.recommendation = None
    elif tad.submissions:
        raise Refused(
            f"The draft TAD was submitted on {tad.submissions[0].on.isoformat()}; submit changes as an "
            "updated TAD (tad submit --doc REF --updated) once the TAG has reviewed it."
        )
    tad.submissions.append(TadSubmission(doc=doc, on=ctx.today, by=str(actor), updated=cmd.updated))
    record_actual(state, "tad_updated" if cmd.updated else "tad_draft", ctx.today)
    met = meet(state, DeadlineKey.TAD_TO_TAG.value, ctx.today)
    return Outcome(
        f"{'Updated' if cmd.updated else 'Draft'} TAD {doc} submitted to the TAG"
        + ("; meets tad_to_tag." if met else ".")
    )


@handles(c.TadReview)
def tad_review(state: ReleaseState, actor: Actor, cmd: c.TadReview, ctx: Context) -> Outcome:
    system_only(state, "review a TAD")
    if not state.tad.submissions:
        raise Refused("There is no TAD to review; the DCC submits it first (tad submit).")
    if state.tad.incorporated_on is not None:
        raise Refused("The TAD is already incorporated into the RID.")
    comments = limits.text(cmd.comments, "comments", limits.TEXT, flag="--comments")
    state.tad.reviews.append(
        Recommendation(favourable=True, comments=comments, on=ctx.today, by=str(actor))
    )
    record_actual(state, "tad_review", ctx.today)
    return Outcome("The TAG's comments on the TAD are recorded.")


@handles(c.TadConsult)
def tad_consult(state: ReleaseState, actor: Actor, cmd: c.TadConsult, ctx: Context) -> Outcome:
    system_only(state, "consult on a TAD")
    if not state.tad.reviews:
        raise Refused(
            "The TAG has not reviewed the draft TAD yet (tad review); consult industry after its review."
        )
    if cmd.end < cmd.start:
        raise Refused(
            f"The consultation must end on or after it starts; {cmd.end} is before {cmd.start}."
        )
    date_in_calendar(state, cmd.end, "consultation end")
    state.tad.consultation_from, state.tad.consultation_to = cmd.start, cmd.end
    record_actual(state, "tad_consult", cmd.start)
    return Outcome(
        f"Industry consultation on the TAD from {cmd.start.isoformat()} to {cmd.end.isoformat()}."
    )


@handles(c.TadRecommend)
def tad_recommend(state: ReleaseState, actor: Actor, cmd: c.TadRecommend, ctx: Context) -> Outcome:
    system_only(state, "recommend on a TAD")
    subs = state.tad.submissions
    if not subs or not subs[-1].updated:
        raise Refused(
            "The TAG recommends on the updated TAD; the DCC has not submitted one (tad submit --updated)."
        )
    if state.tad.recommendation is not None:
        raise Refused(
            "The TAG has already recommended on this TAD; the DCC submits an updated TAD for a new recommendation."
        )
    comments = limits.text(cmd.comments, "comments", limits.TEXT, flag="--comments", required=False)
    state.tad.recommendation = Recommendation(
        favourable=cmd.suitable, comments=comments, on=ctx.today, by=str(actor)
    )
    record_actual(state, "tad_recommend", ctx.today)
    verdict = "suitable" if cmd.suitable else "not suitable"
    return Outcome(f"The TAG recommends the TAD as {verdict}.")


@handles(c.TadIncorporate)
def tad_incorporate(
    state: ReleaseState, actor: Actor, cmd: c.TadIncorporate, ctx: Context
) -> Outcome:
    system_only(state, "incorporate a TAD")
    not_frozen(state, "incorporate the TAD")
    tad = state.tad
    if tad.incorporated_on is not None:
        raise Refused(f"The TAD was already incorporated on {tad.incorporated_on.isoformat()}.")
    if tad.recommendation is None:
        raise Refused(
            "The TAG has not recommended on the updated TAD (tad recommend); incorporate it after."
        )
    if not tad.recommendation.favourable:
        raise Refused(
            "The TAG found the TAD not suitable; the DCC submits an updated TAD for a new recommendation."
        )
    tad.incorporated_on = ctx.today
    version = RidVersion.parse(state.rid_version).next_draft()
    new_rid_version(state, version, ctx.today, "draft", "TAD incorporated as Annex A.")
    mark_changed(state, ctx, f"the TAD incorporated as draft {version}")
    met = meet(state, DeadlineKey.TAD_FINAL.value, ctx.today)
    record_actual(state, "tad_incorporate", ctx.today)
    return Outcome(
        f"The TAD is incorporated into the RID as draft {version}; the Panel's next baseline makes it "
        f"an integer version" + ("; meets tad_final." if met else ".")
    )
