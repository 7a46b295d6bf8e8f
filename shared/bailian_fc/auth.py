"""Bearer JWT auth: HS256 pinned; ``iss``, ``aud`` and ``exp`` checked; site from the token.

The main backend mints tokens after ``wx.login``; ``bailian-fc token`` mints one locally.
Claims are checked here, at sign-in, so nothing later fails on them: ``sub`` and ``site_id`` must
be safe ids (:data:`ids.SAFE_ID_PATTERN`: they become store keys), ``role`` one of :data:`ROLES`.
An admin acts on its own site; ``"platform": true`` (with role ``admin``) marks a platform admin who
may act on any site.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from . import jwt_hs256
from .errors import Forbidden, Unauthenticated
from .ids import is_safe_id

Role = Literal["staff", "manager", "admin", "service"]
ROLES: tuple[str, ...] = ("staff", "manager", "admin", "service")
ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32


@dataclass(frozen=True)
class Principal:
    sub: str
    site_id: str
    role: str
    platform: bool = False  # a platform admin (role admin + claim platform: true) acts on every site

    def may_act_on(self, site_id: str | None) -> bool:
        """Whether this principal may act on ``site_id`` (None: every site, which only a platform admin may)."""
        return self.platform or (site_id is not None and site_id == self.site_id)


def unauthorized(message: str) -> Unauthenticated:
    return Unauthenticated(message)


class Authenticator:
    def __init__(self, secret: str, issuer: str, audience: str) -> None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            # RFC 7518 §3.2: an HS256 key shorter than the hash is guessable offline.
            raise ValueError(f"AUTH_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self.issuer = issuer
        self.audience = audience

    def mint(
        self, sub: str, site_id: str, role: str, ttl_seconds: int = 12 * 3600, *, platform: bool = False
    ) -> str:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if not (is_safe_id(sub) and is_safe_id(site_id)):
            raise ValueError("sub and site must be 1-64 of A-Z a-z 0-9 . _ - (not starting with . _ -)")
        if platform and role != "admin":
            raise ValueError("only an admin can be a platform admin")
        now = int(time.time())
        claims: dict[str, object] = {
            "sub": sub,
            "site_id": site_id,
            "role": role,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": now + ttl_seconds,
        }
        if platform:
            claims["platform"] = True
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
        site_id, role, sub = claims.get("site_id"), claims.get("role"), claims.get("sub")
        if role not in ROLES or not is_safe_id(site_id) or not is_safe_id(sub):
            raise unauthorized("token lacks a valid site_id, role or sub (ids: 1-64 of A-Z a-z 0-9 . _ -)")
        platform = claims.get("platform", False)
        if not isinstance(platform, bool) or (platform and role != "admin"):
            raise unauthorized("token claim platform must be true only on an admin token")
        return Principal(sub=sub, site_id=site_id, role=role, platform=platform)


def require_role(principal: Principal, *roles: str) -> None:
    if principal.role not in roles:
        raise Forbidden(f"this route needs role {' or '.join(roles)}")
