"""HS256 JSON Web Tokens: the one algorithm bailian-fc accepts, in ~50 lines of stdlib.

Why not PyJWT on this path: ``import jwt`` pulls in ``cryptography`` (~70 ms) for
algorithms we refuse anyway, and every cold start of the apps and admin functions would
pay for it. Verification pins the algorithm *before* looking at anything else (no
``alg: none``, no RS/HS confusion), compares signatures in constant time, and checks
``exp``/``nbf``/``iat``/``iss``/``aud``; header and claims go through :mod:`jsonsafe` (bounded depth and
numbers, no NaN), the signature must be spelled canonically, and any ``crit`` header is refused.
The tests cross-check both directions against PyJWT, which must refuse nothing we accept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import jsonsafe

HEADER = {"alg": "HS256", "typ": "JWT"}
MAX_TOKEN_CHARS = 8192  # FC's whole header block is 8 KB; a longer token is not one we minted
MAX_DEPTH = 8  # claims are flat (aud may be a list): anything much deeper is not a token of ours


class TokenError(ValueError):
    """The token is malformed, forged, expired or meant for someone else."""


@dataclass(frozen=True)
class Key:
    """A signing secret and the ``kid`` that names it in token headers (None: not named).

    Two keys live at once let the secret rotate without signing everyone out: the new one signs,
    the previous one still verifies until the tokens it signed have expired.
    """

    secret: str
    kid: str | None = None


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict base64url: only the canonical spelling (no padding, no stray bits) is accepted.

    ``urlsafe_b64decode`` alone ignores characters outside the alphabet and the unused low bits of
    the last character, so one signature would have several accepted spellings.
    """
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise TokenError("invalid token encoding") from exc
    if _b64encode(raw) != text:
        raise TokenError("invalid token encoding")
    return raw


def _sign(signing_input: bytes, secret: bytes) -> bytes:
    return hmac.new(secret, signing_input, hashlib.sha256).digest()


def encode(claims: dict[str, Any], secret: str, *, kid: str | None = None) -> str:
    header = HEADER if kid is None else {**HEADER, "kid": kid}
    head = _b64encode(json.dumps(header, separators=(",", ":")).encode())
    body = _b64encode(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    signature = _sign(f"{head}.{body}".encode(), secret.encode())
    return f"{head}.{body}.{_b64encode(signature)}"


def decode(
    token: str, secret: str | Sequence[Key], *, issuer: str, audience: str, leeway: float = 0.0
) -> dict[str, Any]:
    """The claims of a token signed by ``secret`` (or by one of several keys, chosen by ``kid``)."""
    if len(token) > MAX_TOKEN_CHARS:
        raise TokenError("invalid token")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise TokenError("invalid token")
    header = _json(_b64decode(parts[0]))
    if header.get("alg") != "HS256":
        raise TokenError("token algorithm must be HS256")
    _check_header(header)
    signature = _b64decode(parts[2])
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii", "replace")
    # Every candidate is compared (no early exit): the time taken says nothing about which key matched.
    matches = [
        hmac.compare_digest(_sign(signing_input, key.secret.encode()), signature)
        for key in _candidates(secret, header)
    ]
    if not any(matches):
        raise TokenError("invalid token signature")
    claims = _json(_b64decode(parts[1]))
    _check_times(claims, leeway)
    if claims.get("iss") != issuer:
        raise TokenError("token issuer is not trusted")
    aud = claims.get("aud")
    if not (aud == audience or (isinstance(aud, list) and audience in aud)):
        raise TokenError("token audience is not this service")
    return claims


def _candidates(secret: str | Sequence[Key], header: dict[str, Any]) -> list[Key]:
    """The keys that may have signed a token with this header.

    A ``kid`` picks its key, and an unknown ``kid`` is refused. Without a ``kid`` (a backend that
    does not name keys), or when no key has a ``kid`` configured, every key is tried.
    """
    keys = [Key(secret)] if isinstance(secret, str) else list(secret)
    kid = header.get("kid")
    if kid is None or not any(key.kid for key in keys):
        return keys
    named = [key for key in keys if key.kid == kid]
    if not named:
        raise TokenError("token key id is not known")
    return named


def _check_header(header: dict[str, Any]) -> None:
    """RFC 7515 §4.1.11: a ``crit`` extension we do not implement must be refused (we implement none)."""
    if "crit" in header:
        raise TokenError("token header has an unsupported critical extension")
    if "kid" in header and not isinstance(header["kid"], str):
        raise TokenError("token key id must be a string")


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = jsonsafe.loads(raw, max_depth=MAX_DEPTH)
    except jsonsafe.JsonRejected as exc:
        raise TokenError("invalid token") from exc
    if not isinstance(value, dict):
        raise TokenError("invalid token")
    return value


def _number(claims: dict[str, Any], name: str) -> float | None:
    """A NumericDate claim (RFC 7519 §2): finite int or float; None when absent."""
    if name not in claims:
        return None
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TokenError(f"token {name} is not a number")
    return value


def _check_times(claims: dict[str, Any], leeway: float) -> None:
    now = time.time()
    exp, nbf, iat = _number(claims, "exp"), _number(claims, "nbf"), _number(claims, "iat")
    if exp is None:
        raise TokenError("token has no valid exp")
    if now > exp + leeway:
        raise TokenError("token expired")
    if nbf is not None and now + leeway < nbf:
        raise TokenError("token not valid yet")
    if iat is not None and now + leeway < iat:
        raise TokenError("token issued in the future")
