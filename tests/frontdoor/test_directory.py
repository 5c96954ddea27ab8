"""The directory of principals on SQLite and PostgreSQL: users, tokens, passwords, sessions and
the rate limit on failed sign-ins (ACCESS.md, Principals and Authentication)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdoor.directory import LAST_USED_RESOLUTION, Directory, TooManyFailures
from frontdoor.tables import ApiTokenRow, PrincipalRow
from schemas.errors import Refused
from schemas.principal import AccessRole, Principal
from tests.frontdoor.conftest import FakeClock

Sessions = async_sessionmaker[AsyncSession]
PASSWORD = "correct horse battery staple"


async def dump(sessions: Sessions) -> str:
    """Every value of every directory table, as one string."""
    values: list[str] = []
    async with sessions() as session:
        for table in ("principals", "api_tokens", "web_sessions", "login_failures"):
            for row in await session.execute(text(f"SELECT * FROM {table}")):
                values.extend(str(v) for v in row)
    return "\n".join(values)


# -- principals ----------------------------------------------------------------------------------


async def test_a_user_added_is_listed_with_its_role_and_organisation(directory: Directory) -> None:
    await directory.add_user(
        "kemp", "secas", name="David Kemp", org="SECAS", email="David.Kemp@SECAS.example"
    )
    await directory.add_user("dcc-tests", AccessRole.DCC, org="DCC", kind="service")

    entries = await directory.list_principals()

    assert [e.principal for e in entries] == [
        Principal(login="dcc-tests", kind="service", role=AccessRole.DCC, org="DCC"),
        Principal(login="kemp", role=AccessRole.SECAS, name="David Kemp", org="SECAS"),
    ]
    kemp = await directory.get("kemp")
    assert kemp.email == "david.kemp@secas.example"
    assert not kemp.disabled
    assert not kemp.has_password
    assert kemp.principal.actor().name == "David Kemp"


@pytest.mark.parametrize(
    ("login", "role", "extra", "sentence"),
    [
        ("Alice", "PANEL", {}, "is not a valid login; use 1 to 40 lowercase letters"),
        ("a" * 41, "PANEL", {}, "is not a valid login"),
        ("bob smith", "PANEL", {}, "is not a valid login"),
        ("alice", "CHAIR", {}, "'CHAIR' is not a role; the roles are SECAS, PANEL, PANEL_CHAIR"),
        (
            "supplier",
            "PARTY",
            {},
            "A PARTY needs the name of its SEC Party as its organisation",
        ),
        ("alice", "PANEL", {"email": "not-an-address"}, "is not an email address"),
        ("alice", "PANEL", {"name": "Ann\u202eevil"}, "bidirectional override"),
        ("alice", "PANEL", {"password": "short"}, "too short; use at least 12 characters"),
        ("bot", "DCC", {"kind": "service", "password": PASSWORD}, "A service account has no"),
    ],
)
async def test_bad_input_is_refused_with_a_sentence(
    directory: Directory, login: str, role: str, extra: dict[str, str], sentence: str
) -> None:
    with pytest.raises(Refused, match=sentence.replace("(", r"\(")):
        await directory.add_user(login, role, **extra)  # type: ignore[arg-type]
    assert await directory.list_principals() == []


async def test_a_login_is_added_once(directory: Directory) -> None:
    await directory.add_user("alice", "PANEL")
    with pytest.raises(Refused, match="The login 'alice' is already in the directory"):
        await directory.add_user("alice", "DCC")
    assert (await directory.get("alice")).principal.role is AccessRole.PANEL


async def test_an_unknown_login_is_named(directory: Directory) -> None:
    with pytest.raises(Refused, match="There is no principal 'nobody'"):
        await directory.disable("nobody")
    with pytest.raises(Refused, match="There is no principal 'nobody'"):
        await directory.new_token("nobody")


# -- API tokens ----------------------------------------------------------------------------------


async def test_a_token_names_its_owner_and_records_when_it_was_used(
    directory: Directory, clock: FakeClock
) -> None:
    await directory.add_user("chair", "PANEL_CHAIR", name="Panel Chair")
    new = await directory.new_token("chair", expires_days=30)
    assert new.token.startswith("sr_")
    assert len(new.token) >= 40
    assert new.expires == clock.now + timedelta(days=30)

    clock.advance(timedelta(hours=1))
    principal = await directory.principal_for_token(new.token)

    assert principal == Principal(login="chair", role=AccessRole.PANEL_CHAIR, name="Panel Chair")
    [info] = await directory.tokens_of("chair")
    assert (info.id, info.last_used_at, info.state(clock.now)) == (new.id, clock.now, "active")


async def test_last_use_is_recorded_to_the_minute_and_revocation_still_stops_a_token_at_once(
    directory: Directory, clock: FakeClock, sessions: Sessions
) -> None:
    """A working token writes its last use at most once a minute (each request only reads);
    revocation, read on every request, takes effect on the very next one."""
    await directory.add_user("chair", "PANEL_CHAIR")
    new = await directory.new_token("chair")
    first = clock.now
    assert await directory.principal_for_token(new.token) is not None

    clock.advance(LAST_USED_RESOLUTION - timedelta(seconds=1))
    assert await directory.principal_for_token(new.token) is not None
    [info] = await directory.tokens_of("chair")
    assert info.last_used_at == first  # within the minute: not written again

    clock.advance(timedelta(seconds=1))
    assert await directory.principal_for_token(new.token) is not None
    [info] = await directory.tokens_of("chair")
    assert info.last_used_at == clock.now == first + LAST_USED_RESOLUTION

    # Revoked behind the directory's back (as another process writing the store would).
    async with sessions() as session:
        row = await session.get(ApiTokenRow, new.id)
        assert row is not None
        row.revoked_at = clock.now
        await session.commit()
    assert await directory.principal_for_token(new.token) is None


async def test_only_the_hash_of_a_token_is_stored(directory: Directory, sessions: Sessions) -> None:
    await directory.add_user("dcc-tests", "DCC", org="DCC", kind="service")
    new = await directory.new_token("dcc-tests")

    stored = await dump(sessions)
    assert new.token not in stored
    assert new.token[3:] not in stored
    async with sessions() as session:
        row = await session.scalar(select(ApiTokenRow))
    assert row is not None
    assert row.token_hash == hashlib.sha256(new.token.encode()).hexdigest()


async def test_a_revoked_token_stops_at_once(directory: Directory) -> None:
    await directory.add_user("alice", "PANEL")
    new = await directory.new_token("alice")
    assert await directory.principal_for_token(new.token) is not None

    await directory.revoke_token(new.id)

    assert await directory.principal_for_token(new.token) is None
    [info] = await directory.tokens_of("alice")
    assert info.revoked_at is not None


async def test_an_expired_token_is_refused(directory: Directory, clock: FakeClock) -> None:
    await directory.add_user("alice", "PANEL")
    new = await directory.new_token("alice", expires_days=1)
    clock.advance(timedelta(days=1, seconds=-1))
    assert await directory.principal_for_token(new.token) is not None
    clock.advance(timedelta(seconds=1))
    assert await directory.principal_for_token(new.token) is None


async def test_a_disabled_owners_tokens_and_sessions_stop(directory: Directory) -> None:
    await directory.add_user("alice", "PANEL", password=PASSWORD)
    new = await directory.new_token("alice")
    web = await directory.new_session("alice", timedelta(hours=8))

    await directory.disable("alice")

    assert await directory.principal_for_token(new.token) is None
    assert await directory.session_principal(web.cookie) is None
    assert await directory.verify_password("alice", PASSWORD) is None
    with pytest.raises(Refused, match="disabled"):
        await directory.new_token("alice")


async def test_unknown_and_malformed_tokens_are_nobody(directory: Directory) -> None:
    await directory.add_user("alice", "PANEL")
    await directory.new_token("alice")
    for token in ("", "sr_", "sr_" + "x" * 43, "Bearer", "sr_" + "x" * 500):
        assert await directory.principal_for_token(token) is None


# -- passwords ------------------------------------------------------------------------------------


async def test_passwords_are_kept_as_argon2id_hashes(
    directory: Directory, sessions: Sessions
) -> None:
    await directory.add_user("alice", "PANEL", password=PASSWORD)

    async with sessions() as session:
        row = await session.get(PrincipalRow, "alice")
    assert row is not None
    assert row.password_hash is not None
    assert row.password_hash.startswith("$argon2id$v=19$")
    assert PASSWORD not in await dump(sessions)


async def test_the_right_password_signs_in_and_no_other(directory: Directory) -> None:
    await directory.add_user("alice", "PANEL", name="Alice", password=PASSWORD)
    await directory.add_user("bot", "DCC", kind="service")

    assert await directory.verify_password("alice", PASSWORD) == Principal(
        login="alice", role=AccessRole.PANEL, name="Alice"
    )
    assert await directory.verify_password("alice", PASSWORD + "!") is None
    assert await directory.verify_password("nobody", PASSWORD) is None
    assert await directory.verify_password("bot", "") is None
    assert await directory.verify_password("Not A Login", PASSWORD) is None


async def test_a_hash_with_old_parameters_is_upgraded_at_sign_in(
    directory: Directory, sessions: Sessions
) -> None:
    await directory.add_user("alice", "PANEL", password=PASSWORD)
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)

    assert await Directory(sessions, hasher=stronger).verify_password("alice", PASSWORD)

    async with sessions() as session:
        row = await session.get(PrincipalRow, "alice")
    assert row is not None
    assert row.password_hash is not None
    assert "m=2048,t=2,p=1" in row.password_hash


async def test_a_new_password_ends_the_open_sessions(directory: Directory) -> None:
    await directory.add_user("alice", "PANEL", password=PASSWORD)
    web = await directory.new_session("alice", timedelta(hours=8))

    await directory.set_password("alice", "another long passphrase")

    assert await directory.session_principal(web.cookie) is None
    assert await directory.verify_password("alice", PASSWORD) is None
    assert await directory.verify_password("alice", "another long passphrase") is not None


# -- web sessions --------------------------------------------------------------------------------


async def test_a_session_lasts_until_it_expires_or_ends(
    directory: Directory, clock: FakeClock, sessions: Sessions
) -> None:
    await directory.add_user("alice", "PANEL")
    web = await directory.new_session("alice", timedelta(hours=8))
    assert web.cookie not in await dump(sessions)

    found = await directory.session_principal(web.cookie)
    assert found is not None
    assert found[0].login == "alice"
    assert found[1] == web.csrf_token

    clock.advance(timedelta(hours=8))
    assert await directory.session_principal(web.cookie) is None

    other = await directory.new_session("alice", timedelta(hours=8))
    await directory.end_session(other.cookie)
    assert await directory.session_principal(other.cookie) is None
    assert await directory.session_principal("not-a-session") is None


# -- the rate limit -----------------------------------------------------------------------------


async def test_five_failures_pause_a_login_for_fifteen_minutes(
    directory: Directory, clock: FakeClock
) -> None:
    await directory.add_user("alice", "PANEL", password=PASSWORD)
    for _ in range(5):
        assert await directory.password_sign_in("alice", "wrong password!", "10.0.0.1") is None
        clock.advance(timedelta(minutes=1))

    with pytest.raises(TooManyFailures, match="Too many failed sign-ins; try again in 10 minutes"):
        await directory.password_sign_in("alice", PASSWORD, "10.0.0.2")
    assert await directory.too_many(["login:alice"]) == 10 * 60

    clock.advance(timedelta(minutes=10))  # the first failure leaves the window
    assert await directory.too_many(["login:alice"]) == 0
    assert await directory.password_sign_in("alice", PASSWORD, "10.0.0.2") is not None
    assert await directory.too_many(["login:alice"]) == 0  # a success clears the login's count


async def test_twenty_failures_from_one_address_pause_it_for_every_login(
    directory: Directory, clock: FakeClock
) -> None:
    await directory.add_user("alice", "PANEL", password=PASSWORD)
    for n in range(20):
        await directory.password_sign_in(f"guess{n}", "wrong password!", "192.0.2.7")

    assert await directory.too_many(["login:alice", "addr:192.0.2.7"]) == 15 * 60
    with pytest.raises(TooManyFailures):
        await directory.password_sign_in("alice", PASSWORD, "192.0.2.7")
    assert await directory.password_sign_in("alice", PASSWORD, "192.0.2.8") is not None

    clock.advance(timedelta(minutes=15))
    assert await directory.too_many(["addr:192.0.2.7"]) == 0
