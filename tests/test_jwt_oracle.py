"""Our HS256 verifier is at least as strict as PyJWT: every token PyJWT refuses, we refuse too.

Each token is signed correctly, so only the header, the claims or the spelling decide.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt as pyjwt
import pytest
from support import SECRET

from bailian_fc import jwt_hs256

NOW = int(time.time())
BASE = {"sub": "u", "site_id": "s", "role": "staff", "iss": "i", "aud": "a", "iat": NOW, "exp": NOW + 600}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed(header: str, claims: str) -> str:
    signing_input = f"{b64(header.encode())}.{b64(claims.encode())}"
    return (
        f"{signing_input}.{b64(hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest())}"
    )


def with_claims(**over: Any) -> str:
    """Claims valid now: a token built at import time would expire on a long, loaded run."""
    now = int(time.time())
    return json.dumps({**BASE, "iat": now, "exp": now + 600, **over})


HEADER = '{"alg":"HS256","typ":"JWT"}'
CASES = {
    "valid": (HEADER, with_claims()),
    "exp NaN": (HEADER, with_claims(exp=float("nan"))),
    "exp Infinity": (HEADER, with_claims(exp=float("inf"))),
    "exp -Infinity": (HEADER, with_claims(exp=float("-inf"))),
    "exp string": (HEADER, with_claims(exp="tomorrow")),
    "exp past": (HEADER, with_claims(exp=NOW - 10)),
    "nbf NaN": (HEADER, with_claims(nbf=float("nan"))),
    "nbf future": (HEADER, with_claims(nbf=NOW + 3600)),
    "nbf string": (HEADER, with_claims(nbf="x")),
    "iat future": (HEADER, with_claims(iat=NOW + 3600)),
    "iat string": (HEADER, with_claims(iat="yesterday")),
    "iat NaN": (HEADER, with_claims(iat=float("nan"))),
    "crit unknown": ('{"alg":"HS256","crit":["exp"]}', with_claims()),
    "crit empty": ('{"alg":"HS256","crit":[]}', with_claims()),
    "crit not a list": ('{"alg":"HS256","crit":"b64"}', with_claims()),
    "kid not a string": ('{"alg":"HS256","kid":7}', with_claims()),
    "alg none": ('{"alg":"none"}', with_claims()),
    "wrong audience": (HEADER, with_claims(aud="other")),
    "wrong issuer": (HEADER, with_claims(iss="other")),
}


def pyjwt_accepts(token: str) -> bool:
    try:
        pyjwt.decode(token, SECRET, algorithms=["HS256"], audience="a", issuer="i")
    except pyjwt.PyJWTError:
        return False
    except (ValueError, OverflowError):  # PyJWT lets some of these escape: still a refusal
        return False
    return True


def ours_accepts(token: str) -> bool:
    try:
        jwt_hs256.decode(token, SECRET, issuer="i", audience="a")
    except jwt_hs256.TokenError:
        return False
    return True


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_we_refuse_whatever_pyjwt_refuses(case):
    token = signed(*case)
    if not pyjwt_accepts(token):
        assert not ours_accepts(token)
    else:
        assert ours_accepts(token)


def test_the_oracle_refuses_the_cases_the_issue_names():
    """Guard against a vacuous oracle: PyJWT really refuses these, and so do we."""
    for name in ("exp NaN", "exp Infinity", "iat future", "iat string", "crit unknown"):
        token = signed(*CASES[name])
        assert not pyjwt_accepts(token), name
        assert not ours_accepts(token), name


@pytest.mark.parametrize(
    "header",
    [
        '{"alg":"HS256","x":' + "9" * 5000 + "}",
        '{"alg":"HS256","x":' + "[" * 2000 + "]" * 2000 + "}",
        '{"alg":"HS256","x":NaN}',
        '{"alg":"HS256","x":1e999}',
        '["HS256"]',
        "\xff",
    ],
)
def test_hostile_headers_are_token_errors_not_crashes(header):
    with pytest.raises(jwt_hs256.TokenError):
        jwt_hs256.decode(signed(header, with_claims()), SECRET, issuer="i", audience="a")


def test_only_the_canonical_signature_spelling_verifies():
    token = signed(HEADER, with_claims())
    head, body, sig = token.split(".")
    raw = base64.urlsafe_b64decode(sig + "=")
    assert ours_accepts(token)
    variants = {sig + "=", sig[:5] + "!" + sig[5:], sig.replace("-", "+").replace("_", "/")} - {sig}
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(sig[-1])
    variants |= {sig[:-1] + alphabet[(last & ~3) | low] for low in range(4)} - {sig}
    for variant in variants:
        assert base64.urlsafe_b64decode(variant.replace("!", "") + "==")[:32] == raw  # same bytes…
        assert not ours_accepts(f"{head}.{body}.{variant}"), variant  # …but not our spelling
