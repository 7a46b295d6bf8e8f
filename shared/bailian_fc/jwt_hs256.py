"""HS256 JSON Web Tokens: the one algorithm bailian-fc accepts, in ~50 lines of stdlib.

Why not PyJWT on this path: ``import jwt`` pulls in ``cryptography`` (~70 ms) for
algorithms we refuse anyway, and every cold start of the apps and admin functions would
pay for it. Verification pins the algorithm *before* looking at anything else (no
``alg: none``, no RS/HS confusion), compares signatures in constant time, and checks
``exp``/``nbf``/``iss``/``aud``. The tests cross-check both directions against PyJWT.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

HEADER = {"alg": "HS256", "typ": "JWT"}


class TokenError(ValueError):
    """The token is malformed, forged, expired or meant for someone else."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise TokenError("invalid token encoding") from exc


def _sign(signing_input: bytes, secret: bytes) -> bytes:
    return hmac.new(secret, signing_input, hashlib.sha256).digest()


def encode(claims: dict[str, Any], secret: str) -> str:
    head = _b64encode(json.dumps(HEADER, separators=(",", ":")).encode())
    body = _b64encode(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    signature = _sign(f"{head}.{body}".encode(), secret.encode())
    return f"{head}.{body}.{_b64encode(signature)}"


def decode(token: str, secret: str, *, issuer: str, audience: str, leeway: float = 0.0) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise TokenError("invalid token")
    header = _json(_b64decode(parts[0]))
    if header.get("alg") != "HS256":
        raise TokenError("token algorithm must be HS256")
    expected = _sign(f"{parts[0]}.{parts[1]}".encode("ascii", "replace"), secret.encode())
    if not hmac.compare_digest(expected, _b64decode(parts[2])):
        raise TokenError("invalid token signature")
    claims = _json(_b64decode(parts[1]))
    _check_times(claims, leeway)
    if claims.get("iss") != issuer:
        raise TokenError("token issuer is not trusted")
    aud = claims.get("aud")
    if not (aud == audience or (isinstance(aud, list) and audience in aud)):
        raise TokenError("token audience is not this service")
    return claims


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TokenError("invalid token") from exc
    if not isinstance(value, dict):
        raise TokenError("invalid token")
    return value


def _check_times(claims: dict[str, Any], leeway: float) -> None:
    now = time.time()
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise TokenError("token has no valid exp")
    if now > exp + leeway:
        raise TokenError("token expired")
    if nbf is not None and (not isinstance(nbf, int | float) or now + leeway < nbf):
        raise TokenError("token not valid yet")
