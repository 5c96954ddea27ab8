"""Temporal workflows: one per release, one per appeal window, one for the Panel's freezes,
one for the morning digest (a deployment's choice).

Workflow code does no I/O and reads no clock but `workflow.now()`; decisions are calls into the
pure `rules` package, which is passed through the sandbox.
"""
