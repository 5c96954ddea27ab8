"""Pydantic models of every message: workflow inputs, updates, signals, queries, activity args.

Models only (no Temporal, SQLAlchemy or SMTP code), so fields can be added without breaking
running releases: every new field has a default.
"""
