"""The release documents, rendered from a release's state (SPEC section 7; issue 7).

Pure functions of the state (plus `now` for what is computed at a moment) and the Jinja2
templates in `templates/documents/`; no Temporal, database or network:

- `render_rid(state, now, *, fmt="md", version=None)`: the Release Implementation Document;
- `render_go_live_paper(state, now, *, fmt="md")`: the go-live decision paper;
- `render_ics(state, now)`: every deadline and planned date as an iCalendar file.
"""

from documents.go_live import render_go_live_paper
from documents.ics import render_ics
from documents.rid import render_rid

__all__ = ["render_go_live_paper", "render_ics", "render_rid"]
