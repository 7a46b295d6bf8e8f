"""Bearer JWT auth: HS256 pinned; ``iss``, ``aud`` and ``exp`` checked; site from the token.

The main backend mints tokens after ``wx.login``; ``bailian-fc token`` mints one locally.
Claims are checked here, at sign-in, so nothing later fails on them: ``sub`` and ``site_id`` must
be safe ids (:data:`ids.SAFE_ID_PATTERN`: they become store keys), ``role`` one of :data:`ROLES`.
An admin acts on its own site; ``"platform": true`` (with role ``admin``) marks a platform admin who
may act on any site.

Two secrets can be live at once, named by the header ``kid`` (``AUTH_JWT_KID`` for the current one,
``AUTH_JWT_SECRET_PREVIOUS`` + ``AUTH_JWT_KID_PREVIOUS`` for the one being retired), so the secret
rotates without signing anyone out; tokens are minted with the current secret only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from . import jwt_hs256
from .errors import Forbidden, Unauthenticated
from .ids import is_safe_id

if TYPE_CHECKING:
    from .settings import Settings

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
    def __init__(
        self,
        secret: str,
        issuer: str,
        audience: str,
        *,
        kid: str | None = None,
        previous: str | None = None,
        previous_kid: str | None = None,
    ) -> None:
        named = [("AUTH_JWT_SECRET", secret)] + (
            [("AUTH_JWT_SECRET_PREVIOUS", previous)] if previous is not None else []
        )
        for name, value in named:
            if len(value.encode()) < MIN_SECRET_BYTES:
                # RFC 7518 §3.2: an HS256 key shorter than the hash is guessable offline.
                raise ValueError(f"{name} must be at least {MIN_SECRET_BYTES} bytes")
        if previous is not None and (kid is None) != (previous_kid is None):
            # With one key named and the other not, a kid-less token could only ever match one of them.
            raise ValueError("AUTH_JWT_KID and AUTH_JWT_KID_PREVIOUS are set together or not at all")
        if previous is not None and kid is not None and kid == previous_kid:
            raise ValueError("AUTH_JWT_KID and AUTH_JWT_KID_PREVIOUS must differ")
        self._secret = secret
        self._kid = kid
        self._keys = [jwt_hs256.Key(secret, kid)]
        if previous is not None:
            self._keys.append(jwt_hs256.Key(previous, previous_kid))
        self.issuer = issuer
        self.audience = audience

    @classmethod
    def from_settings(cls, settings: Settings, secret: str | None = None) -> Authenticator:
        """The authenticator the settings describe (``secret`` stands in when AUTH_JWT_SECRET is unset)."""
        current = settings.auth_jwt_secret.get_secret_value() if settings.auth_jwt_secret else (secret or "")
        previous = settings.auth_jwt_secret_previous
        return cls(
            current,
            settings.auth_issuer,
            settings.auth_audience,
            kid=settings.auth_jwt_kid,
            previous=previous.get_secret_value() if previous else None,
            previous_kid=settings.auth_jwt_kid_previous,
        )

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
        return jwt_hs256.encode(claims, self._secret, kid=self._kid)

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal of an ``Authorization`` header value; 401 for anything wrong with it."""
        if not authorization:
            raise unauthorized("missing Authorization header")
        if "," in authorization:  # two headers, comma-joined by every adapter; a JWT has no comma
            raise unauthorized("send exactly one Authorization header")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("Authorization must be 'Bearer <token>'")
        try:
            claims = jwt_hs256.decode(token.strip(), self._keys, issuer=self.issuer, audience=self.audience)
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
