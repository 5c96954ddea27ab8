"""What managing the directory adds to `frontdoor.directory`: enabling a disabled principal, the
last web sign-in of each login, revoking the token a request presents, and the audit line every
change to the directory leaves.

Kept beside `Directory` rather than in it (that module already holds every credential primitive):
these are SECAS's user management in the web app, `sec-release users enable` and `sec-release
logout`'s server side, built on the same store and the same sentences.

**The record of a change** is an audit line on the logger `frontdoor.directory_changes` (one
line per change: who made it, as their login and role, and what changed, never a secret), which
the front door writes to its standard error (`frontdoor.serve`). The directory's rows keep
their own state (created, disabled, a token's revocation time) but not who changed them: the
line does.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from sqlalchemy import func, select, update

from frontdoor.directory import TOKEN_PREFIX, Directory, DirectoryEntry, TokenInfo
from frontdoor.tables import ApiTokenRow, PrincipalRow, WebSessionRow

CHANGES_LOGGER = "frontdoor.directory_changes"
changes = logging.getLogger(CHANGES_LOGGER)


def record_change(by: str, change: str) -> None:
    """Leave the audit line of one change to the directory: `by` (who) `change` (what)."""
    changes.info("directory change by %s: %s", by, change)


async def enable(directory: Directory, login: str) -> DirectoryEntry:
    """Enable a disabled principal again (its tokens not revoked or expired work again; its web
    sessions ended when it was disabled stay ended)."""
    await directory.get(login)  # an unknown login: the directory's sentence
    async with directory.sessions() as session:
        await session.execute(
            update(PrincipalRow).where(PrincipalRow.login == login).values(disabled=False)
        )
        await session.commit()
    return await directory.get(login)


async def last_sign_ins(directory: Directory) -> dict[str, datetime]:
    """The time each login last opened a web session (password or single sign-on), for the
    logins that ever did: the directory records a sign-in as the session it opens."""
    async with directory.sessions() as session:
        rows = await session.execute(
            select(WebSessionRow.login, func.max(WebSessionRow.created_at)).group_by(
                WebSessionRow.login
            )
        )
        return {str(login): at for login, at in rows}


async def revoke_presented_token(directory: Directory, token: str) -> TokenInfo | None:
    """Revoke the token whose secret this is (`sec-release logout`): the token revoked, or None
    when the directory never issued it."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
    async with directory.sessions() as session:
        token_id = await session.scalar(
            select(ApiTokenRow.id).where(ApiTokenRow.token_hash == digest)
        )
    if token_id is None:
        return None
    return await directory.revoke_token(token_id)
