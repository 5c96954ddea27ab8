"""Jinja2 templates: `mail/` (notices, by kind) and `documents/` (the RID, the go-live paper).

A package only so that `pip install .` ships them beside the code that renders them.
"""
