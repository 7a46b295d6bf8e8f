"""Bearer JWT auth: HS256 pinned; ``iss``, ``aud`` and ``exp`` checked; site from the token.

The main backend mints tokens after ``wx.login``; ``bailian-fc token`` mints one locally.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from . import jwt_hs256
from .api_errors import ApiError

Role = Literal["staff", "manager", "admin", "service"]
ROLES: tuple[str, ...] = ("staff", "manager", "admin", "service")
ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32


@dataclass(frozen=True)
class Principal:
    sub: str
    site_id: str
    role: str


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "Unauthorized", message, headers={"WWW-Authenticate": 'Bearer realm="bailian-fc"'})


class Authenticator:
    def __init__(self, secret: str, issuer: str, audience: str) -> None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            # RFC 7518 §3.2: an HS256 key shorter than the hash is guessable offline.
            raise ValueError(f"AUTH_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self.issuer = issuer
        self.audience = audience

    def mint(self, sub: str, site_id: str, role: str, ttl_seconds: int = 12 * 3600) -> str:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        now = int(time.time())
        claims = {"sub": sub, "site_id": site_id, "role": role, "iss": self.issuer, "aud": self.audience,
                  "iat": now, "exp": now + ttl_seconds}
        return jwt_hs256.encode(claims, self._secret)

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal of an ``Authorization`` header value; 401 for anything wrong with it."""
        if not authorization:
            raise unauthorized("missing Authorization header")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("Authorization must be 'Bearer <token>'")
        try:
            claims = jwt_hs256.decode(token.strip(), self._secret, issuer=self.issuer, audience=self.audience)
        except jwt_hs256.TokenError as exc:
            raise unauthorized(str(exc)) from None
        site_id, role = claims.get("site_id"), claims.get("role")
        sub = claims.get("sub")
        if not isinstance(site_id, str) or not site_id or role not in ROLES or not isinstance(sub, str) or not sub:
            raise unauthorized("token lacks a valid site_id, role or sub")
        return Principal(sub=sub, site_id=site_id, role=role)


def require_role(principal: Principal, *roles: str) -> None:
    if principal.role not in roles:
        raise ApiError(403, "Forbidden", f"this route needs role {' or '.join(roles)}")
