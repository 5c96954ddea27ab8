"""The web app: server-rendered pages for the Panel, SECAS and every party (`frontdoor.web.pages`).

Forms are generated from the command declarations (`frontdoor.web.forms`); what a page shows
beyond the status (RAG, next deadline, the Gantt chart) is computed in `frontdoor.web.views`.
"""
