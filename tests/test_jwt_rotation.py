"""Secret rotation by ``kid``: two secrets verify at once, PyJWT is the oracle for what was signed.

The venue's main backend mints with PyJWT (or any JOSE library); these tokens are built by PyJWT
with the key and ``kid`` header it would use, so a bug on our side cannot hide in a shared encoder.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import jwt as pyjwt
import pytest
from support import SECRET, running_dev

from bailian_fc.auth import Authenticator
from bailian_fc.errors import Unauthenticated
from bailian_fc.settings import Settings

OLD = "old-secret-that-is-long-enough-0123456789"
NEW = "new-secret-that-is-long-enough-9876543210"
CLAIMS = {"sub": "u-1", "site_id": "site-001", "role": "staff", "iss": "bailian-fc", "aud": "bailian-fc"}


def pyjwt_token(secret: str, kid: str | None = None, **over: object) -> str:
    now = int(time.time())
    claims = {**CLAIMS, "iat": now, "exp": now + 600, **over}
    return pyjwt.encode(claims, secret, algorithm="HS256", headers={"kid": kid} if kid else None)


def rotating() -> Authenticator:
    settings = Settings(
        auth_jwt_secret=NEW, auth_jwt_kid="k2", auth_jwt_secret_previous=OLD, auth_jwt_kid_previous="k1"
    )
    return Authenticator.from_settings(settings)


def accepts(auth: Authenticator, token: str) -> bool:
    try:
        auth.authenticate(f"Bearer {token}")
    except Unauthenticated:
        return False
    return True


def test_both_live_secrets_verify_tokens_named_by_their_kid():
    auth = rotating()
    assert accepts(auth, pyjwt_token(OLD, "k1"))
    assert accepts(auth, pyjwt_token(NEW, "k2"))


@pytest.mark.parametrize(
    ("secret", "kid"),
    [(OLD, "k2"), (NEW, "k1"), (NEW, "k3"), (OLD, "k3"), ("third-secret-long-enough-0123456789abc", "k2")],
    ids=[
        "old key named new",
        "new key named old",
        "unknown kid, new key",
        "unknown kid, old key",
        "foreign key",
    ],
)
def test_a_kid_picks_its_secret_and_nothing_else_verifies(secret, kid):
    """The kid is not a hint to try every key: a token signed by the other live key is refused."""
    assert not accepts(rotating(), pyjwt_token(secret, kid))


def test_tokens_without_kid_verify_against_either_live_secret():
    """A backend that does not name its keys keeps working through a rotation."""
    auth = rotating()
    assert accepts(auth, pyjwt_token(OLD))
    assert accepts(auth, pyjwt_token(NEW))
    assert not accepts(auth, pyjwt_token("third-secret-long-enough-0123456789abc"))


def test_after_rotation_the_retired_secret_is_refused():
    auth = Authenticator.from_settings(Settings(auth_jwt_secret=NEW, auth_jwt_kid="k2"))
    assert accepts(auth, pyjwt_token(NEW, "k2"))
    assert not accepts(auth, pyjwt_token(OLD, "k1"))
    assert not accepts(auth, pyjwt_token(OLD))


def test_minted_tokens_carry_the_current_kid_and_pyjwt_verifies_them_with_the_current_secret():
    token = rotating().mint("u-1", "site-001", "staff")
    assert pyjwt.get_unverified_header(token)["kid"] == "k2"
    claims = pyjwt.decode(token, NEW, algorithms=["HS256"], audience="bailian-fc", issuer="bailian-fc")
    assert claims["sub"] == "u-1"
    with pytest.raises(pyjwt.InvalidSignatureError):
        pyjwt.decode(token, OLD, algorithms=["HS256"], audience="bailian-fc", issuer="bailian-fc")


def test_without_kids_configured_a_kid_header_is_ignored_as_before():
    """Single-secret deployments (no AUTH_JWT_KID) accept a kid the backend's library adds."""
    auth = Authenticator.from_settings(Settings(auth_jwt_secret=NEW))
    assert accepts(auth, pyjwt_token(NEW, "whatever"))
    assert "kid" not in pyjwt.get_unverified_header(auth.mint("u-1", "site-001", "staff"))


def test_expired_tokens_of_the_previous_secret_are_still_expired():
    assert not accepts(rotating(), pyjwt_token(OLD, "k1", exp=int(time.time()) - 5))


@pytest.mark.parametrize(
    "settings",
    [
        {"auth_jwt_secret": NEW, "auth_jwt_secret_previous": "short"},
        {"auth_jwt_secret": NEW, "auth_jwt_kid": "k2", "auth_jwt_secret_previous": OLD},
        {
            "auth_jwt_secret": NEW,
            "auth_jwt_kid": "k",
            "auth_jwt_secret_previous": OLD,
            "auth_jwt_kid_previous": "k",
        },
    ],
    ids=["short previous secret", "only one kid", "same kid twice"],
)
def test_misconfigured_rotation_is_refused_at_start(settings):
    with pytest.raises(ValueError):
        Authenticator.from_settings(Settings(**settings))


def test_the_deployed_functions_honour_rotation_over_http(tmp_path):
    """`bailian-fc dev` serves the real functions: each builds its authenticator from the settings."""

    def status(base: str, path: str, token: str) -> int:
        req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                return res.status
        except urllib.error.HTTPError as exc:
            return exc.code

    rotation = {"AUTH_JWT_KID": "k2", "AUTH_JWT_SECRET_PREVIOUS": OLD, "AUTH_JWT_KID_PREVIOUS": "k1"}
    with running_dev(tmp_path / "store", **rotation) as (base, _banner, _proc):
        for path in ("/clock", "/chat/conversations", "/admin/runtime-context"):
            role = "admin" if path.startswith("/admin") else "staff"
            assert status(base, path, pyjwt_token(OLD, "k1", role=role)) == 200, path
            assert status(base, path, pyjwt_token(SECRET, "k2", role=role)) == 200, path
            assert status(base, path, pyjwt_token(OLD, "k2", role=role)) == 401, path
            assert status(base, path, pyjwt_token(SECRET, "k9", role=role)) == 401, path
