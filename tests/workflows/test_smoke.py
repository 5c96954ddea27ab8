from datetime import date

from temporalio.testing import WorkflowEnvironment

from rules.escalation import london
from schemas import commands as c
from schemas.base import Actor
from starter.rehearsal import Rehearsal

SECAS = Actor.parse("SECAS:Kemp")
PANEL = Actor.parse("PANEL:Chair")


async def test_smoke(env: WorkflowEnvironment) -> None:
    async with Rehearsal(env, london(date(2019, 5, 9), 10)) as r:
        status = await r.deployment.create_release(
            "2020-06", actor=SECAS, go_live=None, release_type=None, ad_hoc=False
        )
        r.release_ids.append("2020-06")
        assert status.phase == "DRAFTING"
        res = await r.deployment.act(
            "2020-06",
            SECAS,
            c.ModAdd(mod="SECMP0053", title="x", system=True, approved_on=date(2019, 5, 9)),
        )
        print(res)
        await r.advance_to(london(date(2019, 10, 11), 10))
        res = await r.deployment.act("2020-06", PANEL, c.RidBaseline())
        print(res)
        st = await r.deployment.status("2020-06")
        print([(d.key, d.status, d.escalation_level) for d in st.deadlines])
        print(len(r.sender.sent))
        await r.advance_to(london(date(2019, 10, 30), 10))
        st = await r.deployment.status("2020-06")
        print(st.appeals)
