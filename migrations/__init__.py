"""Alembic migrations of the sec-release store (applied by `activities.store.prepare_store`).

Configured in code (no alembic.ini), so they run from any working directory. To write a new
revision, copy the newest one in `versions/`, give it the next number as `revision` and the
previous one as `down_revision`; a database stamped with a revision this code does not know is
refused rather than written to.
"""
