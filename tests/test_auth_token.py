"""Tokens: `bailian-fc token` mints what the functions accept; roles gate admin routes."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import pytest
from support import SECRET

from bailian_fc.auth import Authenticator, Principal, require_role
from bailian_fc.errors import Forbidden
from bailian_fc.http.errors import to_api_error


def test_token_command_mints_a_token_the_functions_accept(tmp_path):
    """The CLI's token verifies with the same secret and carries sub, site and role."""
    env = {**os.environ, "AUTH_JWT_SECRET": SECRET}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bailian_fc_tools.cli",
            "token",
            "--sub",
            "u-7",
            "--site",
            "site-9",
            "--role",
            "admin",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    principal = Authenticator(SECRET, "bailian-fc", "bailian-fc").authenticate(f"Bearer {out.stdout.strip()}")
    assert principal == Principal(sub="u-7", site_id="site-9", role="admin")


def test_token_command_refuses_an_unknown_role(tmp_path):
    """A typo in --role is an error, not a token nobody accepts."""
    env = {**os.environ, "AUTH_JWT_SECRET": SECRET}
    out = subprocess.run(
        [sys.executable, "-m", "bailian_fc_tools.cli", "token", "--role", "root"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "role" in out.stderr


@pytest.mark.parametrize("role", ["staff", "manager", "service"])
def test_admin_only_routes_refuse_other_roles(role):
    """require_role answers 403 Forbidden for every role but the one asked."""
    with pytest.raises(Forbidden) as info:
        require_role(Principal("u", "s", role), "admin")
    assert to_api_error(info.value).status == 403 and info.value.code == "Forbidden"
    require_role(Principal("u", "s", "admin"), "admin")


def test_short_secrets_are_refused():
    """An HS256 secret shorter than 32 bytes is rejected at startup."""
    with pytest.raises(ValueError, match="32 bytes"):
        Authenticator("short", "bailian-fc", "bailian-fc")


def test_hs256_tokens_interoperate_with_pyjwt():
    """Our HS256 encoder and verifier agree with PyJWT in both directions."""
    import time

    import jwt as pyjwt

    from bailian_fc import jwt_hs256

    claims = {
        "sub": "u",
        "site_id": "s",
        "role": "staff",
        "iss": "i",
        "aud": "a",
        "exp": int(time.time()) + 60,
    }
    ours = jwt_hs256.encode(claims, SECRET)
    assert pyjwt.decode(ours, SECRET, algorithms=["HS256"], audience="a", issuer="i") == claims
    theirs = pyjwt.encode(claims, SECRET, algorithm="HS256")
    assert jwt_hs256.decode(theirs, SECRET, issuer="i", audience="a") == claims
    tampered = theirs[:-2] + ("AA" if not theirs.endswith("AA") else "BB")
    with pytest.raises(jwt_hs256.TokenError):
        jwt_hs256.decode(tampered, SECRET, issuer="i", audience="a")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyJWT warns that the key is short for HS512: that is the point
        hs512 = pyjwt.encode(claims, SECRET, algorithm="HS512")
    with pytest.raises(jwt_hs256.TokenError, match="HS256"):
        jwt_hs256.decode(hs512, SECRET, issuer="i", audience="a")


def test_token_command_marks_a_platform_admin_only_when_asked(tmp_path):
    env = {**os.environ, "AUTH_JWT_SECRET": SECRET}
    auth = Authenticator(SECRET, "bailian-fc", "bailian-fc")

    def mint(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bailian_fc_tools.cli", "token", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )

    platform = mint("--role", "admin", "--platform")
    assert auth.authenticate(f"Bearer {platform.stdout.strip()}").platform is True
    assert auth.authenticate(f"Bearer {mint('--role', 'admin').stdout.strip()}").platform is False
    refused = mint("--role", "manager", "--platform")
    assert refused.returncode == 2 and "platform" in refused.stderr
    assert mint("--site", "a/b").returncode == 2
