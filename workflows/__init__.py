"""Temporal workflows: one per release, one per appeal window, one for the Panel's freezes.

Workflow code does no I/O and reads no clock but `workflow.now()`; decisions are calls into the
pure `rules` package, which is passed through the sandbox.
"""
