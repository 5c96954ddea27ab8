"""OpenID Connect against a real local provider: bearer JWTs checked for signature, issuer,
audience, expiry and algorithm; the authorization-code flow with PKCE; claims matched to the
directory (ACCESS.md, Authentication)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from frontdoor.directory import Directory
from frontdoor.oidc import (
    OidcClient,
    OidcError,
    OidcNotConfigured,
    OidcUnavailable,
    match_principal,
    new_code_verifier,
    new_state,
)
from schemas.principal import AccessRole, Principal
from settings import Settings
from tests.frontdoor.oidc_issuer import (
    API_AUDIENCE,
    CLIENT_ID,
    CLIENT_SECRET,
    Issuer,
    new_rsa_key,
    running_issuer,
)

REDIRECT = "http://127.0.0.1:8000/auth/callback"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, object], claims: dict[str, object], signature: bytes = b"") -> str:
    head = _b64(json.dumps(header).encode())
    body = _b64(json.dumps(claims).encode())
    return f"{head}.{body}.{_b64(signature)}"


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    with running_issuer() as running:
        yield running


def settings_for(issuer: Issuer) -> Settings:
    return Settings(
        oidc_issuer=issuer.url,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=SecretStr(CLIENT_SECRET),
        oidc_audience=API_AUDIENCE,
        oidc_redirect_url=REDIRECT,
    )


@pytest.fixture
async def oidc(issuer: Issuer) -> AsyncIterator[OidcClient]:
    async with httpx.AsyncClient() as http:
        yield OidcClient(settings_for(issuer), http=http, refetch_cooldown=0)


# -- bearer JWTs ---------------------------------------------------------------------------------


async def test_a_token_from_the_issuer_for_this_api_is_accepted(
    issuer: Issuer, oidc: OidcClient
) -> None:
    claims = await oidc.verify_bearer_jwt(issuer.token(email="alice@panel.example"))

    assert claims["sub"] == "idp-user-0001"
    assert claims["email"] == "alice@panel.example"
    await oidc.verify_bearer_jwt(issuer.token())
    assert issuer.jwks_fetches == 1  # the key set is cached


async def test_a_token_signed_with_another_key_is_refused(issuer: Issuer, oidc: OidcClient) -> None:
    forged = issuer.token(key=new_rsa_key())  # the issuer's key id, someone else's key
    with pytest.raises(OidcError, match=r"^The token's signature does not verify\.$"):
        await oidc.verify_bearer_jwt(forged)


async def test_a_token_from_another_issuer_is_refused(issuer: Issuer, oidc: OidcClient) -> None:
    with pytest.raises(OidcError, match=r"^The token was issued by another issuer\.$"):
        await oidc.verify_bearer_jwt(issuer.token(iss="https://evil.example"))


async def test_a_token_for_another_audience_is_refused(issuer: Issuer, oidc: OidcClient) -> None:
    with pytest.raises(OidcError, match=r"not meant for this service \(audience\)"):
        await oidc.verify_bearer_jwt(issuer.token(aud="some-other-api"))


async def test_an_expired_token_is_refused_past_a_minute_of_leeway(
    issuer: Issuer, oidc: OidcClient
) -> None:
    now = int(time.time())
    await oidc.verify_bearer_jwt(issuer.token(iat=now - 600, exp=now - 30))  # within leeway
    with pytest.raises(OidcError, match=r"^The token has expired; sign in again\.$"):
        await oidc.verify_bearer_jwt(issuer.token(iat=now - 600, exp=now - 120))


async def test_a_token_without_an_expiry_is_refused(issuer: Issuer, oidc: OidcClient) -> None:
    with pytest.raises(OidcError, match="has no 'exp' claim"):
        await oidc.verify_bearer_jwt(issuer.token(exp=None))


async def test_alg_none_and_hmac_tokens_are_refused_before_any_key(
    issuer: Issuer, oidc: OidcClient
) -> None:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": issuer.url,
        "aud": API_AUDIENCE,
        "sub": "idp-user-0001",
        "iat": now,
        "exp": now + 300,
    }
    with pytest.raises(OidcError, match="algorithm 'none' is not accepted"):
        await oidc.verify_bearer_jwt(unsigned({"alg": "none", "kid": "key-1"}, claims))

    # HS256 with the issuer's public key as the "secret": the classic key-confusion attack.
    public_jwk = json.dumps(issuer.jwks()["keys"][0]).encode()
    head_body = unsigned({"alg": "HS256", "kid": "key-1"}, claims).rsplit(".", 1)[0]
    mac = hmac.new(public_jwk, head_body.encode(), hashlib.sha256).digest()
    with pytest.raises(OidcError, match="algorithm 'HS256' is not accepted"):
        await oidc.verify_bearer_jwt(f"{head_body}.{_b64(mac)}")
    assert issuer.jwks_fetches == 0


async def test_garbage_is_refused_in_one_sentence(oidc: OidcClient) -> None:
    for token in ("", "not.a.jwt", "a.b", "x" * 20_000):
        with pytest.raises(OidcError) as refused:
            await oidc.verify_bearer_jwt(token)
        assert str(refused.value).endswith(".")
        assert "\n" not in str(refused.value)


async def test_a_new_key_id_fetches_the_key_set_again_once(
    issuer: Issuer, oidc: OidcClient
) -> None:
    await oidc.verify_bearer_jwt(issuer.token())
    rotated = issuer.add_key()

    await oidc.verify_bearer_jwt(issuer.token(kid=rotated))
    assert issuer.jwks_fetches == 2

    stranger = unsigned({"alg": "RS256", "kid": "key-99"}, {"sub": "x"}, b"sig")
    with pytest.raises(OidcError, match="signed with a key the issuer does not publish"):
        await oidc.verify_bearer_jwt(stranger)
    assert issuer.jwks_fetches == 3  # one more fetch for the unknown id, not a loop


async def test_an_issuer_that_does_not_answer_is_one_sentence() -> None:
    settings = Settings(oidc_issuer="http://127.0.0.1:9", oidc_client_id=CLIENT_ID)
    with pytest.raises(OidcUnavailable, match="could not be read"):
        await OidcClient(settings).verify_bearer_jwt(
            unsigned({"alg": "RS256", "kid": "k"}, {"sub": "x"}, b"sig")
        )


def test_oidc_needs_an_issuer_and_a_client_id_and_https() -> None:
    with pytest.raises(OidcNotConfigured, match="set OIDC_ISSUER and OIDC_CLIENT_ID"):
        OidcClient(Settings())
    with pytest.raises(OidcUnavailable, match="is not https"):
        OidcClient(Settings(oidc_issuer="http://idp.example", oidc_client_id="x"))


# -- authorization code with PKCE --------------------------------------------------------------


async def sign_in_at_the_provider(oidc: OidcClient, state: str, nonce: str, verifier: str) -> str:
    """What the browser does: follow the authorization URL and bring back the code."""
    url = await oidc.authorization_url(state, nonce, verifier)
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(url, follow_redirects=False)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == REDIRECT
    query = parse_qs(back.query)
    assert query["state"] == [state]
    return query["code"][0]


async def test_the_code_flow_with_pkce_gives_the_id_tokens_claims(
    issuer: Issuer, oidc: OidcClient
) -> None:
    state, nonce, verifier = new_state(), new_state(), new_code_verifier()
    url = await oidc.authorization_url(state, nonce, verifier)
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert verifier not in url

    code = await sign_in_at_the_provider(oidc, state, nonce, verifier)
    claims = await oidc.exchange_code(code, verifier, nonce)

    assert claims["sub"] == "idp-user-0001"
    assert claims["aud"] == CLIENT_ID
    assert claims["email_verified"] is True


async def test_a_code_with_the_wrong_verifier_or_nonce_is_refused(
    issuer: Issuer, oidc: OidcClient
) -> None:
    state, nonce, verifier = new_state(), new_state(), new_code_verifier()
    code = await sign_in_at_the_provider(oidc, state, nonce, verifier)
    with pytest.raises(OidcError, match=r"refused the sign-in code \(HTTP 400\)"):
        await oidc.exchange_code(code, new_code_verifier(), nonce)

    code = await sign_in_at_the_provider(oidc, state, nonce, verifier)
    with pytest.raises(OidcError, match=r"not the answer to this sign-in \(nonce\)"):
        await oidc.exchange_code(code, verifier, new_state())


async def test_an_id_token_is_not_a_bearer_token_for_the_api(
    issuer: Issuer, oidc: OidcClient
) -> None:
    id_token = issuer.token(aud=CLIENT_ID)
    with pytest.raises(OidcError, match="audience"):
        await oidc.verify_bearer_jwt(id_token)


# -- claims to a directory principal ------------------------------------------------------------


async def test_claims_match_by_subject_then_by_verified_email(directory: Directory) -> None:
    await directory.add_user("alice", "PANEL", name="Alice", email="Alice@Panel.example")
    await directory.add_user("kemp", "SECAS", oidc_subject="idp-kemp")
    alice = Principal(login="alice", role=AccessRole.PANEL, name="Alice")

    assert (await match_principal(directory, {"sub": "idp-kemp"})) == Principal(
        login="kemp", role=AccessRole.SECAS
    )
    unverified = {"sub": "idp-1", "email": "alice@panel.example", "email_verified": False}
    assert await match_principal(directory, unverified) is None
    verified = {"sub": "idp-1", "email": "ALICE@panel.example", "email_verified": True}
    assert await match_principal(directory, verified) == alice
    assert (await directory.get("alice")).oidc_subject == "idp-1"  # linked from now on

    # Someone else at the provider who later claims the same email is not Alice.
    other = {"sub": "idp-2", "email": "alice@panel.example", "email_verified": True}
    assert await match_principal(directory, other) is None
    assert await match_principal(directory, {"sub": "idp-1"}) == alice
    assert await match_principal(directory, {"sub": "nobody", "email_verified": True}) is None


async def test_a_disabled_principal_is_never_matched(directory: Directory) -> None:
    await directory.add_user("kemp", "SECAS", oidc_subject="idp-kemp")
    await directory.disable("kemp")
    assert await match_principal(directory, {"sub": "idp-kemp"}) is None
