"""The revisions, oldest first: r0001 the register and audit trail, r0002 the notices outbox."""
