"""The revisions, oldest first: r0001 the register and audit trail, r0002 the notices outbox,
r0003 the audit divergences, r0004 the directory of principals (users, service accounts, API
tokens, web sessions, sign-in failures), r0005 the append-only, hash-chained audit."""
